"""A plan's document opened as blocks (`office.wordbody`): a .docx read with the defences of `office.safezip`, a .doc
converted to .docx by LibreOffice in a private folder, a text .pdf read with pdfplumber (best effort). The type is
decided by the file's content, not its name. Every refusal is one sentence naming the file."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import KehoachError
from ..office import safezip
from ..office.ns import W
from ..office.wordbody import Para, Table, walk


CONVERT_TIMEOUT_S = 120  # LibreOffice converting a .doc
MAX_PDF_PAGES = 200
_REL_TYPE = "/officeDocument"


@dataclass(frozen=True)
class SourceDocument:
    name: str  # the file's name, as given (for messages and the draft's comments)
    sha256: str
    kind: str  # "docx", "doc" or "pdf"
    blocks: tuple[Para | Table, ...]


class DocumentRefused(KehoachError):
    pass


def _refused(path: Path, reason: str) -> DocumentRefused:
    return DocumentRefused(f'Không đọc được văn bản kế hoạch "{path}": {reason}.')


def open_document(path: str | Path) -> SourceDocument:
    path = Path(path)
    try:
        data = safezip.load_file(path)
    except safezip.Refused as e:
        raise _refused(path, str(e)) from None
    digest = hashlib.sha256(data).hexdigest()
    if data.startswith(b"PK"):
        kind, blocks = "docx", _docx_blocks(path, data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        kind, blocks = "doc", _docx_blocks(path, _convert_doc(path, data))
    elif data.startswith(b"%PDF"):
        kind, blocks = "pdf", _pdf_blocks(path, data)
    elif not data:
        raise _refused(path, "tệp rỗng (0 byte)")
    else:
        raise _refused(path, "tệp không phải văn bản Word (.docx, .doc) hay PDF; hãy dùng tệp .docx của kế hoạch")
    return SourceDocument(path.name, digest, kind, tuple(blocks))


def _docx_blocks(path: Path, data: bytes) -> list[Para | Table]:
    try:
        pkg = safezip.Package(data, safezip.Budget(safezip.TIME_BUDGET_S))
        main = _main_part(pkg)
        root = pkg.xml(main)
    except safezip.Refused as e:
        raise _refused(path, str(e)) from None
    body = root.find(W + "body")
    if body is None:
        raise _refused(path, f'phần "{main}" không có nội dung văn bản (w:body); tệp không phải văn bản Word')
    return list(walk(body))


def _main_part(pkg: safezip.Package) -> str:
    """The main document part named by the package's relationships (word/document.xml in every Word file)."""
    if pkg.has("_rels/.rels"):
        rels = pkg.xml("_rels/.rels")
        for rel in rels:
            if str(rel.get("Type", "")).endswith(_REL_TYPE):
                target = str(rel.get("Target", "")).lstrip("/")
                if pkg.has(target):
                    return target
    if pkg.has("word/document.xml"):
        return "word/document.xml"
    raise safezip.Refused("gói .docx không có phần văn bản chính (word/document.xml); tệp không phải văn bản Word")


def _convert_doc(path: Path, data: bytes) -> bytes:
    """A .doc converted to .docx by LibreOffice: the input copied under a fixed name into a private folder (no
    name of the clerk's file reaches the command line), its own profile, a timeout."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise _refused(path, "đây là tệp Word 97-2003 (.doc); cần LibreOffice để chuyển sang .docx mà máy chưa cài "
                             "(hoặc hãy mở tệp bằng Word và lưu lại dưới dạng .docx)")
    with tempfile.TemporaryDirectory(prefix="kehoach-doc-") as tmp:
        src = Path(tmp) / "input.doc"
        src.write_bytes(data)
        outdir = Path(tmp) / "out"
        outdir.mkdir()
        profile = Path(tmp) / "profile"
        cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--convert-to", "docx", "--outdir", str(outdir), str(src)]
        try:
            subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=CONVERT_TIMEOUT_S, check=False, env={**os.environ, "HOME": tmp})
        except subprocess.TimeoutExpired:
            raise _refused(path, f"LibreOffice không chuyển xong tệp .doc sang .docx trong {CONVERT_TIMEOUT_S} giây; "
                                 "hãy mở tệp bằng Word và lưu lại dưới dạng .docx") from None
        result = outdir / "input.docx"
        if not result.is_file():
            raise _refused(path, "LibreOffice không chuyển được tệp .doc sang .docx (tệp bị hỏng hoặc có mật khẩu); "
                                 "hãy mở tệp bằng Word và lưu lại dưới dạng .docx")
        return result.read_bytes()


def _pdf_blocks(path: Path, data: bytes) -> list[Para | Table]:
    from ..office.pdfbody import NoText, walk_pdf

    try:
        return walk_pdf(data, MAX_PDF_PAGES)
    except NoText as e:
        raise _refused(path, str(e)) from None
