"""A form filled by typing in LibreOffice 7.4 reads back as LibreOffice shows and prints it.

LibreOffice itself types (tests/lo_uno.py, through UNO and the dispatcher): it clicks the grey hint of a result cell,
types two paragraphs with Enter between them, a bullet list from the toolbar, a status over the "Chọn" hint, and
paragraphs and bullets in the two free sections, then saves as Word 2007-365 and prints to PDF. The file is ingested
with `kehoach ingest` and summarised with `kehoach summary`, as the office does."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from lo import requires_soffice
from lxml import etree

LO_PYTHON = "/usr/bin/python3"  # Debian's python3, with LibreOffice's `uno` (python3-uno)
DRIVER = Path(__file__).with_name("lo_uno.py")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _has_uno() -> bool:
    if not Path(LO_PYTHON).is_file():
        return False
    return subprocess.run([LO_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0


# (in CI, where `make test` installs python3-uno, a missing bridge fails the tests instead of skipping them)
pytestmark = [pytest.mark.libreoffice, requires_soffice,
              pytest.mark.skipif(shutil.which("soffice") is not None and not os.environ.get("CI") and not _has_uno(),
                                 reason="python3-uno is not installed (make libreoffice installs it)")]

STEPS = [
    {"target": "result", "code": "II.11", "keys": [
        ["type", "Đã tổ chức 03 lớp tập huấn, học viên rõ nguồn gốc."], ["enter"],
        ["type", "Đội ngũ giảng viên đạt chuẩn."]]},
    {"target": "status", "code": "II.11", "keys": [["type", "Hoàn thành"]]},
    {"target": "result", "code": "II.12", "keys": [
        ["type", "Các kiến nghị:"], ["enter"], ["bullets"], ["type", "UBND tỉnh bố trí kinh phí;"], ["enter"],
        ["type", "Sở Kế hoạch và Đầu tư hướng dẫn."]]},
    {"target": "status", "code": "II.12", "keys": [["type", "Đang thực hiện"]]},
    {"target": "section", "hint": "Nêu khó khăn", "keys": [
        ["type", "Thiếu kinh phí tập huấn."], ["enter"], ["type", "Thiếu cán bộ theo dõi."]]},
    {"target": "section", "hint": "Nêu kiến nghị", "keys": [
        ["type", "Kiến nghị:"], ["enter"], ["bullets"], ["type", "UBND tỉnh bố trí vốn;"], ["enter"],
        ["type", "Sở Kế hoạch và Đầu tư hướng dẫn thủ tục."]]},
]


def kehoach(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=180)


def as_shown(paragraphs: list[dict]) -> str:
    """What LibreOffice showed where the person typed, in the reading's terms: paragraphs and line breaks one per
    line, a bulleted paragraph starting with "- "."""
    lines = []
    for p in paragraphs:
        text = p["text"].replace("\r", "").split("\n")
        if p["label"]:
            text[0] = "- " + text[0]
        lines.extend(text)
    return "\n".join(lines).strip()


def pdf_runs(pdf: Path) -> list[tuple[str, str, tuple[float, ...]]]:
    """(text, font, fill colour) of every piece of text LibreOffice printed."""
    from pypdf import PdfReader

    fill: list[tuple[float, ...]] = [(0.0,)]
    out = []

    def before(op, args, cm, tm):
        if op in (b"rg", b"g", b"k", b"sc", b"scn"):
            fill[0] = tuple(float(a) for a in args)

    def text(t, cm, tm, font, size):
        if t.strip():
            out.append((t, str(font.get("/BaseFont", "")) if font else "", fill[0]))

    for page in PdfReader(pdf).pages:
        page.extract_text(visitor_operand_before=before, visitor_text=text)
    return out


@pytest.fixture(scope="module")
def typed(form_pack, tmp_path_factory):
    """Sở Công Thương's 2024 form from `kehoach pack --year 2024`, typed in LibreOffice, ingested and summarised."""
    work = tmp_path_factory.mktemp("lo-typing")
    form = work / "so-cong-thuong.docx"
    shutil.copy(form_pack(2024) / "so-cong-thuong.docx", form)
    spec = {"input": str(form), "output": str(work / "nhan-ve" / "so-cong-thuong.docx"), "pdf": str(work / "in.pdf"),
            "profile": str(work / "lo-profile"), "steps": STEPS}
    (work / "nhan-ve").mkdir()
    (work / "spec.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run([LO_PYTHON, str(DRIVER), str(work / "spec.json")], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout)
    saved = Path(spec["output"])
    ingest = kehoach("ingest", "--db", "bao-cao.sqlite3", "--year", "2024", str(saved), cwd=work)
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    summary = kehoach("summary", "--year", "2024", "--db", "bao-cao.sqlite3", "--out", "tong-hop", cwd=work)
    assert summary.returncode == 0, summary.stdout + summary.stderr
    with sqlite3.connect(work / "bao-cao.sqlite3") as db:
        entries = {row[0]: row[1:] for row in db.execute("SELECT task_id, result, status, status_text FROM entries")}
        sections = dict(db.execute("SELECT section, text FROM sections"))
    return {"shown": shown, "saved": saved, "pdf": Path(spec["pdf"]), "entries": entries, "sections": sections,
            "ingest": ingest.stdout, "summary": docx.Document(work / "tong-hop" / "bao-cao-tong-hop.docx")}


def test_libreoffice_saves_what_it_showed_as_typed(typed):
    """The check on LibreOffice itself: it showed the typed paragraphs as lines of the control and the toolbar's
    bullet on the control's paragraph (Enter inside a control LibreOffice imported as an input field breaks the
    line), and saved the file as Word 2007-365."""
    shown = [as_shown(step["shown"]) for step in typed["shown"]]
    assert shown[0] == "Đã tổ chức 03 lớp tập huấn, học viên rõ nguồn gốc.\nĐội ngũ giảng viên đạt chuẩn."
    assert shown[2] == "- Các kiến nghị:\nUBND tỉnh bố trí kinh phí;\nSở Kế hoạch và Đầu tư hướng dẫn."
    assert shown[5] == "- Kiến nghị:\nUBND tỉnh bố trí vốn;\nSở Kế hoạch và Đầu tư hướng dẫn thủ tục."
    with zipfile.ZipFile(typed["saved"]) as zf:
        assert b"LibreOffice" in zf.read("docProps/app.xml")


def test_results_typed_in_libreoffice_read_back_as_shown(typed):
    entries, shown = typed["entries"], typed["shown"]
    result, status, _ = entries["nv14"]
    assert result == "Đã tổ chức 03 lớp tập huấn, học viên rõ nguồn gốc.\nĐội ngũ giảng viên đạt chuẩn."
    assert result == as_shown(shown[0]["shown"])
    result, status2, _ = entries["nv15"]
    assert result == "- Các kiến nghị:\nUBND tỉnh bố trí kinh phí;\nSở Kế hoạch và Đầu tư hướng dẫn."
    assert result == as_shown(shown[2]["shown"])
    assert (status, status2) == ("Hoàn thành", "Đang thực hiện")
    assert "II.11" not in typed["ingest"] and "II.12" not in typed["ingest"]  # not "not filled in"


def test_free_sections_typed_in_libreoffice_read_back_as_shown(typed):
    sections, shown = typed["sections"], typed["shown"]
    assert sections["kho-khan"] == "Thiếu kinh phí tập huấn.\nThiếu cán bộ theo dõi." == as_shown(shown[4]["shown"])
    assert sections["kien-nghi"] == ("- Kiến nghị:\nUBND tỉnh bố trí vốn;\nSở Kế hoạch và Đầu tư hướng dẫn thủ tục."
                                     ) == as_shown(shown[5]["shown"])


def test_summary_shows_the_typed_paragraphs_apart(typed):
    text = "\n".join(p.text for p in typed["summary"].paragraphs)
    for line in ("Đã tổ chức 03 lớp tập huấn, học viên rõ nguồn gốc.", "Đội ngũ giảng viên đạt chuẩn.",
                 "UBND tỉnh bố trí kinh phí;", "Sở Kế hoạch và Đầu tư hướng dẫn.", "Thiếu cán bộ theo dõi.",
                 "UBND tỉnh bố trí vốn;"):
        assert any(line in row.split("\n") or row.endswith(line) for row in text.split("\n")), line
    assert "nguồn gốc.Đội ngũ" not in text and "kinh phí;Sở" not in text and "vốn;Sở" not in text


def test_a_status_typed_in_libreoffice_prints_as_normal_text(typed):
    """Typed over the grey italic "Chọn" hint, the status is plain text: in LibreOffice's own formatting of the
    typed characters, in the saved file's run properties (what Word shows) and in what LibreOffice printed."""
    for step in typed["shown"]:
        fmt = step["format"]
        assert fmt["style"] != "Placeholder Text" and not fmt["italic"] and fmt["color"] in (-1, 0), step
    root = etree.fromstring(zipfile.ZipFile(typed["saved"]).read("word/document.xml"))
    typed_runs = [t.getparent() for t in root.iter(W + "t") if t.text in ("Hoàn thành", "Đang thực hiện")]
    typed_runs = [r for r in typed_runs if any(a.tag == W + "sdtContent" for a in r.iterancestors())]
    assert len(typed_runs) == 2
    for run in typed_runs:
        rpr = run.find(W + "rPr")
        if rpr is not None:
            style = rpr.find(W + "rStyle")
            assert style is None or style.get(W + "val") != "PlaceholderText"
            assert rpr.find(W + "i") is None or rpr.find(W + "i").get(W + "val") in ("false", "0")
            assert rpr.find(W + "color") is None or rpr.find(W + "color").get(W + "val") in ("auto", "000000")
    printed = [(t, font, fill) for t, font, fill in pdf_runs(typed["pdf"]) if t.strip() in (
        "Hoàn", "Hoàn thành", "Đang", "Đang thực", "Đang thực hiện", "thành", "thực hiện")]
    assert printed
    for t, font, fill in printed:
        assert "Italic" not in font and all(c < 0.2 for c in fill), (t, font, fill)
