"""kehoach: report forms and appendices for Vietnamese provincial plans."""

__version__ = "0.1.0"

from .cli import exits as _cli_exit  # noqa: E402

if _cli_exit.cli_process():  # the earliest line of kehoach's own code: Ctrl+C from here on is the sentence
    _cli_exit.stop_at_once()
