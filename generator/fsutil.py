"""The only place that writes outputs: atomic file and folder replacement, crash recovery, and the test fault hook.

Guarantees (each tested in tests/test_reliability*.py):

* A file (`atomic_write_bytes`, `atomic_output`) is written to a temporary file beside it, flushed to disk and
  renamed over the old one: a reader sees the previous file or the new one, never a part.
* A folder (`build_dir`: the yearly pack, the summary) is built in a staging folder `.<name>.new.*` beside it and
  swapped in at the very end with `renameat2(RENAME_EXCHANGE)`: one atomic step, the target name always holds a
  complete folder (previous or new). Where the file system or the C library lacks RENAME_EXCHANGE, two renames are
  used: previous -> `.<name>.old.*/<name>`, staging -> target; a crash between the two leaves the previous folder in
  that backup, and the next write of the same target (any run) puts it back first.
* Every write of a target holds a lock (`.<name>.lock`, flock; removed at the end) and starts by cleaning what a
  killed run left: staging folders and temporary files are removed, a previous folder left in a backup is restored.
  The lock makes this safe while another kehoach process writes the same target (it simply waits).
* A target folder that does not look like kehoach's own output is never replaced (`owned` check): `--out ~/Tài liệu`
  is refused instead of wiping the folder.
* No database is ever overwritten, replaced or removed (`guard`, tests/test_db_guard.py): a file output that is a
  database or one of its companions, a folder holding one at any depth (checked before the build and again right
  before the swap), a leftover holding one: all refused or left alone. A target folder given as a symlink is written
  through (the folder it points to is replaced, the link stays).

Test hook (documented; read only here): the environment variable KEHOACH_FAULT, a comma-separated list of
  disk-full:BYTES          every write through this module fails with ENOSPC once BYTES bytes were written
  kill:after-file:N        SIGKILL this process right after the N-th file written into a staging folder
  kill:before-swap         SIGKILL once the staging folder is complete, before it is swapped in
  kill:after-swap          SIGKILL right after the swap, before the previous folder is removed
  kill:mid-swap            use the two-rename fallback and SIGKILL between its two renames
  kill:before-replace      SIGKILL once a file's temporary copy is complete, before it replaces the file
  kill:in-transaction:N    SIGKILL inside the N-th database transaction (`store`: a version stored, a review set),
                           before it commits
  no-exchange              do not use RENAME_EXCHANGE (test the fallback)
It exists so the tests can prove the guarantees above; nothing else reads it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, TypeVar

from .errors import KehoachError
from . import guard


try:
    import fcntl
except ImportError:  # pragma: no cover - not Linux/macOS
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")
FAULT_ENV = "KEHOACH_FAULT"
CHUNK = 1024 * 1024


# ------------------------------------------------------------------------------------------------ fault hook


def _faults() -> dict[str, str]:
    spec = os.environ.get(FAULT_ENV, "")
    out = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        name, _, arg = item.rpartition(":") if item[-1:].isdigit() and ":" in item else (item, "", "")
        out[name] = arg
    return out


_counts: dict[str, int] = {}
_written = 0  # bytes written through this module in this process (for disk-full)


def fault(point: str) -> None:
    """Kill this process here if KEHOACH_FAULT asks for it (`kill:<point>` or `kill:<point>:N` at the N-th time)."""
    faults = _faults()
    key = f"kill:{point}"
    if key not in faults:
        return
    _counts[point] = _counts.get(point, 0) + 1
    if not faults[key] or _counts[point] == int(faults[key]):
        os.kill(os.getpid(), signal.SIGKILL)


def _write_all(f: BinaryIO, data: bytes | memoryview, name: str | Path) -> None:
    """Write in chunks; with KEHOACH_FAULT=disk-full:N fail like a full disk once N bytes went out."""
    global _written
    limit = _faults().get("disk-full")
    view = memoryview(data)
    for start in range(0, len(view), CHUNK):
        chunk = view[start:start + CHUNK]
        if limit:
            room = int(limit) - _written
            if room < len(chunk):
                f.write(chunk[:max(room, 0)])
                _written += max(room, 0)
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(name))
        f.write(chunk)
        _written += len(chunk)


class _Counted:
    """A file object whose writes go through `_write_all` (streamed outputs such as the backup archive)."""

    def __init__(self, f: BinaryIO, name: str | Path):
        self._f, self._name = f, name

    def write(self, data) -> int:
        data = memoryview(data).cast("B")
        _write_all(self._f, data, self._name)
        return len(data)

    def __getattr__(self, attr):
        return getattr(self._f, attr)


# ------------------------------------------------------------------------------------------------ primitives


def _umask_mode(mode: int) -> int:
    umask = os.umask(0)
    os.umask(umask)
    return mode & ~umask


def _fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (best effort: not every platform can open a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_libc = None


def _c() -> ctypes.CDLL | None:
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL(None, use_errno=True)
        except OSError:  # pragma: no cover
            _libc = False
    return _libc or None


def _sync_tree(path: Path) -> None:
    """Flush everything written under `path` to disk before it is swapped in: every file, then every folder (its
    entries), deepest first. Only this run's files are waited for (syncfs would also wait for all the unwritten
    data of every other program on the file system, a tenth of a second or more on a busy machine). A file that
    cannot reach the disk (I/O error, full disk found late) is an error: the folder is not swapped in."""
    for root, _dirs, files in os.walk(path, topdown=False):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            except OSError as e:
                if e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):  # else: cannot sync here
                    raise
            finally:
                os.close(fd)
        _fsync_dir(Path(root))


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two existing paths (Linux renameat2 RENAME_EXCHANGE); False when not supported here."""
    if "no-exchange" in _faults() or "kill:mid-swap" in _faults():
        return False
    libc = _c()
    if libc is None or not hasattr(libc, "renameat2"):
        return False
    if libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False  # file system without RENAME_EXCHANGE: use the fallback
    raise OSError(err, os.strerror(err), str(b))


# ------------------------------------------------------------------------------------------------ locking, recovery


def _leftovers(target: Path) -> tuple[list[Path], list[Path], list[Path]]:
    """(staging folders, backup folders, temporary files) a killed run may have left beside `target`."""
    parent = target.parent
    if not parent.is_dir():
        return [], [], []
    esc = re.escape(target.name)
    new, old, tmp = re.compile(rf"\.{esc}\.new\..+"), re.compile(rf"\.{esc}\.old\..+"), re.compile(rf"\.{esc}\..+\.tmp")
    staging, backups, temps = [], [], []
    for p in parent.iterdir():
        if new.fullmatch(p.name) and p.is_dir() and not p.is_symlink():
            staging.append(p)
        elif old.fullmatch(p.name) and p.is_dir() and not p.is_symlink():
            backups.append(p)
        elif tmp.fullmatch(p.name) and p.is_file() and not p.is_symlink():
            temps.append(p)
    return staging, backups, temps


def recover(target: str | Path) -> list[str]:
    """Undo what a killed run left beside `target` (call with the target's lock held): restore a previous folder
    left in a backup when the target is missing, then remove staging folders, backups and temporary files.
    Returns what was done, for messages and tests."""
    target = Path(target)
    staging, backups, temps = _leftovers(target)
    done = []
    if not os.path.lexists(target):
        saved = sorted((b for b in backups if (b / target.name).is_dir()), key=lambda b: b.stat().st_mtime)
        if saved:
            os.rename(saved[-1] / target.name, target)
            _fsync_dir(target.parent)
            done.append(f"restored {target.name} from {saved[-1].name}")
    for p in staging + backups:
        if guard.find_database(p) is None:  # a database placed there is never removed (guard)
            shutil.rmtree(p, ignore_errors=True)
            done.append(f"removed {p.name}")
    for p in temps:
        if guard.describe(p) is None:
            p.unlink(missing_ok=True)
            done.append(f"removed {p.name}")
    return done


@contextlib.contextmanager
def locked(target: str | Path) -> Iterator[Path]:
    """Hold the exclusive right to write `target` (waiting for another kehoach process writing it), after
    recovering what a killed run left. The lock file `.<name>.lock` is removed on exit."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = target.parent / f".{target.name}.lock"
    fd = None
    if fcntl is not None:
        while True:
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as e:  # name what the clerk asked for, not the hidden lock file
                raise OSError(e.errno, e.strerror, str(target)) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:  # a file system without locks (some network shares): go on unlocked
                os.close(fd)
                fd = None
                break
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(lock))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # the holder removed the lock file meanwhile: lock the new one
    try:
        recover(target)
        yield target
    finally:
        if fd is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(lock)
            os.close(fd)


# ------------------------------------------------------------------------------------------------ files


def write_file(path: str | Path, data: bytes) -> None:
    """Write a new file inside a staging folder (counted by the fault hook)."""
    with open(path, "xb") as f:
        _write_all(f, data, path)
    fault("after-file")


def _temp_beside(path: Path) -> tuple[int, str]:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, _umask_mode(0o666))
    return fd, tmp


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[BinaryIO]:
    """A file object whose content replaces `path` atomically when the block ends without error."""
    path = Path(path)
    guard.refuse_overwrite(path)  # never a database or one of its companion files, however the path is spelled
    with locked(path):
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        fd, tmp = _temp_beside(path)
        try:
            with os.fdopen(fd, "w+b") as f:
                yield _Counted(f, path)  # type: ignore[misc]
                f.flush()
                os.fsync(f.fileno())
            fault("before-replace")
            os.replace(tmp, path)
            _fsync_dir(path.parent)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder; on error nothing is left behind."""
    with atomic_output(path) as f:
        f.write(data)


# ------------------------------------------------------------------------------------------------ folders


def staging_dir(target: Path) -> Path:
    """A fresh temporary folder beside `target` (same file system, so the final move is a rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f".{target.name}.new.", dir=target.parent))
    path.chmod(_umask_mode(0o777))
    return path


def replace_dir(staging: Path, target: Path) -> None:
    """Move a fully written `staging` folder to `target`, replacing an older `target` in one atomic exchange where
    the system allows it (see the module docstring for the fallback)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not os.path.lexists(target):
        os.rename(staging, target)
        _fsync_dir(target.parent)
        return
    guard.refuse_replacing(target)  # checked again here: a database may have been put there meanwhile
    if target.is_dir() and not target.is_symlink() and _exchange(staging, target):
        fault("after-swap")  # `staging` now holds the previous folder
        _fsync_dir(target.parent)
        shutil.rmtree(staging, ignore_errors=True)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    os.rename(target, old / target.name)
    fault("mid-swap")
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(old / target.name, target)
        raise
    _fsync_dir(target.parent)
    shutil.rmtree(old, ignore_errors=True)


def visible_entries(folder: Path) -> list[str]:
    """Names in `folder` other than kehoach's own hidden working files (locks, staging, temporaries)."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def build_dir(target: str | Path, build: Callable[[Path], T], *, owned: Callable[[Path], None] | None = None) -> T:
    """Build a folder with `build(staging)` and swap it in as `target` only once complete.

    `owned(target)` is called (lock held, leftovers recovered) when `target` exists; it raises to refuse replacing
    a folder kehoach did not write. On any error or interruption the staging folder is removed and `target` is
    left as it was.

    A `target` that is a symlink (a shortcut to a shared folder) is written through: the folder it points to is
    replaced, the link stays. A folder holding a database, at any depth, is never replaced (`guard`)."""
    shown = Path(target)
    guard.check_not_loop(shown, "--out")
    target = Path(os.path.realpath(shown)) if os.path.islink(shown) else shown
    with locked(target):
        if os.path.lexists(target):
            if not target.is_dir():
                guard.refuse_overwrite(shown)
                raise KehoachError(f'"{shown}" là một tệp, không phải thư mục; hãy chọn một thư mục khác bằng --out')
            if owned is not None:
                owned(shown)
            guard.refuse_replacing(target, shown=shown)
        staging = staging_dir(target)
        try:
            result = build(staging)
            fault("before-swap")
            _sync_tree(staging)
            replace_dir(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return result
