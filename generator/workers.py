"""Worker processes: how many to use, and the pool of forked workers that leave Ctrl+C to the parent (which stops
them with `terminate` and reports it in one sentence, instead of a traceback per worker)."""

from __future__ import annotations

import os


def jobs_default() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def ignore_sigint() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def fork_pool(jobs: int):
    """A multiprocessing pool of `jobs` forked workers that ignore Ctrl+C (imported only here: importing
    multiprocessing costs more than rendering a small pack)."""
    import multiprocessing

    return multiprocessing.get_context("fork").Pool(jobs, initializer=ignore_sigint)
