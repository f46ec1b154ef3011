"""A plan's registry of agencies built from its layers (the national 2025 layer, the province's registry, the plan's
own agencies.yaml): agencies, groups, aliases and dated events, every problem located by file and line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..office.vnformat import short_date
from .headers import HEADER_COLUMN_MM, line_width_mm
from .model import Agency, AgencyGroup, Event, HeaderRule, Registry
from .resolve import name_key
from .yamlfast import _Source
from . import registries, schema


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
