"""The report form of one agency for one year, as plain data for the template (pure: no files)."""

from __future__ import annotations

from .assignments import AgencyTasks, Assignment, receiver_at, report_date
from .model import Plan
from .vnformat import blank_date_line, long_date, short_date

FORM_ID = "bao-cao-don-vi"


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


def form_context(plan: Plan, at: AgencyTasks, year: int) -> dict:
    m = plan.meta
    plan_ref = f"Kế hoạch số {m.number} ngày {short_date(m.date)}"
    receiver = receiver_name(plan, year)
    title = m.title[0].lower() + m.title[1:]
    return {
        "year": year,
        "plan_number": m.number,
        "parent_header": m.parent_header,
        "agency_name": at.agency.name,
        "agency_header": at.agency.header_text,
        "agency_code": at.agency.code,
        "date_line": blank_date_line(m.place, year),
        "subject_line": f"Kết quả thực hiện {plan_ref} của {m.issuer} về {m.subject} năm {year}",
        "receiver_name": receiver,
        "opening": f"Thực hiện {plan_ref} của {m.issuer_full} về {title}, {at.agency.name} báo cáo kết quả "
                   f"thực hiện năm {year} như sau:",
        "closing": f"Trên đây là báo cáo kết quả thực hiện năm {year} của {at.agency.name} theo {plan_ref} của "
                   f"{m.issuer}. "
                   f"Báo cáo gửi {receiver} trước {long_date(report_date(plan, year))} để tổng hợp, báo cáo "
                   f"{m.issuer_full}./.",
        "lead": [_row(a) for a in at.lead],
        "partner": [_row(a) for a in at.partner],
        "expired": [_row(a) for a in at.expired],
    }


def form_properties(plan: Plan, at: AgencyTasks, year: int) -> dict[str, str]:
    """Identity embedded in the .docx so a returned form can be matched to plan, version, agency and year."""
    return {
        "kehoach.form": FORM_ID,
        "kehoach.plan": plan.id,
        "kehoach.plan_version": plan.version,
        "kehoach.agency": at.agency.id,
        "kehoach.year": str(year),
    }
