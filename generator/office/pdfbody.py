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
        table = Table()
        for raw in rows:
            cells = []
            for col, text in enumerate(raw):
                cells.append(Cell(" ".join((text or "").split("\n")) if text else "", col))
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


def _paragraphs(words: list[dict]) -> Iterator[tuple[float, str]]:
    """Words -> (top, text) paragraphs: words on one line (same top, within a third of their size) in order of x,
    cut where the gap exceeds three times the size; consecutive pieces of the same column whose lines are close
    joined with a space."""
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][0]["top"] - w["top"]) <= max(w["size"], 1) / 3:
            lines[-1].append(w)
        else:
            lines.append([w])
    pieces: list[tuple[float, float, float, float, str]] = []  # top, bottom, x0, size, text
    for line in lines:
        line.sort(key=lambda w: w["x0"])
        current = [line[0]]
        for w in line[1:]:
            if w["x0"] - current[-1]["x1"] > 3 * max(w["size"], 1):
                pieces.append(_piece(current))
                current = [w]
            else:
                current.append(w)
        pieces.append(_piece(current))
    open_: list[tuple[float, float, float, float, str]] = []  # paragraphs being built, one per column
    out: list[tuple[float, str, float]] = []
    for top, bottom, x0, size, text in pieces:
        joined = False
        for i, (ptop, pbottom, px0, psize, ptext) in enumerate(open_):
            if abs(px0 - x0) < 2 * size and 0 <= top - pbottom < 0.6 * size:
                open_[i] = (ptop, bottom, px0, psize, f"{ptext} {text}")
                joined = True
                break
        if not joined:
            # paragraphs whose column has moved on are finished
            still = []
            for p in open_:
                if top - p[1] >= 0.6 * p[3]:
                    out.append((p[0], p[4], p[2]))
                else:
                    still.append(p)
            open_ = still + [(top, bottom, x0, size, text)]
    out.extend((p[0], p[4], p[2]) for p in open_)
    out.sort(key=lambda item: (item[0], item[2]))
    for top, text, _ in out:
        yield top, text


def _piece(words: list[dict]) -> tuple[float, float, float, float, str]:
    return (min(w["top"] for w in words), max(w["bottom"] for w in words), words[0]["x0"],
            max(w["size"] for w in words), " ".join(w["text"] for w in words))
