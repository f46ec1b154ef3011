"""Every Word and Excel file kehoach writes is valid against the standard's own schemas (ECMA-376 transitional,
../shared/reference/ooxml-schemas): every XML part of the 2024 and 2026 forms and appendices, of the form template,
and of the consolidated report and workbook made from filled forms by `kehoach ingest` and `kehoach summary`.

LibreOffice accepts children in any order, so the PDF tests cannot see this; Word expects the schema's sequence (the
children of w:tblPr, w:pPr, ...) and either offers to repair the file or ignores what is out of place (table borders,
fixed column widths, the header indent, the rule lines under the header and title).

Controls: files known to open in Word and Excel (python-docx's and openpyxl's default documents; a form and an
appendix saved by LibreOffice). A violation all controls of a kind share is a quirk of the schema set, not of our
files: only those may be allowed, in ALLOWED below, each with the reason; any other violation fails with part, line and
message. Markup-compatibility content is resolved before validating, as the schemas' README says (ooxmlschema.py).
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

import pytest
from formfill import Fill, fill_form, kehoach
from lo import SOFFICE, requires_soffice
from lxml import etree

from ooxmlschema import SCHEMAS, W_NS, Violation, package_errors, part_errors, xml_parts

if not (SCHEMAS / "xsd" / "wml.xsd").is_file():  # the reference folder sits beside the checkout (see conftest)
    if os.environ.get("CI"):
        raise RuntimeError(f"CI: không tìm thấy bộ lược đồ OOXML {SCHEMAS}")
    pytest.skip(f"the OOXML schemas are not at {SCHEMAS}", allow_module_level=True)

# Violations allowed in our files, as (kind of file, part name pattern, message pattern), each also found in the
# controls of that kind (test_allowed_violations_are_those_of_the_controls checks that it still is).
ALLOWED: list[tuple[str, str, str]] = [
    # sml.xsd declares a shared string's <t> (and an inline string's) as a simple type, so it rejects the
    # xml:space="preserve" that keeps leading/trailing spaces; openpyxl and LibreOffice write it (as Excel does).
    ("xlsx", r"xl/sharedStrings\.xml|xl/worksheets/sheet\d+\.xml",
     r"Element 'x:t', attribute 'xml:space': The attribute 'xml:space' is not allowed\."),
]

SCT, NHA_TRANG = "so-cong-thuong", "ubnd-thanh-pho-nha-trang"
FILLS = {
    SCT: ({"nv14": Fill(result=[[("Đã tổ chức ", ""), ("03 lớp", "b"), (" tập huấn.", "")]],
                        bullets=["Lớp 1"], status="Hoàn thành", note="Kinh phí 150 triệu"),
           "nv15": Fill(result=["  Hỗ trợ 5 HTX tham gia hội chợ.  "], status="Đang thực hiện")},
          {"kho-khan": ["Kinh phí hạn chế."], "kien-nghi": ["Tăng kinh phí xúc tiến."]}),
    NHA_TRANG: ({"nv05": Fill(result=["Rà soát 45 HTX trên địa bàn."], status="Chưa thực hiện")}, None),
}


def kind(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def matches(rule: tuple[str, str, str], file_kind: str, v: Violation) -> bool:
    k, part, message = rule
    return k == file_kind and bool(re.fullmatch(part, v.part)) and bool(re.fullmatch(message, v.message))


def allowed(file_kind: str, v: Violation) -> bool:
    return any(matches(rule, file_kind, v) for rule in ALLOWED)


def violations(files: dict[str, bytes]) -> list[str]:
    """Every violation not allowed, as "file: part:line: message"."""
    return [f"{name}: {e}" for name, data in sorted(files.items()) for e in package_errors(data)
            if not allowed(kind(name), e)]


def check(files: dict[str, bytes]) -> None:
    assert files
    found = violations(files)
    shown = "\n".join(found[:40]) + (f"\n... ({len(found) - 40} more)" if len(found) > 40 else "")
    assert not found, f"{len(found)} schema violations in {len({e.split(': ')[0] for e in found})} files:\n{shown}"


def folder_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in (".docx", ".xlsx")}


# ==================================================================================================== our files


@pytest.mark.parametrize("year", [2024, 2026])
def test_every_form_and_the_appendix_of_a_pack_are_schema_valid(form_pack, year):
    """All forms of the year (every kind of agency, lead/partner/expired tables or none) and phu-luc.xlsx."""
    files = folder_files(form_pack(year))
    assert "phu-luc.xlsx" in files and sum(n.endswith(".docx") for n in files) > 20
    check(files)


def test_the_form_template_is_schema_valid():
    from generator.paths import templates_dir

    check({"bao-cao-don-vi.docx": (templates_dir() / "bao-cao-don-vi.docx").read_bytes()})


def test_the_template_in_templates_is_what_the_builder_makes():
    """templates/bao-cao-don-vi.docx is regenerated when the builder changes (python -m generator.forms.template)."""
    from generator.forms.template import build_template
    from generator.paths import templates_dir

    assert build_template() == (templates_dir() / "bao-cao-don-vi.docx").read_bytes()


@pytest.fixture(scope="module")
def summary_files(forms_2024, tmp_path_factory) -> dict[str, bytes]:
    """`kehoach summary` after `kehoach ingest` of two filled forms and one returned blank."""
    tmp = tmp_path_factory.mktemp("schema-summary")
    inbox = tmp / "nhan"
    inbox.mkdir()
    for agency, (tasks, sections) in FILLS.items():
        (inbox / f"{agency}.docx").write_bytes(fill_form(forms_2024[agency], tasks, sections))
    (inbox / "ubnd-huyen-dien-khanh.docx").write_bytes(forms_2024["ubnd-huyen-dien-khanh"])
    r = kehoach("ingest", "--year", "2024", str(inbox), "--db", "bc.sqlite3", cwd=tmp)
    assert r.returncode == 0, r.stdout + r.stderr
    r = kehoach("summary", "--year", "2024", "--db", "bc.sqlite3", cwd=tmp)
    assert r.returncode == 0, r.stdout + r.stderr
    return folder_files(tmp / "output" / "khanh-hoa-1627" / "2024" / "tong-hop")


def test_the_consolidated_report_and_workbook_are_schema_valid(summary_files):
    assert sorted(summary_files) == ["bao-cao-tong-hop.docx", "tong-hop.xlsx"]
    parts = xml_parts(summary_files["tong-hop.xlsx"])
    assert any(p.startswith("xl/charts/") for p in parts) and any(p.startswith("xl/drawings/") for p in parts)
    check(summary_files)


def test_the_reminder_letters_are_schema_valid(forms_2024, tmp_path):
    """`kehoach reminders`: one recipient (Sở Công Thương, whose report is set to can-bo-sung: a note), then several
    (Sở Y tế and Ủy ban nhân dân thành phố Nha Trang sent nothing)."""
    inbox = tmp_path / "nhan"
    inbox.mkdir()
    for agency, data in forms_2024.items():
        (inbox / f"{agency}.docx").write_bytes(fill_form(data, *FILLS[SCT]) if agency == SCT else data)
    run = [("ingest", str(inbox), "--year", "2024"),
           ("review", SCT, "--year", "2024", "--version", "1", "--state", "can-bo-sung", "--note", "Thiếu số liệu"),
           ("reminders", "--year", "2024", "--out", "mot.docx"),
           ("review", "so-y-te", "--year", "2024", "--version", "1", "--state", "khong-dung", "--note", "Nhầm tệp"),
           ("review", NHA_TRANG, "--year", "2024", "--version", "1", "--state", "khong-dung", "--note", "Nhầm tệp"),
           ("reminders", "--year", "2024", "--out", "nhieu.docx")]
    for args in run:
        r = kehoach(*args, "--db", "bc.sqlite3", cwd=tmp_path)
        assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count(" — ") == 3, r.stdout
    check({name: (tmp_path / name).read_bytes() for name in ("mot.docx", "nhieu.docx")})


# ==================================================================================================== the validator


def _moved_first(data: bytes, parent: str, child: str) -> bytes:
    """A copy of a .docx with `child` moved to the end of the first `parent` holding it before another child."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        items = [(i.filename, zf.read(i)) for i in zf.infolist()]
    out = []
    for name, content in items:
        if name == "word/document.xml":
            root = etree.fromstring(content)
            first = next(c for p in root.iter(f"{{{W_NS}}}{parent}") for c in p.iterchildren(f"{{{W_NS}}}{child}")
                         if c.getnext() is not None)
            el = first.getparent()
            el.remove(first)
            el.append(first)
            content = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        out.append((name, content))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in out:
            zf.writestr(name, content)
    return buf.getvalue()


@pytest.mark.parametrize("parent, child", [("tblPr", "tblW"), ("pPr", "spacing"), ("tcPr", "tcW")])
def test_a_child_out_of_schema_order_is_reported_with_part_and_line(forms_2024, parent, child):
    data = _moved_first(forms_2024[SCT], parent, child)
    errors = [e for e in package_errors(data) if not allowed("docx", e)]
    assert errors and all(e.part == "word/document.xml" and e.line > 0 and e.path.endswith(f"/w:{parent}/w:{child}")
                          and re.match(r"Element 'w:\w+': This element is not expected", e.message)
                          for e in errors), [str(e) for e in errors]


def test_markup_compatibility_is_resolved_before_validating():
    """Ignorable namespaces (w14) are dropped, an AlternateContent gives its Fallback; an element of a namespace no
    schema knows and that is not ignorable stays and is reported."""
    w = f'xmlns:w="{W_NS}"'
    mc = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    w14 = 'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml"'
    body = ('<w:body><w:p w14:paraId="1A2B3C4D"><w:pPr><w:spacing w:after="0"/></w:pPr><w:r><w:t>x</w:t>{}</w:r>'
            '<mc:AlternateContent><mc:Choice Requires="w14"><w14:checkbox/></mc:Choice>'
            '<mc:Fallback><w:r><w:t>y</w:t></w:r></mc:Fallback></mc:AlternateContent></w:p></w:body>')
    ok = f'<w:document {w} {mc} {w14} mc:Ignorable="w14">{body.format("")}</w:document>'
    assert part_errors("word/document.xml", ok.encode()) == []
    strict = f'<w:document {w} {mc} {w14}>{body.format("")}</w:document>'
    errors = part_errors("word/document.xml", strict.encode())  # w14:paraId without mc:Ignorable is an error;
    assert len(errors) == 1 and "paraId" in errors[0].message, errors  # the AlternateContent still gives its Fallback
    unknown = f'<w:document {w} {mc} {w14} mc:Ignorable="w14" xmlns:x="urn:x">{body.format("<x:y/>")}</w:document>'
    assert any("{urn:x}y" in e.message for e in part_errors("word/document.xml", unknown.encode()))


# ==================================================================================================== the controls


def _python_docx_default() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("Văn bản")
    document.add_table(rows=2, cols=2).style = "Table Grid"
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _openpyxl_default() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["A1"] = " Văn bản "
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def controls(form_pack, tmp_path_factory) -> dict[str, dict[str, bytes]]:
    """kind -> control files: the libraries' default documents and one form and the appendix saved by LibreOffice."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    import subprocess

    tmp = tmp_path_factory.mktemp("schema-controls")
    sources = [form_pack(2024) / f"{SCT}.docx", form_pack(2024) / "phu-luc.xlsx"]
    profile = (tmp / "lo-profile").resolve()
    for target, source in (("docx:MS Word 2007 XML", sources[0]), ("xlsx:Calc MS Excel 2007 XML", sources[1])):
        r = subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation={profile.as_uri()}", "--convert-to",
                            target, "--outdir", str(tmp / "lo"), str(source)], capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0 and (tmp / "lo" / source.name).is_file(), r.stdout + r.stderr
    lo = tmp / "lo"
    return {
        "docx": {"python-docx.docx": _python_docx_default(), f"lo-{SCT}.docx": (lo / f"{SCT}.docx").read_bytes()},
        "xlsx": {"openpyxl.xlsx": _openpyxl_default(), "lo-phu-luc.xlsx": (lo / "phu-luc.xlsx").read_bytes()},
    }


@pytest.mark.libreoffice
@requires_soffice
def test_allowed_violations_are_those_of_the_controls(controls):
    """Each allowed violation is one that files known to open in Word or Excel have too, in a control of its kind."""
    for file_kind, pattern, message in ALLOWED:
        for name, data in controls[file_kind].items():
            assert any(matches((file_kind, pattern, message), file_kind, v) for v in package_errors(data)), \
                f"allowed, but not a violation of the control {name}: {pattern} {message}"


# ==================================================================================================== the order table

_TYPES = {"pPr": "CT_PPr", "rPr": "CT_RPr", "tblPr": "CT_TblPr", "trPr": "CT_TrPr", "tcPr": "CT_TcPr",
          "sectPr": "CT_SectPr", "tblBorders": "CT_TblBorders", "tcBorders": "CT_TcBorders",
          "tblCellMar": "CT_TblCellMar", "pBdr": "CT_PBdr", "sdtPr": "CT_SdtPr"}


def _children_in_order(xsd: etree._Element, name: str) -> list[str]:
    """The names of the child elements a complex type (or group) of wml.xsd declares, in the order declared,
    following its base type and the groups it refers to."""
    xs = "{http://www.w3.org/2001/XMLSchema}"
    definition = xsd.find(f"{xs}complexType[@name='{name}']")
    if definition is None:
        definition = xsd.find(f"{xs}group[@name='{name}']")
    out: list[str] = []

    def walk(el):
        for child in el:
            if child.tag == f"{xs}element":
                out.append(child.get("name"))
            elif child.tag == f"{xs}group" and child.get("ref"):
                out.extend(_children_in_order(xsd, child.get("ref")))
            elif child.tag == f"{xs}extension":
                out.extend(_children_in_order(xsd, child.get("base")))
                walk(child)
            elif child.tag != f"{xs}attribute":
                walk(child)

    walk(definition)
    return out


def test_the_order_table_of_ooxml_put_is_the_schema_order():
    from generator.office import wml as ooxml

    xsd = etree.parse(str(SCHEMAS / "xsd" / "wml.xsd")).getroot()
    assert set(ooxml._SEQUENCES) == set(_TYPES)
    for kind, type_name in _TYPES.items():
        assert list(ooxml._SEQUENCES[kind]) == _children_in_order(xsd, type_name), kind
