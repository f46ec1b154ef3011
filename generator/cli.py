"""The `kehoach` command line: a thin shell over the library (loader, appendix, pack)."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from . import paths
from .errors import KehoachError, PlanInvalid
from .fsutil import atomic_write_bytes
from .loader import load_plan
from .model import Plan

app = typer.Typer(
    help="kehoach: tạo biểu mẫu báo cáo (.docx) và phụ lục (.xlsx) cho kế hoạch của UBND tỉnh.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
_state = {"debug": False}

PLAN_HELP = "Thư mục dữ liệu kế hoạch (mặc định: kế hoạch 1627/KH-UBND có sẵn)."


def _plan_option() -> Path | None:
    return typer.Option(None, "--plan", help=PLAN_HELP, show_default=False)


def _friendly(fn):
    """Print user errors as Vietnamese sentences with exit code 1; --debug shows the traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except PlanInvalid as e:
            for p in e.problems:
                err.print(str(p), markup=False)
            err.print(f"Kế hoạch không hợp lệ: {len(e.problems)} lỗi; không có tệp nào được ghi.", markup=False)
            raise typer.Exit(1)
        except KehoachError as e:
            if _state["debug"]:
                raise
            err.print(f"Lỗi: {e}", markup=False)
            raise typer.Exit(1)
        except OSError as e:
            if _state["debug"]:
                raise
            err.print(f"Lỗi ghi/đọc tệp: {e.strerror} ({e.filename}); kiểm tra đường dẫn và quyền ghi.", markup=False)
            raise typer.Exit(1)

    return wrapper


def _load(plan_dir: Path | None, as_of: dt.date | None = None) -> Plan:
    return load_plan(plan_dir or paths.default_plan_dir(), as_of)


def _date(text: str | None, option: str) -> dt.date:
    """A date typed as 30/6/2025 or 2025-06-30; today when not given."""
    if text is None:
        return dt.date.today()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            pass
    raise KehoachError(f'{option} "{text}" không phải là ngày; hãy ghi dạng ngày/tháng/năm, ví dụ 30/6/2025')


@app.callback()
def _main(debug: bool = typer.Option(False, "--debug", help="Hiện chi tiết kỹ thuật (traceback) khi có lỗi.")):
    _state["debug"] = debug


@app.command(help="Kiểm tra dữ liệu kế hoạch; mỗi lỗi một dòng dạng tệp:dòng: nội dung.")
@_friendly
def validate(plan: Path | None = _plan_option()):
    p = _load(plan)
    out.print(
        f"Kế hoạch {p.meta.number} hợp lệ: {len(p.groups)} nhóm, {len(p.tasks)} nhiệm vụ, "
        f"{len(p.registry.agencies)} đơn vị, {len(p.registry.groups)} nhóm đơn vị.",
        markup=False,
    )


@app.command(help="Ghi PHỤ LỤC của kế hoạch ra tệp Excel (.xlsx).")
@_friendly
def appendix(
    plan: Path | None = _plan_option(),
    out_file: Path | None = typer.Option(None, "--out", help="Tệp .xlsx cần ghi (mặc định: output/<mã kế hoạch>/phu-luc.xlsx)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Phụ lục có hiệu lực vào ngày này (ngày/tháng/năm; mặc định: hôm nay)."),
):
    from .appendix import build_appendix

    p = _load(plan, _date(as_of, "--as-of"))
    target = out_file or Path("output") / p.id / "phu-luc.xlsx"
    atomic_write_bytes(target, build_appendix(p))
    out.print(f"Đã ghi phụ lục: {target}", markup=False)


@app.command(help="Tạo bộ biểu mẫu báo cáo của một năm: mỗi đơn vị một tệp .docx, phụ lục và manifest.json.")
@_friendly
def pack(
    year: int = typer.Option(dt.date.today().year, "--year", help="Năm báo cáo (mặc định: năm nay)."),
    plan: Path | None = _plan_option(),
    out_dir: Path | None = typer.Option(None, "--out", help="Thư mục ghi (mặc định: output/<mã kế hoạch>/<năm>)."),
    template: Path | None = typer.Option(None, "--template", help="Mẫu biểu mẫu .docx (mặc định: templates/bao-cao-don-vi.docx)."),
    jobs: int | None = typer.Option(None, "--jobs", min=1, help="Số tiến trình song song khi có nhiều biểu mẫu (mặc định: số lõi CPU)."),
):
    from .docxform import FormTemplate
    from .pack import check_year, write_pack

    # the plan in force at that year's reporting deadline
    p = load_plan(plan or paths.default_plan_dir(), report_year=year)
    check_year(p, year)
    tpl = FormTemplate(template or paths.templates_dir() / "bao-cao-don-vi.docx")
    target = out_dir or Path("output") / p.id / str(year)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err,
                  transient=True) as progress:
        bar = progress.add_task("Đang tạo biểu mẫu", total=None)
        result = write_pack(p, year, tpl, target, jobs, on_form=lambda at: progress.advance(bar))
    for warning in result.warnings:
        err.print(f"Cảnh báo: {warning}", markup=False)
    forms = result.manifest["forms"]
    table = Table(title=f"Bộ biểu mẫu năm {year}", show_header=False, show_edge=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("Đơn vị nhận biểu mẫu", str(len(forms)))
    table.add_row("Biểu mẫu .docx", str(len(forms)))
    table.add_row("Nhiệm vụ trong kế hoạch", str(len(p.tasks)))
    table.add_row("Nhiệm vụ được giao (lượt chủ trì / phối hợp)",
                  f"{sum(len(f['lead']) for f in forms)} / {sum(len(f['partner']) for f in forms)}")
    table.add_row("Nhiệm vụ đã hết hạn (lượt)", str(sum(len(f["expired"]) for f in forms)))
    table.add_row("Nơi nhận báo cáo", result.manifest["receiver"])
    out.print(table)
    out.print(f"Đã ghi {len(forms)} biểu mẫu, phu-luc.xlsx và manifest.json vào {target}", markup=False)


@app.command(help="So sánh hai thời điểm (hoặc hai thư mục) của kế hoạch: nhiệm vụ bổ sung, bãi bỏ, sửa đổi và "
                  "các đơn vị cần gửi lại biểu mẫu.")
@_friendly
def diff(
    from_date: str | None = typer.Option(None, "--from", help="Ngày trước (ngày/tháng/năm)."),
    to_date: str | None = typer.Option(None, "--to", help="Ngày sau (mặc định: hôm nay)."),
    plan: Path | None = _plan_option(),
    from_plan: Path | None = typer.Option(None, "--from-plan", help="Thư mục kế hoạch cũ (thay cho --from)."),
    to_plan: Path | None = typer.Option(None, "--to-plan", help="Thư mục kế hoạch mới (thay cho --to)."),
    year: int | None = typer.Option(None, "--year", help="Năm báo cáo để so sánh biểu mẫu (mặc định: năm của ngày sau)."),
):
    from .diff import diff_plans

    if from_plan or to_plan:
        if not (from_plan and to_plan):
            raise KehoachError("cần cả --from-plan và --to-plan khi so sánh hai thư mục kế hoạch")
        old, new = load_plan(from_plan), load_plan(to_plan)
        label = f"{from_plan} → {to_plan}"
        report_year = year or dt.date.today().year
    else:
        if from_date is None:
            raise KehoachError("cần --from NGÀY (hoặc --from-plan và --to-plan)")
        start, end = _date(from_date, "--from"), _date(to_date, "--to")
        old, new = _load(plan, start), _load(plan, end)
        label = f"ngày {start:%d/%m/%Y} → ngày {end:%d/%m/%Y}"
        report_year = year or end.year
    d = diff_plans(old, new, report_year)
    out.print(f"So sánh Kế hoạch {new.meta.number}: {label}", markup=False)
    if d.empty:
        out.print("Không có thay đổi.")
        return
    sections = (
        ("Nhiệm vụ bổ sung", [f"  + {t.code} [{t.id}] {t.task}" for t in d.added]),
        ("Nhiệm vụ bãi bỏ", [f"  - {t.code} [{t.id}] {t.task}" for t in d.removed]),
        ("Nhiệm vụ sửa đổi", [line for c in d.changed for line in (
            f"  ~ {c.task.code} [{c.task.id}]",
            *(f'      {f.label}: "{f.old}" → "{f.new}"' for f in c.changes))]),
        ("Nhóm nhiệm vụ", [f'  ~ [{g.field}] "{g.old}" → "{g.new}"' for g in d.groups]),
        (f"Biểu mẫu năm {report_year} cần gửi lại", [
            f"  {f.agency}.docx: {f.name} ({ {'new': 'biểu mẫu mới', 'dropped': 'không còn biểu mẫu', 'changed': 'thay đổi'}[f.kind]})"
            for f in d.forms]),
    )
    for title, lines in sections:
        if lines:
            out.print(f"{title}:", markup=False)
            for line in lines:
                out.print(line, markup=False)


def main() -> None:
    app(prog_name="kehoach")


from . import cli_reports  # noqa: E402,F401  (registers the commands for returned forms)
