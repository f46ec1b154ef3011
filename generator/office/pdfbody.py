"""The body of a text PDF (as Word or LibreOffice export it) as `office.wordbody` blocks, best effort (pdfplumber).

On each page, the tables are found by their ruling lines (`find_tables` with the "lines" strategy); the text outside
them is read line by line, a line cut into pieces where a wide gap separates its words (the two columns of a
document's header table), and consecutive lines close together joined into one paragraph. What a PDF cannot give:
a scanned page has no text at all; a merged cell's text is in its first row or column only (the other cells
covered are empty: a vertical merge is not known as one); line breaks inside a cell are where the line wrapped,
joined with a space; bold, headers marked to repeat and the page a table continues on are not known.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

from .wordbody import Cell, Para, Row, Table


_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}


class NoText(Exception):
    """The PDF has no text layer (a scan) or cannot be read: the message says which."""


def walk_pdf(data: bytes, max_pages: int = 200) -> list[Para | Table]:
    """The blocks of a PDF's pages, in reading order (top to bottom on each page, pages in order)."""
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    blocks: list[Para | Table] = []
    any_text = False
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > max_pages:
                raise NoText(f"tệp PDF có {len(pdf.pages)} trang (giới hạn {max_pages})")
            for page in pdf.pages:
                page_blocks = list(_page_blocks(page))
                any_text = any_text or bool(page.chars)
                blocks.extend(page_blocks)
                page.flush_cache()
    except NoText:
        raise
    except (PDFSyntaxError, ValueError, KeyError, TypeError, OSError) as e:
        raise NoText(f"không đọc được tệp PDF ({type(e).__name__}); tệp bị hỏng hoặc không phải PDF") from None
    except Exception as e:  # pdfminer raises many kinds of its own on a broken file
        if type(e).__module__.startswith(("pdfminer", "pdfplumber")):
            raise NoText(f"không đọc được tệp PDF ({type(e).__name__}); tệp bị hỏng") from None
        raise
    if not any_text:
        raise NoText("tệp PDF không có lớp chữ (có thể là bản quét thành ảnh); kehoach chỉ đọc được PDF xuất từ Word "
                     "hoặc LibreOffice, hãy dùng tệp .docx của kế hoạch")
    return blocks


def _page_blocks(page) -> Iterator[Para | Table]:
    tables = page.find_tables(_SETTINGS)
    items: list[tuple[float, Para | Table]] = []
    for t in tables:
        rows = t.extract()
        table = Table(continues_row=True)
        for raw in rows:
            cells = []
            for col, text in enumerate(raw):
                cells.append(Cell(_joined((text or "").split("\n")), col))
            table.rows.append(Row(cells))
        if table.rows:
            items.append((t.bbox[1], table))
    boxes = [t.bbox for t in tables]

    def outside(obj) -> bool:
        x = (obj["x0"] + obj["x1"]) / 2
        y = (obj["top"] + obj["bottom"]) / 2
        return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)

    text_page = page.filter(outside) if boxes else page
    words = text_page.extract_words(keep_blank_chars=False, use_text_flow=False, extra_attrs=["size"])
    for top, text in _paragraphs(words):
        items.append((top, Para(text)))
    items.sort(key=lambda item: item[0])
    for _, block in items:
        yield block


_MARKER = re.compile(r"^(?:[-+•*]\s|\d+(?:\.\d+)*\.?\s|[IVX]+\.\s|[a-zđ]\)\s)")


def _paragraphs(words: list[dict]) -> Iterator[tuple[float, str]]:
    """Words -> (top, text) paragraphs: words on one line (same top, within a third of their size) in order of x,
    cut into pieces where the gap exceeds twice the size (the columns of a header table); a piece joins the
    paragraph above it when that paragraph's last line was full (it reached the right edge of the page's text, so
    the line wrapped, and began near its left edge: not a column of a table without lines), the two overlap horizontally and are close, and the piece does not start a list item."""
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][0]["top"] - w["top"]) <= max(w["size"], 1) / 3:
            lines[-1].append(w)
        else:
            lines.append([w])
    pieces: list[list] = []  # [top, bottom, x0, x1, size, text]
    for line in lines:
        line.sort(key=lambda w: w["x0"])
        current = [line[0]]
        for w in line[1:]:
            if w["x0"] - current[-1]["x1"] > 2 * max(w["size"], 1):
                pieces.append(_piece(current))
                current = [w]
            else:
                current.append(w)
        pieces.append(_piece(current))
    if not pieces:
        return
    right = max(p[3] for p in pieces)
    left = min(p[2] for p in pieces)
    paras: list[list] = []  # [top, last bottom, last x0, last x1, size, text]
    for top, bottom, x0, x1, size, text in pieces:
        for para in reversed(paras[-4:]):
            ptop, pbottom, px0, px1, psize, ptext = para
            if (0 <= top - pbottom < 0.8 * size and px1 >= right - 4 * size and px0 <= left + 4 * size
                    and x0 < px1 and x1 > px0
                    and not ptext.endswith(":") and not _MARKER.match(text)):
                para[1:5] = [bottom, x0, x1, size]
                para[5] = _joined([ptext, text])
                break
        else:
            paras.append([top, bottom, x0, x1, size, text])
    for para in sorted(paras, key=lambda p: (p[0], p[2])):
        yield para[0], para[5]


def _joined(lines: list[str]) -> str:
    """Wrapped lines as one text: a space between them, none after a line ending in a hyphen that follows a
    letter or digit ("20-" + "NQ/TW": the line wrapped at the hyphen of "20-NQ/TW")."""
    out = ""
    for line in lines:
        if out and not (out.endswith("-") and len(out) > 1 and out[-2].isalnum()):
            out += " "
        out += line
    return out


def _piece(words: list[dict]) -> list:
    return [min(w["top"] for w in words), max(w["bottom"] for w in words), words[0]["x0"], words[-1]["x1"],
            max(w["size"] for w in words), " ".join(w["text"] for w in words)]
