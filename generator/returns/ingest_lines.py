"""What an ingest run says, event by event (`ingest.IngestEvent`): the lines `kehoach ingest` prints and the office's
upload page shows, worded once here (pure: no printing)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..office.display import shown
from .ingest import IngestEvent
from .model import Submission
from .status import local_time

ERROR, NOTE, DONE = "error", "note", "done"  # `ReportLine.level`: "Lỗi: ..." / "Chú ý: ..." (stderr), else stdout


@dataclass(frozen=True)
class ReportLine:
    kind: str  # the event's kind
    level: str  # ERROR | NOTE | DONE
    text: str
    details: tuple[str, ...] = ()  # printed indented under `text`: the warnings of a file received ("Cảnh báo: ...")
    agency: str = ""  # the agency id of a file received or already there ("" otherwise)


def show_command(s: Submission) -> str:
    """Where the command line sends the clerk to see which version counts."""
    return f"kehoach show {s.agency} --year {s.year}"


def ingest_line(e: IngestEvent, *, see: Callable[[Submission], str] = show_command,
                with_database: bool = True) -> ReportLine:
    """The line an event is told as. `see`: where to look at an agency's versions (a duplicate that does not count);
    `with_database`: the final count names the database file."""
    if e.kind in ("unusable", "failed"):
        return ReportLine(e.kind, ERROR, f"Lỗi: {shown(e.path)}: {e.message}")
    if e.kind == "skipped":
        return ReportLine(e.kind, NOTE, f"Chú ý: {shown(e.path)}: {e.message}")
    if e.kind == "stopped":
        return ReportLine(e.kind, ERROR, f"Lỗi: dừng nhận, {e.count} tệp còn lại chưa được nhận; các tệp đã nhận vẫn "
                                         "được lưu, hãy chạy lại lệnh sau khi khắc phục")
    if e.kind == "duplicate":
        s = e.submission
        hint = "" if e.counted else f"; bản này không phải phiên bản được tính, xem: {see(s)}"
        return ReportLine(e.kind, DONE, f"Bỏ qua (đã có): {shown(e.path)} — {e.agency}, năm {s.year}, phiên bản "
                                        f"{s.version} (nhận lúc {local_time(s.received_at):%H:%M ngày %d/%m/%Y}){hint}",
                          agency=s.agency)
    if e.kind == "added":
        s = e.submission
        return ReportLine(e.kind, DONE, f"Đã nhận: {shown(e.path)} — {e.agency}, năm {s.year}, phiên bản {s.version}",
                          tuple(f"Cảnh báo: {shown(w)}" for w in s.all_warnings), agency=s.agency)
    if e.kind == "done":
        added, duplicates, failed = e.counts
        total = f"Đã nhận {added} tệp mới, {duplicates} tệp đã có, {failed} lỗi"
        where = f"; cơ sở dữ liệu: {shown(e.path)}" if e.path is not None and with_database else "."
        return ReportLine(e.kind, DONE, total + where)
    raise ValueError(f"unknown ingest event {e.kind!r}")
