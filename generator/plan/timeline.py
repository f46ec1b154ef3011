"""Agencies over time: who exists on a date, under which name, and who took over the tasks of those that did not.

Everything follows from the registry's dated events (the `events` of its layers, see `registries`): a renamed agency
keeps its id and takes the new name from that date; merged, split and abolished agencies cease on that date and
their tasks pass to the agencies or groups named in `into`. A group's members on a date are its listed members
followed through those events; a group with no listed members (a known gap in the data) is served by one generic
form, if it has one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from .model import Agency, Event, Registry


@dataclass(frozen=True)
class Recipient:
    id: str  # an agency id, or a group id standing for its generic form
    predecessor: str | None = None  # the agency or group originally named, when the tasks passed on


def ceasing_event(registry: Registry, agency_id: str, when: dt.date) -> Event | None:
    for e in registry.events:
        if e.kind != "renamed" and e.date <= when and agency_id in e.agencies:
            return e
    return None


def exists(registry: Registry, agency_id: str, when: dt.date) -> bool:
    a = registry.agencies[agency_id]
    return (a.established is None or a.established <= when) and ceasing_event(registry, agency_id, when) is None


def agency_at(registry: Registry, agency_id: str, when: dt.date) -> Agency:
    """The agency (or a group's generic form) with the name it has on `when`."""
    if agency_id in registry.groups:
        generic = registry.groups[agency_id].generic
        assert generic is not None
        return generic
    a = registry.agencies[agency_id]
    for e in registry.events:
        if e.kind == "renamed" and e.date <= when and e.agencies == (agency_id,):
            a = replace(a, name=e.name or a.name, header=e.header, code=e.code or a.code, header_lines=e.header_lines,
                        parent_header=e.parent_header or a.parent_header, place=e.place or a.place)
    return a


def name_before(registry: Registry, target: str, when: dt.date) -> str:
    """The name of an agency or group as it was just before `when` (for "tiếp nhận từ ..." notes)."""
    if target in registry.groups:
        return registry.groups[target].name
    return agency_at(registry, target, when - dt.timedelta(days=1)).name


def recipients(registry: Registry, target: str, is_group: bool, when: dt.date) -> list[Recipient]:
    """Who, on `when`, answers for a mention of `target` (an agency or a group) in the plan."""
    out: list[Recipient] = []
    if is_group:
        group = registry.groups[target]
        if group.unspecified:
            return []
        if not group.members:
            return [Recipient(group.id)] if group.generic else []
        for member in group.members:
            out += recipients(registry, member, False, when)
        if out and not any(exists(registry, m, when) for m in group.members):
            out = [Recipient(r.id, target) for r in out]  # the whole group was replaced: name the group
    else:
        event = ceasing_event(registry, target, when)
        if event is None:
            return [Recipient(target)] if exists(registry, target, when) else []
        for successor in event.into:
            for r in recipients(registry, successor, successor in registry.groups, when):
                out.append(Recipient(r.id, r.predecessor or target))
    seen: dict[str, Recipient] = {}
    for r in out:
        seen.setdefault(r.id, r)
    return list(seen.values())
