"""The plan documents the import tests read (tests/plandocs.py) are what they claim to be: Kế hoạch 1627 laid out as
the original from the official text, its PDF, and the second province's plan with its registry."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

import plandocs
from lo import requires_soffice

SOURCE = plandocs.SOURCE
pytestmark = pytest.mark.skipif(not SOURCE.is_file(), reason="../shared/source is not beside the checkout")


@pytest.fixture(scope="module")
def kh1627(tmp_path_factory) -> Path:
    return plandocs.kh1627_docx(tmp_path_factory.mktemp("kh1627") / "ke-hoach-1627.docx")


@pytest.fixture(scope="module")
def ld245(tmp_path_factory) -> Path:
    return plandocs.second_plan_docx(tmp_path_factory.mktemp("ld245") / "ke-hoach-245.docx")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def appendix_tables(path: Path) -> list[list[list[dict]]]:
    """The PHỤ LỤC tables: every body table whose first row is the appendix header."""
    tables = [plandocs.grid_rows(t) for t in plandocs.body_tables(path)]
    return [t for t in tables if [c["text"] for c in t[0]][:2] == ["TT", plandocs.HEADER[1]]]


def test_the_documents_are_byte_identical_from_run_to_run(tmp_path, kh1627, ld245):
    again = plandocs.kh1627_docx(tmp_path / "a.docx"), plandocs.second_plan_docx(tmp_path / "b.docx")
    assert [p.read_bytes() for p in again] == [kh1627.read_bytes(), ld245.read_bytes()]


def test_word_reads_the_documents(kh1627, ld245):
    import docx
    from docx.enum.section import WD_ORIENT

    d = docx.Document(str(kh1627))
    assert d.paragraphs[1].text == "KẾ HOẠCH"
    assert [s.orientation for s in d.sections] == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE]  # the PHỤ LỤC landscape
    assert len(docx.Document(str(ld245)).tables) == 3


def test_the_1627_header_and_signature_are_as_the_original(kh1627):
    header, *_, signature = [plandocs.grid_rows(t) for t in plandocs.body_tables(kh1627)
                             if plandocs.grid_rows(t)[0][0]["text"] != "TT"]
    assert [[c["text"] for c in row] for row in header] == [
        ["ỦY BAN NHÂN DÂN\nTỈNH KHÁNH HÒA", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"],
        ["Số: 1627/KH-UBND", "Khánh Hòa, ngày 24 tháng 02 năm 2023"]]
    recipients, signer = (c["text"] for c in signature[0])
    assert recipients.startswith("Nơi nhận:\n- Bộ Kế hoạch và Đầu tư (báo cáo);") and "- Lưu: VT" in recipients
    assert signer == "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n\n\n\nNguyễn Tấn Tuấn"


def test_the_1627_body_is_the_official_text(kh1627):
    import docx

    text = "\n".join(p.text for p in docx.Document(str(kh1627)).paragraphs)
    source = SOURCE.read_text(encoding="utf-8").replace("*", "")  # the extraction marks bold and italic so
    for line in ("Triển khai thực hiện Chương trình hành động số 46-CTr/TU, ngày 06/12/2022",
                 "định kỳ báo cáo kết quả thực hiện gửi Sở Kế hoạch và Đầu tư trước ngày 15 tháng 12 hàng năm",
                 "PHỤ LỤC", "(Ban hành kèm theo Kế hoạch số 1627/KH-UBND ngày 24 tháng 02 năm 2023 của UBND tỉnh "
                            "Khánh Hòa)"):
        assert line in source and line in text
    assert "*" not in text  # the extraction's emphasis marks became bold/italic runs
    assert "bổ\nsung" in text  # a page-break artefact of the text kept, as the brief asks: "as in the text"


def test_the_1627_appendix_is_split_at_page_breaks_with_the_header_repeated(kh1627):
    tables = appendix_tables(kh1627)
    assert len(tables) >= 3
    headers = [t[0] for t in tables]
    assert all([c["text"] for c in h] == list(plandocs.HEADER) for h in headers)
    marked = [h[0]["header"] for h in headers]
    assert marked[0] is True
    assert False in marked[1:] and True in marked[1:]  # some repeated headers are marked, some are plain rows
    assert all(not c["header"] for t in tables for row in t[1:] for c in row)


def test_the_1627_appendix_holds_the_official_rows(kh1627):
    rows = [row for t in appendix_tables(kh1627) for row in t[1:]]
    groups = [r for r in rows if len(r) == 2]
    tasks = [r for r in rows if len(r) == 6]
    assert len(groups) + len(tasks) == len(rows)
    assert [g[0]["text"] for g in groups] == ["I", "II", "III", "IV", "V"]
    assert all(g[1]["span"] == 5 for g in groups)  # the group title spans the width
    assert len(tasks) == 35
    expected = plandocs.kh1627_rows()
    for got, want in zip(rows, expected, strict=True):
        if len(got) == 2:
            assert [c["text"] for c in got] == want[:2]
            continue
        texts = [c["text"] for c in got]
        assert [" ".join(t.split()) for t in texts] == [w.removeprefix("<p>").removesuffix("</p>") for w in want]


def test_the_1627_appendix_keeps_the_stray_breaks_and_the_empty_cell(kh1627):
    rows = {}
    numeral = None
    for t in appendix_tables(kh1627):
        for row in t[1:]:
            if len(row) == 2:
                numeral = row[0]["text"]
            else:
                rows[f"{numeral}.{row[0]['text']}"] = row
    ii19, iii1 = rows["II.19"][1], rows["III.1"][1]
    assert ii19["paragraphs"] == 1 and ii19["text"].startswith("\n") and ii19["text"].endswith("\n")
    assert iii1["paragraphs"] == 3 and iii1["text"].startswith("\n") and iii1["text"].endswith("\n")
    assert rows["II.2"][4]["text"] == ""
    assert "<p>" not in json.dumps(rows, ensure_ascii=False)


def test_the_official_text_is_the_shipped_dataset(plan):
    """The premise of the import tests: the shipped tasks.yaml is the official text cell for cell, with the
    normalisation its header comment states (NFC, whitespace runs as one space, the stray <p> dropped)."""
    def clean(s: str) -> str:
        return unicodedata.normalize("NFC", " ".join(s.replace("<p>", " ").replace("</p>", " ").split()))

    shipped = []
    for g in plan.groups:
        shipped.append([g.numeral, g.title])
        shipped += [[str(t.number), t.task, t.lead, t.partners, t.deliverable, t.timeframe.text] for t in g.tasks]
    official = [[clean(c) for c in (r[:2] if re.fullmatch("[IVX]+", r[0]) else r)] for r in plandocs.kh1627_rows()]
    assert official == shipped


def test_the_fixture_is_built_from_the_official_text_only():
    text = Path(plandocs.__file__).read_text(encoding="utf-8")
    assert "tasks.yaml" not in text.split("def ld_reference_plan")[0]
    assert "khanh-hoa-1627" not in text


@pytest.mark.libreoffice
@requires_soffice
def test_the_1627_pdf_has_the_text_and_the_repeated_headers(tmp_path, kh1627):
    import pdfplumber

    pdf = plandocs.kh1627_pdf(kh1627, tmp_path / "ke-hoach-1627.pdf")
    with pdfplumber.open(pdf) as doc:
        pages = [p.extract_text() or "" for p in doc.pages]
    text = " ".join(" ".join(pages).split())
    source = plandocs.read_source()
    for wanted in ("KẾ HOẠCH", source.title, "PHỤ LỤC", source.appendix_title, "Số: 1627/KH-UBND",
                   "Khánh Hòa, ngày 24 tháng 02 năm 2023", "Nguyễn Tấn Tuấn"):
        assert " ".join(wanted.split()) in text, wanted
    assert sum("Đơn vị chủ trì" in p for p in pages) >= 3  # one header per appendix page


# --------------------------------------------------------------------------- the second province's plan


def test_the_second_plan_has_17_tasks_in_4_groups_as_written(ld245):
    [table] = appendix_tables(ld245) or [plandocs.grid_rows(plandocs.body_tables(ld245)[-1])]
    header, *rows = table
    assert [c["text"] for c in header] == list(plandocs.LD_COLUMNS)  # an extra "Ghi chú" column
    assert header[0]["header"]
    groups = [r for r in rows if len(r) == 2]
    tasks = [r for r in rows if len(r) == 7]
    assert len(groups) == 4 and len(tasks) == 17 and len(groups) + len(tasks) == len(rows)
    numbers = {r[0]["text"] for r in tasks}
    assert "1." in numbers and "1" in numbers
    leads = [(r[2]["text"], r[2]["vmerge"]) for r in tasks]
    start = leads.index(("Văn phòng UBND tỉnh", "restart"))
    assert leads[start + 1:start + 3] == [("", "continue"), ("", "continue")]  # one lead cell over 3 rows
    assert plandocs.SUB_UNIT in [lead for lead, _ in leads]
    timeframes = {r[5]["text"] for r in tasks}
    assert {"Quý IV/2024", "Quý I năm 2025", "Tháng 6/2024", "Trước ngày 30/6/2025", "Giai đoạn 2024-2025",
            "Hằng năm"} <= timeframes
    assert any(r[6]["text"] for r in tasks) and any(not r[6]["text"] for r in tasks)


def test_the_registry_lacks_exactly_the_three_unknown_agencies_then_packs(tmp_path):
    registry = plandocs.lam_dong_registry(tmp_path)
    plan = plandocs.ld_reference_plan(tmp_path / "lam-dong-245")
    result = run("validate", "--plan", str(plan), cwd=tmp_path)
    assert result.returncode == 1
    unknown = re.findall(r'không tìm thấy đơn vị "([^"]+)"', result.stderr)
    assert sorted(unknown) == sorted(plandocs.UNKNOWN_AGENCIES), result.stderr
    plandocs.add_unknown_agencies(registry)
    result = run("validate", "--plan", str(plan), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # the only warning is the national layer applied to a province with no events of its own
    warnings = [w for w in result.stderr.splitlines() if w.startswith("Cảnh báo:")]
    assert len(warnings) == 1 and "national-2025.yaml" in warnings[0], warnings
    result = run("pack", "--year", "2024", "--plan", str(plan), "--out", str(tmp_path / "2024"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    forms = {f["agency"]: f for f in json.loads((tmp_path / "2024" / "manifest.json").read_text())["forms"]}
    assert {"III.1", "III.2", "III.3"} <= set(forms["van-phong-ubnd-tinh"]["lead"])
    assert "I.4" in forms["so-noi-vu"]["lead"] and "IV.2" in forms["ban-quan-ly-cac-khu-cong-nghiep"]["lead"]


def test_the_registry_is_written_deterministically(tmp_path):
    a = plandocs.lam_dong_registry(tmp_path / "a").read_bytes()
    b = plandocs.lam_dong_registry(tmp_path / "b").read_bytes()
    assert a == b and hashlib.sha256(a).hexdigest()
