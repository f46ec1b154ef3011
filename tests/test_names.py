"""Names as plans write them (issue 17): a parenthetical sub-unit after an agency's name assigns the task to that
agency and is kept in the form's text; old and new tone placement ("Uỷ"/"Ủy", "Hoà"/"Hòa") and "UBND"/"Ủy ban nhân
dân" match the same agency, while the plan's wording is kept as written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import docx
import openpyxl
import pytest

from generator.plan.resolve import Resolver, name_key

W_T = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"


@pytest.mark.parametrize("old,new", [
    ("Uỷ ban", "Ủy ban"), ("Hoà", "Hòa"), ("Thuỷ", "Thủy"), ("hoá", "hóa"), ("Khoẻ", "Khỏe"), ("quý", "qúy"),
    ("thuỵ", "thụy"), ("Hoạ", "Họa"), ("Uỷ ban nhân dân huyện", "UBND huyện"), ("UỶ BAN NHÂN DÂN", "ubnd"),
])
def test_one_key_for_either_tone_placement_and_ubnd(old, new):
    assert name_key(old) == name_key(new)


def test_the_key_keeps_different_names_apart():
    assert name_key("Sở Tài chính") != name_key("Sở Tài nguyên")
    assert name_key("Hòa") != name_key("Hoa")
    assert name_key("Ủy ban Mặt trận Tổ quốc") != name_key("UBND")


@pytest.mark.parametrize("wording", [
    "Uỷ ban nhân dân huyện Vạn Ninh", "UBND huyện Vạn Ninh", "Ủy ban nhân dân huyện Vạn Ninh",
    "ubnd huyện vạn ninh", "Ủy  ban nhân dân\nhuyện Vạn Ninh",
])
def test_spellings_of_a_district_resolve_to_the_same_agency(plan, wording):
    res = Resolver(plan.registry).resolve(wording)
    assert res.unknown == ()
    assert [(r.target, r.text) for r in res.refs] == [("ubnd-huyen-van-ninh", " ".join(wording.split()))]


def test_old_tone_placement_in_a_longer_cell(plan):
    res = Resolver(plan.registry).resolve("Văn phòng Uỷ ban nhân dân tỉnh; UBND thị xã Ninh Hoà và Sở Nội vụ")
    assert res.unknown == ()
    assert [r.target for r in res.refs] == ["van-phong-ubnd-tinh", "ubnd-thi-xa-ninh-hoa", "so-noi-vu"]
    assert [r.text for r in res.refs] == ["Văn phòng Uỷ ban nhân dân tỉnh", "UBND thị xã Ninh Hoà", "Sở Nội vụ"]


def test_a_parenthetical_sub_unit_assigns_the_task_to_its_agency(plan):
    res = Resolver(plan.registry).resolve(
        "Sở Nội vụ (Ban Thi đua - Khen thưởng), Sở Tài chính (Phòng Tài chính - Ngân sách) có liên quan; "
        "UBND các huyện, thị xã, thành phố (Phòng Tài chính - Kế hoạch)")
    assert res.unknown == ()
    assert [(r.target, r.unit, r.related) for r in res.refs] == [
        ("so-noi-vu", "Ban Thi đua - Khen thưởng", False),
        ("so-tai-chinh", "Phòng Tài chính - Ngân sách", True),
        ("ubnd-cap-huyen", "Phòng Tài chính - Kế hoạch", False),
    ]
    assert res.refs[0].text == "Sở Nội vụ (Ban Thi đua - Khen thưởng)"
    assert res.refs[2].text == "UBND các huyện, thị xã, thành phố (Phòng Tài chính - Kế hoạch)"


def test_a_parenthesised_qualifier_is_the_qualifier(plan):
    [ref] = Resolver(plan.registry).resolve("Các sở, ban, ngành (có liên quan)").refs
    assert (ref.target, ref.related, ref.unit, ref.text) == ("cac-so-ban-nganh", True, "", "Các sở, ban, ngành (có liên quan)")


def test_a_parenthesis_alone_is_still_unknown(plan):
    res = Resolver(plan.registry).resolve("(Ban Thi đua - Khen thưởng)")
    assert res.refs == () and res.unknown == ("(Ban Thi đua - Khen thưởng)",)


# --------------------------------------------------------------------------- through the CLI


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def set_field(plan_dir: Path, task_id: str, key: str, value: str) -> None:
    path = plan_dir / "tasks.yaml"
    lines = path.read_text(encoding="utf-8").split("\n")
    start = lines.index(f"      - id: {task_id}")
    i = next(j for j in range(start, len(lines)) if lines[j].strip().startswith(f"{key}:"))
    lines[i] = f'        {key}: "{value}"'
    path.write_text("\n".join(lines), encoding="utf-8")


def form_rows(path: Path) -> dict[str, str]:
    """Task code -> the text of its task (with kehoach's notes; the "Sản phẩm: ..." and "Thời gian: ..." lines printed
    under it left out), over every task table of a form."""
    d = docx.Document(str(path))
    rows = {}
    for table in d.tables:
        if "".join(t.text or "" for t in table.rows[0].cells[0]._tc.iter(W_T)).strip() != "TT":
            continue
        for row in table.rows[1:]:
            cells = row.cells
            lines = ["".join(t.text or "" for t in p.iter(W_T)) for p in cells[1]._tc.iter(
                "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p")]
            rows["".join(t.text or "" for t in cells[0]._tc.iter(W_T)).strip()] = "\n".join(
                line for line in lines if not line.startswith(("Sản phẩm: ", "Thời gian: ")))
    return rows


def appendix_rows(xlsx: Path) -> dict[str, tuple]:
    ws = openpyxl.load_workbook(xlsx).active
    out, numeral = {}, None
    for r in ws.iter_rows(values_only=True):
        first = str(r[0]).strip() if r and r[0] is not None else ""
        if first in ("I", "II", "III", "IV", "V"):
            numeral = first
        elif first.isdigit() and numeral:
            out[f"{numeral}.{first}"] = r
    return out


SUB_UNIT = "Sở Nội vụ (Ban Thi đua - Khen thưởng)"
NV03_PARTNERS = f"{SUB_UNIT}, các sở, ban, ngành của tỉnh; và UBND các huyện, thị xã, thành phố"


@pytest.fixture(scope="module")
def named(tmp_path_factory):
    """The default plan with I.3's partner written with its sub-unit and two district spellings, packed for 2024."""
    import shutil

    from generator.paths import default_plan_dir

    root = tmp_path_factory.mktemp("names")
    plan_dir = root / "plan"
    shutil.copytree(default_plan_dir(), plan_dir)
    set_field(plan_dir, "nv03", "partners", NV03_PARTNERS)  # I.3 "Khen thưởng, tôn vinh ..."
    set_field(plan_dir, "nv15", "lead", "Sở Công Thương; Uỷ ban nhân dân huyện Vạn Ninh")  # II.12
    set_field(plan_dir, "nv16", "lead", "Sở Công Thương; UBND huyện Vạn Ninh")  # II.13
    validate = run("validate", "--plan", str(plan_dir), cwd=root)
    packed = run("pack", "--year", "2024", "--plan", str(plan_dir), "--out", str(root / "2024"), cwd=root)
    return validate, packed, plan_dir, root / "2024"


def test_the_plan_with_sub_units_and_old_spellings_validates(named):
    validate, packed, _, _ = named
    assert validate.returncode == 0, validate.stderr
    assert packed.returncode == 0, packed.stderr


def test_the_sub_unit_task_is_in_the_form_of_so_noi_vu_with_the_sub_unit(named):
    _, _, _, pack = named
    rows = form_rows(pack / "so-noi-vu.docx")
    assert "I.3" in rows
    assert rows["I.3"].split("\n")[-1] == f"(Giao cho: {SUB_UNIT})"
    assert appendix_rows(pack / "phu-luc.xlsx")["I.3"][3] == NV03_PARTNERS  # the appendix keeps it verbatim


def test_the_sub_unit_form_read_back_unchanged_has_no_edit_warning(named):
    from generator.plan.assignments import report_date
    from generator.returns.read import read_form
    from generator.plan.loader import load_plan

    _, _, plan_dir, pack = named
    p = load_plan(plan_dir)
    p = load_plan(plan_dir, report_date(p, 2024))
    reading = read_form((pack / "so-noi-vu.docx").read_bytes(), p, expected_year=2024)
    assert not [w for w in reading.warnings if "đã bị sửa" in w], reading.warnings


def test_both_spellings_of_the_district_reach_its_form(named):
    _, _, _, pack = named
    rows = form_rows(pack / "ubnd-huyen-van-ninh.docx")
    assert {"II.12", "II.13"} <= set(rows)
    appendix = appendix_rows(pack / "phu-luc.xlsx")
    assert appendix["II.12"][2] == "Sở Công Thương; Uỷ ban nhân dân huyện Vạn Ninh"  # as written, never respelt
    assert appendix["II.13"][2] == "Sở Công Thương; UBND huyện Vạn Ninh"


def test_registry_names_differing_only_in_spelling_are_one_name(plan_copy, province_registry, tmp_path):
    path = province_registry
    text = path.read_text(encoding="utf-8")
    text = text.replace('    name: Ủy ban nhân dân huyện Diên Khánh\n',
                        '    name: Ủy ban nhân dân huyện Diên Khánh\n    aliases: ["UBND huyện Vạn Ninh"]\n', 1)
    path.write_text(text, encoding="utf-8")
    result = run("validate", "--plan", str(plan_copy), cwd=tmp_path)
    assert result.returncode == 1
    assert '"UBND huyện Vạn Ninh" đã dùng cho "ubnd-huyen-van-ninh"' in result.stderr
