"""Opening an untrusted Office package (.docx) defensively: the size and time limits, the hardened zip reading
(central directory checked first, parts read with a cap) and the XML parser without DTDs or entities. Every refusal
is a `Refused` carrying one Vietnamese sentence (without the file name); each caller turns it into its own error
(`returns.package`: a returned form; `importer`: a plan's document)."""

from __future__ import annotations

import io
import os
import re
import stat
import time
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

from lxml import etree


class Refused(Exception):
    """A file refused by one of the defences below: the message is one Vietnamese sentence."""


# ---------------------------------------------------------------------------------------------------------- limits

MB = 1024 * 1024
MAX_FILE_BYTES = 20 * MB  # a returned form on disk (checked before reading it)
MAX_ENTRIES = 2000  # files inside the .docx package
MAX_TOTAL_UNCOMPRESSED = 100 * MB  # sum of the declared sizes of all entries
MAX_RATIO = 200  # uncompressed / compressed, per entry (entries above RATIO_MIN_BYTES)
RATIO_MIN_BYTES = 1 * MB  # small entries may compress well without harm: the total cap bounds them
MAX_XML_PART = 20 * MB  # one XML part we parse (word/document.xml, ...)
TIME_BUDGET_S = 30.0  # processing time of one file


# ---------------------------------------------------------------------------------------------------------- budget


class Budget:
    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds
        self.seconds = seconds

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise Refused(
                f"xử lý tệp quá {self.seconds:g} giây (giới hạn mỗi tệp); tệp quá lớn hoặc có cấu trúc bất thường"
            )


# ---------------------------------------------------------------------------------------------------------- files


def _mb(n: int) -> str:
    return f"{n / MB:g} MB"


def not_a_file(mode: int) -> str | None:
    """Why a path of this `st_mode` (symlinks followed) is not a returned file to read, as the end of a sentence
    ("... không phải tệp thông thường: đây là ..."); None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    kind = ("một thư mục" if stat.S_ISDIR(mode) else
            "một ống dẫn dữ liệu (FIFO)" if stat.S_ISFIFO(mode) else
            "một thiết bị của hệ thống" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
            "một socket" if stat.S_ISSOCK(mode) else "một loại tệp đặc biệt")
    return f"không phải tệp thông thường mà là {kind}; kehoach không đọc nó, hãy chỉ ra tệp .docx đã nhận"


def check_size(size: int) -> None:
    """Refuse a file of `size` bytes when it is larger than MAX_FILE_BYTES (before it is read)."""
    if size > MAX_FILE_BYTES:
        raise Refused(f"tệp quá lớn ({size / MB:.1f} MB; giới hạn {_mb(MAX_FILE_BYTES)})")


def load_file(path: str | Path) -> bytes:
    """The bytes of a returned file, refusing it before reading when it is larger than MAX_FILE_BYTES, or when it is
    not a regular file (a FIFO would block, a device never ends): opened without blocking and checked first."""
    path = Path(path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with open(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if reason := not_a_file(info.st_mode):
            raise Refused(reason)
        check_size(info.st_size)
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise Refused(f"tệp quá lớn (trên {_mb(MAX_FILE_BYTES)})")
    return data


def _not_a_docx(data: bytes) -> Refused:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return Refused("đây là tệp Word 97-2003 (.doc), không phải .docx; hãy mở biểu mẫu .docx đã được gửi, "
                            "điền và lưu lại dưới dạng .docx")
    if data.startswith(b"%PDF"):
        return Refused("đây là tệp PDF; hãy gửi lại biểu mẫu .docx đã điền (không chuyển sang PDF)")
    if not data:
        return Refused("tệp rỗng (0 byte)")
    return Refused("tệp không phải .docx hợp lệ (không đọc được gói nén zip; tệp bị hỏng hoặc gửi thiếu)")


def duplicate_name(infos: Sequence[zipfile.ZipInfo]) -> str | None:
    """The first entry name a zip's central directory holds twice, or None. Names are compared ignoring case, as
    OOXML part names are (and as Windows tools extract them): each reader of a zip with two entries of one name may
    pick a different one (Python's zipfile the last), so such a file has no single content and is refused whole -
    a returned form here, a backup in `store`."""
    seen: set[str] = set()
    for info in infos:
        key = info.filename.lower()
        if key in seen:
            return info.filename
        seen.add(key)
    return None


class Package:
    """A .docx package opened defensively: entries checked from the central directory, parts read with a cap."""

    def __init__(self, data: bytes, budget: Budget):
        self.budget = budget
        check_size(len(data))
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError, NotImplementedError):
            raise _not_a_docx(data) from None
        if len(infos) > MAX_ENTRIES:
            raise Refused(f"gói .docx có {len(infos)} tệp con (giới hạn {MAX_ENTRIES}); tệp bất thường")
        twice = duplicate_name(infos)
        if twice:
            raise Refused(f'gói .docx có hai phần cùng tên "{twice}" (Word không bao giờ ghi như vậy); tệp đã bị '
                               "sửa hoặc độc hại, không biết phần nào là thật")
        total = 0
        for info in infos:
            total += info.file_size
            ratio = info.file_size // max(info.compress_size, 1)
            if info.file_size > RATIO_MIN_BYTES and ratio > MAX_RATIO:
                raise Refused(f'phần "{info.filename}" nén với tỉ lệ bất thường ({ratio}:1; giới hạn {MAX_RATIO}:1), '
                                   "có thể là tệp nén độc hại (zip bomb)")
        if total > MAX_TOTAL_UNCOMPRESSED:
            raise Refused(
                f"nội dung giải nén quá lớn ({total / MB:.0f} MB; giới hạn {_mb(MAX_TOTAL_UNCOMPRESSED)}), "
                "có thể là tệp nén độc hại (zip bomb)"
            )
        self.infos = {i.filename: i for i in infos}
        self.names_lower = {n.lower(): n for n in self.infos}

    def has(self, name: str) -> bool:
        return name in self.infos

    def read(self, name: str, cap: int = MAX_XML_PART) -> bytes:
        info = self.infos[name]
        if info.file_size > cap:
            raise Refused(f'phần "{name}" quá lớn ({info.file_size / MB:.1f} MB; giới hạn {_mb(cap)})')
        limit = min(cap, info.file_size)
        chunks, size = [], 0
        try:
            with self.zf.open(info) as f:
                while True:
                    self.budget.check()
                    chunk = f.read(256 * 1024)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > limit:
                        raise Refused(
                            f'phần "{name}" giải nén ra nhiều hơn kích thước khai báo; tệp nén bị sửa hoặc độc hại'
                        )
                    chunks.append(chunk)
        except Refused:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, NotImplementedError,
                RuntimeError) as e:
            raise Refused(f'không giải nén được phần "{name}" ({type(e).__name__}); tệp bị hỏng hoặc gửi '
                               "thiếu") from None
        return b"".join(chunks)

    def xml(self, name: str) -> etree._Element:
        return parse_xml(self.read(name), name)


_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                          dtd_validation=False, remove_comments=True, remove_pis=True)


# libxml2's own limits, kept (lxml's huge_tree=False): above them a part is refused, whatever the file size
XML_MAX_TEXT = 10_000_000  # bytes of text in one piece (a run of text without markup)
XML_MAX_DEPTH = 256  # elements nested in one another
XML_ERR_NAME_TOO_LONG, XML_ERR_RESOURCE_LIMIT = 110, 114


def _xml_error(e: etree.XMLSyntaxError, name: str) -> str:
    """Why a part is not read, in Vietnamese: a safety limit of the XML reader passed (README "Giới hạn an toàn"), or
    where the XML is broken (libxml2's English message is not shown)."""
    msg = e.msg or ""
    if e.code == XML_ERR_RESOURCE_LIMIT or e.code == XML_ERR_NAME_TOO_LONG:
        if "depth" in msg or e.code == XML_ERR_NAME_TOO_LONG:
            what = (f"có các phần tử lồng nhau quá {XML_MAX_DEPTH} cấp" if "depth" in msg else
                    "có một tên thẻ XML quá dài")
            return (f'phần "{name}" {what}, vượt giới hạn an toàn của trình đọc XML; Word không tạo ra tệp như vậy, '
                    "tệp có thể độc hại nên không được nhận")
        return (f'phần "{name}" có một đoạn văn bản liền (không xuống dòng, không đổi định dạng) dài quá '
                f"{XML_MAX_TEXT // 1_000_000} triệu byte, vượt giới hạn an toàn của trình đọc XML nên tệp không được "
                "nhận; hãy đề nghị đơn vị rút gọn nội dung (hoặc chia thành nhiều đoạn) rồi gửi lại")
    line, column = getattr(e, "position", None) or (e.lineno, 0)
    where = f" (dòng {line}, cột {column})" if line else ""
    return f'phần "{name}" không phải XML hợp lệ{where}; tệp bị hỏng hoặc bị sửa ngoài Word'


def parse_xml(data: bytes, name: str = "XML") -> etree._Element:
    """Parse an XML part safely: no DTD, no entities, no network, no huge trees."""
    if _DTD.search(data):
        raise Refused(f'phần "{name}" có khai báo DOCTYPE/ENTITY, điều không có trong tệp Word thật; '
                           "tệp có thể độc hại (tấn công mở rộng thực thể XML)")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as e:
        raise Refused(_xml_error(e, name)) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise Refused(f'phần "{name}" có khai báo DOCTYPE/ENTITY; tệp có thể độc hại')
    return root
