"""Deadline wording as plans write it (issue 17): quarters, months, dates, "Từ năm", "Hằng quý", ... are kept
verbatim and interpreted; a single year is a completion deadline (reported from the plan's first year up to it, past
its deadline afterwards); wording that cannot be interpreted is reported every year, with a warning from validate."""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import docx
import openpyxl
import pytest

from generator.plan.schedule import parse_timeframe

YEARS = (2023, 2024, 2025, 2026, 2027)
A, E, F = "active", "expired", "future"

# wording -> status in the reports of 2023..2027 of a plan issued in 2023
WORDINGS = {
    "Quý IV/2023": (A, E, E, E, E),
    "Quý I năm 2024": (A, A, E, E, E),
    "Quý 2/2025": (A, A, A, E, E),
    "Tháng 6/2023": (A, E, E, E, E),
    "Tháng 6 năm 2023": (A, E, E, E, E),
    "Tháng 06/2024": (A, A, E, E, E),
    "Trước ngày 30/6/2024": (A, A, E, E, E),
    "Trước ngày 30 tháng 6 năm 2024": (A, A, E, E, E),
    "Năm 2024": (A, A, E, E, E),
    "Trong năm 2024": (A, A, E, E, E),
    "2025": (A, A, A, E, E),
    "Giai đoạn 2023-2025": (A, A, A, E, E),
    "2023 - 2025": (A, A, A, E, E),
    "2024-2025": (F, A, A, E, E),
    "Từ năm 2024": (F, A, A, A, A),
    "Từ năm 2024 đến năm 2025": (F, A, A, E, E),
    "2023 và các năm tiếp theo": (A, A, A, A, A),
    "Hằng quý": (A, A, A, A, A),
    "Hàng quý": (A, A, A, A, A),
    "6 tháng đầu năm": (A, A, A, A, A),
    "6 tháng đầu năm 2024": (A, A, E, E, E),
    "Định kỳ hằng năm": (A, A, A, A, A),
    "Định kỳ hàng năm": (A, A, A, A, A),
    "hàng năm": (A, A, A, A, A),
    "Hằng tháng": (A, A, A, A, A),
    "Thường xuyên": (A, A, A, A, A),
    "Sau khi có Văn bản của cấp có thẩm quyền": (A, A, A, A, A),
    "QUÝ IV/2023": (A, E, E, E, E),
}


@pytest.mark.parametrize("wording", WORDINGS)
def test_every_listed_wording_is_interpreted_and_kept_verbatim(wording):
    s = parse_timeframe(wording)
    assert s.text == wording
    assert s.kind != "unknown", f'"{wording}" was not interpreted'
    assert tuple(s.status(y) for y in YEARS) == WORDINGS[wording]


@pytest.mark.parametrize("wording,due", [
    ("Quý IV/2023", (2023, 12, 31)), ("Quý I năm 2024", (2024, 3, 31)), ("Quý 2/2025", (2025, 6, 30)),
    ("Tháng 6/2023", (2023, 6, 30)), ("Tháng 2 năm 2024", (2024, 2, 29)), ("Trước ngày 30/6/2024", (2024, 6, 30)),
    ("Năm 2024", (2024, 12, 31)), ("2025", (2025, 12, 31)), ("6 tháng đầu năm 2024", (2024, 6, 30)),
])
def test_a_deadline_gives_its_completion_date(wording, due):
    import datetime as dt

    s = parse_timeframe(wording)
    assert (s.kind, s.start, s.end, s.due) == ("deadline", None, due[0], dt.date(*due))


def test_wording_is_matched_in_nfd_and_with_any_spacing():
    for wording in ("Quý IV/2023", "Định kỳ hằng năm", "2023 và các năm tiếp theo"):
        nfd = unicodedata.normalize("NFD", wording)
        spaced = "  " + wording.replace(" ", "   ") + " "
        assert parse_timeframe(nfd).status(2024) == parse_timeframe(wording).status(2024)
        assert parse_timeframe(spaced).kind == parse_timeframe(wording).kind != "unknown"


@pytest.mark.parametrize("wording", ["Quý 3 năm sau", "Theo tiến độ của Trung ương", "năm sau", "Quý V/2023"])
def test_wording_it_cannot_interpret_is_kept_and_reported_every_year(wording):
    s = parse_timeframe(wording)
    assert (s.kind, s.text) == ("unknown", wording)
    assert [s.status(y) for y in YEARS] == [A] * len(YEARS)


@pytest.mark.parametrize("wording,why", [
    ("2025-2023", "năm bắt đầu sau năm kết thúc"),
    ("Tháng 13/2023", "tháng 13"),
    ("Trước ngày 31/2/2024", "31/2/2024"),
])
def test_impossible_dates_are_refused(wording, why):
    with pytest.raises(ValueError, match=why):
        parse_timeframe(wording)


# --------------------------------------------------------------------------- through the CLI


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def set_timeframe(plan_dir: Path, task_id: str, wording: str) -> int:
    """Rewrite the timeframe line of one task in tasks.yaml; returns that line's number."""
    path = plan_dir / "tasks.yaml"
    lines = path.read_text(encoding="utf-8").split("\n")
    start = lines.index(f"      - id: {task_id}")
    i = next(j for j in range(start, len(lines)) if lines[j].strip().startswith("timeframe:"))
    lines[i] = f'        timeframe: "{wording}"'
    path.write_text("\n".join(lines), encoding="utf-8")
    return i + 1


SECTIONS = {
    "1. Nhiệm vụ chủ trì": "lead",
    "2. Nhiệm vụ phối hợp": "partner",
    "3. Nhiệm vụ đã hết thời hạn theo Kế hoạch: báo cáo nếu chưa hoàn thành": "expired",
}


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def cell_text(cell) -> str:
    """A cell's text, its paragraphs inside content controls included (python-docx's `cell.text` skips those)."""
    return "\n".join("".join(t.text or "" for t in p.iter(W + "t")) for p in cell._tc.iter(W + "p"))


TIME_LABEL = "Thời gian: "


def read_forms(pack: Path) -> dict[str, list[tuple[str, str, str]]]:
    """Task code -> [(form, section, timeframe cell text)] over every form of a pack, read with python-docx."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    for path in sorted(pack.glob("*.docx")):
        d = docx.Document(str(path))
        section = None
        for el in d.element.body.iterchildren():
            tag = el.tag.rsplit("}", 1)[1]
            if tag == "p":
                text = "".join(t.text or "" for t in el.iter(W + "t")).strip()
                if text in SECTIONS:
                    section = SECTIONS[text]
                elif re.match(r"^I+\. ", text):
                    section = None
            elif tag == "tbl" and section:
                table = docx.table.Table(el, d)
                for row in table.rows[1:]:
                    cells = [cell_text(c) for c in row.cells]
                    # the timeframe is printed under the task text, after its label
                    timeframe = next(line[len(TIME_LABEL):] for line in cells[1].split("\n")
                                     if line.startswith(TIME_LABEL))
                    found.setdefault(cells[0].strip(), []).append((path.stem, section, timeframe))
    return found


def appendix_timeframes(xlsx: Path) -> dict[str, str]:
    """Task code ("II.3") -> the "Thời gian hoàn thành" cell of the appendix."""
    ws = openpyxl.load_workbook(xlsx).active
    rows = list(ws.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r and r[0] == "TT")
    col = list(rows[header]).index("Thời gian hoàn thành")
    out, numeral = {}, None
    for r in rows[header + 1:]:
        if not r or r[0] is None:
            continue
        first = str(r[0]).strip()
        if re.fullmatch(r"[IVX]+", first):
            numeral = first
        elif first.isdigit() and numeral:
            out[f"{numeral}.{first}"] = r[col]
    return out


# Tasks led by one agency each, given the wordings of the issue.
EDITS = {
    "nv24": "Quý IV/2023",  # III.2
    "nv30": "Quý I năm 2024",  # IV.1
    "nv29": "Tháng 6/2023",  # III.7
    "nv07": "Tháng 6 năm 2023",  # II.4
    "nv08": "Trước ngày 30/6/2024",  # II.5
    "nv20": "Năm 2024",  # II.17
    "nv02": "Giai đoạn 2023-2025",  # I.2
    "nv06": "2023 - 2025",  # II.3
    "nv13": "Từ năm 2024",  # II.10
    "nv16": "2023 và các năm tiếp theo",  # II.13
    "nv14": "Hằng quý",  # II.11
    "nv15": "6 tháng đầu năm",  # II.12
    "nv18": "Định kỳ hằng năm",  # II.15
    "nv19": "Hàng quý",  # II.16
    "nv22": "2025",  # II.19: due 2025 in a 2023 plan
}
CODES = {"nv24": "III.2", "nv30": "IV.1", "nv29": "III.7", "nv07": "II.4", "nv08": "II.5", "nv20": "II.17",
         "nv02": "I.2", "nv06": "II.3", "nv13": "II.10", "nv16": "II.13", "nv14": "II.11", "nv15": "II.12",
         "nv18": "II.15", "nv19": "II.16", "nv22": "II.19"}
PACK_YEARS = (2023, 2024, 2026)
UNKNOWN = "Theo tiến độ của Trung ương"  # IV.2 (nv31), reported every year with a warning
UNKNOWN_LINE: list[int] = []


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """A copy of the default plan with the issue's wordings (and one it cannot read), validated and packed for 2023,
    2024 and 2026."""
    import shutil

    from generator.paths import default_plan_dir

    root = tmp_path_factory.mktemp("deadlines")
    plan_dir = root / "plan"
    shutil.copytree(default_plan_dir(), plan_dir)
    for task_id, wording in EDITS.items():
        set_timeframe(plan_dir, task_id, wording)
    UNKNOWN_LINE.append(set_timeframe(plan_dir, "nv31", UNKNOWN))
    validate = run("validate", "--plan", str(plan_dir), cwd=root)
    packs = {}
    for year in PACK_YEARS:
        result = run("pack", "--year", str(year), "--plan", str(plan_dir), "--out", str(root / str(year)), cwd=root)
        assert result.returncode == 0, result.stderr
        packs[year] = {"forms": read_forms(root / str(year)), "stderr": result.stderr}
    return validate, packs, root


def test_the_wordings_validate_with_no_other_warning(edited):
    validate, _, _ = edited
    assert validate.returncode == 0, validate.stderr
    assert [w for w in validate.stderr.splitlines() if w.startswith("Cảnh báo:") and UNKNOWN not in w] == []


def test_the_wordings_are_kept_verbatim_in_forms_and_appendix(edited):
    _, packs, root = edited
    for year in PACK_YEARS:
        appendix = appendix_timeframes(root / str(year) / "phu-luc.xlsx")
        for task_id, wording in EDITS.items():
            code = CODES[task_id]
            assert appendix[code] == wording
            for form, _, cell in packs[year]["forms"].get(code, []):
                assert cell == wording, f"{year} {form}.docx {code}: {cell!r}"


@pytest.mark.parametrize("year", PACK_YEARS)
def test_each_task_is_in_the_right_years_forms(edited, year):
    _, packs, _ = edited
    for task_id, wording in EDITS.items():
        code = CODES[task_id]
        expected = WORDINGS[wording][YEARS.index(year)]
        sections = {section for _, section, _ in packs[year]["forms"].get(code, [])}
        if expected == F:
            assert not sections, f'{code} "{wording}" is not yet due in {year} but is in {sections}'
        elif expected == E:
            assert sections == {"expired"}, f'{code} "{wording}" is past its deadline in {year}: {sections}'
        else:
            assert sections and "expired" not in sections, f'{code} "{wording}" is due in {year}: {sections}'


def test_a_task_due_2025_is_in_the_2024_forms_of_its_lead(plan_copy, tmp_path):
    """Only this change on the shipped data: a single year is a completion deadline, not the only year of work."""
    set_timeframe(plan_copy, "nv22", "2025")  # II.19, led by Sở Nông nghiệp và Phát triển Nông thôn
    result = run("pack", "--year", "2024", "--plan", str(plan_copy), "--out", str(tmp_path / "2024"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    forms = read_forms(tmp_path / "2024")
    assert "II.19" in forms, "a task due 2025 is missing from the 2024 pack"
    lead = {form for form, section, _ in forms["II.19"] if section == "lead"}
    assert lead == {"so-nong-nghiep-va-phat-trien-nong-thon"}
    assert "expired" not in {section for _, section, _ in forms["II.19"]}


def test_unknown_wording_is_a_warning_with_file_and_line_and_reported_every_year(edited):
    validate, packs, root = edited
    assert validate.returncode == 0, validate.stderr
    [warning] = [w for w in validate.stderr.splitlines() if w.startswith("Cảnh báo:")]
    assert f"tasks.yaml:{UNKNOWN_LINE[0]}:" in warning and f'"{UNKNOWN}"' in warning
    assert "IV.2" in warning and "mọi năm" in warning
    for year in PACK_YEARS:
        # the pack says so too, once, as validate does
        assert [w for w in packs[year]["stderr"].splitlines() if UNKNOWN in w] == [warning]
        forms = packs[year]["forms"]
        assert {section for _, section, _ in forms["IV.2"]} == {"lead", "partner"}
        assert {cell for _, _, cell in forms["IV.2"]} == {UNKNOWN}
        assert appendix_timeframes(root / str(year) / "phu-luc.xlsx")["IV.2"] == UNKNOWN


def test_unknown_wording_in_an_amendment_is_a_warning_naming_the_amendment(plan_copy, tmp_path):
    (plan_copy / "amendments").mkdir()
    (plan_copy / "amendments" / "sua-doi.yaml").write_text(
        'document:\n  number: "99/KH-UBND"\n  date: 2024-03-01\n  issuer: "UBND tỉnh Khánh Hòa"\n'
        '  title: "Sửa đổi"\nchanges:\n  - action: change_task\n    id: nv30\n'
        '    timeframe: "Khi Trung ương hướng dẫn"\n', encoding="utf-8")
    result = run("validate", "--plan", str(plan_copy), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [warning] = [w for w in result.stderr.splitlines() if w.startswith("Cảnh báo:")]
    assert "sua-doi.yaml:9:" in warning and '"Khi Trung ương hướng dẫn"' in warning


def test_the_default_plan_has_no_timeframe_warning(tmp_path):
    result = run("validate", cwd=tmp_path)
    assert result.returncode == 0 and "Cảnh báo" not in result.stderr
