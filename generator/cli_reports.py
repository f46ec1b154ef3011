"""CLI commands for returned forms (ingest, status, review, show, summary) and the database's safety (check-db,
export, import); registered on the main `app`.

A thin shell: `formreader` reads, `store` keeps, `summary` consolidates; this module walks folders, prints one line
per file and turns per-file problems into messages (one bad file never stops the others; a database that cannot be
used - busy, full disk, damaged - stops the run with one sentence, the files already stored stay stored).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import typer
from rich.table import Table

from .cli import _date, _friendly, _load, _plan_option, _registry_option, _state, app, err, out
from .display import shown
from .assignments import report_date
from .errors import KehoachError
from .fsutil import build_dir, visible_entries, write_file
from .model import Plan
from .vnformat import long_date

DB_HELP = "Tệp cơ sở dữ liệu báo cáo (mặc định: biến môi trường KEHOACH_DB, hoặc kehoach-data/bao-cao.sqlite3)."
FORM_SUFFIXES = {".docx", ".docm", ".doc", ".dotx", ".dotm"}  # taken from folders (the wrong ones get a clear error)


def _plans(plan_dir: Path | None, registry: Path | None = None) -> tuple[Plan, _YearPlans]:
    """The plan as a whole, and the plan in force for a year's report (amendments up to that year's deadline: the
    plan its forms were generated from, as `kehoach pack` does)."""
    base = _load(plan_dir, registry=registry)
    return base, _YearPlans(plan_dir, base, registry)


class _YearPlans:
    """`(year)`: the plan in force for a year's report; `states(year)`: every state of the plan a form of that year
    can have been generated from (before each amendment in force by then, oldest first), loaded only when asked."""

    def __init__(self, plan_dir: Path | None, base: Plan, registry: Path | None = None):
        self.plan_dir, self.base, self.registry = plan_dir, base, registry
        self.cache: dict[int, Plan] = {}
        self.by_date: dict[dt.date, Plan] = {}

    def __call__(self, year: int) -> Plan:
        if year not in self.cache:
            when = report_date(self.base, year)
            if all(d.date <= when for d in self.base.amendments):
                self.cache[year] = self.base  # every amendment was in force by then: the same plan, no second load
            else:
                self.cache[year] = _load(self.plan_dir, when, self.registry)
        return self.cache[year]

    def states(self, year: int) -> list[Plan]:
        dates = sorted({d.date for d in self.base.amendments if d.date <= report_date(self.base, year)})
        # the plan before its first amendment, then after each amendment date but the last: that one is `(year)`
        befores = [dates[0] - dt.timedelta(days=1), *dates[:-1]] if dates else []
        for when in befores:
            if when not in self.by_date:
                self.by_date[when] = _load(self.plan_dir, when, self.registry)
        return [*(self.by_date[when] for when in befores), self(year)]


def _plan_of_year(plan_dir: Path | None, year: int, registry: Path | None = None) -> Plan:
    from .pack import check_year

    base, for_year = _plans(plan_dir, registry)
    check_year(base, year)
    return for_year(year)


def _db_option():
    return typer.Option(None, "--db", help=DB_HELP, show_default=False)


def _open_store(db: Path | None, *, create: bool):
    from .store import Store

    return Store(_db_path(db), create=create)


def _collect(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, str]], list[tuple[Path, str]]]:
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
    from .formreader import not_a_file

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
    from .formreader import not_a_file

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


def _agency_name(p: Plan, year: int, agency_id: str) -> str:
    """The agency's name as on the year's reporting date (renamed agencies), else as in the registry."""
    from .review import agency_name

    return agency_name(p, year, agency_id)


def _os_user() -> str:
    """Who runs the command, for the history ("" when the system cannot tell)."""
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return ""


def _local(received_at: str) -> dt.datetime:
    return dt.datetime.fromisoformat(received_at.replace("Z", "+00:00")).astimezone()


@app.command(help="Nhận các biểu mẫu .docx đã điền (tệp hoặc thư mục) và lưu vào cơ sở dữ liệu báo cáo.")
@_friendly
def ingest(
    paths: list[Path] = typer.Argument(..., help="Các tệp .docx hoặc thư mục chứa chúng.", show_default=False,
                                       metavar="TỆP_HOẶC_THƯ_MỤC"),
    db: Path | None = _db_option(),
    year: int | None = typer.Option(None, "--year", help="Chỉ nhận biểu mẫu của năm này.", show_default=False),
    plan: Path | None = _plan_option(),
    registry: Path | None = _registry_option(),
    jobs: int | None = typer.Option(None, "--jobs", min=1, help="Số tiến trình đọc song song khi có nhiều tệp "
                                    "(mặc định: số lõi CPU).", show_default=False),
    received: str | None = typer.Option(None, "--received", help="Ngày các tệp đến (ngày/tháng/năm, ví dụ ngày trên "
                                        "thư điện tử); dùng để tính nộp đúng hạn hay muộn (mặc định: hôm nay).",
                                        show_default=False),
):
    from .formreader import Extraction, Outcome, interpret_outcome
    from .pack import jobs_default
    from .review import arrival_day, file_name_warnings, year_problem
    from .store import StoreError

    today = dt.date.today()
    arrived_on = arrival_day(_date(received, "--received"), today) if received is not None else None
    user = _os_user()

    def checked(o: Outcome) -> Outcome:  # without --year, only forms of the current reporting year
        if o.reading is None:
            return o
        problem = year_problem(o.reading.year, today) if year is None else None
        return Outcome(o.path, o.data, error="rejected", message=problem) if problem else o

    files, problems, notes = _collect(paths)
    added = duplicates = done = 0
    store = None
    # the workers start reading the files now, while this process loads the plan
    debug = _state["debug"]
    with Extraction(files, jobs=jobs or jobs_default(), debug=debug) as extraction:
        p, for_year = _plans(plan, registry)
        failed = len(problems)
        for path, message in problems:
            err.print(f"Lỗi: {shown(path)}: {message}", markup=False)
        for path, message in notes:
            err.print(f"Chú ý: {shown(path)}: {message}", markup=False)
        store = _open_store(db, create=True) if files else None
        try:
            for extracted in extraction:
                done += len(extracted)
                batch = [checked(interpret_outcome(o, p, expected_year=year, plan_for_year=for_year, debug=debug,
                                                   plan_states=for_year.states)) for o in extracted]
                for outcome in batch:  # files that could not be read: reported whatever happens to the others
                    if outcome.error:
                        failed += 1
                        err.print(f"Lỗi: {shown(outcome.path)}: {shown(_failure_message(outcome))}", markup=False)
                readable = [o for o in batch if not o.error]
                if not readable:
                    continue
                try:  # one transaction per batch: stored all together, and reported only once stored
                    results = store.add_many(
                        [(o.reading, o.data, shown(o.path.name),
                          file_name_warnings(for_year(o.reading.year), o.reading, shown(o.path.name)))
                         for o in readable], arrived_on=arrived_on, user=user)
                except StoreError as e:
                    failed += len(readable)
                    for o in readable:
                        err.print(f"Lỗi: {shown(o.path)}: {e}", markup=False)
                    if e.fatal:  # the database cannot be used now: the remaining files would all fail the same way
                        rest = len(files) - done
                        if rest:
                            failed += rest
                            err.print(f"Lỗi: dừng nhận, {rest} tệp còn lại chưa được nhận; các tệp đã nhận vẫn được "
                                      "lưu, hãy chạy lại lệnh sau khi khắc phục", markup=False)
                        break
                    continue
                for outcome, result in zip(readable, results):
                    s = result.submission
                    name = _agency_name(for_year(s.year), s.year, s.agency)
                    if result.duplicate:
                        duplicates += 1
                        counted = store.counted(s.plan, s.year, s.agency)
                        hint = "" if counted is not None and counted.id == s.id else (
                            f"; bản này không phải phiên bản được tính, xem: kehoach show {s.agency} --year {s.year}")
                        out.print(f"Bỏ qua (đã có): {shown(outcome.path)} — {name}, năm {s.year}, phiên bản {s.version} "
                                  f"(nhận lúc {_local(s.received_at):%H:%M ngày %d/%m/%Y}){hint}", markup=False)
                        continue
                    added += 1
                    lines = [f"Đã nhận: {shown(outcome.path)} — {name}, năm {s.year}, phiên bản {s.version}"]
                    lines += [f"    Cảnh báo: {shown(w)}" for w in s.all_warnings]
                    out.file.write("\n".join(lines) + "\n")  # plain lines: thousands of files, no markup needed
        finally:
            if store is not None:
                store.close()
    total = f"Đã nhận {added} tệp mới, {duplicates} tệp đã có, {failed} lỗi"
    out.print(total + (f"; cơ sở dữ liệu: {shown(store.path)}" if store is not None else "."), markup=False)
    if failed:
        raise typer.Exit(1)


def _failure_message(outcome) -> str:
    return {
        "rejected": outcome.message,
        "oserror": f"không đọc được tệp ({outcome.message})",
        "crash": f"không đọc được biểu mẫu ({outcome.message}); tệp bị hỏng hoặc không đúng biểu mẫu (thêm --debug "
                 "để xem chi tiết)",
    }[outcome.error]


def _status_rows(p: Plan, year: int, db: Path | None, today: dt.date):
    from .review import round_status

    subs = []
    path: Path | None = _db_path(db)
    if not path.exists():  # nothing received yet: everyone is still to report
        err.print(f'Chú ý: chưa có cơ sở dữ liệu "{path}": chưa nhận biểu mẫu nào (hoặc hãy chỉ đúng tệp bằng --db).',
                  markup=False)
        path = None
    else:
        with _open_store(path, create=False) as store:
            subs = store.submissions(p.id, year)
    return round_status(p, year, subs, today), report_date(p, year), path


def _late_agencies(store, p: Plan, year: int) -> set[str]:
    """The agencies whose report of `year` arrived late, as `status` says "Nộp muộn" (`review.round_status`)."""
    from .review import round_status

    rows = round_status(p, year, store.submissions(p.id, year), dt.date.today())
    return {r.agency.id for r in rows if r.state == "Nộp muộn"}


@app.command(help="Xem đơn vị nào đã nộp, chưa nộp, nộp có cảnh báo hoặc nộp muộn báo cáo của một năm.")
@_friendly
def status(
    year: int = typer.Option(dt.date.today().year, "--year", help="Năm báo cáo (mặc định: năm nay)."),
    db: Path | None = _db_option(),
    plan: Path | None = _plan_option(),
    registry: Path | None = _registry_option(),
    today: str | None = typer.Option(None, "--today", hidden=True, help="Ngày hôm nay (YYYY-MM-DD), để thử."),
):
    p = _plan_of_year(plan, year, registry)
    try:
        now = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError:
        raise KehoachError(f'--today "{today}" không phải ngày dạng NĂM-THÁNG-NGÀY (2024-12-15)') from None
    from .review import state_label

    statuses, due, path = _status_rows(p, year, db, now)
    rows = [(r.agency, r.state, r.counted) for r in statuses]
    table = Table(title=f"Tình hình nộp báo cáo năm {year} — Kế hoạch số {p.meta.number}", show_edge=False)
    table.add_column("Đơn vị")
    table.add_column("Tình trạng", no_wrap=True)
    table.add_column("Bản", justify="right", no_wrap=True)
    table.add_column("Duyệt", no_wrap=True)
    table.add_column("Ngày nhận", no_wrap=True)
    table.add_column("Cảnh báo", justify="right", no_wrap=True)
    colours = {"Đã nộp": "green", "Nộp muộn": "yellow", "Quá hạn": "red", "Chưa nộp": None}
    for r in statuses:
        s = r.counted
        style = "yellow" if s is not None and s.all_warnings and r.state == "Đã nộp" else colours[r.state]
        table.add_row(r.agency.name, r.state, str(s.version) if s else "", state_label(s.review_state) if s else "",
                      f"{r.arrived:%d/%m/%Y}" if s else "", str(len(s.all_warnings)) if s else "", style=style)
    out.print(table)
    done = [r for r in rows if r[2] is not None]
    warned = [r for r in done if r[2].all_warnings]
    late = [r for r in done if r[1] == "Nộp muộn"]
    corrections = [r for r in statuses if r.counted is not None and r.counted.review_state == "can-bo-sung"]
    missing = len(rows) - len(done)
    when = "đã quá hạn" if now > due else f"còn {(due - now).days} ngày" if now < due else "hôm nay là hạn cuối"
    out.print(f"Đã nộp {len(done)}/{len(rows)} đơn vị ({len(warned)} có cảnh báo, {len(late)} nộp muộn); "
              f"chưa nộp {missing}. Hạn nộp: {long_date(due)} ({when}).", markup=False)
    if corrections:
        out.print(f"Cần bổ sung ({len(corrections)} đơn vị):", markup=False)
        for r in corrections:
            out.print(f"  - {r.agency.name} (phiên bản {r.counted.version}): {r.counted.review_note}", markup=False)
    if path is not None:
        out.print("Bản: phiên bản được tính (bản mới nhất không bị đặt Không dùng); Duyệt: trạng thái duyệt của bản "
                  "đó; Ngày nhận: ngày đến (--received) hoặc ngày nhận vào cơ sở dữ liệu; nộp muộn: bản đầu tiên "
                  f"(trừ bản Không dùng) đến sau hạn; cơ sở dữ liệu: {path}", markup=False)


@app.command(help="Viết báo cáo tổng hợp của năm (.docx) và bảng tình trạng (.xlsx) từ các biểu mẫu đã nhận.")
@_friendly
def summary(
    year: int = typer.Option(dt.date.today().year, "--year", help="Năm báo cáo (mặc định: năm nay)."),
    db: Path | None = _db_option(),
    plan: Path | None = _plan_option(),
    out_dir: Path | None = typer.Option(None, "--out",
                                        help="Thư mục ghi (mặc định: output/<mã kế hoạch>/<năm>/tong-hop)."),
    registry: Path | None = _registry_option(),
):
    from .summary import build_summary

    p = _plan_of_year(plan, year, registry)
    with _open_store(db, create=False) as store:
        latest = store.latest(p.id, year)
        late = _late_agencies(store, p, year)
    files = build_summary(p, year, latest, late=late)  # everything in memory first: nothing is written on error
    target = out_dir or Path("output") / p.id / str(year) / "tong-hop"

    def owned(folder: Path) -> None:  # replace only a folder holding nothing but an earlier summary
        foreign = [n for n in visible_entries(folder) if n not in files]
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise KehoachError(f'thư mục "{folder}" có tệp không phải của báo cáo tổng hợp ({shown}) nên không bị thay '
                               "thế; hãy chọn một thư mục trống bằng --out")

    def write(staging: Path) -> None:
        for name, data in files.items():
            write_file(staging / name, data)

    build_dir(target, write, owned=owned)  # the folder is swapped in whole: both files new, or both as before
    from .assignments import assignments

    expected = {at.agency.id for at in assignments(p, year)}
    reported = len(expected & set(latest))
    if not reported:
        err.print(f"Chú ý: chưa có đơn vị nào gửi báo cáo năm {year}.", markup=False)
    out.print(f"Đã ghi báo cáo tổng hợp năm {year} ({reported}/{len(expected)} đơn vị đã báo cáo): "
              + ", ".join(str(target / n) for n in files), markup=False)


# ---------------------------------------------------------------------------------------------------- review


def _year_option(help_text: str):
    return typer.Option(dt.date.today().year, "--year", help=help_text)


@app.command(help="Duyệt một phiên bản báo cáo của đơn vị: da-nhan (đã nhận), can-bo-sung (cần bổ sung, phải có "
                  "--note), da-duyet (đã duyệt), khong-dung (không dùng: không bao giờ được tính). Mỗi lần duyệt được "
                  "ghi vào lịch sử.")
@_friendly
def review(
    agency: str = typer.Argument(..., help="Mã đơn vị hoặc tên tệp biểu mẫu của đơn vị (ví dụ so-cong-thuong.docx).",
                                 show_default=False, metavar="ĐƠN_VỊ"),
    year: int = _year_option("Năm báo cáo (mặc định: năm nay)."),
    version: int = typer.Option(..., "--version", min=1, help="Số phiên bản cần duyệt (xem bằng kehoach show).",
                                show_default=False),
    state: str = typer.Option(..., "--state", help="Trạng thái mới: da-nhan, can-bo-sung, da-duyet, khong-dung.",
                              show_default=False),
    note: str | None = typer.Option(None, "--note", help="Ghi chú (bắt buộc với can-bo-sung: đơn vị cần bổ sung gì).",
                                    show_default=False),
    db: Path | None = _db_option(),
    plan: Path | None = _plan_option(),
    registry: Path | None = _registry_option(),
):
    from .review import review_version, state_label

    p = _plan_of_year(plan, year, registry)
    with _open_store(db, create=False) as store:
        r = review_version(store, p, year, agency, version, state, note, _os_user())
    which = f"phiên bản {r.submission.version} (tệp {r.submission.filename}) của {r.name} năm {year}"
    counted = (f"phiên bản được tính: phiên bản {r.counted.version}" if r.counted is not None else
               "không còn phiên bản nào được tính, đơn vị được coi là chưa nộp")
    if r.previous_state is None:
        out.print(f'{which[0].upper()}{which[1:]} đã ở trạng thái "{state_label(r.state)}" với ghi chú này; không thay '
                  f"đổi gì ({counted}).", markup=False)
        return
    out.print(f'Đã chuyển {which} từ "{state_label(r.previous_state)}" sang "{state_label(r.state)}"; {counted}.',
              markup=False)


@app.command(help="Xem mọi phiên bản báo cáo của một đơn vị (trạng thái duyệt, ghi chú, ngày nhận, tệp, cảnh báo), "
                  "kết quả của phiên bản được tính và lịch sử nhận, duyệt.")
@_friendly
def show(
    agency: str = typer.Argument(..., help="Mã đơn vị hoặc tên tệp biểu mẫu của đơn vị (ví dụ so-cong-thuong.docx).",
                                 show_default=False, metavar="ĐƠN_VỊ"),
    year: int = _year_option("Năm báo cáo (mặc định: năm nay)."),
    db: Path | None = _db_option(),
    plan: Path | None = _plan_option(),
    registry: Path | None = _registry_option(),
):
    from .formreader import SECTIONS
    from .review import ROLE_LABELS, agency_record, describe, state_label, who

    p = _plan_of_year(plan, year, registry)
    with _open_store(db, create=False) as store:
        record = agency_record(store, p, year, agency)
    lines = [f"{record.name} — báo cáo năm {year}, Kế hoạch số {p.meta.number}"]
    if not record.versions:
        other = ""
        if record.other_years:
            last = record.other_years[-1]
            other = (f" (đã có báo cáo năm {', '.join(map(str, record.other_years))}: xem bằng kehoach show "
                     f"{record.agency} --year {last})")
        out.print("\n".join(lines + [f"Chưa nhận báo cáo năm {year} của đơn vị này{other}."]), markup=False)
        return
    counted = record.counted
    lines.append(f"Phiên bản được tính: {counted.version} ({state_label(counted.review_state)})" if counted else
                 "Không có phiên bản nào được tính (mọi phiên bản đều Không dùng): đơn vị được coi là chưa nộp.")
    for s in record.versions:
        mark = " (được tính)" if counted is not None and s.id == counted.id else ""
        lines += ["", f"Phiên bản {s.version}{mark} — {state_label(s.review_state)}"]
        if s.review_note:
            lines.append(f"    Ghi chú duyệt: {shown(s.review_note)}")
        lines.append(f"    Tệp: {shown(s.filename)}")
        arrived = f"; ngày đến (--received): {dt.date.fromisoformat(s.arrived_on):%d/%m/%Y}" if s.arrived_on else ""
        lines.append(f"    Nhận lúc: {_local(s.received_at):%H:%M ngày %d/%m/%Y}{arrived}")
        lines += [f"    Cảnh báo: {shown(w)}" for w in s.all_warnings] or ["    Không có cảnh báo."]
    if counted is not None:
        lines += ["", f"Kết quả của phiên bản {counted.version}:"]
        for e in counted.entries:
            if e.is_empty:
                continue
            status = e.status or (f'"{shown(e.status_text)}" (không thuộc danh sách)' if e.status_text else "")
            lines.append(f"    {e.code} ({ROLE_LABELS.get(e.role, e.role)}) — {status or 'chưa chọn tình trạng'}")
            lines += [f"        {shown(line)}" for line in e.result.split("\n") if line]
            if e.note:
                lines.append(f"        Ghi chú: {shown(e.note)}")
        empty = [e.code for e in counted.entries if e.is_empty]
        if empty:
            lines.append(f"    Chưa điền ({len(empty)} nhiệm vụ): {', '.join(empty)}")
        for name, title in SECTIONS.items():
            text = counted.sections.get(name, "")
            lines.append(f"    {title}:{'' if text else ' (không ghi)'}")
            lines += [f"        {shown(line)}" for line in text.split("\n") if line]
    lines += ["", "Lịch sử:"]
    lines += [f"    {_local(e.at):%d/%m/%Y %H:%M:%S} — {shown(who(e))} — {shown(describe(e))}" for e in record.events]
    out.file.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------------- safety


def _db_path(db: Path | None) -> Path:
    from .guard import check_not_loop
    from .store import DB_ENV, default_path

    path = db or default_path()
    check_not_loop(path, "--db" if db else DB_ENV if os.environ.get(DB_ENV) else "cơ sở dữ liệu")
    return path


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB".replace(".", ",")


def _counted(submissions: int, agencies: int, years: tuple[int, ...]) -> str:
    """"5 bản báo cáo của 3 đơn vị (năm 2024)"."""
    when = f" ({'năm' if len(years) == 1 else 'các năm'} {', '.join(map(str, years))})" if years else ""
    return f"{submissions} bản báo cáo của {agencies} đơn vị{when}"


PLANS_HELP = ("Thư mục dữ liệu kế hoạch dùng để đọc lại các tệp gốc (mặc định: kế hoạch 1627/KH-UBND có sẵn); lặp "
              "lại --plan khi cơ sở dữ liệu có báo cáo của nhiều kế hoạch.")


def _plans_option():
    return typer.Option(None, "--plan", help=PLANS_HELP, show_default=False)


def _rereader(plan_dirs: list[Path] | None, registry: Path | None = None):
    """Reads stored originals again with the plans given (as ingest reads them: `_plans`); `registry` (the
    --registry option) serves each of them."""
    from .reread import Rereader

    return Rereader(_plans(d, registry) for d in (plan_dirs or [None]))


@app.command("check-db", help="Kiểm tra cơ sở dữ liệu báo cáo (chỉ đọc, không sửa gì): cấu trúc tệp, mã băm sha256 "
                              "của mọi tệp gốc, đọc lại mọi tệp gốc để đối chiếu, tính nhất quán giữa các bảng.")
@_friendly
def check_db(db: Path | None = _db_option(), plan: list[Path] | None = _plans_option(),
             registry: Path | None = _registry_option()):
    from .store import check_database

    path = _db_path(db)
    report = check_database(path, reread=_rereader(plan, registry))
    for problem in report.problems:
        err.print(f"Lỗi: {problem}", markup=False)
    if report.problems:
        err.print(f'Cơ sở dữ liệu "{path}" có {len(report.problems)} lỗi; kehoach không tự sửa gì: hãy giữ nguyên tệp '
                  "này, khôi phục bản sao lưu gần nhất vào một tệp mới (kehoach import SAO_LƯU --db TỆP_MỚI) và báo "
                  "người phụ trách kỹ thuật.", markup=False)
        raise typer.Exit(1)
    out.print(f"Cơ sở dữ liệu {path} không có lỗi: {_counted(report.submissions, report.agencies, report.years)}, "
              f"mọi tệp gốc ({_size(report.original_bytes)}) khớp mã băm sha256 và khi đọc lại cho đúng dữ liệu đã "
              "lưu; đã kiểm tra ở chế độ chỉ đọc, không thay đổi gì.", markup=False)
    from .store import SCHEMA_VERSION

    if report.schema_version < SCHEMA_VERSION:
        out.print(f"Chú ý: cơ sở dữ liệu có cấu trúc cũ (phiên bản {report.schema_version}, chưa có trạng thái duyệt "
                  "và lịch sử); kehoach tự nâng cấp khi nhận hoặc duyệt báo cáo lần tới, mọi báo cáo đã có được giữ "
                  "nguyên.", markup=False)


@app.command(help="Sao lưu toàn bộ cơ sở dữ liệu báo cáo (mọi bản báo cáo, tệp gốc, mã băm) vào một tệp .zip.")
@_friendly
def export(
    db: Path | None = _db_option(),
    out_file: Path | None = typer.Option(None, "--out", help="Tệp sao lưu cần ghi (mặc định: "
                                         "sao-luu-bao-cao-<ngày>.zip trong thư mục hiện tại).", show_default=False),
):
    from .store import export_archive

    path = _db_path(db)
    target = out_file or Path(f"sao-luu-bao-cao-{dt.date.today():%Y-%m-%d}.zip")
    summary = export_archive(path, target)
    out.print(f"Đã sao lưu {_counted(summary.submissions, summary.agencies, summary.years)}, tệp gốc "
              f"{_size(summary.original_bytes)}, từ {path} vào {target}; khôi phục bằng: kehoach import {target} "
              "--db TỆP_MỚI", markup=False)


@app.command("import", help="Khôi phục cơ sở dữ liệu báo cáo từ tệp sao lưu của kehoach export (vào tệp mới hoặc "
                            "trống; không bao giờ ghi đè dữ liệu đã có).")
@_friendly
def import_(
    archive: Path = typer.Argument(..., help="Tệp sao lưu .zip do kehoach export tạo ra.", show_default=False,
                                   metavar="TỆP_SAO_LƯU"),
    db: Path | None = _db_option(),
    plan: list[Path] | None = _plans_option(),
    registry: Path | None = _registry_option(),
):
    from .store import import_archive

    path = _db_path(db)
    summary = import_archive(archive, path, reread=_rereader(plan, registry))
    out.print(f"Đã khôi phục {_counted(summary.submissions, summary.agencies, summary.years)} từ {archive} vào "
              f"{path}; mọi tệp gốc khớp mã băm sha256 và khi đọc lại cho đúng dữ liệu trong tệp sao lưu.",
              markup=False)
