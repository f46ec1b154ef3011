"""The PHỤ LỤC of a plan's document read into groups and tasks, however Word laid it out.

The table is the one after a paragraph "PHỤ LỤC" whose header row names the columns (TT, Nhiệm vụ, Đơn vị chủ trì,
Đơn vị phối hợp, Sản phẩm, Thời gian; matched by their wording, in any order; another column, like "Ghi chú", is
not used and said so), or without such a paragraph the first table with that header. The tables after it continue
it (Word splits a table at page breaks): one with a header row maps its columns again, one as wide as the last one
goes on with its columns, a header row repeated at the top of a page (marked to repeat or not) and a row numbering
the columns "(1) (2) ..." are skipped. A row whose TT is a Roman numeral, or a single cell spanning the width, is a
group; a row numbered "1" or "1." is a task; a vertically merged cell gives its text to every row it spans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..office.vnformat import to_roman
from ..office.wordbody import Para, Row, Table
from ..plan.resolve import name_key
from .text import ReviewItem, clean


FIELDS = ("task", "lead", "partners", "deliverable", "timeframe")
LABELS = {"tt": "TT", "task": "Nhiệm vụ", "lead": "Đơn vị chủ trì", "partners": "Đơn vị phối hợp",
          "deliverable": "Sản phẩm hoàn thành", "timeframe": "Thời gian hoàn thành"}
_COLUMN_WORDS = (  # (field, words its header holds), tried in this order
    ("lead", ("chủ trì",)),
    ("partners", ("phối hợp",)),
    ("deliverable", ("sản phẩm", "kết quả")),
    ("timeframe", ("thời gian", "thời hạn", "tiến độ")),
    ("task", ("nhiệm vụ", "nội dung", "giải pháp")),
)
_TT = re.compile(r"^(?:s\.?\s?tt|tt|số\s+tt|số\s+thứ\s+tự)\.?$")
_ROMAN = re.compile(r"^([IVXLC]+)\s*[.:/-]?$")
_ROMAN_LEAD = re.compile(r"^([IVXLC]+)\s*[.:-]\s+(.+)$")
_NUMBER = re.compile(r"^(\d+)\s*\.?$")
_COLUMN_NUMBER = re.compile(r"^\(?\d+\)?$")
_ATTACHED = re.compile(r"\((?:ban hành )?kèm theo [^()]*\)$", re.IGNORECASE)
_HEADING = re.compile(r"^phụ\s+lục\b", re.IGNORECASE)


@dataclass
class DraftTask:
    cells: dict[str, str]  # field -> text, as written in the draft
    tt: str  # the TT cell as printed
    code: str = ""  # "II.19": the group's numeral and the task's position, as kehoach numbers it


@dataclass
class DraftGroup:
    numeral: str
    title: str
    tasks: list[DraftTask] = field(default_factory=list)


@dataclass
class Appendix:
    heading: str = ""
    title: str = ""
    attached: str = ""
    groups: list[DraftGroup] = field(default_factory=list)
    start: int = 0  # index of the block the PHỤ LỤC starts at (what precedes is the plan's text)
    review: list[ReviewItem] = field(default_factory=list)


def _columns(row: Row) -> tuple[dict[str, int], list[str]] | None:
    """The header row's columns: field -> grid column, and the wording of the columns not used; None when the row
    is not a header (it must name the task and the lead)."""
    found: dict[str, int] = {}
    unused: list[str] = []
    for cell in row.cells:
        key = name_key(clean(cell.value))
        if not key:
            continue
        if _TT.match(key):
            found.setdefault("tt", cell.col)
            continue
        for name, words in _COLUMN_WORDS:
            if name not in found and any(w in key for w in words):
                found[name] = cell.col
                break
        else:
            unused.append(clean(cell.value))
    if "task" in found and "lead" in found:
        return found, unused
    return None


def _is_column_numbers(row: Row) -> bool:
    texts = [clean(c.value) for c in row.cells if clean(c.value)]
    return len(texts) >= 3 and all(_COLUMN_NUMBER.match(t) for t in texts)


def read_appendix(blocks: tuple[Para | Table, ...]) -> Appendix:
    out = Appendix(start=len(blocks))
    heading_at = next((i for i, b in enumerate(blocks) if isinstance(b, Para) and _HEADING.match(clean(b.text))), None)
    first = None
    for i, b in enumerate(blocks):
        if isinstance(b, Table) and (heading_at is None or i > heading_at) and _header_row(b) is not None:
            first = i
            break
    if first is None:
        out.review.append(ReviewItem("PHỤ LỤC", "bảng nhiệm vụ", "không tìm thấy bảng có dòng tiêu đề cột TT / Nhiệm "
                                     "vụ / Đơn vị chủ trì / ...; chưa nhập được nhiệm vụ nào"))
        return out
    out.start = heading_at if heading_at is not None else first
    if heading_at is not None:
        out.heading = clean(blocks[heading_at].text)
        titles = []
        for b in blocks[heading_at + 1 : first]:
            text = clean(b.text) if isinstance(b, Para) else ""
            if text.startswith("(") and "kèm theo" in text.lower():
                out.attached = text
            elif text:
                titles.append(text)
        out.title = " ".join(titles)
        if not out.attached and (m := _ATTACHED.search(out.title)):  # a PDF joined the two lines
            out.title, out.attached = out.title[: m.start()].rstrip(), m.group()
    _read_tables(blocks[first:], out)
    _number(out)
    return out


def _header_row(table: Table) -> int | None:
    for i, row in enumerate(table.rows[:3]):
        if _columns(row) is not None:
            return i
    return None


def _read_tables(blocks: tuple[Para | Table, ...], out: Appendix) -> None:
    cols: dict[str, int] = {}
    width = 0
    said_unused: set[str] = set()
    for n, block in enumerate(blocks):
        if not isinstance(block, Table):
            _unread(block, out)
            continue
        start = _header_row(block)
        if start is not None:
            cols, unused = _columns(block.rows[start])
            width = block.width
            for u in unused:
                if u not in said_unused:
                    said_unused.add(u)
                    out.review.append(ReviewItem("PHỤ LỤC", f'cột "{u}"', "cột không dùng: kehoach không chép cột "
                                                 "này vào dữ liệu kế hoạch (kiểm tra lại nếu cột có nội dung cần giữ)"))
            for f in ("tt", *FIELDS):
                if f not in cols and f not in ("tt", "task", "lead"):
                    out.review.append(ReviewItem("PHỤ LỤC", f'cột "{LABELS[f]}"', "bảng không có cột này; các ô "
                                                 "của cột để trống"))
            rows = block.rows[start + 1 :]
        elif block.width == width and cols:
            rows = block.rows
        else:
            out.review.append(ReviewItem("PHỤ LỤC", f"bảng thứ {n + 1}", "bảng sau bảng nhiệm vụ có số cột khác và "
                                         "không có dòng tiêu đề; đã bỏ qua, hãy kiểm tra"))
            continue
        for i, row in enumerate(rows):
            if i == 0 and block.continues_row and _continues(row, cols, out):
                continue
            _read_row(row, cols, width, out)


def _unread(para: Para, out: Appendix) -> None:
    """Text among or after the task tables is read by nothing: a note under the PHỤ LỤC, or a table a converter wrote
    as plain text (LibreOffice's .doc export of a table that ends the document). Never dropped silently: reviewed.
    Empty lines and page numbers are layout."""
    text = clean(para.text.replace("\t", " "))
    if text and not text.isdigit():
        shown = text if len(text) <= 120 else text[:117] + "..."
        out.review.append(ReviewItem("PHỤ LỤC", "đoạn văn sau bảng nhiệm vụ", "kehoach không nhập đoạn này vào dữ liệu "
                                     f'kế hoạch: "{shown}"; nếu đó là nhiệm vụ, hãy ghi vào tasks.yaml'))


def _continues(row: Row, cols: dict[str, int], out: Appendix) -> bool:
    """A PDF page's first row without a number: the rest of the last task's row, cut by the page break (each
    cell's text added to that task's, after a space)."""
    if _value(row, cols.get("tt")) or not out.groups or not out.groups[-1].tasks:
        return False
    task = out.groups[-1].tasks[-1]
    for f in FIELDS:
        more = _value(row, cols.get(f))
        if more:
            task.cells[f] = f"{task.cells[f]} {more}".strip()
    return True


def _value(row: Row, col: int | None) -> str:
    if col is None:
        return ""
    cell = row.at(col)
    return clean(cell.value) if cell is not None else ""


def _read_row(row: Row, cols: dict[str, int], width: int, out: Appendix) -> None:
    if _columns(row) is not None or _is_column_numbers(row):
        return  # a header repeated at a page break, or the row numbering the columns
    texts = [clean(c.value) for c in row.cells]
    if not any(texts):
        return
    tt = _value(row, cols.get("tt"))
    distinct = [c for c in row.cells if clean(c.value)]
    if m := _ROMAN.match(tt):
        title = next((clean(c.value) for c in distinct if c.col != cols.get("tt")), "")
        out.groups.append(DraftGroup(m.group(1), title))
        return
    if len(distinct) == 1 and distinct[0].span >= max(width - 1, 2) and not _NUMBER.match(tt):
        text = clean(distinct[0].value)
        m = _ROMAN_LEAD.match(text)
        out.groups.append(DraftGroup(m.group(1) if m else "", m.group(2) if m else text))
        return
    cells = {f: _value(row, cols.get(f)) for f in FIELDS}
    if not out.groups:
        out.groups.append(DraftGroup("", ""))
        out.review.append(ReviewItem("PHỤ LỤC", "nhóm", "các nhiệm vụ đầu bảng không thuộc nhóm nào (không có dòng "
                                     "số La Mã); đã tạo một nhóm chưa có tên trong tasks.yaml, hãy ghi tên nhóm"))
    out.groups[-1].tasks.append(DraftTask(cells, tt))


def _number(out: Appendix) -> None:
    """Codes as kehoach will number the tasks (I.1, I.2, ...), and review items where the document's own TT or
    group numeral differs, or a group has no title."""
    for gi, group in enumerate(out.groups, 1):
        numeral = to_roman(gi)
        if not group.title:
            out.review.append(ReviewItem(f"nhóm {numeral}", "tên nhóm", "không đọc được tên nhóm; hãy ghi vào "
                                         "tasks.yaml"))
        elif group.numeral and group.numeral != numeral:
            out.review.append(ReviewItem(f"nhóm {numeral}", "số La Mã", f'văn bản ghi "{group.numeral}", kehoach đánh '
                                         f"số theo thứ tự là {numeral}; kiểm tra xem có thiếu hay thừa nhóm không"))
        for ti, task in enumerate(group.tasks, 1):
            task.code = f"{numeral}.{ti}"
            m = _NUMBER.match(task.tt)
            if not task.tt:
                out.review.append(ReviewItem(task.code, "TT", "dòng không có số thứ tự; đã nhập như một nhiệm vụ, "
                                             "kiểm tra xem có phải phần tiếp của dòng trên không"))
            elif not m or int(m.group(1)) != ti:
                out.review.append(ReviewItem(task.code, "TT", f'văn bản ghi "{task.tt}", kehoach đánh số theo thứ tự '
                                             f"là {ti}; kiểm tra xem có thiếu hay thừa dòng không"))
