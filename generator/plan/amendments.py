"""Amendments of a plan (amendments/*.yaml): drafts of tasks and groups, changed in date order, every change located
by file and line."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..office.vnformat import short_date
from .yamlfast import _Source
from . import schema


AMENDMENTS_DIR = "amendments"
TASK_FIELDS = ("task", "lead", "partners", "deliverable", "timeframe")


# --------------------------------------------------------------------------- amendments


class _Amendment(_Source):
    doc: schema.RawAmendmentFile  # the parsed file (`raw` holds its bytes)


def _load_amendments(folder: Path, problems: list[Problem]) -> list[_Amendment]:
    amendments = []
    for path in sorted((folder / AMENDMENTS_DIR).glob("*.yaml")):
        src = _Amendment(path, problems)
        src.doc = src.validate(schema.RawAmendmentFile)
        if src.doc is not None:
            amendments.append(src)
    return sorted(amendments, key=lambda a: (a.doc.document.date, a.doc.document.number, a.name))


def _check_amendment_documents(amendments: list[_Amendment], plan_date: dt.date) -> None:
    numbers: dict[str, str] = {}
    for a in amendments:
        doc = a.doc.document
        if doc.date < plan_date:
            a.error(a.line("document", "date"),
                    f"văn bản sửa đổi ngày {short_date(doc.date)} có trước ngày ban hành Kế hoạch "
                    f"({short_date(plan_date)})")
        if doc.number in numbers:
            a.error(a.line("document", "number"),
                    f'số văn bản "{doc.number}" đã dùng ở {numbers[doc.number]}; mỗi văn bản sửa đổi chỉ khai báo một lần')
        numbers.setdefault(doc.number, Path(a.name).name)


@dataclass(slots=True)
class _Field:
    value: str
    src: _Source
    loc: tuple

    def error(self, message: str) -> None:
        self.src.error(self.src.line(*self.loc), message)

    def warn(self, message: str) -> None:
        self.src.warn(self.src.line(*self.loc), message)


@dataclass(slots=True)
class _TaskDraft:
    """A task as it stands after the amendments applied so far: its fields are those of `written` (the task as
    tasks.yaml or the amendment adding it writes it, at `where` in `src`) but for those an amendment `changed`.

    A `_Field` is made only for a field with a problem to report: a national-scale plan has tens of thousands of
    fields, and as many long-lived objects would cost both their making and the cyclic collector's passes.
    """

    id: str
    written: Any  # a schema model with the TASK_FIELDS as attributes
    src: _Source
    where: tuple
    changed: dict[str, _Field]

    def value(self, name: str) -> str:
        changed = self.changed.get(name)
        return getattr(self.written, name) if changed is None else changed.value

    def field(self, name: str) -> _Field:
        changed = self.changed.get(name)
        return _Field(getattr(self.written, name), self.src, (*self.where, name)) if changed is None else changed


@dataclass
class _GroupDraft:
    id: str
    title: _Field
    tasks: list[_TaskDraft]


@dataclass
class _Drafts:
    groups: list[_GroupDraft]
    used_ids: set[str]  # every task id ever used (removed ones too: ids are never reused)


def _drafts(raw: schema.RawTasksFile, src: _Source) -> _Drafts:
    groups, used = [], set()
    for gi, g in enumerate(raw.groups):
        tasks = []
        for ti, t in enumerate(g.tasks):
            where = ("groups", gi, "tasks", ti)
            if t.id in used:
                src.error(src.line(*where, "id"), f'mã nhiệm vụ "{t.id}" bị trùng; mỗi nhiệm vụ phải có mã riêng')
            used.add(t.id)
            tasks.append(_TaskDraft(t.id, t, src, where, {}))
        if any(x.id == g.id for x in groups):
            src.error(src.line("groups", gi, "id"), f'mã nhóm "{g.id}" bị trùng')
        groups.append(_GroupDraft(g.id, _Field(g.title, src, ("groups", gi, "title")), tasks))
    return _Drafts(groups, used)


def _apply(drafts: _Drafts, a: _Amendment) -> None:
    """Apply one amendment's changes in order; problems point at the amendment file."""
    ref = f'văn bản {a.doc.document.number}'

    def find_task(task_id: str) -> tuple[_GroupDraft, int] | None:
        for g in drafts.groups:
            for i, t in enumerate(g.tasks):
                if t.id == task_id:
                    return g, i
        return None

    def find_group(group_id: str) -> int | None:
        return next((i for i, g in enumerate(drafts.groups) if g.id == group_id), None)

    for ci, c in enumerate(a.doc.changes):
        loc = ("changes", ci)
        if isinstance(c, (schema.ChangeTask, schema.RemoveTask)):
            hit = find_task(c.id)
            if hit is None:
                a.error(a.line(*loc, "id"), f'{ref} sửa hoặc bãi bỏ nhiệm vụ "{c.id}" nhưng Kế hoạch không có nhiệm vụ này')
                continue
            group, index = hit
            if isinstance(c, schema.RemoveTask):
                del group.tasks[index]
                continue
            for f in TASK_FIELDS:
                value = getattr(c, f)
                if value is not None:
                    group.tasks[index].changed[f] = _Field(value, a, (*loc, f))
        elif isinstance(c, schema.AddTask):
            gi = find_group(c.group)
            if gi is None:
                a.error(a.line(*loc, "group"), f'{ref} bổ sung nhiệm vụ vào nhóm "{c.group}" nhưng không có nhóm này')
                continue
            if c.id in drafts.used_ids:
                a.error(a.line(*loc, "id"), f'mã nhiệm vụ "{c.id}" đã được dùng; nhiệm vụ bổ sung cần mã mới')
                continue
            group = drafts.groups[gi]
            position = len(group.tasks)
            if c.after is not None:
                after = next((i for i, t in enumerate(group.tasks) if t.id == c.after), None)
                if after is None:
                    a.error(a.line(*loc, "after"), f'không có nhiệm vụ "{c.after}" trong nhóm "{c.group}" để chèn sau')
                    continue
                position = after + 1
            drafts.used_ids.add(c.id)
            group.tasks.insert(position, _TaskDraft(c.id, c, a, loc, {}))
        elif isinstance(c, schema.AddGroup):
            if find_group(c.id) is not None:
                a.error(a.line(*loc, "id"), f'mã nhóm "{c.id}" đã có')
                continue
            position = len(drafts.groups)
            if c.after is not None:
                after = find_group(c.after)
                if after is None:
                    a.error(a.line(*loc, "after"), f'không có nhóm "{c.after}" để chèn sau')
                    continue
                position = after + 1
            drafts.groups.insert(position, _GroupDraft(c.id, _Field(c.title, a, (*loc, "title")), []))
        elif isinstance(c, schema.RetitleGroup):
            gi = find_group(c.id)
            if gi is None:
                a.error(a.line(*loc, "id"), f'{ref} sửa tên nhóm "{c.id}" nhưng không có nhóm này')
                continue
            drafts.groups[gi].title = _Field(c.title, a, (*loc, "title"))
