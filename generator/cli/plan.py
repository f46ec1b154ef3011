"""The commands of the outgoing side: validate, appendix, pack, diff."""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path

import typer

from .. import paths
from ..errors import KehoachError
from ..fsutil import atomic_write_bytes
from ..plan.loader import load_folder, load_plan, plan_folder
from .common import _date, _friendly, _plan_option, _plan_warnings, _registry_option, app, err, out
from .returns import _db_option


@app.command(help="Kiểm tra dữ liệu kế hoạch (mỗi lỗi một dòng dạng tệp:dòng: nội dung) và mẫu biểu mẫu .docx.")
@_friendly
def validate(
    plan: Path | None = _plan_option(),
    template: Path | None = typer.Option(
        None, "--template", help="Mẫu biểu mẫu .docx cần kiểm tra (mặc định: templates/bao-cao-don-vi.docx)."),
    registry: Path | None = _registry_option(),
):
    from ..forms.render import check_template

    plan_dir = plan_folder(plan)
    p = load_folder(plan, registry=registry)
    _plan_warnings(p)
    out.print(
        f"Kế hoạch {p.meta.number} hợp lệ: {len(p.groups)} nhóm, {len(p.tasks)} nhiệm vụ, "
        f"{len(p.registry.agencies)} đơn vị, {len(p.registry.groups)} nhóm đơn vị.",
        markup=False,
    )
    year = max(p.meta.date.year, dt.date.today().year)
    checked = check_template(template or paths.templates_dir() / "bao-cao-don-vi.docx",
                             load_plan(plan_dir, report_year=year, registry=registry), year)
    out.print(f"Mẫu {checked.name} hợp lệ: {checked.tags} thẻ, đã thử tạo biểu mẫu năm {year} của "
              f"{', '.join(checked.samples)}.", markup=False)


@app.command(help="Ghi PHỤ LỤC của kế hoạch ra tệp Excel (.xlsx).")
@_friendly
def appendix(
    plan: Path | None = _plan_option(),
    out_file: Path | None = typer.Option(None, "--out", help="Tệp .xlsx cần ghi (mặc định: output/<mã kế hoạch>/phu-luc.xlsx)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Phụ lục có hiệu lực vào ngày này (ngày/tháng/năm; mặc định: hôm nay)."),
    registry: Path | None = _registry_option(),
):
    from ..forms.appendix import build_appendix

    p = load_folder(plan, _date(as_of, "--as-of"), registry)
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
    registry: Path | None = _registry_option(),
    base_url: str | None = typer.Option(None, "--base-url", help="Địa chỉ các đơn vị dùng để mở kehoach serve (ví dụ "
                                        "https://baocao.example.gov.vn): cấp liên kết nộp báo cáo cho mỗi đơn vị và "
                                        "ghi vào đoạn cuối biểu mẫu của đơn vị.", show_default=False),
    reissue_links: bool = typer.Option(False, "--reissue-links", help="Với --base-url: cấp liên kết mới cả cho đơn vị "
                                       "đã có liên kết (liên kết đã gửi thôi dùng được)."),
    db: Path | None = _db_option(),
):
    from ..forms.pack import AppendixJob, write_pack
    from ..plan.loader import check_year
    from ..workers import jobs_default

    # the plan in force at that year's reporting deadline
    p = load_plan(plan_folder(plan), report_year=year, registry=registry)
    check_year(p, year)
    _plan_warnings(p)
    # With more than one process allowed, a child builds the appendix while this process imports docx and jinja2,
    # compiles and checks the template and renders the forms; leaving the block stops it (see AppendixJob).
    with AppendixJob(p, fork=(jobs or jobs_default()) > 1) as appendix:
        from ..forms.render import FormTemplate

        tpl = FormTemplate(template or paths.templates_dir() / "bao-cao-don-vi.docx")
        tpl.check(p, year)  # a broken template is refused before any folder is created
        links = _form_links(p, year, base_url, reissue_links, db)
        target = out_dir or Path("output") / p.id / str(year)
        if err.is_terminal or err.is_interactive or err.is_jupyter:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err,
                          transient=True) as progress:
                bar = progress.add_task("Đang tạo biểu mẫu", total=None)
                result = write_pack(p, year, tpl, target, jobs, on_form=lambda at: progress.advance(bar),
                                    appendix=appendix, links=links)
        else:  # stderr is a file or a pipe: no progress bar (and no need to import rich.progress)
            result = write_pack(p, year, tpl, target, jobs, appendix=appendix, links=links)
    from rich.table import Table

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
    if links:
        out.print(f"Đã cấp {len(links)} liên kết nộp báo cáo, mỗi liên kết ghi ở đoạn cuối biểu mẫu của đơn vị đó.",
                  markup=False)
    # Every file is written and closed. When the interpreter exits it runs full collections over every object
    # (some 0.08 s, longer than rendering the forms) only to find no garbage: exempt the objects alive now.
    gc.freeze()


def _form_links(p, year: int, base_url: str | None, reissue: bool, db: Path | None) -> dict[str, str] | None:
    """`pack --base-url`: every reporting agency's link, issued now (returns.packlinks); None without --base-url."""
    if base_url is None:
        if reissue:
            raise KehoachError("--reissue-links chỉ dùng cùng --base-url (địa chỉ ghi vào liên kết trong biểu mẫu)")
        return None
    from ..returns.links import checked_base_url
    from ..returns.packlinks import form_links
    from ..returns.store import open_store
    from .returns import _os_user

    url = checked_base_url(base_url)
    with open_store(db, create=True) as store:
        return form_links(store, p, year, url, reissue=reissue, by=_os_user())


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
    registry: Path | None = _registry_option(),
):
    from ..plan.diff import diff_plans

    if from_plan or to_plan:
        if not (from_plan and to_plan):
            raise KehoachError("cần cả --from-plan và --to-plan khi so sánh hai thư mục kế hoạch")
        old, new = load_plan(from_plan, registry=registry), load_plan(to_plan, registry=registry)
        label = f"{from_plan} → {to_plan}"
        report_year = year or dt.date.today().year
    else:
        if from_date is None:
            raise KehoachError("cần --from NGÀY (hoặc --from-plan và --to-plan)")
        start, end = _date(from_date, "--from"), _date(to_date, "--to")
        old, new = load_folder(plan, start, registry), load_folder(plan, end, registry)
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
