"""How a kehoach command ends when the clerk stops it (Ctrl+C) or the reader of its output goes away (a closed pipe).

Imported before any library by the command line (`python -m generator` and the `kehoach` script), so that from the
first line of kehoach's code to the last:
- Ctrl+C while the libraries load or the command line is parsed (nothing is being written yet) ends the process at
  once with the sentence STOPPED and exit code 130; while a command runs, it raises KeyboardInterrupt as usual, so the
  command's own cleanup runs and `cli._friendly` prints the same sentence; once the command has finished, it is ignored
  (the exit code says how the command ended).
- `kehoach status | head` ends quietly when `head` stops reading: no traceback, no message, exit code PIPE_CLOSED.

Imported as a library (tests, another program), nothing changes: the handler in force is put back when `generator.cli`
has loaded, and the other functions act only once `main()` has begun.
"""

from __future__ import annotations

import _signal
import os
import sys


STOPPED = "Đã dừng theo yêu cầu (Ctrl+C); các tệp và cơ sở dữ liệu đã có vẫn giữ nguyên."
PIPE_CLOSED = 141  # 128 + SIGPIPE: what a shell reports for a program whose reader went away (`yes | head -1`)

_running = {"cli": False}


def _stop_now(signum, frame) -> None:  # noqa: ARG001 - a signal handler's signature
    """Ctrl+C while nothing is being written: say so and end at once (no cleanup needed, no traceback possible)."""
    try:
        os.write(2, (STOPPED + "\n").encode())
    except OSError:
        pass
    os._exit(130)


def _set(handler):
    try:
        return _signal.signal(_signal.SIGINT, handler)
    except (ValueError, OSError):  # not the main thread (a test runner's worker): leave the handler alone
        return None


def cli_process() -> bool:
    """Whether this process is the kehoach command line, judged when the `generator` package loads: the `kehoach`
    script, or `python -m generator` (Python sets sys.argv[0] to "-m" while it locates the module)."""
    argv = getattr(sys, "argv", None) or [""]
    return argv[0] == "-m" or os.path.basename(argv[0]) in ("kehoach", "kehoach.exe")


def stop_at_once():
    """From now on Ctrl+C ends the process at once with the sentence; returns the handler it replaces."""
    return _set(_stop_now)


def restore(previous) -> None:
    """Put back the handler `stop_at_once` replaced (the end of importing `generator.cli`)."""
    if previous is not None and not _running["cli"]:
        _set(previous)


def begin() -> None:
    """`main()` starts: Ctrl+C ends at once until a command runs."""
    _running["cli"] = True
    stop_at_once()


def command_starts() -> None:
    """A command's body starts (it may write files): Ctrl+C raises KeyboardInterrupt, so its cleanup runs."""
    if _running["cli"]:
        _set(_signal.default_int_handler)


def command_ends() -> None:
    """The command has finished, one way or another: a late Ctrl+C must not turn its outcome into a traceback."""
    if _running["cli"]:
        _set(_signal.SIG_IGN)


def _broken(fd: int) -> bool:
    """Whether `fd` is a pipe whose reader has gone (writing to it would fail with EPIPE)."""
    import select

    try:
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (OSError, ValueError):
        return False


def output_closed() -> bool:
    """Whether the reader of stdout or stderr has gone."""
    return _broken(1) or _broken(2)


def pipe_closed() -> int:
    """The reader of kehoach's output went away (`kehoach status | head`): show nothing more and exit quietly.

    Every standard stream whose reader has gone is pointed at /dev/null, so nothing printed later - and not Python's
    final flush of the buffered output either - can raise BrokenPipeError again."""
    broken = [fd for fd in (1, 2) if _broken(fd)] or [1]
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in broken:
        os.dup2(devnull, fd)
    os.close(devnull)
    return PIPE_CLOSED


def finish(code: int) -> None:
    """End the process with `code`, after writing out what is still buffered (a closed pipe found now is quiet too)."""
    command_ends()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except BrokenPipeError:
            closed = pipe_closed()
            code = code or closed
        except (OSError, ValueError):
            pass
    sys.exit(code)
