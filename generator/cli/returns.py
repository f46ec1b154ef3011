"""The commands of the incoming side: ingest, status, summary, review, show, and the database's safety (check-db,
export, import). Each parses its options, calls a use case of `returns` (imported when the command runs) and prints.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import typer
from rich.table import Table

from ..errors import KehoachError
from ..office.display import shown
from ..office.vnformat import long_date
from ..plan.loader import plan_of_year
from .common import _date, _friendly, _plan_option, _registry_option, _state, app, err, out


DB_HELP = "Tệp cơ sở dữ liệu báo cáo (mặc định: biến môi trường KEHOACH_DB, hoặc kehoach-data/bao-cao.sqlite3)."


def _db_option():
    return typer.Option(None, "--db", help=DB_HELP, show_default=False)


def _os_user() -> str:
    """Who runs the command, for the history ("" when the system cannot tell)."""
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return ""


@app.command(help="Nhận các biểu mẫu .docx đã điền (tệp hoặc thư mục) và lưu vào cơ sở dữ liệu báo cáo.")
@_friendly
def ingest(
    paths: list[Path] = typer.Argument(..., help="Các tệp .docx hoặc thư mục chứa chúng.", show_default=False,
                                       metavar="TỆP_HOẶC_THƯ_MỤC"),
    db: Path | None = _db_option(),
    year: int | None = typer.Option(None, "--year", help="Chỉ nhận biểu mẫu của năm này.", show_default=False),
    agency: str | None = typer.Option(None, "--agency", help="Chỉ nhận biểu mẫu của đơn vị này (mã đơn vị, tên tệp "
                                      "biểu mẫu hoặc tên đơn vị), như trang nộp báo cáo của đơn vị.",
                                      show_default=False, metavar="ĐƠN_VỊ"),
    plan: Path | None = _plan_option(),
    registry: Path | None = _registry_option(),
    jobs: int | None = typer.Option(None, "--jobs", min=1, help="Số tiến trình đọc song song khi có nhiều tệp "
                                    "(mặc định: số lõi CPU).", show_default=False),
    received: str | None = typer.Option(None, "--received", help="Ngày các tệp đến (ngày/tháng/năm, ví dụ ngày trên "
                                        "thư điện tử); dùng để tính nộp đúng hạn hay muộn (mặc định: hôm nay).",
                                        show_default=False),
):
    from ..returns.ingest import ingest as receive
    from ..returns.ingest_lines import ERROR, NOTE, ingest_line
    from ..returns.review import arrival_day

    today = dt.date.today()
    arrived_on = arrival_day(_date(received, "--received"), today) if received is not None else None
    failed = 0
    events = receive(paths, db=db, year=year, plan_dir=plan, registry=registry, jobs=jobs, arrived_on=arrived_on,
                     user=_os_user(), today=today, debug=_state["debug"], agency=agency)
    with contextlib.closing(events):  # stopped early (Ctrl+C, a closed pipe): the workers stop, the database closes
        for e in events:
            line = ingest_line(e)
            if line.level in (ERROR, NOTE):
                err.print(line.text, markup=False)
            elif line.details:
                out.file.write("\n".join([line.text, *(f"    {d}" for d in line.details)]) + "\n")
            elif e.kind == "added":
                out.file.write(line.text + "\n")  # plain lines: thousands of files, no markup needed
            else:
                out.print(line.text, markup=False)
            if e.kind == "done":
                failed = e.counts[2]
    if failed:
        raise typer.Exit(1)


@app.command(help="Xem đơn vị nào đã nộp, chưa nộp, nộp có cảnh báo hoặc nộp muộn báo cáo của một năm.")
@_friendly
def status(
    year: int = typer.Option(dt.date.today().year, "--year", help="Năm báo cáo (mặc định: năm nay)."),
    db: Path | None = _db_option(),
    plan: Path | None = _plan_option(),
    registry: Path | None = _registry_option(),
    today: str | None = typer.Option(None, "--today", hidden=True, help="Ngày hôm nay (YYYY-MM-DD), để thử."),
):
    from ..returns.status import status_rows
    from ..returns.store import db_path

    p = plan_of_year(plan, year, registry)
    try:
        now = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError:
        raise KehoachError(f'--today "{today}" không phải ngày dạng NĂM-THÁNG-NGÀY (2024-12-15)') from None
    from ..returns.review import state_label

    statuses, due, path = status_rows(p, year, db, now)
    if path is None:
        err.print(f'Chú ý: chưa có cơ sở dữ liệu "{db_path(db)}": chưa nhận biểu mẫu nào (hoặc hãy chỉ đúng tệp bằng '
                  "--db).", markup=False)
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
    from ..returns.board import round_counts

    n = round_counts(statuses)  # a report to be corrected is counted apart, not as sent
    corrections = [r for r in statuses if r.counted is not None and r.counted.review_state == "can-bo-sung"]
    when = "đã quá hạn" if now > due else f"còn {(due - now).days} ngày" if now < due else "hôm nay là hạn cuối"
    to_correct = f"cần bổ sung {n.correction}; " if n.correction else ""
    out.print(f"Đã nộp {n.sent}/{n.expected} đơn vị ({n.warned} có cảnh báo, {n.late} nộp muộn); {to_correct}"
              f"chưa nộp {n.missing}. Hạn nộp: {long_date(due)} ({when}).", markup=False)
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
    from ..returns.summary import write_year_summary

    p = plan_of_year(plan, year, registry)
    target = out_dir or Path("output") / p.id / str(year) / "tong-hop"
    written = write_year_summary(p, year, db, target)  # built in memory first: nothing written on error
    files, expected, reported = written.files, written.expected, written.reported
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
    from ..returns.store import open_store
    from ..returns.review import review_version, state_label

    p = plan_of_year(plan, year, registry)
    with open_store(db, create=False) as store:
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
    from ..returns.status import local_time
    from ..returns.store import open_store
    from ..forms.contract import SECTIONS
    from ..returns.review import ROLE_LABELS, agency_record, describe, state_label, who

    p = plan_of_year(plan, year, registry)
    with open_store(db, create=False) as store:
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
        lines.append(f"    Nhận lúc: {local_time(s.received_at):%H:%M ngày %d/%m/%Y}{arrived}")
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
    lines += [f"    {local_time(e.at):%d/%m/%Y %H:%M:%S} — {shown(who(e))} — {shown(describe(e))}" for e in record.events]
    out.file.write("\n".join(lines) + "\n")


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


@app.command("check-db", help="Kiểm tra cơ sở dữ liệu báo cáo (chỉ đọc, không sửa gì): cấu trúc tệp, mã băm sha256 "
                              "của mọi tệp gốc, đọc lại mọi tệp gốc để đối chiếu, tính nhất quán giữa các bảng.")
@_friendly
def check_db(db: Path | None = _db_option(), plan: list[Path] | None = _plans_option(),
             registry: Path | None = _registry_option()):
    from ..returns.reread import rereader
    from ..returns.store import db_path
    from ..returns.dbcheck import check_database

    path = db_path(db)
    report = check_database(path, reread=rereader(plan, registry))
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
    from ..returns.dbschema import SCHEMA_VERSION

    if report.schema_version < SCHEMA_VERSION:
        missing = ("trạng thái duyệt và lịch sử" if report.schema_version < 2 else
                   "tài khoản, liên kết và nhật ký của ứng dụng web")
        out.print(f"Chú ý: cơ sở dữ liệu có cấu trúc cũ (phiên bản {report.schema_version}, chưa có {missing}); "
                  "kehoach tự nâng cấp khi nhận hoặc duyệt báo cáo lần tới, mọi báo cáo đã có được giữ "
                  "nguyên.", markup=False)


@app.command(help="Sao lưu toàn bộ cơ sở dữ liệu báo cáo (mọi bản báo cáo, tệp gốc, mã băm) vào một tệp .zip.")
@_friendly
def export(
    db: Path | None = _db_option(),
    out_file: Path | None = typer.Option(None, "--out", help="Tệp sao lưu cần ghi (mặc định: "
                                         "sao-luu-bao-cao-<ngày>.zip trong thư mục hiện tại).", show_default=False),
):
    from ..returns.store import db_path
    from ..returns.archive import export_archive

    path = db_path(db)
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
    from ..returns.reread import rereader
    from ..returns.store import db_path
    from ..returns.archive import import_archive

    path = db_path(db)
    summary = import_archive(archive, path, reread=rereader(plan, registry))
    out.print(f"Đã khôi phục {_counted(summary.submissions, summary.agencies, summary.years)} từ {archive} vào "
              f"{path}; mọi tệp gốc khớp mã băm sha256 và khi đọc lại cho đúng dữ liệu trong tệp sao lưu.",
              markup=False)
