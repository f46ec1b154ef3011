"""The `kehoach` command line: a thin shell over the library (loader, appendix, pack)."""

from __future__ import annotations

from . import cli_exit

_sigint_before = cli_exit.stop_at_once()  # Ctrl+C while the libraries below load: the sentence, not a traceback

import datetime as dt  # noqa: E402
import errno
import functools
import gc
import re
import sys
from pathlib import Path

# Importing the libraries creates some 100 000 long-lived objects and hardly any garbage, yet with Python's default
# threshold (700) the cyclic collector runs about a hundred times while they load, some 5 % of a `pack`. Collect
# young objects every 100 000 allocations instead: a short command rarely collects at all, a long one still does.
gc.set_threshold(100_000, 10, 10)

import typer  # noqa: E402 - after the collector is tuned

from . import cli_text, paths
from .errors import KehoachError, PlanInvalid
from .fsutil import atomic_write_bytes
from .loader import load_plan
from .model import Plan

app = typer.Typer(
    cls=cli_text.VietnameseGroup,
    help="kehoach: tạo biểu mẫu báo cáo (.docx) và phụ lục (.xlsx) cho kế hoạch của UBND tỉnh.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


class _LazyConsole:
    """A rich Console created on first use: rich is imported only when something is printed with it."""

    def __init__(self, **options):
        self._options = options
        self._console = None

    def __getattr__(self, name: str):
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
            self._console.on_broken_pipe = _pipe_broke  # not rich's SystemExit(1): main() ends quietly
        return getattr(self._console, name)


def _pipe_broke() -> None:
    raise BrokenPipeError(errno.EPIPE, "Broken pipe")


out = _LazyConsole(highlight=False, soft_wrap=True)
err = _LazyConsole(stderr=True, highlight=False, soft_wrap=True)
_state = {"debug": False}

PLAN_HELP = "Thư mục dữ liệu kế hoạch (mặc định: kế hoạch 1627/KH-UBND có sẵn)."


def _plan_option() -> Path | None:
    return typer.Option(None, "--plan", help=PLAN_HELP, show_default=False)


REGISTRY_HELP = ("Danh mục đơn vị của tỉnh: một tệp .yaml, hoặc thư mục chứa tệp <tên>.yaml (mặc định: tên ghi ở "
                 '"registry" trong plan.yaml, tìm trong thư mục registries cạnh thư mục kế hoạch, rồi trong dữ liệu '
                 "có sẵn của kehoach).")


def _registry_option() -> Path | None:
    return typer.Option(None, "--registry", help=REGISTRY_HELP, show_default=False)


def _plan_warnings(p: Plan) -> None:
    """What the plan's files say that does not refuse the plan (file:line), as `validate` and `pack` print it."""
    for warning in p.warnings:
        err.print(f"Cảnh báo: {warning}", markup=False)


def _shown_path(name: object) -> str:
    """A path as the clerk knows it: kehoach's hidden staging and temporary names replaced by the real target."""
    text = str(name)
    text = re.sub(r"(^|/)\.([^/]+?)\.new\.[^/]+", r"\1\2", text)
    return re.sub(r"(^|/)\.([^/]+?)\.[^/.]+\.tmp$", r"\1\2", text)


def os_error_sentence(e: OSError) -> str:
    """An operating-system error as one Vietnamese sentence: what is wrong and what to do."""
    where = f' "{_shown_path(e.filename)}"' if e.filename else ""
    code = e.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return (f"hết dung lượng đĩa khi ghi{where}; hãy giải phóng dung lượng đĩa (hoặc ghi sang ổ khác bằng --out) "
                "rồi chạy lại, các tệp đã có vẫn giữ nguyên")
    if code in (errno.EACCES, errno.EPERM):
        return (f"không có quyền truy cập{where}; hãy chọn thư mục khác (--out, --db) hoặc nhờ người quản trị máy cấp "
                "quyền ghi")
    if code == errno.EROFS:
        return f"ổ đĩa chỉ cho phép đọc{where}; hãy ghi sang thư mục khác bằng --out"
    if code == errno.ENOENT:
        return f"không tìm thấy{where}; hãy kiểm tra lại đường dẫn"
    if code == errno.EISDIR:
        return f"{where.strip() or 'đường dẫn'} là một thư mục, không phải tệp; hãy ghi đường dẫn tới một tệp"
    if code == errno.ENOTDIR:
        return f"một phần của đường dẫn{where} là tệp chứ không phải thư mục; hãy kiểm tra lại đường dẫn"
    if code == errno.EEXIST:
        return f"không tạo được thư mục{where} vì đã có một tệp cùng tên; hãy đổi đường dẫn (--out) hoặc đổi tên tệp đó"
    if code == errno.ENAMETOOLONG:
        return f"tên tệp hoặc đường dẫn quá dài{where}; hãy dùng thư mục có đường dẫn ngắn hơn"
    name = errno.errorcode.get(code, str(code)) if code is not None else type(e).__name__
    return (f"lỗi hệ thống tệp khi đọc hoặc ghi{where} (mã {name}); hãy kiểm tra đường dẫn, quyền ghi và dung lượng "
            "đĩa rồi chạy lại")


def _fail(message: str, code: int = 1):
    err.print(f"Lỗi: {message}", markup=False)
    raise typer.Exit(code)


def _stopped():
    err.print(cli_exit.STOPPED, markup=False)
    raise typer.Exit(130)


def _interrupted(e: BaseException | None) -> bool:
    """Whether `e` was raised while a Ctrl+C unwound the stack: zipfile, interrupted in the middle of writing an
    entry, refuses to close the archive (ValueError); that is still Ctrl+C, not a bug."""
    while e is not None:
        if isinstance(e, KeyboardInterrupt):
            return True
        e = e.__context__
    return False


def _friendly(fn):
    """Print user errors as one Vietnamese sentence with exit code 1; --debug shows the traceback instead.

    Every exception a clerk can cause ends here: plan problems (one line each), kehoach's own errors, operating
    system errors (disk full, permission, missing path), SQLite errors, Ctrl+C and, as a last resort, any other
    exception (a bug: one sentence asking to rerun with --debug)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        cli_exit.command_starts()
        try:
            return guarded(*args, **kwargs)
        except BrokenPipeError as e:  # the reader of stdout or stderr went away (even while an error was printed)
            if not cli_exit.output_closed():  # another pipe (a worker process's): an error like any other
                if _state["debug"]:
                    raise
                _fail(os_error_sentence(e))
            raise typer.Exit(cli_exit.pipe_closed()) from None
        finally:
            cli_exit.command_ends()

    def guarded(*args, **kwargs):
        import sqlite3

        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except BrokenPipeError:
            raise
        except PlanInvalid as e:
            for p in e.problems:
                err.print(str(p), markup=False)
            err.print(f"Kế hoạch không hợp lệ: {len(e.problems)} lỗi; không có tệp nào được ghi.", markup=False)
            raise typer.Exit(1)
        except KeyboardInterrupt:
            if _state["debug"]:
                raise
            _stopped()
        except KehoachError as e:
            if _state["debug"]:
                raise
            _fail(str(e))
        except OSError as e:
            if _state["debug"]:
                raise
            _fail(os_error_sentence(e))
        except sqlite3.Error as e:
            if _state["debug"]:
                raise
            from .store import describe_sqlite_error

            _fail(str(describe_sqlite_error(e, None)))
        except MemoryError:
            if _state["debug"]:
                raise
            _fail("máy không đủ bộ nhớ để chạy lệnh này; hãy đóng bớt chương trình khác rồi chạy lại")
        except Exception as e:  # noqa: BLE001 - a bug must still not show a clerk a traceback
            if _state["debug"]:
                raise
            if _interrupted(e):
                _stopped()
            _fail(f"lỗi không mong đợi trong kehoach ({type(e).__name__}), các tệp đã có vẫn giữ nguyên; hãy chạy lại "
                  "lệnh với kehoach --debug ... và gửi toàn bộ nội dung hiện ra cho người phụ trách kỹ thuật")

    return wrapper


def _plan_dir(plan_dir: Path | None) -> Path:
    """The plan folder to use; a missing one is one sentence (not a list of problems)."""
    if plan_dir is None:
        return paths.default_plan_dir()
    if not plan_dir.is_dir():
        raise KehoachError(f'không tìm thấy thư mục kế hoạch "{plan_dir}"; hãy kiểm tra đường dẫn --plan (thư mục chứa '
                           "plan.yaml và tasks.yaml)")
    return plan_dir


def _load(plan_dir: Path | None, as_of: dt.date | None = None, registry: Path | None = None) -> Plan:
    return load_plan(_plan_dir(plan_dir), as_of, registry=registry)


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


@app.command(help="Kiểm tra dữ liệu kế hoạch (mỗi lỗi một dòng dạng tệp:dòng: nội dung) và mẫu biểu mẫu .docx.")
@_friendly
def validate(
    plan: Path | None = _plan_option(),
    template: Path | None = typer.Option(
        None, "--template", help="Mẫu biểu mẫu .docx cần kiểm tra (mặc định: templates/bao-cao-don-vi.docx)."),
    registry: Path | None = _registry_option(),
):
    from .docxform import check_template

    plan_dir = _plan_dir(plan)
    p = _load(plan, registry=registry)
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
    from .appendix import build_appendix

    p = _load(plan, _date(as_of, "--as-of"), registry)
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
):
    from .pack import AppendixJob, check_year, jobs_default, write_pack

    # the plan in force at that year's reporting deadline
    p = load_plan(_plan_dir(plan), report_year=year, registry=registry)
    check_year(p, year)
    _plan_warnings(p)
    # With more than one process allowed, a child builds the appendix while this process imports docx and jinja2,
    # compiles and checks the template and renders the forms; leaving the block stops it (see AppendixJob).
    with AppendixJob(p, fork=(jobs or jobs_default()) > 1) as appendix:
        from .docxform import FormTemplate

        tpl = FormTemplate(template or paths.templates_dir() / "bao-cao-don-vi.docx")
        tpl.check(p, year)  # a broken template is refused before any folder is created
        target = out_dir or Path("output") / p.id / str(year)
        if err.is_terminal or err.is_interactive or err.is_jupyter:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err,
                          transient=True) as progress:
                bar = progress.add_task("Đang tạo biểu mẫu", total=None)
                result = write_pack(p, year, tpl, target, jobs, on_form=lambda at: progress.advance(bar),
                                    appendix=appendix)
        else:  # stderr is a file or a pipe: no progress bar (and no need to import rich.progress)
            result = write_pack(p, year, tpl, target, jobs, appendix=appendix)
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
    # Every file is written and closed. When the interpreter exits it runs full collections over every object
    # (some 0.08 s, longer than rendering the forms) only to find no garbage: exempt the objects alive now.
    gc.freeze()


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
    from .diff import diff_plans

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
        old, new = _load(plan, start, registry), _load(plan, end, registry)
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


def _usage_context(e: Exception):
    """The command a usage error belongs to: click's parser raises some errors (an option without its value)
    without one, then the context of the innermost command being parsed is the one."""
    ctx = getattr(e, "ctx", None)
    found, tb = None, e.__traceback__
    while tb is not None:
        candidate = tb.tb_frame.f_locals.get("ctx")
        if hasattr(candidate, "command_path"):
            found = candidate
        tb = tb.tb_next
    return ctx or found


def _usage_sentence(e: Exception) -> str:
    """A command-line usage error (typer/click, English) as one Vietnamese sentence; no English word of click's
    reaches the clerk (`--debug` shows the original)."""
    from typer._click import exceptions as ce

    ctx = _usage_context(e)
    command = ctx.command_path if ctx is not None else "kehoach"
    help_hint = f"xem cách dùng bằng {command} --help"
    message = getattr(e, "message", "") or str(e)
    if isinstance(e, ce.NoSuchOption):
        maybe = getattr(e, "possibilities", None)
        guess = f" (có phải là {', '.join(sorted(maybe))}?)" if maybe else ""
        return f'lệnh {command} không có tùy chọn "{e.option_name}"{guess}; {help_hint}'
    param = getattr(e, "param", None)
    name = "/".join(getattr(param, "opts", None) or []) or getattr(param, "name", None) or ""
    if isinstance(e, ce.MissingParameter):
        what = {"paths": "tệp hoặc thư mục cần nhận", "archive": "tệp sao lưu cần khôi phục",
                "agency": "đơn vị (mã đơn vị hoặc tên tệp biểu mẫu)"}.get(getattr(param, "name", ""), name)
        return f"thiếu {what or 'một giá trị bắt buộc'} cho lệnh {command}; {help_hint}"
    if isinstance(e, ce.BadParameter):
        value = re.search(r"['\"](.*?)['\"] (?:is not|does not)|input_value=['\"]?([^'\",)]*)", message)
        shown = next((g for g in value.groups() if g), None) if value else None
        if shown is None and hasattr(e.__cause__, "errors"):  # typer checks values with pydantic
            shown = next((str(x["input"]) for x in e.__cause__.errors() if isinstance(x.get("input"), str)), None)
        kind = "số nguyên" if "integer" in message else "giá trị hợp lệ"
        limit = re.search(r"(greater|less) than or equal to (-?\d+)", message)
        if limit:
            kind = f"số nguyên {'từ' if limit[1] == 'greater' else 'tối đa'} {limit[2]}"
        if choices := re.search(r"is not one of (.+?)\.?$", message):
            kind = f"một trong các giá trị {choices[1]}"
        if "does not exist" in message:
            kind = "đường dẫn tới tệp hoặc thư mục đã có"
        got = f' "{shown}"' if shown else ""
        return f"giá trị{got} của {name or 'tham số'} không hợp lệ, cần {kind}; {help_hint}"
    if m := re.match(r"No such command '(.+?)'", message):
        commands = ", ".join(sorted(app_commands()))
        return f'không có lệnh "{m[1]}"; các lệnh là: {commands} (xem kehoach --help)'
    if message.startswith("Missing command"):
        commands = ", ".join(sorted(app_commands()))
        return f"thiếu tên lệnh sau {command}; các lệnh là: {commands} (xem kehoach --help)"
    if m := re.match(r"Got unexpected extra arguments?(?:\(s\))? \((.+)\)", message):
        return f'thừa đối số "{m[1]}" cho lệnh {command}; {help_hint}'
    if m := re.match(r"Option '(.+?)' requires (an argument|\d+ arguments)", message):
        count = "một giá trị" if m[2] == "an argument" else f"{m[2].split()[0]} giá trị"
        return f'tùy chọn "{m[1]}" cần {count} ghi ngay sau nó; {help_hint}'
    if m := re.match(r"Option '(.+?)' does not take a value", message):
        return f'tùy chọn "{m[1]}" không nhận giá trị (chỉ ghi "{m[1]}"); {help_hint}'
    if m := re.match(r"Argument '(.+?)' takes (\d+) values", message):
        return f'đối số "{m[1]}" cần {m[2]} giá trị; {help_hint}'
    return f"cách gọi lệnh {command} không đúng; {help_hint}"


def app_commands() -> list[str]:
    import typer.main

    return list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def main() -> None:
    """Entry point: command-line usage errors are printed as Vietnamese sentences too (exit code 1); Ctrl+C at any
    moment is one sentence (exit code 130); a closed pipe (`kehoach status | head`) ends quietly."""
    cli_exit.begin()
    try:
        code = _run()
    except BrokenPipeError:  # help or a usage sentence printed after the reader went away
        code = cli_exit.pipe_closed()
    cli_exit.finish(code if isinstance(code, int) else 0)


def _run() -> int:
    from typer._click import exceptions as ce
    from typer._click.utils import PacifyFlushWrapper

    try:
        return app(prog_name="kehoach", standalone_mode=False)
    except ce.NoArgsIsHelpError as e:
        out.print(e.format_message(), markup=False)
        return 2
    except ce.UsageError as e:
        if _state["debug"]:
            raise
        err.print(f"Lỗi: {_usage_sentence(e)}", markup=False)
        return 1
    except typer.Abort:  # end of input where kehoach asked for some
        err.print("Đã dừng theo yêu cầu; các tệp và cơ sở dữ liệu đã có vẫn giữ nguyên.", markup=False)
        return 130
    except SystemExit as e:
        # typer ends a run whose output pipe closed (while printing --help) with exit code 1: it is a closed pipe
        if isinstance(sys.stdout, PacifyFlushWrapper) or isinstance(sys.stderr, PacifyFlushWrapper):
            return cli_exit.pipe_closed()
        raise


from . import cli_reports  # noqa: E402,F401  (registers the commands for returned forms)

cli_exit.restore(_sigint_before)  # imported as a library: Ctrl+C behaves as before (main() takes it over again)
