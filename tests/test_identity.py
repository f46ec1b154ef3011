"""A returned form is the report of the agency it claims only if its prefilled task rows are that agency's tasks
(issue 12, point 4): a form whose `kehoach.agency` was changed is refused with a sentence naming the rows that do not
belong, through `kehoach ingest` as a clerk runs it; the real report keeps counting. A form generated before an
amendment is compared with the plan version it was made from, and a row the agency deleted stays a warning."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from formfill import Fill, W, edit_document, fill_form, kehoach, set_property, write

from generator.plan.assignments import assignments
from generator.plan.loader import load_plan
from generator.returns.store import Store

SCT = "so-cong-thuong"
STC = "so-tai-chinh"



def tasks_of(plan, year: int, agency: str) -> set[str]:
    at = next(a for a in assignments(plan, year) if a.agency.id == agency)
    return {a.task.id for a in at.all}


def foreign_codes(plan, year: int, form_agency: str, claimed: str) -> list[str]:
    """The codes of the rows of `form_agency`'s form that are not tasks of `claimed`, in plan order."""
    rows, theirs = tasks_of(plan, year, form_agency), tasks_of(plan, year, claimed)
    return [t.code for t in plan.tasks if t.id in rows and t.id not in theirs]


def refusal(stderr: str, path: Path) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith(f"Lỗi: {path}: ")]
    assert len(lines) == 1, stderr
    return lines[0]


def test_form_claiming_another_agency_is_refused_and_the_real_report_still_counts(plan_2024, forms_2024, tmp_path):
    real = write(tmp_path / "in", "so-tai-chinh.docx",
                 fill_form(forms_2024[STC], {"nv17": Fill(result=["Báo cáo thật của Sở Tài chính"],
                                                          status="Hoàn thành")}))
    forged = write(tmp_path / "in2", "so-tai-chinh-gia.docx",
                   set_property(fill_form(forms_2024[SCT], {"nv14": Fill(result=["Giả mạo"], status="Hoàn thành")}),
                                "kehoach.agency", STC))
    r = kehoach("ingest", "--year", "2024", str(real), "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = kehoach("ingest", "--year", "2024", str(forged), "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 1, r.stdout
    assert "Traceback" not in r.stderr and "Đã nhận:" not in r.stdout
    line = refusal(r.stderr, forged)
    codes = foreign_codes(plan_2024, 2024, SCT, STC)
    assert codes and "II.11" in codes
    shown = ", ".join(codes[:12])
    assert f"dòng nhiệm vụ {shown}" in line, line
    assert "không phải nhiệm vụ giao cho Sở Tài chính năm 2024" in line, line
    assert line.count(";") <= 2 and "\n" not in line  # one sentence
    assert "Đã nhận 0 tệp mới, 0 tệp đã có, 1 lỗi" in r.stdout

    with Store(tmp_path / "bc.sqlite3") as store:
        latest = store.latest(plan_2024.id, 2024)
        assert [s.version for s in store.history(plan_2024.id, 2024, STC)] == [1]
    assert next(e for e in latest[STC].entries if e.task_id == "nv17").result == "Báo cáo thật của Sở Tài chính"
    r = kehoach("status", "--year", "2024", "--db", "bc.sqlite3", "--today", "2024-12-01", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    row = next(line for line in r.stdout.splitlines() if line.strip().startswith("Sở Tài chính "))
    assert re.search(r"(Đã nộp|Nộp muộn)\s*│\s*1\s*│", row), row  # (received today: after 15/12/2024)
    assert "Đã nộp 1/" in r.stdout


def test_forged_agency_with_an_unknown_plan_version_is_refused_too(plan_2024, forms_2024, tmp_path):
    forged = set_property(set_property(forms_2024[SCT], "kehoach.agency", STC), "kehoach.plan_version", "000000000000")
    path = write(tmp_path, "gia.docx", forged)
    r = kehoach("ingest", "--year", "2024", str(path), "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 1
    line = refusal(r.stderr, path)
    assert "không phải nhiệm vụ giao cho Sở Tài chính năm 2024" in line and "II.11" in line, line
    # the honest form of an unknown data version is still accepted, with the warning
    honest = write(tmp_path, "sct.docx", set_property(forms_2024[SCT], "kehoach.plan_version", "000000000000"))
    r = kehoach("ingest", "--year", "2024", str(honest), "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Cảnh báo: biểu mẫu tạo từ phiên bản dữ liệu kế hoạch 000000000000" in r.stdout


def test_deleted_row_is_still_a_warning(plan_2024, forms_2024, tmp_path):
    def drop_row(root):
        for sdt in root.iter(W + "sdt"):
            tag = sdt.find(f"{W}sdtPr/{W}tag")
            if tag is not None and tag.get(W + "val") == "nv14|result":
                tr = next(sdt.iterancestors(W + "tr"))
                tr.getparent().remove(tr)
                return
        raise AssertionError("no row of nv14")

    path = write(tmp_path, "sct.docx", edit_document(forms_2024[SCT], drop_row))
    r = kehoach("ingest", "--year", "2024", str(path), "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"Đã nhận: {path} — Sở Công Thương, năm 2024, phiên bản 1" in r.stdout
    assert "    Cảnh báo: thiếu dòng của nhiệm vụ được giao: II.11" in r.stdout


AMENDMENT = """\
document:
  kind: Kế hoạch
  number: 998/KH-UBND
  date: 2025-06-10
  issuer: UBND tỉnh Khánh Hòa
  title: Sửa đổi Phụ lục Kế hoạch số 1627/KH-UBND
changes:
  - action: change_task         # II.11 passes from Sở Công Thương to Sở Tài chính
    id: nv14
    lead: "Sở Tài chính"
"""


def test_form_generated_before_an_amendment_is_compared_with_its_own_version(plan_copy, tmp_path):
    """Sở Công Thương received its 2025 form (with II.11 as its lead task) before the amendment giving II.11 to Sở
    Tài chính was entered: the form matches the plan version it was made from, so it is accepted."""
    r = kehoach("pack", "--year", "2025", "--plan", str(plan_copy), "--out", "pack", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    before = load_plan(plan_copy, report_year=2025)
    assert "nv14" in tasks_of(before, 2025, SCT)
    (plan_copy / "amendments").mkdir()
    (plan_copy / "amendments" / "998.yaml").write_text(AMENDMENT, encoding="utf-8")
    after = load_plan(plan_copy, report_year=2025)
    assert "nv14" not in tasks_of(after, 2025, SCT)  # the row no longer belongs to it in the current version

    sct = (tmp_path / "pack" / f"{SCT}.docx").read_bytes()
    form = write(tmp_path / "in", "sct.docx", fill_form(sct, {"nv14": Fill(result=["Đã tập huấn"], status="Hoàn thành")}))
    r = kehoach("ingest", "--year", "2025", str(form), "--plan", str(plan_copy), "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"Đã nhận: {form} — Sở Công Thương, năm 2025, phiên bản 1" in r.stdout
    assert f"Cảnh báo: biểu mẫu tạo từ phiên bản dữ liệu kế hoạch {before.version}" in r.stdout
    with Store(tmp_path / "bc.sqlite3") as store:
        reading = store.latest(before.id, 2025)[SCT]
    assert next(e for e in reading.entries if e.task_id == "nv14").result == "Đã tập huấn"

    # the same old form claiming to be Sở Tài chính's is still refused: compared with the version it claims
    forged = write(tmp_path / "in", "stc.docx", set_property(sct, "kehoach.agency", STC))
    r = kehoach("ingest", "--year", "2025", str(forged), "--plan", str(plan_copy), "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 1, r.stdout
    line = refusal(r.stderr, forged)
    assert "không phải nhiệm vụ giao cho Sở Tài chính năm 2025" in line, line
    assert before.version in line
    codes = foreign_codes(before, 2025, SCT, STC)
    assert f"dòng nhiệm vụ {', '.join(codes[:12])}" in line, line


@pytest.mark.parametrize("agency", [STC, "ubnd-thanh-pho-nha-trang"])
def test_every_genuine_form_is_accepted_without_a_row_warning(plan_2024, forms_2024, agency):
    from generator.returns.read import read_form

    r = read_form(forms_2024[agency], plan_2024)
    assert r.agency == agency
    assert not any(w.startswith(("thiếu dòng", "có dòng")) for w in r.warnings), r.warnings
