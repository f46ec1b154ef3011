"""Ingest as a use case: many returned files extracted (in worker processes when there are many), read against the
plan and stored in batches; a stream of events that any interface prints."""

from __future__ import annotations

import collections
import datetime as dt
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ..errors import FormRejected, StoreError
from ..office.display import shown
from ..plan.model import Plan
from .model import FormReading, Submission
from .package import check_size, load_file
from .read import FormContent, extract, interpret


# ---------------------------------------------------------------------------------------------------------- many files


@dataclass(frozen=True)
class Outcome:
    """One file of many: its bytes and content once extracted, its reading once interpreted, or the kind of failure
    and its message."""

    path: Path
    data: bytes = b""
    content: FormContent | None = None
    reading: FormReading | None = None
    error: str = ""  # "rejected" | "oserror" | "crash"
    message: str = ""


POOL_MIN_FILES = 40  # below this many files a process pool costs more than it saves
BATCH = 64  # files handed to the pool at a time, and stored in one transaction
WINDOW = 8  # batches queued in the pool at once: the workers never wait, and results never pile up in memory


def _failure(path: Path, e: Exception, debug: bool) -> Outcome:
    if isinstance(e, FormRejected):
        return Outcome(path, error="rejected", message=str(e))
    if isinstance(e, OSError):
        return Outcome(path, error="oserror", message=e.strerror or str(e))
    if debug:  # --debug: the traceback instead
        raise e
    return Outcome(path, error="crash", message=type(e).__name__)  # a malformed file must never stop the others


def _extract_one(path: Path, debug: bool = False) -> Outcome:
    try:
        data = load_file(path)
    except Exception as e:  # noqa: BLE001 - sorted out by _failure
        return _failure(path, e, debug)
    return extract_data(path, data, debug)


def extract_data(path: Path, data: bytes, debug: bool = False, size: int | None = None) -> Outcome:
    """A file's bytes extracted (`path`: its name, for messages and for the macro check of its suffix; `size`: the
    file's size when `data` was read only up to the limit)."""
    try:
        check_size(len(data) if size is None else size)
        return Outcome(path, data, extract(data, filename=path.name))
    except Exception as e:  # noqa: BLE001 - sorted out by _failure
        return _failure(path, e, debug)


class Extraction:
    """Many returned files extracted in order, in batches (iterate over it): one file at a time in this process, or,
    with `jobs` > 1 and enough files, BATCH files at a time by forked worker processes that start at once, so they
    read while this process loads the plan and stores what they give back. Use it as a context manager: leaving
    the block stops the workers."""

    def __init__(self, paths: list[Path], *, jobs: int = 1, debug: bool = False):
        self.paths = paths
        self.read = partial(_extract_one, debug=debug)
        self.pool = None
        if jobs > 1 and len(paths) >= POOL_MIN_FILES:
            from ..workers import fork_pool

            self.batches = [paths[start:start + BATCH] for start in range(0, len(paths), BATCH)]
            self.pool = fork_pool(jobs)
            self.pending = collections.deque(self.pool.map_async(self.read, b) for b in self.batches[:WINDOW])

    def __iter__(self) -> Iterator[list[Outcome]]:
        if self.pool is None:
            for path in self.paths:
                yield [self.read(path)]
            return
        for k in range(len(self.batches)):
            done = self.pending.popleft().get()
            if k + WINDOW < len(self.batches):
                self.pending.append(self.pool.map_async(self.read, self.batches[k + WINDOW]))
            yield done

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None

    def __enter__(self) -> Extraction:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def interpret_outcome(outcome: Outcome, plan: Plan, *, expected_year: int | None = None,
                      plan_for_year: Callable[[int], Plan] | None = None, debug: bool = False,
                      plan_states: Callable[[int], Sequence[Plan]] | None = None,
                      expected_agency: str | None = None) -> Outcome:
    """An extracted file read against the plan (see `interpret`); failures are passed on."""
    if outcome.content is None:
        return outcome
    try:
        reading = interpret(outcome.content, plan, expected_year=expected_year, plan_for_year=plan_for_year,
                            plan_states=plan_states, expected_agency=expected_agency)
    except Exception as e:  # noqa: BLE001 - sorted out by _failure
        return _failure(outcome.path, e, debug)
    return Outcome(outcome.path, outcome.data, reading=reading)


FORM_SUFFIXES = {".docx", ".docm", ".doc", ".dotx", ".dotm"}  # taken from folders (the wrong ones get a clear error)


def collect(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, str]], list[tuple[Path, str]]]:
    """The files to ingest, in order; the paths that are not usable (with a message: errors); the files of a folder
    that are skipped (with a message: notes).

    Nothing is opened here, and nothing that is not a regular file is ever read: a FIFO would block, a device such as
    /dev/zero never ends. Inside a folder, symbolic links are not followed out of it: a link to a file or folder
    elsewhere on the machine is skipped with a note (only what the folder holds is received)."""
    files: list[Path] = []
    problems: list[tuple[Path, str]] = []
    notes: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            found = _folder_files(path, notes)
            if not found:
                problems.append((path, "thư mục không có tệp .docx nào"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append((path, _unusable(path)))
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, problems, notes


def _is_form_name(name: str) -> bool:
    return (Path(name).suffix.lower() in FORM_SUFFIXES and not name.startswith(("~$", "."))
            and ".~lock." not in name)  # Word/LibreOffice lock files


def _folder_files(folder: Path, notes: list[tuple[Path, str]]) -> list[Path]:
    """The form files in `folder` and its subfolders, sorted; links leading out of it and entries that are not
    regular files are noted and skipped."""
    from .package import not_a_file

    inside = folder.resolve()
    found: list[Path] = []
    for top, dirs, names in os.walk(folder):  # linked folders are listed in `dirs` but not entered
        here = Path(top)
        for name in sorted(dirs):
            link = here / name
            if link.is_symlink() and not _within(link, inside):
                notes.append((link, f'bỏ qua: liên kết tới thư mục "{shown(os.path.realpath(link))}" nằm ngoài '
                                    f'thư mục "{shown(folder)}", không đọc'))
        for name in sorted(names):
            path = here / name
            if not _is_form_name(name):
                continue
            if path.is_symlink() and not _within(path, inside):
                notes.append((path, f'bỏ qua: liên kết tới "{shown(os.path.realpath(path))}" nằm ngoài thư mục '
                                    f'"{shown(folder)}", '
                                    "không đọc"))
                continue
            try:
                mode = path.stat().st_mode
            except OSError:
                notes.append((path, f"bỏ qua: {_unusable(path)}"))
                continue
            if reason := not_a_file(mode):
                notes.append((path, f"bỏ qua: {reason}"))
                continue
            found.append(path)
    return sorted(found)


def _within(path: Path, folder: Path) -> bool:
    """Whether `path`, its links followed, lies inside `folder` (itself resolved)."""
    return path.resolve().is_relative_to(folder)


def _unusable(path: Path) -> str:
    """Why a path given to ingest, that is neither a folder nor a regular file, cannot be received."""
    from .package import not_a_file

    try:
        mode = path.stat().st_mode
    except OSError as e:
        import errno

        if e.errno == errno.ELOOP:
            return "liên kết tượng trưng vòng quanh (trỏ về chính nó), không dẫn tới tệp nào; hãy kiểm tra đường dẫn"
        if path.is_symlink():
            return "liên kết tượng trưng trỏ tới nơi không còn tồn tại; hãy chỉ ra tệp .docx thật"
        return "không tìm thấy tệp hoặc thư mục này"
    reason = not_a_file(mode) or "không đọc được đường dẫn này"
    if path.is_symlink():
        reason = f'liên kết tới "{shown(os.path.realpath(path))}": {reason}'
    return reason


def failure_message(outcome) -> str:
    return {
        "rejected": outcome.message,
        "oserror": f"không đọc được tệp ({outcome.message})",
        "crash": f"không đọc được biểu mẫu ({outcome.message}); tệp bị hỏng hoặc không đúng biểu mẫu (thêm --debug "
                 "để xem chi tiết)",
    }[outcome.error]


@dataclass(frozen=True)
class IngestEvent:
    """One step of an ingest run, in order. `kind`: "unusable" (a path given that cannot be received), "skipped" (a
    file of a folder left out), "failed" (a file not read, or not stored) - each with `path` and `message` (the end
    of the sentence, safe to print); "stopped" (the database cannot be used now: `count` files were not tried);
    "duplicate" and "added" (a file stored before, or now: `submission`, `agency` its name that year; for a
    duplicate, `counted` whether it is the version that counts); last "done" (`counts`: added, duplicates, failed;
    `path`: the database, None when there was nothing to store)."""

    kind: str
    path: Path | None = None
    message: str = ""
    submission: Submission | None = None
    agency: str = ""
    counted: bool = True
    count: int = 0
    counts: tuple[int, int, int] = (0, 0, 0)


def stored(store, readable: list[Outcome], for_year: Callable[[int], Plan], *, arrived_on: str | None = None,
           user: str = "") -> list[IngestEvent]:
    """Store read files in one transaction (all or none; StoreError when the database refuses): an "added" or
    "duplicate" event for each, in order."""
    from .review import agency_name, file_name_warnings

    results = store.add_many(
        [(o.reading, o.data, shown(o.path.name),
          file_name_warnings(for_year(o.reading.year), o.reading, shown(o.path.name)))
         for o in readable], arrived_on=arrived_on, user=user)
    events = []
    for outcome, result in zip(readable, results):
        s = result.submission
        name = agency_name(for_year(s.year), s.year, s.agency)
        if result.duplicate:
            now_counted = store.counted(s.plan, s.year, s.agency)
            events.append(IngestEvent("duplicate", outcome.path, submission=s, agency=name,
                                      counted=now_counted is not None and now_counted.id == s.id))
        else:
            events.append(IngestEvent("added", outcome.path, submission=s, agency=name))
    return events


def ingest(paths: list[Path], *, db: Path | None = None, year: int | None = None, plan_dir: Path | None = None,
           registry: Path | None = None, jobs: int | None = None, arrived_on: str | None = None, user: str = "",
           today: dt.date | None = None, debug: bool = False, agency: str | None = None) -> Iterator[IngestEvent]:
    """Receive the returned forms at `paths` (files or folders) into the database: the stream of what happened.

    Without `year`, only forms of the current reporting year (on `today`) are taken. With `agency` (as
    `review.resolve_agency` takes it), only forms of that agency. One bad file never stops the
    others; a database that cannot be used (busy, full disk, damaged) stops the run, the files already stored stay
    stored. Files are read in batches, each stored in one transaction (`arrived_on`, `user`: for the history) and
    reported only once stored. Close the stream (or run it to the end) to stop the workers and close the database.
    """
    from ..plan.loader import plan_history
    from ..workers import jobs_default
    from .review import resolve_agency, year_problem
    from .store import open_store

    today = today or dt.date.today()

    def checked(o: Outcome) -> Outcome:  # without `year`, only forms of the current reporting year
        if o.reading is None:
            return o
        problem = year_problem(o.reading.year, today) if year is None else None
        return Outcome(o.path, o.data, error="rejected", message=problem) if problem else o

    files, problems, notes = collect(paths)
    added = duplicates = done = 0
    store = None
    # the workers start reading the files now, while this process loads the plan
    with Extraction(files, jobs=jobs or jobs_default(), debug=debug) as extraction:
        p, for_year = plan_history(plan_dir, registry)
        expected_agency = resolve_agency(p, agency) if agency is not None else None
        failed = len(problems)
        for path, message in problems:
            yield IngestEvent("unusable", path, message)
        for path, message in notes:
            yield IngestEvent("skipped", path, message)
        store = open_store(db, create=True) if files else None
        try:
            for extracted in extraction:
                done += len(extracted)
                batch = [checked(interpret_outcome(o, p, expected_year=year, plan_for_year=for_year, debug=debug,
                                                   plan_states=for_year.states, expected_agency=expected_agency))
                         for o in extracted]
                for outcome in batch:  # files that could not be read: reported whatever happens to the others
                    if outcome.error:
                        failed += 1
                        yield IngestEvent("failed", outcome.path, shown(failure_message(outcome)))
                readable = [o for o in batch if not o.error]
                if not readable:
                    continue
                try:  # one transaction per batch: stored all together, and reported only once stored
                    events = stored(store, readable, for_year, arrived_on=arrived_on, user=user)
                except StoreError as e:
                    failed += len(readable)
                    for o in readable:
                        yield IngestEvent("failed", o.path, str(e))
                    if e.fatal:  # the database cannot be used now: the remaining files would all fail the same way
                        rest = len(files) - done
                        if rest:
                            failed += rest
                            yield IngestEvent("stopped", count=rest)
                        break
                    continue
                for event in events:
                    if event.kind == "duplicate":
                        duplicates += 1
                    else:
                        added += 1
                    yield event
        finally:
            if store is not None:
                store.close()
    yield IngestEvent("done", store.path if store is not None else None, counts=(added, duplicates, failed))
