"""One returned form sent through an agency's link (the page /nop/<token>): read, checked and stored exactly as
`kehoach ingest` does (`returns.ingest`: the same limits, hostile-file guard, identity checks and storing), with the
link's plan, year and agency as the only identity accepted. A form of another plan, year or agency is refused with
the sentence `kehoach ingest --plan ... --year ... --agency ...` prints for it."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

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
                   agency: str, user: str, size: int | None = None) -> IngestEvent:
    """Receive the bytes of one uploaded file as the report of `agency` (its id) for `plan` and `year`: an "added"
    or "duplicate" event once stored, or "failed" with the sentence `ingest` prints after the file's name. `size`:
    the upload's size when `data` was read only up to the file limit. StoreError when the database refuses."""
    path = Path(upload_name(filename))
    outcome = extract_data(path, data, size=size)
    outcome = interpret_outcome(outcome, plan, expected_year=year, plan_for_year=for_year,
                                plan_states=for_year.states, expected_agency=agency)
    if outcome.error:
        return IngestEvent("failed", path, shown(failure_message(outcome)))
    return stored(store, [outcome], for_year, user=user)[0]
