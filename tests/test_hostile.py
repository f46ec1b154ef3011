"""Hostile files given to `kehoach ingest`: each gets a clear per-file error (never a crash or a hang), the good
files of the same call go in, and the database is unchanged by the bad ones. The files are made here, small on disk."""

from __future__ import annotations

import io
import sqlite3
import time
import zipfile
from pathlib import Path

import pytest
from formfill import Fill, fill_form, kehoach

from generator.returns import package as formreader
from generator.errors import FormRejected
from generator.returns.package import load_file
from generator.returns.read import read_form
from generator.office.ziputil import write_zip

SCT = "so-cong-thuong"
MB = 1024 * 1024

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE p [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"><property name="kehoach.form">&secret;</property></Properties>"""


def entries(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(i.filename, zf.read(i)) for i in zf.infolist()]


def replaced(data: bytes, part: str, content: bytes) -> bytes:
    return write_zip([(n, content if n == part else d) for n, d in entries(data)])


def zip_bomb(path: Path, form: bytes) -> None:
    """A real form whose document.xml is followed by 50 MB of zeros (deflated to ~50 KB), streamed to disk."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries(form):
            if name != "word/document.xml":
                zf.writestr(name, data)
        with zf.open("word/document.xml", "w", force_zip64=True) as f:
            chunk = bytes(MB)
            for _ in range(50):
                f.write(chunk)


def lying_sizes(form: bytes) -> bytes:
    """A zip whose headers claim document.xml is 1,000 bytes while it inflates to 5 MB."""
    out = []
    for name, data in entries(form):
        out.append((name, bytes(5 * MB) if name == "word/document.xml" else data))
    raw = bytearray(write_zip(out))
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as zf:
        info = zf.getinfo("word/document.xml")
        local, size = info.header_offset, info.file_size
    # patch the uncompressed size in the local header (offset 22) and in the central directory entry
    raw[local + 22:local + 26] = (1000).to_bytes(4, "little")
    pos = 0
    while (pos := raw.find(b"PK\x01\x02", pos)) != -1:
        name_len = int.from_bytes(raw[pos + 28:pos + 30], "little")
        if raw[pos + 46:pos + 46 + name_len] == b"word/document.xml":
            assert int.from_bytes(raw[pos + 24:pos + 28], "little") == size
            raw[pos + 24:pos + 28] = (1000).to_bytes(4, "little")
        pos += 4
    return bytes(raw)


def macro_document(form: bytes) -> bytes:
    out = []
    for name, data in entries(form):
        if name == "[Content_Types].xml":
            data = data.replace(b"document.main+xml", b"document.macroEnabled.main+xml").replace(
                b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
        out.append((name, data))
    macro = b'\xd0\xcf\x11\xe0Attribute VB_Name = "ThisDocument"\nSub AutoOpen()\nEnd Sub'
    out.append(("word/vbaProject.bin", macro))
    return write_zip(out)


@pytest.fixture(scope="module")
def hostile(forms_2024, tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """name -> (file, words the error must contain)."""
    d = tmp_path_factory.mktemp("hostile")
    form = forms_2024[SCT]
    files: dict[str, tuple[Path, str]] = {}

    def add(key: str, name: str, data: bytes | None, words: str) -> Path:
        path = d / name
        if data is not None:
            path.write_bytes(data)
        files[key] = (path, words)
        return path

    add("not-zip", "khong-phai-zip.docx", "Đây là một tệp văn bản, không phải .docx".encode() * 20,
        "không phải .docx hợp lệ")
    add("old-doc", "word-cu.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096), "Word 97-2003")
    add("truncated", "cat-cut.docx", form[: len(form) // 2], "không phải .docx hợp lệ")
    add("truncated-end", "mat-cuoi.docx", form[:-30], "không phải .docx hợp lệ")
    bomb = add("bomb", "zip-bomb.docx", None, "zip bomb")
    zip_bomb(bomb, form)
    add("lying", "kich-thuoc-gia.docx", lying_sizes(form), "document.xml")
    add("docm", "co-macro.docm", macro_document(form), "macro")
    add("macro-renamed", "macro-doi-ten.docx", macro_document(form), "macro")
    add("laughs", "billion-laughs.docx", replaced(form, "word/document.xml", BILLION_LAUGHS), "DOCTYPE/ENTITY")
    add("xxe", "xxe.docx", replaced(form, "docProps/custom.xml", XXE), "DOCTYPE/ENTITY")
    huge = add("huge", "100mb.docx", None, "tệp quá lớn")
    with open(huge, "wb") as f:  # sparse: 100 MB on paper, a few KB on disk
        f.write(form)
        f.truncate(100 * MB)
    return files


@pytest.fixture(scope="module")
def good(forms_2024, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("good") / "so-cong-thuong.docx"
    path.write_bytes(fill_form(forms_2024[SCT], {"nv14": Fill(result=["Tốt"], status="Hoàn thành")}))
    return path


def test_hostile_files_on_disk_are_small(hostile):
    assert hostile["bomb"][0].stat().st_size < 1 * MB
    assert hostile["huge"][0].stat().st_size == 100 * MB
    assert hostile["huge"][0].stat().st_blocks * 512 < 5 * MB  # sparse


@pytest.mark.parametrize("key", ["not-zip", "old-doc", "truncated", "truncated-end", "bomb", "lying", "docm",
                                 "macro-renamed", "laughs", "xxe", "huge"])
def test_each_hostile_file_is_refused_quickly(hostile, plan_2024, key):
    path, words = hostile[key]
    start = time.monotonic()
    with pytest.raises(FormRejected, match=words):
        read_form(load_file(path), plan_2024, filename=path.name)
    assert time.monotonic() - start < 3, f"{key} took {time.monotonic() - start:.1f} s"


def test_hostile_files_with_a_good_one(hostile, good, tmp_path):
    bad = [path for path, _ in hostile.values()]
    start = time.monotonic()
    r = kehoach("ingest", "--year", "2024", *map(str, bad), str(good), "--db", "bc.sqlite3", cwd=tmp_path)
    assert time.monotonic() - start < 30
    assert r.returncode == 1
    assert "Traceback" not in r.stderr + r.stdout
    for path, words in hostile.values():
        line = next((l for l in r.stderr.splitlines() if l.startswith(f"Lỗi: {path}: ")), None)
        assert line is not None, f"no error line for {path.name}:\n{r.stderr}"
        assert words in line
    assert f"Đã nhận: {good} — Sở Công Thương, năm 2024, phiên bản 1" in r.stdout
    assert f"Đã nhận 1 tệp mới, 0 tệp đã có, {len(bad)} lỗi" in r.stdout

    db = tmp_path / "bc.sqlite3"
    with sqlite3.connect(db) as c:
        before = "\n".join(c.iterdump())
        assert c.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 1
    r = kehoach("ingest", "--year", "2024", *map(str, bad), "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 1 and r.stderr.count("Lỗi: ") == len(bad)
    with sqlite3.connect(db) as c:
        assert "\n".join(c.iterdump()) == before  # the bad files changed nothing


def test_limits_are_those_documented():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Nhận lại biểu mẫu đã điền"):]
    assert formreader.MAX_FILE_BYTES == 20 * MB and "20 MB" in section
    assert formreader.MAX_ENTRIES == 2000 and "2.000" in section
    assert formreader.MAX_TOTAL_UNCOMPRESSED == 100 * MB and "100 MB" in section
    assert formreader.MAX_RATIO == 200 and "200:1" in section
    assert formreader.TIME_BUDGET_S == 30 and "30 giây" in section


def test_time_budget_stops_a_slow_file(plan_2024, forms_2024):
    with pytest.raises(FormRejected, match="xử lý tệp quá"):
        read_form(forms_2024[SCT], plan_2024, time_budget=-1)


def test_too_many_entries_and_deep_xml(plan_2024, forms_2024):
    many = write_zip(entries(forms_2024[SCT]) + [(f"word/media/x{i}.png", b"x") for i in range(2001)])
    with pytest.raises(FormRejected, match="2000"):
        read_form(many, plan_2024)
    deep = b"<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'>" + \
        b"<w:p>" * 10_000 + b"</w:p>" * 10_000 + b"</w:document>"
    with pytest.raises(FormRejected, match="lồng nhau quá 256 cấp"):
        read_form(replaced(forms_2024[SCT], "word/document.xml", deep), plan_2024)
