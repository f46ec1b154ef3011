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
forked workers, which can start before the plan is loaded (`returns.ingest`). The hostile-file guard is
`returns.package`, the text walk `returns.text`, the rows and sections `returns.rows`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ..errors import FormRejected
from ..forms.contract import FORM_ID, PLACEHOLDERS
from ..office import wml as ooxml
from ..office.ns import CT, MAIN_CT, OFFICE_DOC_REL, W
from ..plan.assignments import AgencyTasks, distribute
from ..plan.model import Plan
from .model import Entry, FormReading
from .package import TIME_BUDGET_S, _Budget, _Package
from .rows import Row, _rows, _sections, _task_rows, _words, normalize_status
from .text import _Doc, _tidy


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
        if el.tag == CT + "Override" and ctype == MAIN_CT:
            main = (el.get("PartName") or "").lstrip("/")
    if main is None and pkg.has("_rels/.rels"):
        for rel in pkg.xml("_rels/.rels"):
            if rel.get("Type") == OFFICE_DOC_REL:
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


def _name_in_form(plan: Plan, agency_id: str, year: int) -> str:
    """An agency as a sentence names it: its name on the year's reporting date, or the id as the form wrote it."""
    from .review import agency_name

    reg = plan.registry
    if agency_id in reg.agencies or agency_id in reg.groups:
        return agency_name(plan, year, agency_id)
    return f'đơn vị "{agency_id}"'


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
              plan_states: Callable[[int], Sequence[Plan]] | None = None,
              expected_agency: str | None = None) -> FormReading:
    """What the agency reported, from a file's content and the plan (see `read_form`). `expected_agency`: only a
    form of this agency (its id) is accepted, as `expected_year` for the year."""
    agency_id, year, plan_version = _identity(content.props, plan, expected_year, today or dt.date.today())
    if plan_for_year is not None:
        plan = plan_for_year(year)
    if expected_agency is not None and agency_id != expected_agency:
        raise FormRejected(f"biểu mẫu là báo cáo của {_name_in_form(plan, agency_id, year)}, không phải của "
                           f"{_name_in_form(plan, expected_agency, year)} đang nhận")
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
