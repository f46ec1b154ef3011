"""The receiving body's own form (Sở Kế hoạch và Đầu tư for 2023-2024, Sở Tài chính from 2025) is an internal
working sheet, not a letter to itself; `kehoach ingest` accepts it like any form and `kehoach summary` counts it."""

from __future__ import annotations

import io
import zipfile

import docx
from formfill import Fill, fill_form, kehoach

STC = "so-tai-chinh"


def test_receiver_working_sheet_is_ingested_and_counted(form_pack, tmp_path):
    pack = form_pack(2026)
    data = (pack / f"{STC}.docx").read_bytes()
    text = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert "PHIẾU TỔNG HỢP" in text and "Kính gửi" not in text and "Nơi nhận" not in text
    filled = fill_form(data, {"nv04": Fill(result=["Tổng hợp, trình UBND tỉnh kế hoạch năm 2027."],
                                           status="Hoàn thành")})
    inbox = tmp_path / "nhan"
    inbox.mkdir()
    (inbox / f"{STC}.docx").write_bytes(filled)
    r = kehoach("ingest", str(inbox), "--db", "bc.sqlite3", "--year", "2026", cwd=tmp_path)
    assert r.returncode == 0 and "Đã nhận: " in r.stdout and "Sở Tài chính, năm 2026" in r.stdout, r.stdout + r.stderr
    r = kehoach("summary", "--year", "2026", "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    report = docx.Document(tmp_path / "output" / "khanh-hoa-1627" / "2026" / "tong-hop" / "bao-cao-tong-hop.docx")
    paragraphs = [p.text for p in report.paragraphs]
    assert any(p.startswith("- Sở Tài chính (hoàn thành):") for p in paragraphs), paragraphs
    assert "Tổng hợp, trình UBND tỉnh kế hoạch năm 2027." in paragraphs
    assert any("đã có 1 cơ quan" in p for p in paragraphs)
