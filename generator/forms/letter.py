"""The reminder letter (công văn đôn đốc) of the receiving body to the agencies that have not sent, or must correct,
their report of a year: a công văn laid out per Nghị định 30/2020/NĐ-CP (../shared/reference/nd30-format.md).

A công văn has no document-type line and no type code in its number ("Số:      /STC"); its trích yếu ("V/v ...")
stands under the number in the left column; "Kính gửi:" names its recipients (one on the same line; several one a
line, "- Tên;", the last ending "."). The sender heads it as it heads its own documents (`forms.context
.agency_heading`, the registry's rule for its kind), and its code (`code` in the registry) follows the "/"; a body
with no code leaves that part blank for the clerk. Equal inputs give equal bytes (the document dates are the
letter's date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from ..office.decree import TEXT_WIDTH_MM, header_block, lean_bytes, new_document, para, signer_block
from ..office.vnformat import long_date, short_date
from ..office.xlsxfit import text_width
from ..plan.headers import unbreakable
from ..plan.model import Agency, Plan
from .context import agency_heading


BLANK_NUMBER = "      "  # the clerk writes the number (and, with no code in the registry, the part after "/")
LABEL = "Kính gửi:"
SIZE = 14


def number_line(sender: Agency) -> str:
    """"Số:      /STC": the number left blank, no document-type code (a công văn has none)."""
    return f"Số:{BLANK_NUMBER}/{sender.code or BLANK_NUMBER}"


def subject_line(plan: Plan, year: int) -> str:
    return f"V/v đôn đốc gửi báo cáo kết quả thực hiện Kế hoạch số {plan.meta.number} năm {year}"


def _mm(text: str, size: float = SIZE) -> float:
    return text_width(text, size) * 25.4 / 72


def _body(doc, text: str = "", *, after: float = 6):
    p = para(doc, text, size=SIZE, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=after, indent=12.7)
    p.paragraph_format.line_spacing = 1.15
    return p


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _addressees(doc, names: Sequence[str]) -> None:
    """"Kính gửi: Tên." centred for one; for several, "Kính gửi:" then "- Tên;" one a line (the last "."), the names
    aligned after the label and the block centred on the text width."""
    if len(names) == 1:
        p = para(doc, f"{LABEL} {names[0]}.", size=SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, before=12, after=12)
        return
    label = _mm(LABEL + "  ")
    items = [f"- {n};" for n in names[:-1]] + [f"- {names[-1]}."]
    block = label + min(max(_mm(i) for i in items) + 2, TEXT_WIDTH_MM - label)
    left = max(0.0, (TEXT_WIDTH_MM - block) / 2)
    for i, item in enumerate(items):
        p = para(doc, f"{LABEL}\t{item}" if i == 0 else item, size=SIZE, before=12 if i == 0 else 0,
                 after=12 if i == len(items) - 1 else 0)
        pf = p.paragraph_format
        pf.left_indent = Mm(left + label)
        if i == 0:
            pf.first_line_indent = -Mm(label)
            pf.tab_stops.add_tab_stop(Mm(left + label))


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else "các cơ quan, đơn vị: " + "; ".join(names)


def reminder_docx(plan: Plan, year: int, when: dt.date, by: dt.date, sender: Agency, addressees: Sequence[str],
                  corrections: Sequence[tuple[str, str]], *, missing: Sequence[str]) -> bytes:
    """The letter as .docx bytes. `addressees`: the names under "Kính gửi:" (in order, each once); `missing`: the
    names of those that sent nothing; `corrections`: (name, the office's note) of those whose report must be
    corrected; `when`: the letter's date; `by`: the date the reports are asked by."""
    assert addressees
    m = plan.meta
    doc = new_document()
    head = agency_heading(plan, sender)
    header_block(doc, unbreakable(head.parent, bold=False), [unbreakable(line) for line in head.lines],
                 number_line(sender), f"{head.place}, {long_date(when)}", subject=subject_line(plan, year))
    _addressees(doc, addressees)

    due = dt.date(year, m.deadline_month, m.deadline_day)
    title = m.title[0].lower() + m.title[1:]
    _body(doc, f"Thực hiện Kế hoạch số {m.number} ngày {short_date(m.date)} của {m.issuer} về {title}, các cơ "
               f"quan, đơn vị được giao nhiệm vụ báo cáo kết quả thực hiện năm {year} gửi {sender.name} trước "
               f"{long_date(due)} để tổng hợp, báo cáo {m.issuer_full}.")
    if missing:  # those under "Kính gửi" are not named again when none of them is to correct a report
        who = (_names(missing) if corrections else "Quý cơ quan" if len(addressees) == 1
               else "các cơ quan, đơn vị nêu trên")
        _body(doc, f"Tính đến {long_date(when)}, {sender.name} chưa nhận được báo cáo năm {year} của {who}.")
    if len(corrections) == 1:
        name, note = corrections[0]
        _body(doc, f"Báo cáo năm {year} của {name} cần được bổ sung, hoàn chỉnh: {_sentence(note)}")
    elif corrections:
        _body(doc, f"Báo cáo năm {year} của các cơ quan, đơn vị sau cần được bổ sung, hoàn chỉnh:", after=0)
        for i, (name, note) in enumerate(corrections):
            p = _body(doc, "", after=6 if i == len(corrections) - 1 else 0)
            run = p.add_run(f"- {name}: ")
            run.font.size, run.bold = Pt(SIZE), True
            p.add_run(_sentence(note)).font.size = Pt(SIZE)
    what = ("gửi báo cáo" if not corrections else "gửi báo cáo đã bổ sung" if not missing
            else "gửi báo cáo (hoặc báo cáo đã bổ sung)")
    whom = "Quý cơ quan" if len(addressees) == 1 else "các cơ quan, đơn vị"
    _body(doc, f"Để kịp thời tổng hợp, báo cáo {m.issuer_full}, {sender.name} đề nghị {whom} khẩn trương {what} "
               f"theo biểu mẫu đã được gửi về {sender.name} trước {long_date(by)}./.", after=12)

    signer = m.report_signer(sender.id)
    signer_block(doc, ["- Như trên;", "- Lưu: VT."], signer.authority, signer.title, signer.name)

    stamp = dt.datetime(when.year, when.month, when.day)
    doc.core_properties.title = f"{subject_line(plan, year)} ({long_date(when)})"
    doc.core_properties.author = doc.core_properties.last_modified_by = "kehoach"
    doc.core_properties.created = doc.core_properties.modified = stamp
    doc.core_properties.revision = 1
    return lean_bytes(doc)
