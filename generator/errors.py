"""User-facing errors. Every message is one Vietnamese sentence a clerk can act on.

`describe(exc)` is the one place where any exception becomes what a user is told: kehoach's own errors (the
`KehoachError` tree), the operating-system and SQLite errors we translate, no memory, and anything else (a bug).
It returns the sentence and a kind; each interface maps the kind to what it needs (the CLI to an exit code).
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in an input file, located by file and line (line 0 = the file as a whole)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class KehoachError(Exception):
    """An error the user can fix; the CLI prints it without a traceback and exits 1. `kind`: what `describe` says of
    it (the web app answers with the HTTP status of that kind)."""

    kind = "user"


class NotFound(KehoachError):
    """What was asked for does not exist (an agency, a version, a link)."""

    kind = "not-found"


class Refused(KehoachError):
    """Not allowed: a wrong or revoked link, too many failed logins, a form of another agency through a link."""

    kind = "refused"


class TooLarge(KehoachError):
    """More data than kehoach accepts (a request body over the upload limit)."""

    kind = "too-large"


class Conflict(KehoachError):
    """The request clashes with what is stored (a name already taken)."""

    kind = "conflict"


class PlanInvalid(KehoachError):
    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class FormRejected(KehoachError):
    """A returned file that cannot be accepted; the message is one Vietnamese sentence (without the file name)."""

    kind = "rejected"


BUSY_TIMEOUT_MS = 15_000


class StoreError(KehoachError):
    """A database problem as one Vietnamese sentence; `fatal`: the database cannot be used now (stop the run)."""

    def __init__(self, message: str, fatal: bool = False):
        super().__init__(message)
        self.fatal = fatal


def describe_sqlite_error(e: sqlite3.Error, path: str | Path | None, *, opening: bool = False) -> StoreError:
    """A SQLite error as what is wrong and what to do (`opening`: while opening the file; `path` None: unknown)."""
    import sqlite3  # only when there is one: the command line starts without it

    text = str(e).lower()
    db = f'cơ sở dữ liệu "{path}"' if path else "cơ sở dữ liệu báo cáo"
    if "locked" in text or "busy" in text:
        return StoreError(f'{db} đang bận quá {BUSY_TIMEOUT_MS // 1000} giây (một người khác đang '
                          "nhận biểu mẫu hoặc sao lưu); hãy chờ lệnh đó xong rồi chạy lại", fatal=True)
    if "full" in text:
        return StoreError(f'hết dung lượng đĩa khi ghi {db}; hãy giải phóng dung lượng đĩa rồi chạy '
                          "lại (các báo cáo đã lưu không bị ảnh hưởng)", fatal=True)
    if "readonly" in text or "read-only" in text:
        return StoreError(f'không ghi được vào {db} (tệp hoặc thư mục chỉ cho phép đọc); hãy kiểm tra '
                          "quyền ghi của tệp và thư mục chứa nó", fatal=True)
    if "unable to open" in text:
        return StoreError(f'không mở được tệp {db}; hãy kiểm tra đường dẫn --db (phải là một tệp, '
                          "không phải thư mục) và quyền truy cập", fatal=True)
    if opening and isinstance(e, sqlite3.DatabaseError):
        return StoreError(f'không mở được {db}: tệp không phải cơ sở dữ liệu kehoach hoặc đã hỏng; '
                          "hãy kiểm tra đường dẫn --db, hoặc khôi phục từ bản sao lưu bằng kehoach import", fatal=True)
    if isinstance(e, sqlite3.DatabaseError) and not isinstance(e, (sqlite3.IntegrityError,
                                                                   sqlite3.ProgrammingError)):
        return StoreError(f'{db} bị hỏng hoặc không phải cơ sở dữ liệu của kehoach; hãy chạy '
                          "kehoach check-db để xem chi tiết và khôi phục từ bản sao lưu bằng kehoach import",
                          fatal=True)
    return StoreError(f'lỗi {db} ({type(e).__name__}); hãy chạy kehoach check-db để kiểm tra',
                      fatal=True)


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


NO_MEMORY = "máy không đủ bộ nhớ để chạy lệnh này; hãy đóng bớt chương trình khác rồi chạy lại"


def describe(exc: BaseException) -> tuple[str, str]:
    """What a user is told about `exc`, and its kind: "plan" (an invalid plan: one line per problem, then a line
    counting them), "user" (a kehoach error the user can fix; "rejected", "not-found", "refused", "too-large",
    "conflict" for the subclasses that say so: `KehoachError.kind`), "os" (the operating system: disk full, permission,
    missing path), "database" (SQLite), "memory", or "bug" (anything else: no traceback for a clerk, the sentence
    asks to rerun with --debug). Ctrl+C is not an error: each interface handles it itself."""
    import sqlite3

    if isinstance(exc, PlanInvalid):
        lines = [*(str(p) for p in exc.problems),
                 f"Kế hoạch không hợp lệ: {len(exc.problems)} lỗi; không có tệp nào được ghi."]
        return "\n".join(lines), "plan"
    if isinstance(exc, KehoachError):
        return str(exc), exc.kind
    if isinstance(exc, OSError):
        return os_error_sentence(exc), "os"
    if isinstance(exc, sqlite3.Error):
        return str(describe_sqlite_error(exc, None)), "database"
    if isinstance(exc, MemoryError):
        return NO_MEMORY, "memory"
    return (f"lỗi không mong đợi trong kehoach ({type(exc).__name__}), các tệp đã có vẫn giữ nguyên; hãy chạy lại "
            "lệnh với kehoach --debug ... và gửi toàn bộ nội dung hiện ra cho người phụ trách kỹ thuật"), "bug"
