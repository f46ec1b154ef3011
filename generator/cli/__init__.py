"""The `kehoach` command line: thin commands that parse options, call a use case and print.

`commands` holds the whole app (`common`: consoles, the error boundary, shared options; `plan`: validate, appendix,
pack, diff; `returns`: ingest, status, summary, check-db, export, import; `usage`: usage errors as sentences;
`text`: typer's help in Vietnamese; `exits`: how a run ends on Ctrl+C or a closed pipe). Importing any of them
changes nothing for a program that uses kehoach as a library: `main()` alone tunes the collector and takes Ctrl+C.
"""

from __future__ import annotations

import gc

from . import exits as cli_exit


def main() -> None:
    """Entry point: command-line usage errors are printed as Vietnamese sentences too (exit code 1); Ctrl+C at any
    moment is one sentence (exit code 130); a closed pipe (`kehoach status | head`) ends quietly."""
    # Importing the libraries creates some 100 000 long-lived objects and hardly any garbage, yet with Python's
    # default threshold (700) the cyclic collector runs about a hundred times while they load, some 5 % of a `pack`.
    # Collect young objects every 100 000 allocations instead: a short command rarely collects at all, a long one
    # still does.
    gc.set_threshold(100_000, 10, 10)
    cli_exit.begin()
    try:
        from .commands import run  # the libraries load here, after the collector is tuned, Ctrl+C already ours

        code = run()
    except BrokenPipeError:  # help or a usage sentence printed after the reader went away
        code = cli_exit.pipe_closed()
    cli_exit.finish(code if isinstance(code, int) else 0)
