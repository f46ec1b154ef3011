"""What every command shares: the consoles, the error boundary (`friendly`), the common options and dates typed by
the clerk."""

from __future__ import annotations

import datetime as dt
import errno
import functools
from pathlib import Path

import typer

from ..errors import KehoachError, describe, os_error_sentence
from ..plan.model import Plan
from . import exits as cli_exit, text as cli_text


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
_state = {"debug": False}  # --debug, set by the app's callback
EXIT_CODES = {"plan": 1, "user": 1, "rejected": 1, "not-found": 1, "refused": 1, "too-large": 1, "conflict": 1, "os": 1,
              "database": 1, "memory": 1, "bug": 1}  # errors.describe's kinds

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

    Every exception a clerk can cause ends here: Ctrl+C, and everything `errors.describe` turns into a sentence and
    a kind (plan problems, one line each; kehoach's own errors; operating system and SQLite errors; no memory; as
    a last resort any other exception, a bug: one sentence asking to rerun with --debug); EXIT_CODES maps the kind
    to the exit code."""

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
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except BrokenPipeError:
            raise
        except KeyboardInterrupt:
            if _state["debug"]:
                raise
            _stopped()
        except Exception as e:  # noqa: BLE001 - every error is one sentence; a bug must still not show a traceback
            sentence, kind = describe(e)
            if kind == "plan":  # one line per problem, then their count: shown with --debug too
                err.print(sentence, markup=False)
                raise typer.Exit(EXIT_CODES[kind]) from None
            if _state["debug"]:
                raise
            if kind == "bug" and _interrupted(e):
                _stopped()
            _fail(sentence, EXIT_CODES[kind])

    return wrapper


def _date(text: str | None, option: str) -> dt.date:
    """A date typed as 30/6/2025 or 2025-06-30; today when not given."""
    from ..office.vnformat import not_a_date, parse_date

    if text is None:
        return dt.date.today()
    day = parse_date(text)
    if day is None:
        raise KehoachError(not_a_date(option, text))
    return day


@app.callback()
def _main(debug: bool = typer.Option(False, "--debug", help="Hiện chi tiết kỹ thuật (traceback) khi có lỗi.")):
    _state["debug"] = debug
