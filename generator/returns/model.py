"""What a returned form says and how it is stored, as plain data (no XML, no SQL)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


# ---------------------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Entry:
    """What an agency reported on one task of its form."""

    task_id: str
    code: str  # "II.11", as printed in the form's plan version
    role: str  # "lead", "partner", "expired", or "" when the task is not assigned to the agency this year
    result: str = ""  # paragraphs joined with "\n"; list items start with "- "
    status: str | None = None  # one of STATUSES, or None (empty or not understood)
    status_text: str = ""  # the status as typed/picked
    note: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.result or self.status_text or self.note)


@dataclass(frozen=True)
class FormReading:
    plan: str
    plan_version: str
    year: int
    agency: str
    entries: tuple[Entry, ...]
    sections: dict[str, str] = field(default_factory=dict)  # "kho-khan", "kien-nghi" -> text
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Submission:
    id: int
    plan: str
    plan_version: str
    year: int
    agency: str
    version: int
    sha256: str
    received_at: str
    filename: str
    warnings: tuple[str, ...]
    entries: tuple[Entry, ...] = ()
    sections: dict[str, str] = field(default_factory=dict)
    review_state: str = "da-nhan"  # one of REVIEW_STATES
    review_note: str = ""
    arrived_on: str | None = None  # YYYY-MM-DD: when the file arrived (ingest --received); None: not given
    ingest_warnings: tuple[str, ...] = ()  # pointing at a wrong file, found when it was ingested (review.py)

    @property
    def received(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.received_at.replace("Z", "+00:00"))

    @property
    def all_warnings(self) -> tuple[str, ...]:
        """What the clerk is told about this version: the wrong-file warnings first, then the form reader's."""
        return self.ingest_warnings + self.warnings


@dataclass(frozen=True)
class Event:
    """One line of the history: an ingest or a review of one version."""

    id: int
    at: str  # UTC, ISO 8601
    user: str | None  # None: stored before kehoach kept a history
    action: str  # "ingest" | "review"
    submission_id: int
    version: int
    filename: str
    state: str  # after the event
    previous_state: str | None
    note: str
    warnings: int  # of the version (for an ingest)


@dataclass(frozen=True)
class Added:
    submission: Submission
    duplicate: bool  # True: this very file was already stored (nothing changed)
