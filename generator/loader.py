"""Loading and validating a plan folder (plan.yaml, agencies.yaml, tasks.yaml) into a `Plan`.

Every problem is collected with its file and line, so `kehoach validate` can list them all at once; nothing
downstream ever sees an invalid plan.
"""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from . import schema
from .agencies import Resolver
from .errors import PlanInvalid, Problem
from .model import Agency, AgencyGroup, Document, Group, Meta, Plan, Registry, Task
from .schedule import parse_timeframe
from .vnformat import to_roman

FILES = ("plan.yaml", "agencies.yaml", "tasks.yaml")


class _Source:
    """One YAML file: its parsed tree (with line numbers) and the problems found in it."""

    def __init__(self, path: Path, problems: list[Problem]):
        self.path = path
        self.name = str(path)
        self.problems = problems
        self.raw = b""
        self.data: Any = None
        try:
            self.raw = path.read_bytes()
        except FileNotFoundError:
            self.error(0, f'không tìm thấy tệp "{path.name}" trong thư mục kế hoạch')
            return
        try:
            text = self.raw.decode("utf-8")
        except UnicodeDecodeError as e:
            line = self.raw[: e.start].count(b"\n") + 1
            self.error(line, "tệp không phải văn bản UTF-8; hãy lưu lại tệp với bảng mã UTF-8")
            return
        try:
            self.data = YAML(typ="rt", pure=True).load(text)
        except MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line = mark.line + 1 if mark else 0
            self.error(line, f"lỗi cú pháp YAML ({e.problem}); kiểm tra thụt lề, dấu hai chấm và dấu ngoặc kép")
            return
        self._check_nfc(self.data, 0)

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.name, line, message))

    def line(self, *loc: str | int) -> int:
        """The line of the deepest existing node on the path `loc` (1-based)."""
        node, line = self.data, 1
        for part in loc:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                line = node.lc.item(part)[0] + 1
            else:
                break
            node = node[part]
        return line

    def validate(self, model: type[schema.BaseModel]) -> Any:
        if self.data is None:
            return None
        try:
            return model.model_validate(_plain(self.data))
        except schema.ValidationError as e:
            for err in e.errors():
                self.error(self.line(*err["loc"]), schema.describe(err))
            return None

    def _check_nfc(self, node: Any, line: int) -> None:
        if isinstance(node, CommentedMap):
            for k, v in node.items():
                self._check_nfc(v, node.lc.key(k)[0] + 1)
        elif isinstance(node, CommentedSeq):
            for i, v in enumerate(node):
                self._check_nfc(v, node.lc.item(i)[0] + 1)
        elif isinstance(node, str) and not unicodedata.is_normalized("NFC", node):
            self.error(
                line,
                f'văn bản "{node[:60]}" không ở dạng Unicode dựng sẵn (NFC); hãy gõ lại bằng bảng mã Unicode dựng sẵn',
            )


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def load_plan(folder: str | Path) -> Plan:
    """Load and validate a plan folder; raise PlanInvalid listing every problem."""
    folder = Path(folder)
    problems: list[Problem] = []
    if not folder.is_dir():
        raise PlanInvalid([Problem(str(folder), 0, "không tìm thấy thư mục kế hoạch")])
    plan_src, agencies_src, tasks_src = (_Source(folder / name, problems) for name in FILES)
    raw_plan = plan_src.validate(schema.RawPlanFile)
    raw_agencies = agencies_src.validate(schema.RawAgenciesFile)
    raw_tasks = tasks_src.validate(schema.RawTasksFile)
    if problems or not (raw_plan and raw_agencies and raw_tasks):
        raise PlanInvalid(problems)

    registry = _build_registry(raw_agencies, agencies_src)
    meta = _build_meta(raw_plan, plan_src, registry)
    groups = _build_groups(raw_tasks, tasks_src, registry)
    if problems:
        raise PlanInvalid(problems)
    digest = hashlib.sha256()
    for src in (plan_src, agencies_src, tasks_src):
        digest.update(src.raw)
    return Plan(meta, groups, registry, digest.hexdigest()[:12], str(folder))


def _build_registry(raw: schema.RawAgenciesFile, src: _Source) -> Registry:
    agencies: dict[str, Agency] = {}
    groups: dict[str, AgencyGroup] = {}
    seen_ids: set[str] = set()
    seen_names: dict[str, str] = {}

    def check(kind: str, index: int, item_id: str, names: list[str]) -> None:
        if item_id in seen_ids:
            src.error(src.line(kind, index, "id"), f'mã "{item_id}" bị trùng; mỗi đơn vị, nhóm phải có mã riêng')
        seen_ids.add(item_id)
        for n in names:
            key = " ".join(n.split()).lower()
            if key in seen_names and seen_names[key] != item_id:
                src.error(
                    src.line(kind, index),
                    f'tên "{n}" đã dùng cho "{seen_names[key]}"; một tên chỉ được chỉ một đơn vị',
                )
            seen_names.setdefault(key, item_id)

    for i, a in enumerate(raw.agencies):
        check("agencies", i, a.id, [a.name, *a.aliases])
        agencies[a.id] = Agency(a.id, a.name, a.code, a.kind, a.reports, tuple(a.aliases), a.header, a.source)
    for i, g in enumerate(raw.groups):
        check("groups", i, g.id, [g.name, *g.aliases])
        for j, m in enumerate(g.members):
            if m not in agencies:
                src.error(src.line("groups", i, "members", j), f'thành viên "{m}" của nhóm "{g.name}" không có trong danh sách agencies')
        if not g.unspecified and not g.members:
            src.error(src.line("groups", i), f'nhóm "{g.name}" chưa có thành viên; thêm "members" hoặc ghi "unspecified: true"')
        groups[g.id] = AgencyGroup(g.id, g.name, tuple(g.aliases), tuple(g.members), g.unspecified, g.source)
    return Registry(agencies, groups)


def _build_meta(raw: schema.RawPlanFile, src: _Source, registry: Registry) -> Meta:
    if raw.reporting.receiver not in registry.agencies:
        src.error(src.line("reporting", "receiver"), f'đơn vị nhận báo cáo "{raw.reporting.receiver}" không có trong agencies.yaml')
    day, month = (int(x) for x in raw.reporting.deadline.split("/"))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        src.error(src.line("reporting", "deadline"), f'hạn báo cáo "{raw.reporting.deadline}" không phải ngày/tháng hợp lệ')
    return Meta(
        id=raw.id, number=raw.number, date=raw.date, issuer=raw.issuer, issuer_full=raw.issuer_full,
        place=raw.place, parent_header=raw.parent_header, title=raw.title, subject=raw.subject,
        implements=tuple(Document(d.kind, d.number, d.date, d.issuer) for d in raw.implements),
        signer_authority=raw.signer.authority, signer_title=raw.signer.title, signer_name=raw.signer.name,
        receiver=raw.reporting.receiver, deadline_day=day, deadline_month=month,
        appendix_heading=raw.appendix.heading, appendix_title=raw.appendix.title,
        appendix_attached=raw.appendix.attached,
    )


def _build_groups(raw: schema.RawTasksFile, src: _Source, registry: Registry) -> tuple[Group, ...]:
    resolver = Resolver(registry)
    groups: list[Group] = []
    task_ids: set[str] = set()
    group_ids: set[str] = set()
    for gi, g in enumerate(raw.groups):
        if g.id in group_ids:
            src.error(src.line("groups", gi, "id"), f'mã nhóm "{g.id}" bị trùng')
        group_ids.add(g.id)
        numeral = to_roman(gi + 1)
        tasks: list[Task] = []
        for ti, t in enumerate(g.tasks):
            where = ("groups", gi, "tasks", ti)
            if t.id in task_ids:
                src.error(src.line(*where, "id"), f'mã nhiệm vụ "{t.id}" bị trùng; mỗi nhiệm vụ phải có mã riêng')
            task_ids.add(t.id)
            try:
                schedule = parse_timeframe(t.timeframe)
            except ValueError as e:
                src.error(src.line(*where, "timeframe"), str(e))
                continue
            refs = {}
            unknown = False
            for field in ("lead", "partners"):
                res = resolver.resolve(getattr(t, field))
                unknown = unknown or bool(res.unknown)
                for name in res.unknown:
                    src.error(
                        src.line(*where, field),
                        f'không tìm thấy đơn vị "{name}" (nhiệm vụ {numeral}.{ti + 1}) trong agencies.yaml; '
                        "hãy sửa tên hoặc thêm tên này vào aliases của đơn vị",
                    )
                refs[field] = res.refs
            if not refs["lead"] and not unknown:
                src.error(src.line(*where, "lead"), f"nhiệm vụ {numeral}.{ti + 1} chưa có đơn vị chủ trì")
            tasks.append(
                Task(t.id, g.id, numeral, ti + 1, t.task, t.lead, t.partners, t.deliverable, schedule,
                     refs["lead"], refs["partners"])
            )
        groups.append(Group(g.id, numeral, g.title, tuple(tasks)))
    return tuple(groups)
