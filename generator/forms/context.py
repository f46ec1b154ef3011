"""The report form of one agency for one year, as plain data for the template (pure: no files)."""

from __future__ import annotations

from ..office.vnformat import blank_date_line, long_date, short_date
from ..plan.assignments import AgencyTasks, Assignment, receiver_at, report_date
from ..plan.headers import Heading, heading, unbreakable
from ..plan.model import Agency, Plan
from .contract import FORM_ID, IDENTITY


def receiver_name(plan: Plan, year: int | None = None) -> str:
    """The name of the body that receives the reports (of `year`, following reorganisations)."""
    if year is None:
        return plan.registry.agencies[plan.meta.receiver].name
    return receiver_at(plan, year).name


def _row(a: Assignment) -> dict[str, str]:
    t = a.task
    notes = []
    if a.via:
        notes.append(f"Giao chung: {a.via}" + ("; báo cáo nếu có liên quan" if a.related and "liên quan" not in a.via else ""))
    if a.named:
        notes.append(f"Giao cho: {a.named}")
    if a.predecessor:
        notes.append(f"Tiếp nhận từ {a.predecessor}")
    via = "; ".join(notes)
    return {
        "id": t.id, "code": t.code, "task": t.task, "deliverable": t.deliverable,
        "timeframe": t.timeframe.text, "role": a.role, "via": via,
    }


def agency_heading(plan: Plan, agency: Agency) -> Heading:
    """How `agency` heads its documents (parent line, name lines, place), by its kind's rule in the registry."""
    return heading(agency, plan.registry.header_rules, plan.meta.parent_header, plan.meta.place)


def form_context(plan: Plan, at: AgencyTasks, year: int, link: str | None = None) -> dict:
    """`link`: the agency's upload link (`pack --base-url`), said at the end of the closing paragraph."""
    m = plan.meta
    plan_ref = f"Kế hoạch số {m.number} ngày {short_date(m.date)}"
    receiver = receiver_name(plan, year)
    title = m.title[0].lower() + m.title[1:]
    head = agency_heading(plan, at.agency)
    name = at.agency.name
    # The receiving body does not write to itself: its own tasks go straight into the consolidated report it
    # writes, so its form is an internal working sheet (no "Kính gửi", no number, no Nơi nhận).
    sheet = at.agency.id == receiver_at(plan, year).id
    if sheet:
        letter = {
            "doc_title": "PHIẾU TỔNG HỢP",
            "number_line": "",
            "subject_line": f"Kết quả thực hiện các nhiệm vụ của {name} theo {plan_ref} của {m.issuer} về "
                            f"{m.subject} năm {year}",
            "receiver_line": f"(Tài liệu làm việc nội bộ của {name}: kết quả ghi ở đây được tổng hợp vào báo cáo "
                             f"chung gửi {m.issuer_full}, không gửi đi như một văn bản)",
            "opening": f"Thực hiện {plan_ref} của {m.issuer_full} về {title}, {name} ghi kết quả thực hiện năm "
                       f"{year} các nhiệm vụ được giao để tổng hợp vào báo cáo chung như sau:",
            "closing": f"Kết quả trên được tổng hợp cùng báo cáo của các đơn vị vào báo cáo kết quả thực hiện năm "
                       f"{year} theo {plan_ref} của {m.issuer}, gửi {m.issuer_full}./.",
            "recipients": [],
            "signer": "NGƯỜI TỔNG HỢP",
            "signer_note": "(Ký, ghi rõ họ tên)",
        }
    else:
        letter = {
            "doc_title": "BÁO CÁO",
            "number_line": f"Số:      /BC-{at.agency.code}",
            "subject_line": f"Kết quả thực hiện {plan_ref} của {m.issuer} về {m.subject} năm {year}",
            "receiver_line": f"Kính gửi: {receiver}",
            "opening": f"Thực hiện {plan_ref} của {m.issuer_full} về {title}, {name} báo cáo kết quả "
                       f"thực hiện năm {year} như sau:",
            "closing": f"Trên đây là báo cáo kết quả thực hiện năm {year} của {name} theo {plan_ref} của "
                       f"{m.issuer}. "
                       f"Báo cáo gửi {receiver} trước {long_date(report_date(plan, year))} để tổng hợp, báo cáo "
                       f"{m.issuer_full}./.",
            "recipients": [f"- {receiver};", "- Lưu: VT."],
            "signer": "THỦ TRƯỞNG CƠ QUAN",
            "signer_note": "(Ký, ghi rõ họ tên, đóng dấu)",
        }
    if link:
        letter["closing"] = f"{letter['closing'].removesuffix('./.')}. Gửi báo cáo qua đường dẫn: {link} ./."
    return {
        "year": year,
        "plan_number": m.number,
        "parent_header": unbreakable(head.parent, bold=False),
        "agency_name": name,
        "agency_header": " ".join(head.lines),
        "agency_header_lines": [unbreakable(line) for line in head.lines],
        "agency_code": at.agency.code,
        "date_line": blank_date_line(head.place, year),
        "receiver_name": receiver,
        "working_sheet": sheet,
        **letter,
        "lead": [_row(a) for a in at.lead],
        "partner": [_row(a) for a in at.partner],
        "expired": [_row(a) for a in at.expired],
    }


def form_properties(plan: Plan, at: AgencyTasks, year: int) -> dict[str, str]:
    """Identity embedded in the .docx so a returned form can be matched to plan, version, agency and year."""
    return dict(zip(IDENTITY, (FORM_ID, plan.id, plan.version, at.agency.id, str(year)), strict=True))
