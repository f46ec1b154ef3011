"""Stored readings checked against their evidence: the original file of a submission is read again through the form
reader (`formreader.extract` and `interpret`, with the plan the record claims, as `kehoach ingest` reads it), and what
it says must be exactly what the record says - identity (plan, plan version, year, agency), every entry (task, role,
result, status, note), the free sections and the warnings.

A sha256 only ties an original to the hash written next to it; whoever rewrites a backup's JSON (or a database row)
can rewrite both. The reading cannot be forged that way: the form reader is deterministic, so the same original and
the same plan always give the same reading. `store.import_archive` refuses a backup with a record that differs from
its original, and `store.check_database` reports such a record in a live database.

Pure: no files, no database; the caller gives the plans (`Rereader(plans)`, each as the plan and the plan in force for
a year's report, as ingest uses them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import FormRejected
from ..forms.contract import SECTIONS
from ..plan.loader import plan_history
from ..plan.model import Plan
from .model import Entry, FormReading
from .read import extract, interpret


PlanSource = tuple[Plan, Callable[[int], Plan]]  # the plan as a whole, and the plan in force for a year's report
_SHOWN = 60  # characters of a value quoted in a message


@dataclass(frozen=True)
class Mismatch:
    """Why a record is not what its original says: `text` completes "<record> ..." (a predicate, without advice);
    `unknown_plan`: the record's plan is not among those given (the record may be genuine: pass that plan)."""

    text: str
    unknown_plan: bool = False


def _shown(value: object) -> str:
    text = " ".join(str(value).split())  # one line: a value never splits the message
    return f'"{text[:_SHOWN]}…"' if len(text) > _SHOWN else f'"{text}"'


def _differs(what: str, stored: object, actual: object) -> Mismatch:
    return Mismatch(f"khác với tệp gốc: {what} {_shown(stored)}, tệp gốc là {_shown(actual)}")


_FIELDS = (("result", "kết quả thực hiện"), ("status_text", "tình trạng"), ("status", "tình trạng"),
           ("note", "ghi chú"), ("role", "vai trò"), ("code", "số thứ tự"))


def _entries(stored: tuple[Entry, ...], actual: tuple[Entry, ...]) -> Mismatch | None:
    if [e.task_id for e in stored] != [e.task_id for e in actual]:
        return _differs("danh sách nhiệm vụ", ", ".join(e.code for e in stored), ", ".join(e.code for e in actual))
    for s, a in zip(stored, actual):
        for name, what in _FIELDS:
            if getattr(s, name) != getattr(a, name):
                return _differs(f"{what} của nhiệm vụ {a.code}", getattr(s, name) or "", getattr(a, name) or "")
    return None


def compare(stored: FormReading, actual: FormReading) -> Mismatch | None:
    """The first difference between what a record says and what its original says, or None."""
    for name, what in (("plan", "kế hoạch"), ("plan_version", "phiên bản dữ liệu kế hoạch"), ("year", "năm báo cáo"),
                       ("agency", "đơn vị")):
        if getattr(stored, name) != getattr(actual, name):
            return _differs(what, getattr(stored, name), getattr(actual, name))
    found = _entries(stored.entries, actual.entries)
    if found:
        return found
    for name in sorted(set(stored.sections) | set(actual.sections)):
        if stored.sections.get(name) != actual.sections.get(name):
            title = SECTIONS.get(name, name)
            return _differs(f'phần "{title}"', stored.sections.get(name, "(không có)"),
                            actual.sections.get(name, "(không có)"))
    if stored.warnings != actual.warnings:
        for i in range(max(len(stored.warnings), len(actual.warnings))):
            s = stored.warnings[i] if i < len(stored.warnings) else "(không có)"
            a = actual.warnings[i] if i < len(actual.warnings) else "(không có)"
            if s != a:
                return _differs(f"cảnh báo thứ {i + 1}", s, a)
    return None


class Rereader:
    """Re-reads originals with the plans it was given (by plan id)."""

    def __init__(self, plans: Iterable[PlanSource]):
        self.plans = {base.id: (base, for_year) for base, for_year in plans}

    def known(self, plan_id: str) -> Mismatch | None:
        if plan_id in self.plans:
            return None
        return Mismatch(f'thuộc kế hoạch "{plan_id}", không phải kế hoạch đang dùng ({", ".join(sorted(self.plans))})',
                        unknown_plan=True)

    def __call__(self, stored: FormReading, original: bytes, filename: str) -> Mismatch | None:
        """Why the record `stored` (of the file `original`, received as `filename`) is not what the original says,
        or None when it is exactly that."""
        unknown = self.known(stored.plan)
        if unknown:
            return unknown
        base, for_year = self.plans[stored.plan]
        try:
            actual = interpret(extract(original, filename=filename), base, plan_for_year=for_year)
        except FormRejected as e:
            return Mismatch(f"có tệp gốc không còn được nhận khi đọc lại ({e})")
        return compare(stored, actual)


def rereader(plan_dirs: list[Path] | None, registry: Path | None = None):
    """Reads stored originals again with the plans given (as ingest reads them: `plan_history`); `registry` (the
    --registry option) serves each of them."""
    return Rereader(plan_history(d, registry) for d in (plan_dirs or [None]))
