"""Bad names and bad text (issue 12, point 5), through the CLI as a clerk sees them: a file name that is not UTF-8
or holds a line break never stops an ingest nor forges an output line; a character Word and Excel cannot hold is
refused by `validate` with file:line; `pack` never writes a form that is not well-formed XML; a text from the data
that starts like a formula is a text in the .xlsx files."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest
from formfill import kehoach

from generator.returns.store import Store

SCT = "so-cong-thuong"


# ---------------------------------------------------------------------------------------------------- file names


def test_a_file_name_that_is_not_utf8_never_stops_the_others(plan_2024, forms_2024, tmp_path):
    folder = tmp_path / "nhan"
    folder.mkdir()
    (folder / "so-cong-thuong.docx").write_bytes(forms_2024[SCT])
    (folder / "ubnd-thanh-pho-nha-trang.docx").write_bytes(forms_2024["ubnd-thanh-pho-nha-trang"])
    bytes_folder = os.fsencode(folder)
    with open(bytes_folder + b"/bad\xff.docx", "wb") as f:  # a good form under a name that is not UTF-8
        f.write(forms_2024["so-y-te"])
    with open(bytes_folder + b"/hong\xfe.docx", "wb") as f:  # a broken file under such a name
        f.write(b"PK\x03\x04 not really a zip")
    r = kehoach("ingest", "--year", "2024", "nhan", "--db", "bc.sqlite3", cwd=tmp_path)
    assert "Traceback" not in r.stderr and "không mong đợi" not in r.stderr, r.stderr
    assert r.returncode == 1  # README: 1 when at least one file could not be received
    assert "Đã nhận: nhan/so-cong-thuong.docx — Sở Công Thương, năm 2024, phiên bản 1" in r.stdout
    assert "Đã nhận: nhan/ubnd-thanh-pho-nha-trang.docx — " in r.stdout
    assert "Đã nhận: nhan/bad\\xff.docx — Sở Y tế, năm 2024, phiên bản 1" in r.stdout
    assert "Lỗi: nhan/hong\\xfe.docx: tệp không phải .docx hợp lệ" in r.stderr
    assert "Đã nhận 3 tệp mới, 0 tệp đã có, 1 lỗi" in r.stdout
    with Store(tmp_path / "bc.sqlite3") as store:
        latest = store.latest(plan_2024.id, 2024)
    assert set(latest) == {SCT, "ubnd-thanh-pho-nha-trang", "so-y-te"}
    assert latest["so-y-te"].filename == "bad\\xff.docx"


def test_a_name_with_a_line_break_cannot_forge_an_output_line(forms_2024, tmp_path):
    folder = tmp_path / "nhan"
    folder.mkdir()
    (folder / "a\nĐã nhận: gia.docx — Sở Tài chính, năm 2024, phiên bản 1.docx").write_bytes(forms_2024[SCT])
    (folder / "b\rLỗi: x\x1b[2K.docx").write_bytes(b"not a form")
    r = kehoach("ingest", "--year", "2024", "nhan", "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 1
    out_lines, err_lines = r.stdout.split("\n"), r.stderr.split("\n")
    assert not any(line.startswith("Đã nhận: gia.docx") for line in out_lines), r.stdout
    assert "Đã nhận: nhan/a\\nĐã nhận: gia.docx — Sở Tài chính, năm 2024, phiên bản 1.docx — Sở Công Thương" in r.stdout
    assert any(line.startswith("Lỗi: nhan/b\\rLỗi: x\\x1b[2K.docx: ") for line in err_lines), r.stderr
    assert "\r" not in r.stdout + r.stderr and "\x1b" not in r.stdout + r.stderr


# ---------------------------------------------------------------------------------------------------- characters


def line_of(path: Path, needle: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert needle in text, needle
    return text[: text.index(needle)].count("\n") + 1


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("field, old, new", [
    ("name", "    name: Sở Công Thương\n", '    name: "Sở Công\\x01 Thương"\n'),
    ("header", "    name: Sở Công Thương\n", '    name: Sở Công Thương\n    header: "SỞ CÔNG\\u0001 THƯƠNG"\n'),
    ("code", "    code: SCT\n", '    code: "S\\x01CT"\n'),
])
def test_a_control_character_in_an_agency_is_refused_with_file_and_line(plan_copy, province_registry, tmp_path, field,
                                                                       old, new):
    agencies = province_registry
    replace_once(agencies, old, new)
    needle = new.strip().split("\n")[-1]
    line = line_of(agencies, needle)
    r = kehoach("validate", "--plan", str(plan_copy), cwd=tmp_path)
    assert r.returncode == 1, r.stdout
    assert f"{agencies}:{line}: " in r.stderr, r.stderr
    assert "U+0001" in r.stderr and "Kế hoạch không hợp lệ: 1 lỗi" in r.stderr
    r = kehoach("pack", "--year", "2024", "--plan", str(plan_copy), "--out", "pack", cwd=tmp_path)
    assert r.returncode == 1 and f"{agencies}:{line}: " in r.stderr
    assert not (tmp_path / "pack").exists()


def test_a_control_character_in_a_task_field_is_refused_with_file_and_line(plan_copy, tmp_path):
    tasks = plan_copy / "tasks.yaml"
    replace_once(tasks, 'deliverable: "Kế hoạch tổ chức bồi dưỡng tập huấn"',
                 'deliverable: "Kế hoạch tổ chức\\x01 bồi dưỡng tập huấn"')
    line = line_of(tasks, "Kế hoạch tổ chức\\x01")
    r = kehoach("validate", "--plan", str(plan_copy), cwd=tmp_path)
    assert r.returncode == 1
    assert f"{tasks}:{line}: " in r.stderr and "U+0001" in r.stderr, r.stderr
    r = kehoach("appendix", "--plan", str(plan_copy), "--out", "pl.xlsx", cwd=tmp_path)
    assert r.returncode == 1 and f"{tasks}:{line}: " in r.stderr and "IllegalCharacter" not in r.stderr
    assert not (tmp_path / "pl.xlsx").exists()


def test_a_control_character_typed_into_the_file_is_refused_with_its_line(plan_copy, tmp_path):
    """Written as the character itself (not an escape): YAML's own English error had no line."""
    tasks = plan_copy / "tasks.yaml"
    replace_once(tasks, "Tổ chức các lớp bồi dưỡng", "Tổ chức\x0b các lớp bồi dưỡng")
    line = line_of(tasks, "Tổ chức\x0b")
    r = kehoach("validate", "--plan", str(plan_copy), cwd=tmp_path)
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert lines[0].startswith(f"{tasks}:{line}: ") and "U+000B" in lines[0], r.stderr
    assert "unacceptable" not in r.stderr and len(lines) == 2, r.stderr


def test_pack_never_writes_a_form_that_is_not_well_formed_xml(tmp_path):
    """A template whose {%p if %} ... {%p endif %} encloses the end of a table renders well-formed XML for the
    sample agencies `check` tries, but not for Sở Công Thương: pack refuses before writing anything."""
    from generator.paths import templates_dir

    source = templates_dir() / "bao-cao-don-vi.docx"
    with zipfile.ZipFile(source) as zf:
        entries = [(i.filename, zf.read(i)) for i in zf.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            if name == "word/document.xml":
                xml = data.decode("utf-8")
                xml = xml.replace("<w:t>{{ date_line }}</w:t>", '<w:t>{%p if agency_code != "SCT" %}</w:t>', 1)
                end = xml.index("</w:tbl>") + len("</w:tbl>")
                xml = xml[:end] + "<w:p><w:r><w:t>{%p endif %}</w:t></w:r></w:p>" + xml[end:]
                data = xml.encode("utf-8")
            zf.writestr(name, data)
    template = tmp_path / "mau-sai.docx"
    template.write_bytes(out.getvalue())
    r = kehoach("pack", "--year", "2024", "--template", str(template), "--out", "pack", cwd=tmp_path)
    assert r.returncode == 1, r.stdout
    assert "Traceback" not in r.stderr
    assert "Sở Công Thương" in r.stderr and "mau-sai.docx" in r.stderr and "word/document.xml" in r.stderr, r.stderr
    assert not (tmp_path / "pack").exists()


# ---------------------------------------------------------------------------------------------------- formulas


def _formula_plan(plan_copy: Path) -> None:
    tasks = plan_copy / "tasks.yaml"
    replace_once(tasks, 'task: "Tổ chức các lớp bồi dưỡng, tập huấn nâng cao nghiệp vụ cho các tổ chức kinh tế tập thể, '
                 'hợp tác xã về hội nhập kinh tế quốc tế, thương mại điện tử, xúc tiến thương mại"', 'task: "=1+1"')
    replace_once(tasks, 'deliverable: "Kế hoạch tổ chức bồi dưỡng tập huấn"', 'deliverable: "@SUM(A1:A2)"')
    replace_once(tasks, 'deliverable: "Các văn bản quy phạm pháp luật"', 'deliverable: "-1"')


def _cells_starting_with_formula_marks(path: Path) -> dict[str, tuple[str, object]]:
    ws = openpyxl.load_workbook(path).active
    return {c.coordinate: (c.data_type, c.value) for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) and c.value[:1] in "=+-@"}


def test_a_text_starting_like_a_formula_is_text_in_the_appendix(plan_copy, tmp_path):
    _formula_plan(plan_copy)
    r = kehoach("appendix", "--plan", str(plan_copy), "--out", "pl.xlsx", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    cells = _cells_starting_with_formula_marks(tmp_path / "pl.xlsx")
    values = {v for _, v in cells.values()}
    assert {"=1+1", "@SUM(A1:A2)", "-1"} <= values, cells
    assert all(t == "s" for t, _ in cells.values()), cells

    r = kehoach("pack", "--year", "2024", "--plan", str(plan_copy), "--out", "pack", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    cells = _cells_starting_with_formula_marks(tmp_path / "pack" / "phu-luc.xlsx")
    assert {"=1+1", "@SUM(A1:A2)", "-1"} <= {v for _, v in cells.values()}, cells
    assert all(t == "s" for t, _ in cells.values()), cells
