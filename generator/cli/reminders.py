"""The `reminders` command: the reminder letter (công văn đôn đốc) of a year and the list for an email."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from ..office.display import shown
from ..office.vnformat import long_date
from ..plan.loader import plan_of_year
from .common import _date, _friendly, _plan_option, _registry_option, app, err, out
from .returns import _db_option


@app.command(help="Viết công văn đôn đốc (.docx) gửi các đơn vị chưa gửi báo cáo của năm hoặc có báo cáo cần bổ "
                  "sung, và in danh sách các đơn vị đó (để dán vào thư điện tử).")
@_friendly
def reminders(
    year: int = typer.Option(dt.date.today().year, "--year", help="Năm báo cáo (mặc định: năm nay)."),
    db: Path | None = _db_option(),
    plan: Path | None = _plan_option(),
    registry: Path | None = _registry_option(),
    out_file: Path | None = typer.Option(None, "--out", help="Tệp .docx cần ghi (mặc định: output/<mã kế hoạch>/"
                                         "cong-van-don-doc-<năm>-<ngày công văn>.docx).", show_default=False),
    date: str | None = typer.Option(None, "--date", help="Ngày của công văn (ngày/tháng/năm; mặc định: hôm nay).",
                                    show_default=False),
    by: str | None = typer.Option(None, "--by", help="Hạn gửi báo cáo ghi trong công văn (ngày/tháng/năm; mặc định: "
                                  "hạn báo cáo của năm, hoặc 7 ngày sau ngày công văn nếu đã quá hạn).",
                                  show_default=False),
):
    from ..returns.reminders import nobody_to_remind, reminder_lines, write_reminders
    from ..returns.store import db_path

    p = plan_of_year(plan, year, registry)
    when = _date(date, "--date")
    until = _date(by, "--by") if by is not None else None
    r, written, path = write_reminders(p, year, db, when, out_file, until)
    if path is None:
        err.print(f'Chú ý: chưa có cơ sở dữ liệu "{db_path(db)}": chưa nhận biểu mẫu nào (hoặc hãy chỉ đúng tệp bằng '
                  "--db).", markup=False)
    if r.own is not None:
        err.print(f"Chú ý: phiếu tổng hợp của chính {r.sender.name} {r.own.reason_text}"
                  + (f": {shown(r.own.note)}" if r.own.note else "") + " (không ghi vào công văn).", markup=False)
    if written is None:
        out.print(nobody_to_remind(year), markup=False)
        return
    out.print(f"Đã ghi công văn đôn đốc ngày {when:%d/%m/%Y} gửi {len(r.addressees)} đơn vị ({len(r.missing)} chưa gửi, "
              f"{len(r.corrections)} cần bổ sung; hạn gửi: {long_date(r.by)}): {written}", markup=False)
    out.file.write("\n".join(shown(line) for line in reminder_lines(r.items)) + "\n")
