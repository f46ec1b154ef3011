"""The office's accounts for the web app (`kehoach user add/list/remove`, the login page): names, argon2id password
hashes, and the log lines they write."""

from __future__ import annotations

import sqlite3
import unicodedata
from dataclasses import dataclass

from ..errors import Conflict, KehoachError, NotFound, describe_sqlite_error
from .roundlog import record, transaction
from .store import Store, utc_now

MAX_NAME = 64
MIN_PASSWORD = 8


@dataclass(frozen=True)
class Account:
    name: str
    created_at: str  # UTC, ISO 8601


def _hasher():
    from argon2 import PasswordHasher  # argon2id with the library's current recommended parameters

    return PasswordHasher()


def check_name(name: str) -> str:
    """An account name as stored (NFC, no surrounding spaces): 1 to MAX_NAME characters, none of them a control
    character; else one sentence."""
    name = unicodedata.normalize("NFC", name).strip()
    if not name:
        raise KehoachError("tên tài khoản không được để trống")
    if len(name) > MAX_NAME:
        raise KehoachError(f"tên tài khoản dài {len(name)} ký tự; hãy dùng tên tối đa {MAX_NAME} ký tự")
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise KehoachError("tên tài khoản có ký tự điều khiển (xuống dòng, tab...); hãy dùng chữ, số và dấu cách")
    return name


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise KehoachError(f"mật khẩu quá ngắn ({len(password)} ký tự); hãy dùng mật khẩu ít nhất {MIN_PASSWORD} ký tự")


def add_user(store: Store, name: str, password: str, *, by: str | None = None) -> Account:
    """Add an office account; `by`: who adds it (the log)."""
    name = check_name(name)
    check_password(password)
    hashed = _hasher().hash(password)
    at = utc_now()
    with transaction(store) as c:
        if c.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise Conflict(f'đã có tài khoản "{name}"; hãy chọn tên khác (hoặc xóa tài khoản cũ bằng kehoach user '
                           "remove)")
        c.execute("INSERT INTO users (name, password_hash, created_at) VALUES (?, ?, ?)", (name, hashed, at))
        record(c, "user-add", by, detail=name, at=at)
    return Account(name, at)


def remove_user(store: Store, name: str, *, by: str | None = None) -> int:
    """Remove an account (the last one may be removed too: nobody can then log in until one is added); returns how
    many accounts are left."""
    name = unicodedata.normalize("NFC", name).strip()
    with transaction(store) as c:
        if c.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount == 0:
            raise NotFound(f'không có tài khoản "{name}"; xem danh sách bằng kehoach user list')
        record(c, "user-remove", by, detail=name)
        return c.execute("SELECT COUNT(*) FROM users").fetchone()[0]


def list_users(store: Store) -> list[Account]:
    try:
        return [Account(*r) for r in store.conn.execute("SELECT name, created_at FROM users ORDER BY name")]
    except sqlite3.Error as e:
        raise describe_sqlite_error(e, store.path) from e


def user_exists(store: Store, name: str) -> bool:
    try:
        return store.conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone() is not None
    except sqlite3.Error as e:
        raise describe_sqlite_error(e, store.path) from e


_DUMMY: list[str] = []  # a hash to verify against when the name is unknown (made once)


def verify_password(store: Store, name: str, password: str) -> bool:
    """Whether `password` is the account's; an unknown name takes as long as a known one (a dummy hash is checked),
    so the time of an answer does not tell which names exist."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _hasher()
    try:
        row = store.conn.execute("SELECT password_hash FROM users WHERE name = ?",
                                 (unicodedata.normalize("NFC", name).strip(),)).fetchone()
    except sqlite3.Error as e:
        raise describe_sqlite_error(e, store.path) from e
    if not _DUMMY:
        _DUMMY.append(hasher.hash("kehoach: no such account"))
    try:
        ok = hasher.verify(row[0] if row else _DUMMY[0], password)
    except (VerificationError, InvalidHashError):
        ok = False
    return ok and row is not None


# ------------------------------------------------------------------------------------------------ failed logins

MAX_FAILURES = 5  # failed logins of one name, or from one address, within FAILURE_WINDOW ...
FAILURE_WINDOW = 15 * 60  # seconds
LOCKOUT = 60  # ... refuse the next attempt until this many seconds after the last failure
LOCKED = ("đã đăng nhập sai {n} lần trong {window} phút; hãy chờ {wait} giây rồi thử lại (nếu quên mật khẩu, hãy nhờ "
          "người quản trị đặt lại bằng kehoach user remove rồi kehoach user add)")


def _stamp(moment) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def login(store: Store, name: str, password: str, address: str, *, now=None) -> str | None:
    """The account's name when `password` is its own, else None (the failure is logged). After MAX_FAILURES failures
    of the name, or from the address, within FAILURE_WINDOW, every attempt until LOCKOUT seconds after the last
    failure is refused (Refused) without checking the password, even the right one."""
    import datetime as dt

    from ..errors import Refused

    now = now or dt.datetime.now(dt.timezone.utc)
    name = unicodedata.normalize("NFC", name).strip()[:MAX_NAME]
    since = _stamp(now - dt.timedelta(seconds=FAILURE_WINDOW))
    try:
        for column, value in (("user", name), ("detail", address)):
            count, last = store.conn.execute(
                f"SELECT COUNT(*), MAX(at) FROM events WHERE action = 'login-failed' AND at >= ? AND {column} = ?",
                (since, value)).fetchone()
            if count >= MAX_FAILURES:
                last_at = dt.datetime.fromisoformat(last.replace("Z", "+00:00"))
                wait = LOCKOUT - int((now - last_at).total_seconds())
                if wait > 0:
                    raise Refused(LOCKED.format(n=count, window=FAILURE_WINDOW // 60, wait=wait))
    except sqlite3.Error as e:
        raise describe_sqlite_error(e, store.path) from e
    if verify_password(store, name, password):
        return name
    with transaction(store) as c:
        record(c, "login-failed", name, detail=address, at=_stamp(now))
    return None
