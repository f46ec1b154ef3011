"""One returned form sent through an agency's link (the page /nop/<token>): read, checked and stored exactly as
`kehoach ingest` does (`returns.ingest`: the same limits, hostile-file guard, identity checks and storing), with the
link's plan, year and agency as the only identity accepted. A form of another plan, year or agency is refused with
the sentence `kehoach ingest --plan ... --year ... --agency ...` prints for it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import StoreError
from ..office.display import shown
from ..plan.loader import YearPlans
from ..plan.model import Plan
from .ingest import IngestEvent, extract_data, failure_message, interpret_outcome, stored
from .store import Store

DEFAULT_NAME = "bieu-mau.docx"  # an upload the browser sent without a name
MAX_NAME = 255  # characters of a file name kept


def upload_name(raw: str | None) -> str:
    """The name an uploaded file is shown and stored under: the last part of what the browser sent (an old browser
    sends the whole Windows path), in NFC, at most MAX_NAME characters. It is only ever a label, never a path."""
    name = unicodedata.normalize("NFC", re.split(r"[\\/]", raw or "")[-1]).strip()[:MAX_NAME]
    return DEFAULT_NAME if name in ("", ".", "..") else name


def receive_upload(store: Store, plan: Plan, for_year: YearPlans, data: bytes, filename: str | None, *, year: int,
                   agency: str | None, user: str, size: int | None = None,
                   arrived_on: str | None = None) -> IngestEvent:
    """Receive the bytes of one uploaded file as the report of `agency` (its id; None: any agency, the office's
    upload) for `plan` and `year`: an "added" or "duplicate" event once stored, or "failed" with the sentence
    `ingest` prints after the file's name. `size`: the upload's size when `data` was read only up to the file limit;
    `arrived_on`: as `ingest --received`. StoreError when the database refuses."""
    path = Path(upload_name(filename))
    outcome = extract_data(path, data, size=size)
    outcome = interpret_outcome(outcome, plan, expected_year=year, plan_for_year=for_year,
                                plan_states=for_year.states, expected_agency=agency)
    if outcome.error:
        return IngestEvent("failed", path, shown(failure_message(outcome)))
    return stored(store, [outcome], for_year, arrived_on=arrived_on, user=user)[0]


@dataclass(frozen=True)
class Upload:
    """One file of an upload of several (the office's upload page)."""

    name: str | None  # as the browser sent it (`upload_name` makes the label)
    data: bytes  # its bytes, or only the first ones when reading stopped at the file limit
    size: int  # its size in bytes (more than len(data) when reading stopped at the limit)


def receive_uploads(uploads: Sequence[Upload], *, db: Path, plan_dir: Path | None, registry: Path | None, year: int,
                    user: str, arrived_on: str | None = None) -> Iterator[IngestEvent]:
    """Several uploaded files received as `kehoach ingest --year <year> [--received ...]` receives files, in order:
    the same events (one per file, "stopped" when the database cannot be used any more, then "done" with the
    counts), each file stored in its own transaction."""
    from ..plan.loader import plan_history
    from .store import open_store

    plan, for_year = plan_history(plan_dir, registry)
    added = duplicates = failed = 0
    store = open_store(db, create=True) if uploads else None
    try:
        for done, u in enumerate(uploads):
            try:
                event = receive_upload(store, plan, for_year, u.data, u.name, year=year, agency=None, user=user,
                                       size=u.size, arrived_on=arrived_on)
            except StoreError as e:
                failed += 1
                yield IngestEvent("failed", Path(upload_name(u.name)), str(e))
                rest = len(uploads) - done - 1
                if e.fatal and rest:  # the database cannot be used now: the others would fail the same way
                    failed += rest
                    yield IngestEvent("stopped", count=rest)
                    break
                continue
            if event.kind == "added":
                added += 1
            elif event.kind == "duplicate":
                duplicates += 1
            else:
                failed += 1
            yield event
    finally:
        if store is not None:
            store.close()
    yield IngestEvent("done", store.path if store is not None else None, counts=(added, duplicates, failed))
