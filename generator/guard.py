"""The database-protection rule: no kehoach command overwrites, replaces, moves or deletes a database.

The submissions database holds every report the agencies sent and the original files, which may never be sent again;
everything else kehoach writes can be regenerated. This module owns the rule, and every writer goes through it:

* `refuse_overwrite(path)` - a file output (`appendix --out`, `export --out`; `fsutil.atomic_output`) is never a
  database or one of its companions (`-wal`, `-shm`, `-journal`), whatever the path's spelling: databases are
  recognised by their content (the SQLite header; kehoach's by its `submissions` table), so a relative, absolute,
  `..`, symlinked or hard-linked spelling of the same file is refused alike.
* `refuse_replacing(folder)` - a folder kehoach replaces whole (`pack --out`, `summary --out`;
  `fsutil.build_dir`/`replace_dir`) never holds a database, at any depth, hidden names included.
* `check_db_location(path)` - a database (`--db` of ingest, import and every command opening one for writing; the
  `store.Store` constructor) is never placed inside a folder kehoach replaces, at any depth: a pack folder (its
  `manifest.json`, recognised by content), a summary folder (nothing but its report files), kehoach's staging or
  backup folders, or `./output`. The path is resolved
  (symlinks, `..`) before the check.
* `check_not_loop(path, option)` - a path that is a symlink loop is one sentence naming it.

Only standard-library modules are imported: `fsutil` and `store` both use this module.
"""

from __future__ import annotations

import errno
import json
import os
import re
from pathlib import Path

from .errors import KehoachError


SQLITE_HEADER = b"SQLite format 3\x00"
_WAL_MAGICS = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")
_JOURNAL_MAGIC = b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7"
COMPANIONS = ("-wal", "-shm", "-journal")
_KEHOACH_TABLE = b"CREATE TABLE submissions"  # as SQLite keeps store._SCHEMA's first table in its schema table
_PAGE1 = 64 * 1024  # the largest SQLite page size
_SCHEMA_PAGES = 64  # the schema table read at most this many pages deep (kehoach's fills two)

# the folders kehoach replaces whole (pack.MANIFEST_FILE, summary.SUMMARY_DOCX / SUMMARY_XLSX), and the names of
# its staging and backup folders (fsutil.staging_dir, fsutil.replace_dir), removed by `fsutil.recover`
PACK_MARKER = "manifest.json"
SUMMARY_MARKERS = ("bao-cao-tong-hop.docx", "tong-hop.xlsx")
_WORKING = re.compile(r"\..+\.(new|old)\..+")
_MAX_MANIFEST = 16 * 1024 * 1024
_NEVER = "kehoach không bao giờ ghi đè, thay thế hay xóa cơ sở dữ liệu báo cáo"


class PathRefused(KehoachError):
    """A path refused by the database-protection rule (one Vietnamese sentence)."""


# ------------------------------------------------------------------------------------------------ recognising


def _head(path: str | Path, size: int) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(size)
    except OSError:
        return b""


def _schema_pages(path: str | Path) -> bytes:
    """The pages of the database's schema table (sqlite_master): page 1, and when the schema outgrew it (page 1 is
    then an interior b-tree page) the leaf pages it points to, read straight from the file (no SQLite connection:
    a database locked or being written is recognised too)."""
    page1 = _head(path, _PAGE1)
    size = int.from_bytes(page1[16:18], "big")
    size = 65536 if size == 1 else size
    if size < 512 or len(page1) < 112 or page1[100] != 0x05:  # 0x05: an interior table b-tree page
        return page1
    cells = int.from_bytes(page1[103:105], "big")
    pointers = [int.from_bytes(page1[112 + 2 * i:114 + 2 * i], "big") for i in range(min(cells, _SCHEMA_PAGES))]
    children = [int.from_bytes(page1[p:p + 4], "big") for p in pointers if p + 4 <= len(page1)]
    children.append(int.from_bytes(page1[108:112], "big"))  # the right-most child
    pages = [page1]
    try:
        with open(path, "rb") as f:
            for child in children:
                if child > 1:
                    f.seek((child - 1) * size)
                    pages.append(f.read(size))
    except OSError:
        pass
    return b"".join(pages)


def _kind(path: str | Path) -> str | None:
    """What the regular file at `path` (symlinks followed) is, by its content: "kehoach" (a kehoach database),
    "sqlite" (another SQLite database), "wal" / "journal" (a SQLite companion), else None."""
    head = _head(path, 32)
    if head.startswith(SQLITE_HEADER):
        return "kehoach" if _KEHOACH_TABLE in _schema_pages(path) else "sqlite"
    if head[:4] in _WAL_MAGICS:
        return "wal"
    if head.startswith(_JOURNAL_MAGIC):
        return "journal"
    return None


def describe(path: str | Path) -> str | None:
    """What `path` is, as words for a sentence, if it is a database or one of its companion files; else None.

    Content decides (the name does not matter), except for an `-shm` file (no header of its own) and a companion not
    yet written, which are recognised as `<database>-shm` (`-wal`, `-journal`) beside a database."""
    path = Path(path)
    if os.path.isfile(path):
        kind = _kind(path)
        if kind == "kehoach":
            return "cơ sở dữ liệu báo cáo của kehoach (mọi báo cáo và tệp gốc đã nhận nằm trong đó)"
        if kind == "sqlite":
            return "một cơ sở dữ liệu SQLite"
        if kind in ("wal", "journal"):
            return f"tệp nhật ký ({kind}) của một cơ sở dữ liệu SQLite"
    for suffix in COMPANIONS:
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            base = path.with_name(path.name[: -len(suffix)])
            if os.path.isfile(base) and _kind(base) in ("kehoach", "sqlite"):
                return f'tệp đi kèm ({suffix}) của cơ sở dữ liệu "{base}"'
    return None


def find_database(folder: str | Path) -> Path | None:
    """The first database or companion file anywhere inside `folder` (hidden names included, symlinks not followed:
    replacing the folder removes a link, never what it points to), or None."""
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(root, name)
            if not os.path.islink(path) and describe(path) is not None:
                return path
    return None


# ------------------------------------------------------------------------------------------------ the rule


def check_not_loop(path: str | Path, option: str) -> None:
    """Refuse a path that is (or goes through) a symlink loop, in a sentence naming it."""
    try:
        os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise PathRefused(f'đường dẫn {option} "{path}" là một vòng liên kết tượng trưng (symlink trỏ vòng về '
                              "chính nó) nên không dẫn tới tệp hay thư mục nào; hãy sửa hoặc xóa liên kết đó rồi chỉ "
                              "đúng đường dẫn") from None
    except ValueError:  # a NUL byte: the caller's own error message applies
        pass


def refuse_overwrite(path: str | Path, option: str = "--out") -> None:
    """Refuse to write a file over (or beside, as its companion) a database."""
    what = describe(path)
    if what is not None:
        raise PathRefused(f'không ghi đè lên "{path}": đây là {what}; {_NEVER}, hãy chọn một tệp khác bằng {option}')


def refuse_replacing(folder: str | Path, option: str = "--out", shown: str | Path | None = None) -> None:
    """Refuse to replace (or remove) `folder` if a database or companion file lies anywhere inside it (or if it is
    one)."""
    if not os.path.isdir(folder):
        refuse_overwrite(shown if shown is not None else folder, option)
        return
    found = find_database(folder)
    if found is not None:
        shown = Path(shown) if shown is not None else Path(folder)
        inside = shown / found.relative_to(folder)
        what = describe(found) or "một cơ sở dữ liệu"
        raise PathRefused(f'không thay thế thư mục "{shown}" vì trong đó có {what}: "{inside}"; {_NEVER}, hãy chọn '
                          f"một thư mục khác bằng {option} hoặc chuyển cơ sở dữ liệu ra khỏi thư mục này")


def _is_pack_manifest(path: Path) -> bool:
    """`path` is the manifest.json of a kehoach pack (a JSON object naming the plan, the year and the forms)."""
    try:
        if not os.path.isfile(path) or os.path.getsize(path) > _MAX_MANIFEST:
            return False
        with open(path, "rb") as f:
            manifest = json.loads(f.read())
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(manifest, dict) and {"plan", "year", "forms"} <= manifest.keys()


def _is_summary_folder(folder: Path) -> bool:
    """`folder` holds a kehoach summary and nothing else a clerk sees: what `kehoach summary --out` replaces (a
    clerk's own "tong-hop.xlsx" among other files does not make a summary folder)."""
    if not any(os.path.lexists(folder / name) for name in SUMMARY_MARKERS):
        return False
    try:
        names = [n for n in os.listdir(folder) if not n.startswith(".")]
    except OSError:
        return False
    return set(names) <= set(SUMMARY_MARKERS)


def _replaced_by_kehoach(folder: Path, cwd_output: Path) -> str | None:
    """Why kehoach may replace `folder` (or remove it) whole, as words for a sentence, or None."""
    if folder == cwd_output:
        return "thư mục output/ (thư mục này được tạo lại và có thể bị thay thế)"
    if _WORKING.fullmatch(folder.name):
        return "thư mục tạm của kehoach (bị xóa ở lần ghi sau)"
    if _is_pack_manifest(folder / PACK_MARKER):
        return f"thư mục bộ biểu mẫu do kehoach pack tạo (có {PACK_MARKER}), được thay thế cả thư mục khi chạy lại"
    if _is_summary_folder(folder):
        return "thư mục báo cáo tổng hợp do kehoach summary tạo, được thay thế cả thư mục khi chạy lại"
    return None


def _shown(path: Path) -> str:
    cwd = Path.cwd().resolve()
    return str(path.relative_to(cwd)) if path.is_relative_to(cwd) and path != cwd else str(path)


def check_db_location(path: str | Path, option: str = "--db") -> None:
    """Refuse a database location inside any folder kehoach replaces, however the path is spelled."""
    from .paths import DEFAULT_DB  # the default, named in the sentence (imported here: store imports fsutil)

    path = Path(path)
    check_not_loop(path, option)
    real = Path(os.path.realpath(path))
    cwd_output = Path(os.path.realpath(Path.cwd() / "output"))
    for folder in real.parents:
        why = _replaced_by_kehoach(folder, cwd_output)
        if why is not None:
            raise PathRefused(f'không đặt cơ sở dữ liệu "{path}" trong thư mục "{_shown(folder)}": đó là {why}; '
                              f"hãy dùng mặc định {DEFAULT_DB} hoặc một đường dẫn khác bằng {option}")
