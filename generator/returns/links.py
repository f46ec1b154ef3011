"""The agencies' upload links (`kehoach links`, the agency's page /nop/<token>): one unguessable token per plan, year
and agency, of which only a sha256 is stored; re-issuing revokes the one before.

Because only the hash is kept, a link can be shown only when it is issued: `kehoach links` issues one for each agency
that has none and prints it; for an agency that has one it says when it was issued, and `--reissue` makes a new one
(the old one stops working)."""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from dataclasses import dataclass

from ..errors import KehoachError, NotFound, describe_sqlite_error
from .roundlog import record, transaction
from .store import Store, utc_now

TOKEN_BYTES = 32  # 256 bits from the system's random source
LINK_PREFIX = "/nop/"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # what secrets.token_urlsafe(32) gives


@dataclass(frozen=True)
class Link:
    plan: str
    year: int
    agency: str
    created_at: str  # UTC, ISO 8601


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def checked_base_url(text: str) -> str:
    """The address agencies reach the app at (`--base-url`), without the trailing "/"; not a web address: a
    sentence."""
    url = text.strip()
    if not url.lower().startswith(("http://", "https://")) or any(c.isspace() for c in url):
        raise KehoachError(f'--base-url "{text}" không phải địa chỉ web; hãy ghi dạng https://ten-may hoặc '
                           "http://192.168.1.10:8000")
    return url.rstrip("/")


def link_path(token: str) -> str:
    return f"{LINK_PREFIX}{token}"


def issue(store: Store, plan: str, year: int, agency: str, *, by: str | None = None) -> str:
    """A new link for the agency's report of `year`; the agency's live link, if any, is revoked (a re-issue)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    at = utc_now()
    with transaction(store) as c:
        revoked = c.execute("UPDATE links SET revoked_at = ? WHERE plan = ? AND year = ? AND agency = ? AND "
                            "revoked_at IS NULL", (at, plan, year, agency)).rowcount
        if revoked:
            record(c, "link-revoke", by, plan=plan, year=year, agency=agency, detail="cấp lại", at=at)
        c.execute("INSERT INTO links (plan, year, agency, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                  (plan, year, agency, token_hash(token), at))
        record(c, "link-issue", by, plan=plan, year=year, agency=agency, at=at)
    return token


def revoke(store: Store, plan: str, year: int, agency: str, *, by: str | None = None, name: str = "") -> None:
    """The agency's live link stops working; NotFound when it has none."""
    at = utc_now()
    with transaction(store) as c:
        if not c.execute("UPDATE links SET revoked_at = ? WHERE plan = ? AND year = ? AND agency = ? AND "
                         "revoked_at IS NULL", (at, plan, year, agency)).rowcount:
            raise NotFound(f"{name or agency} chưa có liên kết nộp báo cáo năm {year} nào còn dùng được; không có gì "
                           "để thu hồi")
        record(c, "link-revoke", by, plan=plan, year=year, agency=agency, at=at)


def resolve(store: Store, token: str) -> Link | None:
    """What a live link is for, or None (a wrong, malformed or revoked token). Looked up by its hash: the lookup
    does not compare the secret itself, so its time tells nothing about it."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    try:
        row = store.conn.execute("SELECT plan, year, agency, created_at FROM links WHERE token_hash = ? AND "
                                 "revoked_at IS NULL", (token_hash(token),)).fetchone()
    except sqlite3.Error as e:
        raise describe_sqlite_error(e, store.path) from e
    return Link(*row) if row else None


def live_links(store: Store, plan: str, year: int) -> dict[str, Link]:
    """The live link of each agency of a plan and year, by agency id."""
    try:
        rows = store.conn.execute("SELECT plan, year, agency, created_at FROM links WHERE plan = ? AND year = ? AND "
                                  "revoked_at IS NULL ORDER BY agency", (plan, year)).fetchall()
    except sqlite3.Error as e:
        raise describe_sqlite_error(e, store.path) from e
    return {r[2]: Link(*r) for r in rows}


# ------------------------------------------------------------------------------------------------ a round's links


@dataclass(frozen=True)
class LinkLine:
    """One agency that reports that year, and its link: `token` when it was issued just now (the only time it can
    be shown), else None and `issued_at` says when."""

    agency: str
    name: str
    token: str | None
    issued_at: str


def reporting_agencies(plan, year: int, reissue: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(id, name) of every agency that reports for `year`, in the plan's order; an agency of `reissue` that does not
    is one sentence (checked before anything is written)."""
    from ..plan.assignments import assignments

    agencies = [(at.agency.id, at.agency.name) for at in assignments(plan, year)]
    reporting = {agency for agency, _ in agencies}
    for agency in reissue:
        if agency not in reporting:
            raise KehoachError(f'đơn vị "{agency}" không báo cáo năm {year} theo Kế hoạch {plan.meta.number}, nên không '
                               "có liên kết để cấp lại")
    return agencies


def hand_out(store: Store, plan, year: int, *, reissue: tuple[str, ...] = (), by: str | None = None) -> list[LinkLine]:
    """Every agency that reports for `year` (`plan.assignments`), in the plan's order, with its link: a new one for
    an agency without a live link and for those in `reissue` (their old link stops working)."""
    agencies = reporting_agencies(plan, year, reissue)
    live = live_links(store, plan.id, year)
    lines = []
    for agency, name in agencies:
        if agency in live and agency not in reissue:
            lines.append(LinkLine(agency, name, None, live[agency].created_at))
        else:
            lines.append(LinkLine(agency, name, issue(store, plan.id, year, agency, by=by), utc_now()))
    return lines
