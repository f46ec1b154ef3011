"""The planning office's consolidated report of a year: returned forms -> one Word report and one Excel matrix.

`consolidate` turns the plan and the submissions that count (the latest of each agency not set aside) into a
`Consolidation`; `summary_docx` and `summary_xlsx` turn that into bytes; `build_summary` gives both files,
`write_summary` (the use case of `kehoach summary`) writes them. Equal inputs give equal bytes (fixed document dates
derived from the plan and year, normalised zips); the time a form was received is never printed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import KehoachError
from ..fsutil import build_dir, visible_entries, write_file
from ..plan.assignments import assignments
from ..plan.model import Plan
from .consolidate import consolidate
from .model import Submission
from .summary_docx import summary_docx
from .summary_xlsx import summary_xlsx


SUMMARY_DOCX = "bao-cao-tong-hop.docx"
SUMMARY_XLSX = "tong-hop.xlsx"


def build_summary(plan: Plan, year: int, submissions: Mapping[str, Submission], *,
                  late: Collection[str] | None = None) -> dict[str, bytes]:
    """File name -> bytes of the two summary files."""
    c = consolidate(plan, year, submissions, late=late)
    return {SUMMARY_DOCX: summary_docx(c), SUMMARY_XLSX: summary_xlsx(c)}


@dataclass(frozen=True)
class Written:
    files: dict[str, bytes]  # file name -> bytes, as written
    expected: set[str]  # the agencies that report that year
    reported: int  # how many of them the summary holds a report of


def write_summary(plan: Plan, year: int, submissions: Mapping[str, Submission], target: Path, *,
                  late: Collection[str] | None = None) -> Written:
    """Write the two summary files into the folder `target`, swapped in whole (both files new, or both as before);
    a folder holding anything but an earlier summary is refused, not replaced. Everything is built in memory
    first: nothing is written on error. `late`: the agencies whose report arrived late."""
    files = build_summary(plan, year, submissions, late=late)

    def owned(folder: Path) -> None:  # replace only a folder holding nothing but an earlier summary
        foreign = [n for n in visible_entries(folder) if n not in files]
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise KehoachError(f'thư mục "{folder}" có tệp không phải của báo cáo tổng hợp ({shown}) nên không bị thay '
                               "thế; hãy chọn một thư mục trống bằng --out")

    def write(staging: Path) -> None:
        for name, data in files.items():
            write_file(staging / name, data)

    build_dir(target, write, owned=owned)
    expected = {at.agency.id for at in assignments(plan, year)}
    return Written(files, expected, len(expected & set(submissions)))


def write_year_summary(plan: Plan, year: int, db: Path | None, target: Path) -> Written:
    """The use case of `kehoach summary`: the summary of `year` from the database (the versions that count, the late
    agencies as `status` says), written into the folder `target` (`write_summary`)."""
    from .status import late_agencies
    from .store import open_store

    with open_store(db, create=False) as store:
        latest = store.latest(plan.id, year)
        late = late_agencies(store, plan, year)
    return write_summary(plan, year, latest, target, late=late)
