"""The whole `kehoach` app: every command registered, and one run of it."""

from __future__ import annotations

import sys

import typer

from . import exits as cli_exit
from . import importer, plan, returns, reminders  # noqa: F401 - registers their commands on `app`, in this order (the order of --help)
from . import office  # noqa: F401 - serve, user, links: after them
from .common import _state, app, err, out
from .usage import app_commands, usage_sentence

__all__ = ["app", "app_commands", "run"]


def run() -> int:
    """One run of the app: its exit code (typer's usage errors and aborts as sentences)."""
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
        err.print(f"Lỗi: {usage_sentence(e)}", markup=False)
        return 1
    except typer.Abort:  # end of input where kehoach asked for some
        err.print("Đã dừng theo yêu cầu; các tệp và cơ sở dữ liệu đã có vẫn giữ nguyên.", markup=False)
        return 130
    except SystemExit:
        # typer ends a run whose output pipe closed (while printing --help) with exit code 1: it is a closed pipe
        if isinstance(sys.stdout, PacifyFlushWrapper) or isinstance(sys.stderr, PacifyFlushWrapper):
            return cli_exit.pipe_closed()
        raise

