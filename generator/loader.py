"""Loading and validating a plan folder (plan.yaml, tasks.yaml, its registry of agencies) into a `Plan`.

Every problem is collected with its file and line, so `kehoach validate` can list them all at once; nothing
downstream ever sees an invalid plan.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import registries, schema
from .agencies import Resolver, name_key
from .chars import code_point, not_allowed
from .display import shown
from .errors import PlanInvalid, Problem
from .headers import HEADER_COLUMN_MM, line_width_mm
from .model import Agency, AgencyGroup, Document, Event, Group, HeaderRule, Meta, Plan, Registry, ReportSigner, Task
from .schedule import parse_timeframe, unknown_warning
from .vnformat import short_date, to_roman


class _Source:
    """One YAML file: its parsed data and the problems found in it.

    Parsing uses libyaml (fast); the round-trip parse that knows every node's line is only done when a problem has
    to be located, so a valid plan loads quickly and an invalid one still gets file:line messages.
    """

    def __init__(self, path: Path, problems: list[Problem]):
        self.path = path
        self.name = str(path)
        self.problems = problems
        self.warnings: list[Problem] = []  # what `validate` points out without refusing the plan
        self.raw = b""
        self.data: Any = None
        self._tree: Any = None
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
        if not_allowed(text):  # typed into the file: YAML would refuse it in English, without a line
            self._refuse_chars(text)
            return
        try:
            self.data, all_nfc = _parse(text)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
            line = mark.line + 1 if mark else 0
            problem = getattr(e, "problem", None) or str(e)
            self.error(line, f"lỗi cú pháp YAML ({problem}); kiểm tra thụt lề, dấu hai chấm và dấu ngoặc kép")
            return
        if not all_nfc:  # rare: walk the data once more, to report each offending text with its path
            self._check_nfc(self.data, ())
        if "\\" in text:  # a double-quoted YAML text can write any character as an escape ("\x01", "\u0001")
            self._check_chars(self.data, ())

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.name, line, message))

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(Problem(self.name, line, message))

    def line(self, *loc: str | int) -> int:
        """The line of the deepest existing node on the path `loc` (1-based)."""
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        if self._tree is None:
            from ruamel.yaml import YAML

            self._tree = YAML(typ="rt", pure=True).load(self.raw.decode("utf-8"))
        node, line = self._tree, 1
        for part in loc:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                line = node.lc.item(part)[0] + 1
            elif isinstance(part, str):
                continue  # a name pydantic adds (such as a union's tag), not a key of the file
            else:
                break
            node = node[part]
        return line

    def validate(self, model: type[schema.BaseModel]) -> Any:
        if self.data is None:
            return None
        try:
            return model.model_validate(self.data)
        except schema.ValidationError as e:
            for err in e.errors():
                self.error(self.line(*err["loc"]), schema.describe(err))
            return None
        finally:
            self.data = None  # the validated model is all that is needed from here on

    def _refuse_chars(self, text: str) -> None:
        """One problem per line holding a character the forms and the appendix cannot hold (see `chars`)."""
        for number, line in enumerate(text.split("\n"), start=1):
            if m := not_allowed(line):
                self.error(number, _char_problem(m.group(), line))

    def _check_chars(self, node: Any, loc: tuple) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                self._check_chars(k, loc)
                self._check_chars(v, (*loc, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                self._check_chars(v, (*loc, i))
        elif isinstance(node, str) and (m := not_allowed(node)):
            self.error(self.line(*loc), _char_problem(m.group(), node))

    def _check_nfc(self, node: Any, loc: tuple) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                self._check_nfc(v, (*loc, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                self._check_nfc(v, (*loc, i))
        elif isinstance(node, str) and not unicodedata.is_normalized("NFC", node):
            self.error(
                self.line(*loc),
                f'văn bản "{shown(node[:60])}" không ở dạng Unicode dựng sẵn (NFC); hãy gõ lại bằng bảng mã Unicode dựng sẵn',
            )


def _char_problem(c: str, text: str) -> str:
    snippet = shown(text.strip()[:60])
    kind = "ký tự điều khiển" if ord(c) < 0xA0 else "ký tự không hợp lệ"
    return (f'văn bản "{snippet}" có {kind} {code_point(c)} (không nhìn thấy được), ký tự mà biểu mẫu Word và phụ lục '
            "Excel không chứa được (Word không mở được tệp có ký tự này); hãy xóa ký tự đó")


def _parse(text: str) -> tuple[Any, bool]:
    """YAML text -> (plain data, whether every text in it is already NFC), straight from libyaml's event stream.

    PyYAML's own `load` first builds a node graph of the whole file (about 25 times the file's size in memory);
    building the data from the events, with PyYAML's resolver and constructors for each scalar, keeps a
    national-scale plan (thousands of tasks) flat in memory. Mapping keys come out as strings (YAML allows `1:` or
    `true:` as keys; the schema names fields by string).

    The NFC check rides along (one test per text, no second walk of the data): only whether some text is not NFC
    is recorded, and the caller walks the data again to locate it in that rare case. This loop runs for every
    event of the file, hence the inlined steps.
    """
    loader = _Loader(text)
    scalar = _ScalarBuilder(loader)
    quoted_is_text = scalar.quoted_is_text
    stack: list[Any] = []  # the open containers, innermost last
    keys: list[Any] = []  # per open container: the mapping key waiting for its value (_NO_KEY if none)
    mixed: list[bool] = []  # per open container: a mapping with some key that is not a string
    result: Any = None
    all_nfc = True
    try:
        while (event := loader.get_event()) is not None:
            kind = type(event)
            if kind is yaml.ScalarEvent:
                if quoted_is_text and event.tag is None and not event.implicit[0]:
                    value = event.value  # quoted or block style: a string, as written (most texts of a plan)
                else:
                    value = scalar(event)
                # ASCII text is always NFC, and isascii() is much cheaper than the normalization check.
                if all_nfc and type(value) is str and not value.isascii():
                    all_nfc = unicodedata.is_normalized("NFC", value)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                stack.append({} if kind is yaml.MappingStartEvent else [])
                keys.append(_NO_KEY)
                mixed.append(False)
                continue
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                keys.pop()
                value = stack.pop()
                if mixed.pop():
                    # Keys made strings only now, once the mapping is complete: duplicate keys (`1:` then `true:`)
                    # collapse exactly as in the mapping PyYAML builds.
                    value = {str(k): v for k, v in value.items()}
            elif kind is yaml.AliasEvent:
                raise yaml.MarkedYAMLError(problem="không dùng được bí danh (*alias) trong dữ liệu kế hoạch",
                                           problem_mark=event.start_mark)
            else:
                continue  # stream and document start and end
            # `value` is complete: it goes into the innermost open container, or is the document.
            if not stack:
                result = value
            elif type(top := stack[-1]) is list:
                top.append(value)
            elif (key := keys[-1]) is _NO_KEY:
                keys[-1] = value
                if type(value) is not str:
                    if isinstance(value, (dict, list)):
                        raise yaml.MarkedYAMLError(problem="khóa phải là một chữ, không phải danh sách hay bảng",
                                                   problem_mark=event.start_mark)
                    mixed[-1] = True
                elif value in top:
                    raise yaml.MarkedYAMLError(problem=f'khóa "{value}" ghi hai lần trong cùng một mục',
                                               problem_mark=event.start_mark)
            else:
                top[key] = value
                keys[-1] = _NO_KEY
    finally:
        loader.dispose()
    return result, all_nfc


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CONSTRUCTOR = yaml.SafeLoader("")
_NO_KEY = object()


class _ScalarBuilder:
    """Scalar events -> values, exactly as PyYAML's resolver and SafeLoader's constructors make them.

    Nearly every scalar of a plan is a string, for which the constructor just returns the scalar's text; so for a
    string the ScalarNode and the constructor call are skipped. Plain scalars (`id`, `task`, `2025`) repeat a lot:
    the resolver is asked once per distinct text. Every other scalar (numbers, dates, booleans, null, explicit
    tags) still goes through PyYAML's constructor.
    """

    def __init__(self, loader: Any):
        self._loader = loader
        self._constructors = yaml.SafeLoader.yaml_constructors
        self._tags: dict[tuple[str, tuple[bool, bool]], str] = {}
        self._str_tag = loader.DEFAULT_SCALAR_TAG
        # The shortcuts hold while PyYAML's defaults do: no path resolvers (so a quoted or block scalar always
        # resolves to str), and the stock str constructor (which returns the text as is).
        self._quoted_is_str = not loader.yaml_path_resolvers
        self._str_is_text = (self._constructors.get(self._str_tag)
                             is yaml.constructor.SafeConstructor.construct_yaml_str)
        # Whether an untagged quoted or block scalar is its text as is (`_parse` takes that shortcut itself).
        self.quoted_is_text = self._quoted_is_str and self._str_is_text

    def __call__(self, event: yaml.ScalarEvent) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            implicit = event.implicit
            if not implicit[0] and self._quoted_is_str:
                tag = self._str_tag  # quoted or block style: the resolver's implicit types do not apply
            elif (tag := self._tags.get((event.value, implicit))) is None:
                tag = self._tags[event.value, implicit] = self._loader.resolve(yaml.ScalarNode, event.value, implicit)
        if tag == self._str_tag and self._str_is_text:
            return event.value
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        return self._constructors.get(tag, self._constructors[None])(_CONSTRUCTOR, node)


AMENDMENTS_DIR = "amendments"
TASK_FIELDS = ("task", "lead", "partners", "deliverable", "timeframe")


def load_plan(folder: str | Path, as_of: dt.date | None = None, *, report_year: int | None = None,
              registry: str | Path | None = None) -> Plan:
    """Load and validate a plan folder; raise PlanInvalid listing every problem.

    The plan in force on `as_of` is the base plan plus the amendments dated on or before it (all of them when
    `as_of` is None); `report_year` stands for that year's reporting deadline. Every amendment is validated
    whatever the date. `registry` (the --registry option: a file, or a folder holding `<name>.yaml`) stands for
    the province's registry plan.yaml names (see `registries`).
    """
    folder = Path(folder)
    problems: list[Problem] = []
    if not folder.is_dir():
        raise PlanInvalid([Problem(str(folder), 0, "không tìm thấy thư mục kế hoạch")])
    plan_src, tasks_src = _Source(folder / "plan.yaml", problems), _Source(folder / "tasks.yaml", problems)
    layers = _registry_sources(folder, plan_src, registry, problems)
    raw_plan = plan_src.validate(schema.RawPlanFile)
    raw_layers = [src.validate(model) if src else None for src, model in zip(layers, _LAYER_MODELS)]
    raw_tasks = tasks_src.validate(schema.RawTasksFile)
    amendments = _load_amendments(folder, problems)
    if problems or not (raw_plan and raw_tasks and all(raw_layers[:2])):
        raise PlanInvalid(problems)

    registry = _build_registry(layers, raw_layers)
    meta = _build_meta(raw_plan, plan_src, registry)
    _check_amendment_documents(amendments, meta.date)
    if report_year is not None:
        as_of = dt.date(report_year, meta.deadline_month, meta.deadline_day)
    applied = [a for a in amendments if as_of is None or a.doc.document.date <= as_of]
    resolver = Resolver(registry)
    registry_named = " hay ".join(f'"{src.name}"' for src in layers[1:] if src)  # where a missing name goes
    drafts = _drafts(raw_tasks, tasks_src)
    if len(applied) == len(amendments):
        # No second pass: let the raw models go before the plan is built (national-scale plans); the drafts keep
        # only the task models they read their fields from.
        raw_tasks = None
    for amendment in amendments:  # validate every amendment, in force or not
        _apply(drafts, amendment)
    groups = _build_groups(drafts, resolver, registry_named)
    del drafts
    if problems:
        raise PlanInvalid(problems)
    if raw_tasks is not None:  # the state in force on `as_of` leaves out some amendments
        drafts = _drafts(raw_tasks, tasks_src)
        for amendment in applied:
            _apply(drafts, amendment)
        groups = _build_groups(drafts, resolver, registry_named)
    digest = hashlib.sha256(plan_src.raw)
    digest.update(_registry_digest(registry))
    for src in (tasks_src, *applied):
        digest.update(src.raw)
    documents = tuple(
        Document(d.kind, d.number, d.date, d.issuer, d.title) for d in (a.doc.document for a in applied)
    )
    warnings = tuple(sorted({w for src in (*layers, tasks_src, *amendments) if src for w in src.warnings}))
    return Plan(meta, groups, registry, digest.hexdigest()[:12], str(folder), documents, as_of,
                registry_files=tuple(src.name for src in layers if src), warnings=warnings)


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


# --------------------------------------------------------------------------- the registry: national, province, plan

_LAYER_MODELS = (schema.RawNationalFile, schema.RawAgenciesFile, schema.RawPlanAgenciesFile)


def _registry_sources(folder: Path, plan_src: _Source, option: str | Path | None,
                      problems: list[Problem]) -> list[_Source | None]:
    """The registry's files, as sources: [national layer, province, the plan's own additions]; a registry that
    cannot be found is one problem at plan.yaml's `registry` (or about --registry), saying where it looked."""
    if not isinstance(plan_src.data, dict) and option is None:
        return [None, None, None]  # plan.yaml unreadable: which registry it names is unknown (its problem is said)
    value = plan_src.data.get("registry") if isinstance(plan_src.data, dict) else None
    if not isinstance(value, str) or not value.strip():
        value = None  # a `registry` that is not a text is the schema's to report
    found = registries.locate(folder, value and value.strip(), option)
    if found.problem is not None:
        if found.option:
            problems.append(Problem("--registry", 0, found.problem))
        else:
            plan_src.error(plan_src.line("registry") if value is not None else 0, found.problem)
        return [None, None, None]
    return [_Source(found.national, problems), _Source(found.province, problems),
            _Source(found.plan_own, problems) if found.plan_own else None]


def _build_registry(sources: list[_Source | None], raws: list[Any]) -> Registry:
    """The registry of a plan: the province's agencies, groups and events, the plan's own added on top, and the
    changes of the national layer the province does not state itself (see plan_data/registries/national-2025.yaml).

    A plan's own entry may not reuse an id or a name of the province's (a problem at the plan's file and line,
    naming the province's). A province with no events of its own is warned about at its file (`_Source.warn`).
    """
    nat_src, prov_src, own_src = sources
    nat, prov, own = raws
    agencies: dict[str, Agency] = {}
    groups: dict[str, AgencyGroup] = {}
    written: dict[str, tuple[_Source, str, int]] = {}  # id -> where its entry is written
    names: dict[str, str] = {}  # name key -> id
    layers = [(prov_src, prov)] + ([(own_src, own)] if own is not None else [])

    def at(src: _Source, kind: str, index: int) -> str:
        return f"{src.name}:{src.line(kind, index)}"

    def check(src: _Source, kind: str, index: int, item_id: str, item_names: list[str]) -> None:
        if item_id in written:
            first = written[item_id]
            if first[0] is src:
                src.error(src.line(kind, index, "id"), f'mã "{item_id}" bị trùng; mỗi đơn vị, nhóm phải có mã riêng')
            else:
                src.error(src.line(kind, index, "id"),
                          f'mã "{item_id}" đã có trong danh mục đơn vị của tỉnh ({at(*first)}); đơn vị, nhóm riêng '
                          "của kế hoạch cần mã khác, hoặc bỏ mục này để dùng mục của tỉnh")
        written.setdefault(item_id, (src, kind, index))
        for n in item_names:
            key = name_key(n)
            other = names.get(key)
            if other is not None and other != item_id:
                if written[other][0] is src:
                    src.error(src.line(kind, index),
                              f'tên "{n}" đã dùng cho "{other}"; một tên chỉ được chỉ một đơn vị')
                else:
                    src.error(src.line(kind, index),
                              f'tên "{n}" đã dùng cho "{other}" trong danh mục đơn vị của tỉnh ({at(*written[other])}); '
                              "một tên chỉ được chỉ một đơn vị: hãy dùng đơn vị của tỉnh, hoặc đặt tên khác")
            names.setdefault(key, item_id)

    # How each kind of body heads its documents (`headers`): the province's rules, a plan's own on top.
    rules: dict[str, HeaderRule] = {}
    for src, raw in layers:
        mine: set[str] = set()
        for i, r in enumerate(raw.headers):
            if r.kind in mine:
                src.error(src.line("headers", i, "kind"), f'loại đơn vị "{r.kind}" có hai quy tắc tiêu đề; chỉ giữ một')
            mine.add(r.kind)
            rules[r.kind] = HeaderRule(r.kind, r.parent, r.place, r.source)

    def heading_fields(src: _Source, where: tuple, kind: str, reports: bool, header, parent: str | None,
                       place: str | None, name: str = ""):
        """(header text, header lines) of an agency, a generic form or a renaming, checked against its kind's rule."""
        lines = tuple(header) if isinstance(header, list) else ((header,) if header else ())
        # A line too long for the column is printed wrapped by Word wherever it likes (headers.unbreakable leaves
        # it breakable), possibly inside a proper name: a warning, so that the office splits it where it should.
        if not lines and reports and rules and line_width_mm(name.upper()) > HEADER_COLUMN_MM:
            src.warn(src.line(*where, "name"), f'tên "{name}" in hoa dài hơn cột tiêu đề (khoảng '
                                               f"{line_width_mm(name.upper()):.0f} mm, cột rộng "
                                               f"{HEADER_COLUMN_MM:.0f} mm) nên sẽ bị ngắt dòng tùy ý; hãy thêm header "
                                               "là danh sách các dòng, ngắt ở chỗ không cắt đôi tên riêng")
        for j, line in enumerate(lines):
            if line_width_mm(line.upper()) > HEADER_COLUMN_MM:
                at = src.line(*where, "header", j) if isinstance(header, list) else src.line(*where, "header")
                src.warn(at, f'dòng tiêu đề "{line}" dài hơn cột tiêu đề (khoảng {line_width_mm(line.upper()):.0f} '
                             f"mm, cột rộng {HEADER_COLUMN_MM:.0f} mm) nên sẽ bị ngắt dòng tùy ý; hãy ghi header thành "
                             "danh sách các dòng, ngắt ở chỗ không cắt đôi tên riêng")
        if parent is not None and line_width_mm(parent.upper(), bold=False) > HEADER_COLUMN_MM:
            src.warn(src.line(*where, "parent_header"), f'cơ quan chủ quản "{parent}" dài hơn cột tiêu đề '
                                                        f"({HEADER_COLUMN_MM:.0f} mm) nên sẽ bị ngắt dòng tùy ý; hãy "
                                                        "ghi tên viết tắt")
        rule = rules.get(kind)
        if reports and rules and kind != "nhom" and rule is None:
            src.error(src.line(*where), f'loại đơn vị "{kind}" chưa có quy tắc tiêu đề trong mục headers')
        if rule is not None and rule.parent == "rieng" and parent is None:
            src.error(src.line(*where), f'đơn vị loại "{kind}" cần trường parent_header (cơ quan chủ quản in ở '
                                        "trên tên đơn vị), theo quy tắc tiêu đề của loại này")
        if rule is not None and rule.place == "rieng" and place is None:
            src.error(src.line(*where), f'đơn vị loại "{kind}" cần trường place (địa danh ở dòng ngày tháng), '
                                        "theo quy tắc tiêu đề của loại này")
        return (" ".join(lines) or None), lines

    def agency(src: _Source, i: int, a: schema.RawAgency) -> Agency:
        header, lines = heading_fields(src, ("agencies", i), a.kind, a.reports, a.header, a.parent_header, a.place,
                                       a.name)
        return Agency(a.id, a.name, a.code, a.kind, a.reports, tuple(a.aliases), header, a.source, a.established,
                      lines, a.parent_header, a.place)

    for src, raw in layers:
        for i, a in enumerate(raw.agencies):
            check(src, "agencies", i, a.id, [a.name, *a.aliases])
            if a.id not in agencies:
                agencies[a.id] = agency(src, i, a)
    own_agencies = list(agencies)  # the province's and the plan's, before any of the national layer's

    # The national layer's entries: the same as the province's of that id or of one of those names; the others
    # come in only when something refers to them.
    nat_agencies = {a.id: a for a in nat.agencies} if nat else {}
    nat_groups = {g.id: (i, g) for i, g in enumerate(nat.groups)} if nat else {}
    same: dict[str, str] = {}
    for a in nat_agencies.values():
        keys = [name_key(n) for n in (a.name, *a.aliases)]
        hit = a.id if a.id in agencies else next((names[k] for k in keys if names.get(k) in agencies), None)
        if hit is not None:
            same[a.id] = hit

    def group(src: _Source, i: int, g: schema.RawAgencyGroup) -> AgencyGroup:
        members = []
        for j, m in enumerate(g.members):
            target = take(m, groups_too=False)
            if target is None:
                src.error(src.line("groups", i, "members", j),
                          f'thành viên "{m}" của nhóm "{g.name}" không có trong danh sách agencies')
            else:
                members.append(target)
        if not g.unspecified and not g.members and not g.gap:
            src.error(src.line("groups", i),
                      f'nhóm "{g.name}" chưa có thành viên; thêm "members", ghi "unspecified: true", hoặc ghi "gap" '
                      "nói rõ vì sao chưa có danh sách")
        generic = None
        if g.generic_form:
            gf = g.generic_form
            header, lines = heading_fields(src, ("groups", i, "generic_form"), gf.kind, True, gf.header,
                                           gf.parent_header, gf.place)
            generic = Agency(g.id, gf.name, gf.code, gf.kind, True, (), header, g.source, g.established, lines,
                             gf.parent_header, gf.place)
        return AgencyGroup(g.id, g.name, tuple(g.aliases), tuple(members), g.unspecified, g.source, g.gap,
                           generic, g.established)

    def take(ref: str, groups_too: bool = True) -> str | None:
        """The id `ref` stands for in the registry (bringing in the national layer's entry if need be)."""
        if ref in agencies or (groups_too and ref in groups):
            return ref
        if ref in same:
            return same[ref]
        if ref in nat_agencies:
            a = nat_agencies[ref]
            agencies[ref] = agency(nat_src, nat.agencies.index(a), a)
            written[ref] = (nat_src, "agencies", nat.agencies.index(a))
            for n in (a.name, *a.aliases):
                names.setdefault(name_key(n), ref)
            return ref
        if groups_too and ref in nat_groups:
            i, g = nat_groups[ref]
            groups[ref] = group(nat_src, i, g)
            return ref
        return None

    for src, raw in layers:
        for i, g in enumerate(raw.groups):
            check(src, "groups", i, g.id, [g.name, *g.aliases])
            if g.id not in groups:
                groups[g.id] = group(src, i, g)

    def renamed_heading(src: _Source, where: tuple, e: schema.RawEvent, changed: list[str]):
        """(header text, header lines) of a renaming, checked against the renamed agency's kind's rule."""
        if isinstance(e.header, list):
            header, lines = " ".join(e.header), ()
        else:
            header, lines = e.header, ()
        if e.kind == "renamed" and len(changed) == 1 and changed[0] in agencies:
            renamed = agencies[changed[0]]
            header, lines = heading_fields(src, where, renamed.kind, False, e.header,
                                           e.parent_header or renamed.parent_header, e.place or renamed.place)
        return header, lines

    events: list[Event] = []
    for src, raw in layers:
        for i, e in enumerate(raw.events):
            where = ("events", i)
            changed = []
            for j, agency_id in enumerate(e.agencies):
                target = take(agency_id, groups_too=False)
                if target is None:
                    src.error(src.line(*where, "agencies", j), f'sự kiện ngày {short_date(e.date)} nhắc tới đơn vị "{agency_id}" không có trong danh sách agencies')
                elif src is own_src and target not in {a.id for a in own.agencies}:
                    src.error(src.line(*where, "agencies", j),
                              f'đơn vị "{agency_id}" là đơn vị của tỉnh: thay đổi của đơn vị này ghi trong danh mục '
                              f"đơn vị của tỉnh ({prov_src.name}), không ghi trong kế hoạch")
                changed.append(target or agency_id)
            into = _event_into(src, where, e, take)
            _check_event(src, where, e, len(e.agencies))
            header, lines = renamed_heading(src, where, e, changed)
            events.append(Event(e.date, e.kind, tuple(changed), into, e.name, header, e.code, e.basis, e.source,
                                lines, e.parent_header, e.place))
    covered = {a for e in events for a in e.agencies}  # the province states these changes itself

    national: list[Event] = []
    for i, e in enumerate(nat.events if nat else ()):
        where = ("events", i)
        if not e.agencies and not e.kinds:
            nat_src.error(nat_src.line(*where), 'sự kiện chung cần "agencies" (mã đơn vị) hoặc "kinds" (loại đơn vị)')
            continue
        _check_event(nat_src, where, e, len(e.agencies) + len(e.kinds))
        targets = [a for a in own_agencies if agencies[a].kind in e.kinds]
        targets += [same[a] for a in e.agencies if a in same]
        targets = [a for a in dict.fromkeys(targets) if a not in covered]
        if targets:
            into = _event_into(nat_src, where, e, take)
            header, lines = renamed_heading(nat_src, where, e, targets)
            national.append(Event(e.date, e.kind, tuple(targets), into, e.name, header, e.code, e.basis, e.source,
                                  lines, e.parent_header, e.place))

    if national and not prov.events:
        province = prov.province or Path(prov_src.name).stem
        changes = "; ".join(_change_text(e, agencies, groups) for e in national)
        prov_src.warn(prov_src.line("events") if "events" in prov.model_fields_set else 0,
                      f"danh mục đơn vị của tỉnh {province} chưa ghi sự kiện sắp xếp nào của tỉnh (events) nên đã áp "
                      f"dụng các thay đổi chung toàn quốc năm 2025 ({nat_src.name}): {changes}; hãy đối chiếu với văn "
                      "bản của tỉnh và ghi các sự kiện của tỉnh vào danh mục")
    events = sorted(national + events, key=lambda e: e.date)
    return Registry(agencies, groups, tuple(events), rules)


def _event_into(src: _Source, where: tuple, e: schema.RawEvent, take) -> tuple[str, ...]:
    into = []
    for j, target in enumerate(e.into):
        found = take(target)
        if found is None:
            src.error(src.line(*where, "into", j), f'đơn vị kế thừa "{target}" không có trong agencies hay groups')
        into.append(found or target)
    return tuple(into)


def _check_event(src: _Source, where: tuple, e: schema.RawEvent, count: int) -> None:
    if e.kind == "renamed" and (count != 1 or not e.name):
        src.error(src.line(*where), "sự kiện đổi tên (renamed) cần đúng một đơn vị và tên mới (name)")
    if e.kind == "merged" and len(e.into) != 1:
        src.error(src.line(*where), "sự kiện hợp nhất (merged) cần đúng một đơn vị nhận (into)")
    if e.kind == "split" and len(e.into) < 2:
        src.error(src.line(*where), "sự kiện chia tách (split) cần ít nhất hai đơn vị nhận (into)")


def _change_text(e: Event, agencies: dict[str, Agency], groups: dict[str, AgencyGroup]) -> str:
    """'Sở A, Sở B → Sở C từ 01/03/2025': one national change as applied to a province, for the warning."""
    named = ", ".join(agencies[a].name for a in e.agencies)
    into = ", ".join((agencies.get(t) or groups[t]).name for t in e.into if t in agencies or t in groups)
    return f"{named} → {into or 'giải thể'} từ {short_date(e.date)}"


def _registry_digest(registry: Registry) -> bytes:
    """The registry as built, for the plan version: the forms depend on its content, not on which file (or which
    layer) states a fact, nor on the files' comments."""

    def plain(x: Any) -> Any:
        if isinstance(x, (dt.date, Path)):
            return str(x)
        return x.__dict__ if hasattr(x, "__dict__") else str(x)

    content = [list(registry.agencies.values()), list(registry.groups.values()), list(registry.events),
               list(registry.header_rules.values())]
    return json.dumps(content, default=plain, ensure_ascii=False, sort_keys=True).encode("utf-8")

def _build_meta(raw: schema.RawPlanFile, src: _Source, registry: Registry) -> Meta:
    if raw.reporting.receiver not in registry.agencies:
        src.error(src.line("reporting", "receiver"), f'đơn vị nhận báo cáo "{raw.reporting.receiver}" không có trong danh mục đơn vị')
    day, month = (int(x) for x in raw.reporting.deadline.split("/"))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        src.error(src.line("reporting", "deadline"), f'hạn báo cáo "{raw.reporting.deadline}" không phải ngày/tháng hợp lệ')
    signers = _report_signers(raw, src, registry)
    return Meta(
        id=raw.id, number=raw.number, date=raw.date, issuer=raw.issuer, issuer_full=raw.issuer_full,
        place=raw.place, parent_header=raw.parent_header, title=raw.title, subject=raw.subject,
        implements=tuple(Document(d.kind, d.number, d.date, d.issuer) for d in raw.implements),
        signer_authority=raw.signer.authority, signer_title=raw.signer.title, signer_name=raw.signer.name,
        receiver=raw.reporting.receiver, deadline_day=day, deadline_month=month,
        appendix_heading=raw.appendix.heading, appendix_title=raw.appendix.title,
        appendix_attached=raw.appendix.attached, report_signers=signers,
    )


SIGNING_AUTHORITIES = ("KT.", "TL.", "TUQ.", "TM.", "Q.")  # ký thay, thừa lệnh, thừa ủy quyền, thay mặt, quyền


def _report_signers(raw: schema.RawPlanFile, src: _Source, registry: Registry) -> tuple[ReportSigner, ...]:
    """`reporting.signers`: who signs the consolidated report of each receiving body (optional)."""
    out: list[ReportSigner] = []
    for i, s in enumerate(raw.reporting.signers):
        where = ("reporting", "signers", i)
        if s.agency not in registry.agencies:
            src.error(src.line(*where, "agency"), f'người ký báo cáo tổng hợp: đơn vị "{s.agency}" không có trong '
                                                  "danh mục đơn vị")
        elif any(o.agency == s.agency for o in out):
            src.error(src.line(*where, "agency"), f'người ký báo cáo tổng hợp của "{s.agency}" được khai báo hai lần')
        authority = " ".join(s.authority.split())
        if authority and not (authority.upper().startswith(SIGNING_AUTHORITIES) and len(authority.split()) > 1):
            src.error(src.line(*where, "authority"),
                      f'thẩm quyền ký "{s.authority}" phải là KT., TL., TUQ., TM. hoặc Q. và chức danh (ví dụ '
                      '"KT. GIÁM ĐỐC"); bỏ trống khi người đứng đầu cơ quan ký')
        out.append(ReportSigner(s.agency, authority.upper(), " ".join(s.title.split()).upper(),
                                " ".join(s.name.split())))
    return tuple(out)


def _build_groups(drafts: _Drafts, resolver: Resolver, registry_named: str) -> tuple[Group, ...]:
    """The groups and tasks of the drafts, names resolved; a name the registry lacks is a problem at its cell, saying
    which registry files (`registry_named`: the province's, the plan's own) it could be added to."""
    groups: list[Group] = []
    for gi, g in enumerate(drafts.groups):
        numeral = to_roman(gi + 1)
        tasks: list[Task] = []
        for ti, t in enumerate(g.tasks):
            code = f"{numeral}.{ti + 1}"
            try:
                schedule = parse_timeframe(t.value("timeframe"))
            except ValueError as e:
                t.field("timeframe").error(str(e))
                continue
            if schedule.kind == "unknown":
                t.field("timeframe").warn(unknown_warning(code, schedule.text))
            refs, unknown = {}, False
            for name in ("lead", "partners"):
                res = resolver.resolve(t.value(name))
                for text in res.unknown:
                    t.field(name).error(
                        f'không tìm thấy đơn vị "{text}" (nhiệm vụ {code}) trong danh mục đơn vị {registry_named}; '
                        "hãy sửa tên hoặc thêm tên này vào aliases của đơn vị"
                    )
                unknown = unknown or bool(res.unknown)
                refs[name] = res.refs
            if not refs["lead"] and not unknown:
                t.field("lead").error(f"nhiệm vụ {code} chưa có đơn vị chủ trì")
            tasks.append(Task(t.id, g.id, numeral, ti + 1, t.value("task"), t.value("lead"), t.value("partners"),
                              t.value("deliverable"), schedule, refs["lead"], refs["partners"]))
        groups.append(Group(g.id, numeral, g.title.value, tuple(tasks)))
    return tuple(groups)
