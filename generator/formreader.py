"""Reading a returned report form back: bytes of a .docx -> what the agency reported (pure, no files, no database).

The reader is defensive twice over:

* against hostile files: the zip is checked from its central directory (size, number of entries, total and
  per-entry compression ratio) before anything is decompressed; the few parts we need are stream-read with a byte
  cap; XML is parsed by lxml without entities, DTDs or network, and any DOCTYPE/ENTITY is refused; macro-enabled
  documents are refused; a time budget bounds the work on one file;
* against what people do in Word and LibreOffice: the text of a field is read from the whole table cell holding its
  content control (extra paragraphs and bullet lists typed next to the control count), placeholders are recognised
  by `w:showingPlcHdr` while they hold a hint (LibreOffice 7.4 keeps the flag on text typed over it) or by their text
  (LibreOffice drops the flag once saved), a line break LibreOffice writes as a new w:t of the run is a line break,
  controls are found by tag or, since
  LibreOffice drops `w:tag`, by the "[tag]" at the end of their title, and finally by the row's task code and the
  column position when the controls are gone; a status typed by hand is normalised.

`read_form` returns a `FormReading` or raises `FormRejected` with a Vietnamese sentence. It runs in two pure steps:
`extract` reads what the file holds without the plan (identity properties, every table row's cell texts and controls,
the free sections) and `interpret` checks that against the plan. `Extraction` runs the first step for many files in
forked workers, which can start before the plan is loaded.
"""

from __future__ import annotations

import collections
import datetime as dt
import io
import os
import re
import stat
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from lxml import etree

from . import ooxml
from .assignments import AgencyTasks, distribute
from .errors import KehoachError
from .forms import FORM_ID
from .model import Plan, Task

# ---------------------------------------------------------------------------------------------------------- limits

MB = 1024 * 1024
MAX_FILE_BYTES = 20 * MB  # a returned form on disk (checked before reading it)
MAX_ENTRIES = 2000  # files inside the .docx package
MAX_TOTAL_UNCOMPRESSED = 100 * MB  # sum of the declared sizes of all entries
MAX_RATIO = 200  # uncompressed / compressed, per entry (entries above RATIO_MIN_BYTES)
RATIO_MIN_BYTES = 1 * MB  # small entries may compress well without harm: the total cap bounds them
MAX_XML_PART = 20 * MB  # one XML part we parse (word/document.xml, ...)
TIME_BUDGET_S = 30.0  # processing time of one file

STATUSES = ("Hoàn thành", "Đang thực hiện", "Chưa thực hiện")
SECTIONS = {"kho-khan": "Khó khăn, vướng mắc", "kien-nghi": "Kiến nghị, đề xuất"}
PLACEHOLDERS = {
    "result": "Nhập kết quả thực hiện",
    "note": "…",
    "status": "Chọn",
    "kho-khan": "Nêu khó khăn, vướng mắc trong quá trình thực hiện.",
    "kien-nghi": "Nêu kiến nghị, đề xuất.",
}
# Every hint of a form starts with this unstyled character (see formtemplate._hint): text typed over the hint in
# LibreOffice takes the formatting of the first character it replaces, so it prints plain, not grey and italic.
HINT_LEAD = "\u200b"  # zero width space
_HINTS = frozenset(PLACEHOLDERS.values())
KINDS = ("code", "task", "deliverable", "timeframe", "result", "status", "note")
_KINDS = {kind: kind for kind in KINDS}
# The columns of a task row, by number of cells: which kinds each cell holds. Since the end of 2026 the product and
# the timeframe are printed in the task cell under the task text, and the note under the status, each introduced by
# its label (LABELS); forms sent out before that have a column for each. A cell holding several kinds is shared out
# by the labels (_split_cell); the layout itself is used when a row's controls are gone (see _task_rows).
LAYOUTS = {
    4: (("code",), ("task", "deliverable", "timeframe"), ("result",), ("status", "note")),
    7: tuple((kind,) for kind in KINDS),
}
# The label opening the paragraph of a kind that shares a cell: before the prefilled product and timeframe (in their
# controls), and alone in the paragraph above the note.
LABELS = {"deliverable": "Sản phẩm: ", "timeframe": "Thời gian: ", "note": "Ghi chú: "}

W_NS = ooxml.W_NS
W = f"{{{W_NS}}}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MAIN_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_OFFICE_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


class FormRejected(KehoachError):
    """A returned file that cannot be accepted; the message is one Vietnamese sentence (without the file name)."""


# ---------------------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Entry:
    """What an agency reported on one task of its form."""

    task_id: str
    code: str  # "II.11", as printed in the form's plan version
    role: str  # "lead", "partner", "expired", or "" when the task is not assigned to the agency this year
    result: str = ""  # paragraphs joined with "\n"; list items start with "- "
    status: str | None = None  # one of STATUSES, or None (empty or not understood)
    status_text: str = ""  # the status as typed/picked
    note: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.result or self.status_text or self.note)


@dataclass(frozen=True)
class FormReading:
    plan: str
    plan_version: str
    year: int
    agency: str
    entries: tuple[Entry, ...]
    sections: dict[str, str] = field(default_factory=dict)  # "kho-khan", "kien-nghi" -> text
    warnings: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------------------- budget


class _Budget:
    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds
        self.seconds = seconds

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise FormRejected(
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


def load_file(path: str | Path) -> bytes:
    """The bytes of a returned file, refusing it before reading when it is larger than MAX_FILE_BYTES, or when it is
    not a regular file (a FIFO would block, a device never ends): opened without blocking and checked first."""
    path = Path(path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with open(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if reason := not_a_file(info.st_mode):
            raise FormRejected(reason)
        size = info.st_size
        if size > MAX_FILE_BYTES:
            raise FormRejected(f"tệp quá lớn ({size / MB:.1f} MB; giới hạn {_mb(MAX_FILE_BYTES)})")
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise FormRejected(f"tệp quá lớn (trên {_mb(MAX_FILE_BYTES)})")
    return data


def _not_a_docx(data: bytes) -> FormRejected:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return FormRejected("đây là tệp Word 97-2003 (.doc), không phải .docx; hãy mở biểu mẫu .docx đã được gửi, "
                            "điền và lưu lại dưới dạng .docx")
    if data.startswith(b"%PDF"):
        return FormRejected("đây là tệp PDF; hãy gửi lại biểu mẫu .docx đã điền (không chuyển sang PDF)")
    if not data:
        return FormRejected("tệp rỗng (0 byte)")
    return FormRejected("tệp không phải .docx hợp lệ (không đọc được gói nén zip; tệp bị hỏng hoặc gửi thiếu)")


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


class _Package:
    """A .docx package opened defensively: entries checked from the central directory, parts read with a cap."""

    def __init__(self, data: bytes, budget: _Budget):
        self.budget = budget
        if len(data) > MAX_FILE_BYTES:
            raise FormRejected(f"tệp quá lớn ({len(data) / MB:.1f} MB; giới hạn {_mb(MAX_FILE_BYTES)})")
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError, NotImplementedError):
            raise _not_a_docx(data) from None
        if len(infos) > MAX_ENTRIES:
            raise FormRejected(f"gói .docx có {len(infos)} tệp con (giới hạn {MAX_ENTRIES}); tệp bất thường")
        twice = duplicate_name(infos)
        if twice:
            raise FormRejected(f'gói .docx có hai phần cùng tên "{twice}" (Word không bao giờ ghi như vậy); tệp đã bị '
                               "sửa hoặc độc hại, không biết phần nào là thật")
        total = 0
        for info in infos:
            total += info.file_size
            ratio = info.file_size // max(info.compress_size, 1)
            if info.file_size > RATIO_MIN_BYTES and ratio > MAX_RATIO:
                raise FormRejected(f'phần "{info.filename}" nén với tỉ lệ bất thường ({ratio}:1; giới hạn {MAX_RATIO}:1), '
                                   "có thể là tệp nén độc hại (zip bomb)")
        if total > MAX_TOTAL_UNCOMPRESSED:
            raise FormRejected(
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
            raise FormRejected(f'phần "{name}" quá lớn ({info.file_size / MB:.1f} MB; giới hạn {_mb(cap)})')
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
                        raise FormRejected(
                            f'phần "{name}" giải nén ra nhiều hơn kích thước khai báo; tệp nén bị sửa hoặc độc hại'
                        )
                    chunks.append(chunk)
        except FormRejected:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, NotImplementedError,
                RuntimeError) as e:
            raise FormRejected(f'không giải nén được phần "{name}" ({type(e).__name__}); tệp bị hỏng hoặc gửi '
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
        raise FormRejected(f'phần "{name}" có khai báo DOCTYPE/ENTITY, điều không có trong tệp Word thật; '
                           "tệp có thể độc hại (tấn công mở rộng thực thể XML)")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as e:
        raise FormRejected(_xml_error(e, name)) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise FormRejected(f'phần "{name}" có khai báo DOCTYPE/ENTITY; tệp có thể độc hại')
    return root


# ---------------------------------------------------------------------------------------------------------- text


def clean_text(text: str) -> str:
    """NFC, no control characters (they cannot be stored in .xlsx/.docx), no trailing spaces on lines."""
    text = unicodedata.normalize("NFC", _ILLEGAL.sub("", text))
    if "\n" not in text:  # nearly every paragraph
        return text.rstrip()
    return "\n".join(line.rstrip() for line in text.split("\n"))


def _hint_xpath() -> etree.XPath:
    """The content controls showing their grey hint: flagged `w:showingPlcHdr` and holding a hint of the form or
    nothing (the hint's lead character and spaces aside). Word clears the flag when the user types; LibreOffice 7.4
    keeps it on what was typed over the hint, so a flagged control holding other text holds what the agency typed.
    (One XPath, in C: this runs for every fill-in control of every form read.)"""
    assert not any("'" in hint for hint in _HINTS)
    text = f"normalize-space(translate(string(w:sdtContent), '{HINT_LEAD}', ''))"
    hints = " or ".join(f"{text} = '{hint}'" for hint in sorted(("", *_HINTS)))
    return etree.XPath(f"//w:sdt[w:sdtPr/w:showingPlcHdr][{hints}]", namespaces={"w": W_NS})


_SHOWING_HINT = _hint_xpath()


def _hint_text(text: str) -> str:
    """A text compared with the form's hints: without the hint's lead character and surrounding spaces."""
    return text.replace(HINT_LEAD, "").strip()


def _is_list(p: etree._Element) -> bool:
    num = p.find(f"{W}pPr/{W}numPr/{W}numId")
    return num is not None and num.get(W + "val", "0") != "0"


_SKIP = {W + n for n in ("del", "moveFrom", "delText", "instrText", "delInstrText", "sdtPr", "sdtEndPr", "rPr", "pPr",
                         "fldData", "footnoteReference", "endnoteReference", "commentReference")}
_SKIP.add(_MC + "AlternateContent")  # text boxes and drawings: not part of a cell's text
# What makes a paragraph's text more than the concatenation of its w:t elements: characters written as elements,
# skipped content (deletions, moves, drawings, fields, references) and placeholders (found separately).
# (Skipped properties hold no text.)
_SPECIAL = (*(W + n for n in ("tab", "ptab", "br", "cr", "noBreakHyphen", "sym")),
            *sorted(_SKIP - {W + n for n in ("sdtPr", "sdtEndPr", "rPr", "pPr")}))


def _parents(root: etree._Element, tag: str, up: int, parent_tag: str) -> Iterator[etree._Element]:
    """The `parent_tag` elements `up` levels above each `tag` element (lxml's filtered iter runs in C)."""
    for el in root.iter(tag):
        for _ in range(up):
            el = el.getparent()
            if el is None:
                break
        if el is not None and el.tag == parent_tag:
            yield el


class _Doc:
    """The text of one parsed document, read the way a person sees it.

    A paragraph's text is its w:t text, tabs and breaks, without deleted or moved-away text, drawings and the grey
    placeholder of an empty content control; a list item starts with "- ". Two w:t next to each other in one run
    are two lines: that is how LibreOffice writes a line break typed in a control it shows as an input field (Enter
    in a result cell or a free section: it drops the line break character and starts a new w:t), while Word and
    every other writer put a w:br, w:tab... between the w:t of one run. The element-by-element walk that
    implements this (`_inline`) is exact but slow in Python, so a few filtered passes over the tree (in C) first
    find the content controls' tags, the placeholders, the list paragraphs, every paragraph holding anything
    special and every table cell holding anything of _EXACT; all other paragraphs and cells - nearly all of a form -
    are read from their w:t elements with lxml's C iterators (see `para_text`, `_rows`), which gives the same text
    for anything Word or LibreOffice writes (w:t elements always sit in runs there).
    """

    def __init__(self, root: etree._Element):
        self.root = root
        self.tags = ooxml.sdt_tags(root)
        self.placeholders = set(_SHOWING_HINT(root))
        self.lists = {p for p in _parents(root, W + "numId", 3, _P) if _is_list(p)}
        self.special: set[etree._Element] = set()
        self.exact_cells: set[etree._Element] = set()  # table cells holding anything of _EXACT
        for el in (*root.iter(*_EXACT), *self.placeholders, *_next_t(root)):
            self.exact_cells.update(el.iterancestors(_TC))
            if el.tag in _SPECIAL and (el.tag != W + "tab" or el.getparent().tag != W + "tabs"):  # tab stops are
                self.special.update(el.iterancestors(_P))  # paragraph properties
            elif el.tag in (_SDT, _T):  # a placeholder; a w:t right after another one (a line break)
                self.special.update(el.iterancestors(_P))

    def _inline(self, el: etree._Element, out: list[str]) -> None:
        previous = None
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            previous, after_t = tag, previous == _T
            if tag in _SKIP:
                continue
            if tag == _T:
                if after_t:  # (see the class docstring)
                    out.append("\n")
                out.append(child.text or "")
            elif tag in (W + "tab", W + "ptab"):
                out.append("\t")
            elif tag in (W + "br", W + "cr"):
                out.append("\n")
            elif tag == W + "noBreakHyphen":
                out.append("-")
            elif tag == W + "sym":
                continue
            elif tag == _SDT and child in self.placeholders:
                continue
            else:
                self._inline(child, out)

    def walked_text(self, p: etree._Element) -> str:
        """A paragraph's text by the exact walk (`para_text` without the fast path, and without the list mark)."""
        out: list[str] = []
        self._inline(p, out)
        return "".join(out)

    def para_text(self, p: etree._Element) -> str:
        text = self.walked_text(p) if p in self.special else "".join(p.itertext(_T, with_tail=False))
        if p in self.lists and text.strip():
            text = "- " + text.lstrip()
        return text

    def block_paragraphs(self, el: etree._Element, out: list[str]) -> None:
        """Paragraph texts of a block container (cell, sdtContent, body), in document order."""
        for child in el.iterchildren(_P, _SDT, *_BLOCK_WRAPPERS):  # filtered in C: no properties, no bookmarks
            tag = child.tag
            if tag == _P:
                out.append(self.para_text(child))
            elif tag == _SDT:
                if child in self.placeholders:
                    continue
                content = child.find(_SDT_CONTENT)
                if content is not None:
                    self.block_paragraphs(content, out)
            elif tag == _TBL:
                out.extend(self.table_lines(child))
            else:
                self.block_paragraphs(child, out)

    def table_lines(self, tbl: etree._Element) -> list[str]:
        """A table typed inside a block (a cell's small table): one line per row, its cells joined by TABLE_CELLS,
        a cell's paragraphs by spaces; empty rows left out."""
        lines = []
        for tr in tbl.iter(_TR):
            if next(tr.iterancestors(_TBL), None) is not tbl:
                continue  # a row of a table nested further down: read within its own cell
            cells = []
            for tc in _cells(tr):
                paras: list[str] = []
                self.block_paragraphs(tc, paras)
                cells.append(" ".join(" ".join(p.split()) for p in paras if p.strip()))
            if any(cells):
                lines.append(TABLE_CELLS.join(cells))
        return lines

    def paragraphs_of(self, el: etree._Element) -> list[str]:
        """Paragraph texts of one body-level element (paragraph, block content control, ...)."""
        if el.tag == _P:
            return [self.para_text(el)]
        if el.tag == _SDT:
            content = el.find(_SDT_CONTENT)
            if el in self.placeholders or content is None:
                return []
            el = content
        out: list[str] = []
        self.block_paragraphs(el, out)
        return out

    def has_kehoach_tag(self, el: etree._Element, own: str) -> bool:
        """Whether `el` holds a content control of kehoach's other than `own`."""
        for sdt in el.iter(_SDT):
            tag = self.tags.get(sdt)
            if tag and "|" in tag and tag != own:
                return True
        return False


_BLOCK_WRAPPERS = tuple(W + n for n in ("tbl", "tr", "tc", "customXml", "sdtContent", "ins", "moveTo", "smartTag"))
_P, _T, _SDT, _SDT_CONTENT, _TC, _TR, _TBL = (W + n for n in ("p", "t", "sdt", "sdtContent", "tc", "tr", "tbl"))
TABLE_CELLS = " | "  # between the cells of a row of a table typed inside a cell
# A table cell holding none of these reads as the concatenated w:t of each of its paragraphs (see _rows): nothing
# special (_SPECIAL), no list item, no placeholder, no text box (paragraphs inside a paragraph), no table of its own. Only hand-made XML,
# which Word refuses to open, could still read differently: a w:t outside a run or a paragraph, a paragraph inside
# control properties.
_EXACT = (*_SPECIAL, *(W + n for n in ("numId", "showingPlcHdr", "txbxContent", "tbl")))  # tbl: inside a cell
# ... nor a w:t right after another w:t of its run (LibreOffice's line break in a control, see _Doc); found in C
_LATER_T = etree.XPath("//w:t[position() > 1]", namespaces={"w": W_NS})  # (the candidates: rare, and cheap to find)


def _next_t(root: etree._Element) -> Iterator[etree._Element]:
    for t in _LATER_T(root):
        previous = t.getprevious()
        if previous is not None and previous.tag == _T:
            yield t


def _tidy(paras: Sequence[str], placeholder: str | None) -> str:
    """Join paragraphs, dropping placeholder text (LibreOffice keeps it as plain text) and blank ends."""
    kept = []
    for text in paras:
        text = clean_text(text)
        if placeholder:
            stripped = _hint_text(text)
            if stripped == placeholder:
                continue
            if len(placeholder) > 3 and stripped.startswith(placeholder):  # typed after the grey text
                text = stripped[len(placeholder):].lstrip()
        kept.append(text)
    while kept and not kept[0].strip():
        kept.pop(0)
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept)


@lru_cache(maxsize=1 << 16)  # the plan's texts come back in every form that lists the task
def _words(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def fold(text: str) -> str:
    """Lower case, no diacritics (đ -> d), punctuation as spaces, single spaces: for lenient matching."""
    text = unicodedata.normalize("NFD", text.casefold()).replace("đ", "d")
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^\w%]+", " ", text)
    return " ".join(text.split())


_STATUS_WORDS = {
    "Hoàn thành": ("hoan thanh", "da hoan thanh", "ht", "hoan tat", "da hoan tat", "xong", "da xong",
                   "da thuc hien xong", "hoan thanh 100%"),
    "Đang thực hiện": ("dang thuc hien", "dang trien khai", "dang tien hanh", "dth", "dang lam", "dang thuc hien do"),
    "Chưa thực hiện": ("chua thuc hien", "chua trien khai", "chua tien hanh", "cth", "chua lam"),
}
_STATUS_LOOKUP = {w: s for s, words in _STATUS_WORDS.items() for w in words}


@lru_cache(maxsize=4096)
def normalize_status(text: str) -> str | None:
    """One of STATUSES for a status picked or typed by hand ("đã hoàn thành", "HOÀN THÀNH", "hoan thanh"), else None."""
    return _STATUS_LOOKUP.get(fold(text))


# ---------------------------------------------------------------------------------------------------------- rows


def _cells(tr: etree._Element) -> list[etree._Element]:
    """The cells of a row in order, looking through row-level wrappers (content controls, custom XML)."""
    out = []
    for child in tr.iterchildren(_TC, *_ROW_WRAPPERS):
        if child.tag == _TC:
            out.append(child)
        else:
            out.extend(_cells(child))
    return out


_ROW_WRAPPERS = (_SDT, W + "customXml", _SDT_CONTENT)
_LISTS = (W + "dropDownList", W + "comboBox")


# Marks in a row's text: XML text cannot hold these characters, so no paragraph contains them.
_PARA, _CELL = "\x1e", "\x1f"  # before each paragraph; between cells


class Row(NamedTuple):
    """One table row of a returned form, as found (no plan needed): the paragraph texts of its cells, kehoach's
    controls in it as (task id, kind, cell index), and the cells holding a drop-down list. The texts are one string
    (each paragraph after a _PARA, cells joined by _CELL): thousands of forms wait in memory while the plan loads."""

    text: str
    tagged: tuple[tuple[str, str, int], ...] = ()
    lists: tuple[int, ...] = ()

    @property
    def cells(self) -> list[list[str]]:
        return [cell.split(_PARA)[1:] for cell in self.text.split(_CELL)]


def _rows(doc: _Doc, budget: _Budget) -> tuple[Row, ...]:
    """Every table row. One pass over each cell (lxml's filtered iter runs in C) finds its paragraphs' w:t, its
    controls and its drop-down lists; a cell that needs the exact reading (see _EXACT) is then read by the walk."""
    tags, exact = doc.tags, doc.exact_cells
    ids: dict[str, str] = {}
    rows = []
    for tr in doc.root.iter(_TR):
        budget.check()
        cells = _cells(tr)
        if not cells:
            continue
        texts: list[str] = []
        tagged: list[tuple[str, str, int]] = []
        lists: list[int] = []
        for i, tc in enumerate(cells):
            paras: list[list[str]] = []
            for el in tc.iter(_P, _T, _SDT, *_LISTS):
                tag = el.tag
                if tag == _T:
                    if paras:
                        paras[-1].append(el.text or "")
                elif tag == _P:
                    paras.append([])
                elif tag == _SDT:
                    task_id, bar, kind = tags.get(el, "").partition("|")
                    if bar and kind in _KINDS:  # (one object per kind and task: shared again once unpickled)
                        tagged.append((ids.setdefault(task_id, task_id), _KINDS[kind], i))
                elif not lists or lists[-1] != i:  # a drop-down list or combo box
                    lists.append(i)
            walked: list[str] = []
            if tc in exact:
                doc.block_paragraphs(tc, walked)
            else:
                walked = ["".join(p) for p in paras]
            texts.append("".join(_PARA + p for p in walked))
        rows.append(Row(_CELL.join(texts), tuple(tagged), tuple(lists)))
    return tuple(rows)


def _task_rows(rows: tuple[Row, ...], by_code: Mapping[str, Task],
               task_ids: Mapping[str, Task]) -> Iterator[tuple[str, dict[str, list[str]]]]:
    """(task id, kind -> the cell's paragraphs) of each row that reports on a task of the plan."""
    for row in rows:
        cells = row.cells
        tagged = [t for t in row.tagged if t[0] in task_ids]
        task_id = None
        kinds: dict[str, int] = {}
        if tagged:
            ids = [t for t, _, _ in tagged]
            task_id = ids[0]
            if ids.count(task_id) != len(ids):  # a control pasted from another row loses
                task_id = max(sorted(set(ids)), key=ids.count)
            kinds = {kind: i for tid, kind, i in reversed(tagged) if tid == task_id}  # the first one of a kind wins
        if task_id is None:
            # controls removed: recognise the row by the task code in its first cell ("II.11")
            task = by_code.get(_words(_tidy(cells[0], None)))
            if task is None:
                continue
            task_id = task.id
        layout = LAYOUTS.get(len(cells))
        if layout is not None and len(kinds) < len(KINDS):
            for i, column in enumerate(layout):
                for kind in column:
                    kinds.setdefault(kind, i)
        if "status" not in kinds and row.lists:
            # LibreOffice drops both the tag and the title of a drop-down list: find it by its list
            kinds["status"] = row.lists[0]
        found = {kind: cells[i] for kind, i in kinds.items()}
        for first in ("task", "status"):
            shared = kinds.get(first)
            labelled = [k for k in LABELS if k != first and kinds.get(k) == shared]
            if shared is not None and labelled:
                found.update(_split_cell(cells[shared], first, labelled))
        yield task_id, found


def _split_cell(paras: list[str], first: str, kinds: list[str]) -> dict[str, list[str]]:
    """A shared cell's paragraphs shared out: each paragraph starting with the label of one of `kinds` ("Sản phẩm: ")
    and those after it belong to that kind (without the label), the ones before to `first` (the task, the status).
    A kind whose label is not there (an empty product is not printed) gets no paragraphs."""
    out: dict[str, list[str]] = {first: [], **{k: [] for k in kinds}}
    current = first
    for text in paras:
        stripped = text.lstrip()
        for kind in kinds:
            if stripped.startswith(LABELS[kind]) or stripped.startswith(LABELS[kind].rstrip()):
                current, text = kind, stripped[len(LABELS[kind].rstrip()):].lstrip()
                break
        out[current].append(text)
    return out


# ---------------------------------------------------------------------------------------------------------- sections


_HEADING = re.compile(r"^\s*[IVX]+\s*[.)]\s")


def _body_child(el: etree._Element, body: etree._Element) -> etree._Element | None:
    while el is not None and el.getparent() is not body:
        el = el.getparent()
    return el


def _section_text(doc: _Doc, start: etree._Element, own_tag: str, placeholder: str) -> str:
    """The paragraphs from `start` on, until the next heading, table, closing sentence or another control."""
    paras: list[str] = []
    el: etree._Element | None = start
    first = True
    while el is not None:
        if el.tag in (W + "tbl", W + "sectPr"):
            break
        if not first and doc.has_kehoach_tag(el, own_tag):
            break
        texts = doc.paragraphs_of(el)
        if not first and texts:
            lead = texts[0].strip()
            if _HEADING.match(lead) or lead.startswith("Trên đây"):
                break
        paras.extend(texts)
        first = False
        el = el.getnext()
    return _tidy(paras, placeholder)


def _sections(doc: _Doc) -> dict[str, str]:
    body = doc.root.find(W + "body")
    if body is None:
        return {}
    found: dict[str, etree._Element] = {}
    for sdt in doc.root.iter(_SDT):
        tag = doc.tags.get(sdt)
        if tag and tag.startswith("section|") and tag[8:] in SECTIONS and tag[8:] not in found:
            anchor = _body_child(sdt, body)
            if anchor is not None:
                found[tag[8:]] = anchor
    out = {}
    for name in SECTIONS:
        start = found.get(name)
        if start is None:  # control deleted: start after the heading ("II. KHÓ KHĂN, VƯỚNG MẮC")
            key = fold(SECTIONS[name].split(",")[0])
            for p in body.iterchildren(W + "p"):
                text = doc.para_text(p)
                if _HEADING.match(text) and fold(text).split(" ", 1)[-1].startswith(key):
                    start = p.getnext()
                    break
        out[name] = _section_text(doc, start, f"section|{name}", PLACEHOLDERS[name]) if start is not None else ""
    return out


# ---------------------------------------------------------------------------------------------------------- identity


def _check_package(pkg: _Package, filename: str | None) -> str:
    """Refuse macro-enabled documents; return the name of the main document part."""
    if filename and PurePosixPath(filename.replace("\\", "/")).suffix.lower() in (".docm", ".dotm"):
        raise FormRejected("tài liệu có macro (.docm) không được nhận; hãy lưu biểu mẫu dưới dạng .docx")
    if any(n.endswith("vbaproject.bin") or n.endswith("vbadata.xml") for n in pkg.names_lower):
        raise FormRejected("tài liệu chứa macro (vbaProject.bin) nên không được nhận; hãy lưu biểu mẫu dưới dạng "
                           ".docx không có macro")
    if not pkg.has("[Content_Types].xml"):
        raise FormRejected("tệp không phải tài liệu Word .docx (thiếu [Content_Types].xml)")
    types = pkg.xml("[Content_Types].xml")
    main = None
    for el in types:
        ctype = (el.get("ContentType") or "").lower()
        if "macroenabled" in ctype or "vbaproject" in ctype:
            raise FormRejected("tài liệu có macro (định dạng .docm) không được nhận; hãy lưu biểu mẫu dưới dạng .docx")
        if el.tag == _CT + "Override" and ctype == _MAIN_CT:
            main = (el.get("PartName") or "").lstrip("/")
    if main is None and pkg.has("_rels/.rels"):
        for rel in pkg.xml("_rels/.rels"):
            if rel.get("Type") == _OFFICE_DOC_REL:
                main = (rel.get("Target") or "").lstrip("/")
    if not main or not pkg.has(main):
        raise FormRejected("tệp không phải tài liệu Word .docx (không có phần nội dung chính)")
    return main


def _properties(pkg: _Package) -> dict[str, str]:
    """The form's identity properties (kehoach.plan, .year, .agency, ...), refusing a file kehoach did not make."""
    if not pkg.has(ooxml.CUSTOM_PART):
        raise FormRejected("tệp không phải biểu mẫu do kehoach tạo (không có thông tin nhận dạng trong thuộc tính "
                           "tài liệu); hãy dùng đúng biểu mẫu đã được gửi cho đơn vị")
    # whitespace collapsed: a value is quoted in one-line messages (a line break typed into a property must not
    # split the sentence)
    props = {p.get("name"): " ".join("".join(p.itertext()).split()) for p in pkg.xml(ooxml.CUSTOM_PART)}
    if props.get("kehoach.form") != FORM_ID or not props.get("kehoach.plan"):
        raise FormRejected("tệp không phải biểu mẫu báo cáo do kehoach tạo (thiếu thông tin nhận dạng); hãy dùng "
                           "đúng biểu mẫu đã được gửi cho đơn vị")
    return props


def _identity(props: Mapping[str, str], plan: Plan, expected_year: int | None,
              today: dt.date) -> tuple[str, int, str]:
    """(agency id, year, plan version) of a form, checked against the plan (the agency is checked later)."""
    if props["kehoach.plan"] != plan.id:
        raise FormRejected(f'biểu mẫu thuộc kế hoạch "{props["kehoach.plan"]}", không phải Kế hoạch '
                           f"{plan.meta.number} ({plan.id})")
    try:
        year = int(props.get("kehoach.year", ""))
    except ValueError:
        raise FormRejected(f'năm báo cáo ghi trong biểu mẫu không đọc được ("{props.get("kehoach.year", "")}")') \
            from None
    if expected_year is not None and year != expected_year:
        raise FormRejected(f"biểu mẫu là báo cáo năm {year}, không phải năm {expected_year} đang nhận")
    if not plan.meta.date.year <= year <= today.year + 1:
        raise FormRejected(f"biểu mẫu ghi năm báo cáo {year}, ngoài khoảng {plan.meta.date.year}–{today.year + 1} "
                           f"của Kế hoạch {plan.meta.number}")
    return props.get("kehoach.agency", ""), year, props.get("kehoach.plan_version", "")


def _check_agency(plan: Plan, agency_id: str, year: int) -> AgencyTasks:
    reg = plan.registry
    if agency_id not in reg.agencies and agency_id not in reg.groups:
        raise FormRejected(f'đơn vị "{agency_id}" ghi trong biểu mẫu không có trong danh mục đơn vị của kế hoạch')
    at = distribute(plan, year).by_agency.get(agency_id)
    if at is not None:
        return at
    raise FormRejected(f"{reg.name_of(agency_id)} không được giao báo cáo nhiệm vụ nào của Kế hoạch "
                       f"{plan.meta.number} năm {year}")


# ---------------------------------------------------------------------------------------------------------- reading


def _codes(codes: list[str], limit: int = 12) -> str:
    shown = ", ".join(codes[:limit])
    return shown + (f" và {len(codes) - limit} nhiệm vụ khác" if len(codes) > limit else "")


@dataclass(frozen=True)
class FormContent:
    """What a returned file holds, read without the plan (so worker processes can read while the plan loads): its
    identity properties, every table row and the free-text sections. `error` rejects the document part itself; it is
    reported only once the identity has been checked against the plan, as that check comes first for the user."""

    props: dict[str, str]
    rows: tuple[Row, ...] = ()
    sections: dict[str, str] = field(default_factory=dict)
    error: str = ""


def extract(data: bytes, *, filename: str | None = None, time_budget: float = TIME_BUDGET_S) -> FormContent:
    """The content of a returned file (no plan needed); raise FormRejected when it is not a kehoach form at all."""
    budget = _Budget(time_budget)
    pkg = _Package(data, budget)
    main = _check_package(pkg, filename)
    props = _properties(pkg)
    try:
        root = pkg.xml(main)
        if root.tag != W + "document":
            raise FormRejected("phần nội dung chính không phải văn bản Word")
        budget.check()
        doc = _Doc(root)
        return FormContent(props, _rows(doc, budget), _sections(doc))
    except FormRejected as e:
        return FormContent(props, error=str(e))


def read_form(data: bytes, plan: Plan, *, filename: str | None = None, expected_year: int | None = None,
              today: dt.date | None = None, time_budget: float = TIME_BUDGET_S,
              plan_for_year: Callable[[int], Plan] | None = None,
              plan_states: Callable[[int], Sequence[Plan]] | None = None) -> FormReading:
    """Read a returned form; raise FormRejected (one Vietnamese sentence) if it cannot be accepted.

    `plan_for_year(year)` gives the plan in force for a year's report (amendments up to its deadline), the plan the
    form was generated from; without it `plan` is used for every year. `plan_states(year)` gives every state of the
    plan a form of that year can have been generated from (see `_rows_not_its_own`); without it, only that plan."""
    content = extract(data, filename=filename, time_budget=time_budget)
    return interpret(content, plan, expected_year=expected_year, today=today, plan_for_year=plan_for_year,
                     plan_states=plan_states)


def interpret(content: FormContent, plan: Plan, *, expected_year: int | None = None, today: dt.date | None = None,
              plan_for_year: Callable[[int], Plan] | None = None,
              plan_states: Callable[[int], Sequence[Plan]] | None = None) -> FormReading:
    """What the agency reported, from a file's content and the plan (see `read_form`)."""
    agency_id, year, plan_version = _identity(content.props, plan, expected_year, today or dt.date.today())
    if plan_for_year is not None:
        plan = plan_for_year(year)
    at = _check_agency(plan, agency_id, year)
    if content.error:
        raise FormRejected(content.error)

    warnings: list[str] = []
    if plan_version and plan_version != plan.version:
        warnings.append(f"biểu mẫu tạo từ phiên bản dữ liệu kế hoạch {plan_version}, khác phiên bản hiện tại "
                        f"{plan.version} (kế hoạch có thể đã được sửa sau khi gửi biểu mẫu)")
    roles = {a.task.id: "lead" for a in at.lead} | {a.task.id: "partner" for a in at.partner}
    roles |= {a.task.id: "expired" for a in at.expired}
    tasks = plan.task_index

    entries: dict[str, Entry] = {}
    changed: list[str] = []
    no_result: list[str] = []
    no_status: list[str] = []
    odd_status: list[str] = []
    duplicates: list[str] = []
    for task_id, cells in _task_rows(content.rows, plan.task_by_code, tasks):
        task = tasks[task_id]
        status_text = _tidy(cells.get("status", ()), PLACEHOLDERS["status"]).replace("\n", " ").strip()
        entry = Entry(
            task_id=task.id,
            code=task.code,
            role=roles.get(task.id, ""),
            result=_tidy(cells.get("result", ()), PLACEHOLDERS["result"]),
            status=normalize_status(status_text) if status_text else None,
            status_text=status_text,
            note=_tidy(cells.get("note", ()), PLACEHOLDERS["note"]),
        )
        if task.id in entries:
            if entries[task.id].is_empty and not entry.is_empty:
                entries[task.id] = entry
            duplicates.append(task.code)
            continue
        entries[task.id] = entry
        for kind, text in (("code", task.code), ("task", task.task), ("deliverable", task.deliverable),
                           ("timeframe", task.timeframe.text)):
            paras = cells.get(kind)
            if paras is None or (len(paras) == 1 and paras[0] == text):  # (the common case: left as generated)
                continue
            if kind == "task":  # the "(Giao chung: ...)" note is kehoach's, not the plan's wording
                paras = [p for p in paras if not _VIA.match(p.strip())]
            if _words(" ".join(paras)) != _words(text):
                changed.append(f"{task.code} ({_COLUMN[kind]})")
        if entry.role in ("lead", "partner"):
            if not entry.result:
                no_result.append(task.code)
            if not entry.status_text:
                no_status.append(task.code)
        if entry.status_text and entry.status is None:
            odd_status.append(f'{task.code}: "{entry.status_text}"')

    def place(item: str) -> int:  # "II.11" or "II.11: ..." -> position in the plan
        task = plan.task_by_code.get(re.split(r"[ :]", item, maxsplit=1)[0])
        return plan.task_positions[task.id] if task else len(plan.task_positions)

    def in_plan_order(items: list[str]) -> list[str]:
        return sorted(items, key=place)

    missing_rows = [a.task.code for a in at.all if a.task.id not in entries]
    no_result, no_status, changed, odd_status, duplicates = map(
        in_plan_order, (no_result, no_status, changed, odd_status, duplicates))
    if not entries:
        raise FormRejected("không tìm thấy bảng nhiệm vụ nào trong biểu mẫu (các dòng nhiệm vụ đã bị xóa?)")
    missing = in_plan_order(missing_rows)
    unassigned = [e.code for e in entries.values() if not e.role]
    _check_rows_are_its_own(content, plan, at, year, plan_version, in_plan_order(unassigned), plan_states)
    if missing:
        warnings.append(f"thiếu dòng của nhiệm vụ được giao: {_codes(missing)}")
    if unassigned:
        warnings.append(f"có dòng của nhiệm vụ không giao cho đơn vị năm {year}: {_codes(unassigned)}")
    if duplicates:
        warnings.append(f"nhiệm vụ xuất hiện nhiều lần, chỉ lấy một dòng: {_codes(duplicates)}")
    if changed:
        warnings.append(f"nội dung điền sẵn đã bị sửa (khác Kế hoạch): {_codes(changed)}")
    if odd_status:
        warnings.append("tình trạng không thuộc danh sách (Hoàn thành; Đang thực hiện; Chưa thực hiện), giữ nguyên "
                        f"văn: {_codes(odd_status)}")
    if no_result:
        warnings.append(f"chưa điền kết quả thực hiện: {_codes(no_result)}")
    if no_status:
        warnings.append(f"chưa chọn tình trạng: {_codes(no_status)}")

    order = plan.task_positions
    return FormReading(
        plan=plan.id,
        plan_version=plan_version,
        year=year,
        agency=agency_id,
        entries=tuple(sorted(entries.values(), key=lambda e: order[e.task_id])),
        sections=content.sections,
        warnings=tuple(warnings),
    )


def _foreign_rows(content: FormContent, state: Plan, agency_id: str, year: int) -> list[str]:
    """The codes (as `state` numbers them) of the form's task rows that are not tasks of the agency in `state`."""
    at = distribute(state, year).by_agency.get(agency_id)
    own = {a.task.id for a in at.all} if at is not None else set()
    found = {task_id for task_id, _ in _task_rows(content.rows, state.task_by_code, state.task_index)}
    return [t.code for t in state.tasks if t.id in found and t.id not in own]


def _check_rows_are_its_own(content: FormContent, plan: Plan, at: AgencyTasks, year: int, plan_version: str,
                            unassigned: list[str], plan_states: Callable[[int], Sequence[Plan]] | None) -> None:
    """Refuse a form whose prefilled task rows are not the tasks of the agency it claims (its `kehoach.agency`
    changed to pass one agency's report off as another's): every task row must be a task assigned to that agency
    for that year in the plan version the form was generated from. `unassigned`: the rows not assigned in `plan`.

    A form of another version (generated before an amendment) is compared with that state of the plan, found among
    `plan_states(year)`; a version that matches none of them (the data edited without an amendment, or forged) is
    accepted only if its rows are the agency's tasks in one of them. Rows the agency deleted are only a warning."""
    where = f"theo phiên bản dữ liệu kế hoạch {plan_version or plan.version} của biểu mẫu"
    foreign = unassigned
    if plan_version != plan.version:
        states = [s for s in (plan_states(year) if plan_states is not None else ()) if s is not plan]
        same = next((s for s in states if s.version == plan_version), None)
        if same is not None:
            foreign = _foreign_rows(content, same, at.agency.id, year)
        elif foreign:
            if any(not _foreign_rows(content, s, at.agency.id, year) for s in states):
                return
            where = (f"theo mọi phiên bản dữ liệu của kế hoạch, vì phiên bản {plan_version or '(không ghi)'} ghi trong "
                     "biểu mẫu không khớp phiên bản nào")
    if foreign:
        name = at.agency.name
        raise FormRejected(f"dòng nhiệm vụ {_codes(foreign)} trong biểu mẫu không phải nhiệm vụ giao cho {name} năm "
                           f"{year} ({where}), nên biểu mẫu không được nhận là báo cáo của {name}: thông tin đơn vị "
                           "trong thuộc tính tài liệu có thể đã bị sửa; hãy dùng đúng biểu mẫu đã gửi cho đơn vị")


_VIA = re.compile(r"^\((Giao chung|Giao cho|Tiếp nhận từ)\b.*\)$", re.DOTALL)
_COLUMN = {"code": "TT", "task": "Nhiệm vụ", "deliverable": "Sản phẩm", "timeframe": "Thời gian"}


# ---------------------------------------------------------------------------------------------------------- many files


@dataclass(frozen=True)
class Outcome:
    """One file of many: its bytes and content once extracted, its reading once interpreted, or the kind of failure
    and its message."""

    path: Path
    data: bytes = b""
    content: FormContent | None = None
    reading: FormReading | None = None
    error: str = ""  # "rejected" | "oserror" | "crash"
    message: str = ""


POOL_MIN_FILES = 40  # below this many files a process pool costs more than it saves
BATCH = 64  # files handed to the pool at a time, and stored in one transaction
WINDOW = 8  # batches queued in the pool at once: the workers never wait, and results never pile up in memory
def _failure(path: Path, e: Exception, debug: bool) -> Outcome:
    if isinstance(e, FormRejected):
        return Outcome(path, error="rejected", message=str(e))
    if isinstance(e, OSError):
        return Outcome(path, error="oserror", message=e.strerror or str(e))
    if debug:  # --debug: the traceback instead
        raise e
    return Outcome(path, error="crash", message=type(e).__name__)  # a malformed file must never stop the others


def _extract_one(path: Path, debug: bool = False) -> Outcome:
    try:
        data = load_file(path)
        return Outcome(path, data, extract(data, filename=path.name))
    except Exception as e:  # noqa: BLE001 - sorted out by _failure
        return _failure(path, e, debug)


class Extraction:
    """Many returned files extracted in order, in batches (iterate over it): one file at a time in this process, or,
    with `jobs` > 1 and enough files, BATCH files at a time by forked worker processes that start at once, so they
    read while this process loads the plan and stores what they give back. Use it as a context manager: leaving
    the block stops the workers."""

    def __init__(self, paths: list[Path], *, jobs: int = 1, debug: bool = False):
        import signal

        self.paths = paths
        self.read = partial(_extract_one, debug=debug)
        self.pool = None
        if jobs > 1 and len(paths) >= POOL_MIN_FILES:
            import multiprocessing

            self.batches = [paths[start:start + BATCH] for start in range(0, len(paths), BATCH)]
            self.pool = multiprocessing.get_context("fork").Pool(
                jobs, initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN))
            self.pending = collections.deque(self.pool.map_async(self.read, b) for b in self.batches[:WINDOW])

    def __iter__(self) -> Iterator[list[Outcome]]:
        if self.pool is None:
            for path in self.paths:
                yield [self.read(path)]
            return
        for k in range(len(self.batches)):
            done = self.pending.popleft().get()
            if k + WINDOW < len(self.batches):
                self.pending.append(self.pool.map_async(self.read, self.batches[k + WINDOW]))
            yield done

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None

    def __enter__(self) -> Extraction:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def interpret_outcome(outcome: Outcome, plan: Plan, *, expected_year: int | None = None,
                      plan_for_year: Callable[[int], Plan] | None = None, debug: bool = False,
                      plan_states: Callable[[int], Sequence[Plan]] | None = None) -> Outcome:
    """An extracted file read against the plan (see `interpret`); failures are passed on."""
    if outcome.content is None:
        return outcome
    try:
        reading = interpret(outcome.content, plan, expected_year=expected_year, plan_for_year=plan_for_year,
                            plan_states=plan_states)
    except Exception as e:  # noqa: BLE001 - sorted out by _failure
        return _failure(outcome.path, e, debug)
    return Outcome(outcome.path, outcome.data, reading=reading)

