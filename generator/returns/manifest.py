"""The JSON manifest of a backup read within bounds (size of integers, depth of nesting) and its records checked for
types and sane values before anything is restored."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import StoreError
from .dbcheck import _escaped, _label


# ------------------------------------------------------------------------------------------------ backup archive

ARCHIVE_FORMAT = "kehoach-sao-luu"
# 2: review states, arrival dates and the history; 3: the round's log (archives of versions 1 and 2 still import)
ARCHIVE_VERSION = 3
ARCHIVE_SCHEMAS = {1: 1, 2: 2, ARCHIVE_VERSION: 3}  # format version -> the schema of the database it was made of
ARCHIVE_MANIFEST = "kehoach-sao-luu.json"
MAX_JSON_DEPTH = 16  # nesting of lists and objects in it (kehoach writes 4)
MAX_JSON_INT = 2 ** 31 - 1  # any integer in it (ids, years, versions, positions); SQLite INTEGER goes to 2**63 - 1
YEARS = (1900, 2999)  # a record's year, before its original is read again (which checks it against the plan)
_PLAN_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")  # as in plan.yaml: a name, never a path
_AGENCY_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _bad_archive(archive: Path, what: str) -> StoreError:
    return StoreError(f'tệp sao lưu "{archive}" không dùng được: {what}; hãy dùng đúng tệp do lệnh kehoach export tạo '
                      "ra (không sửa, không giải nén rồi nén lại)")


_RECORD_TYPES = {"id": int, "plan": str, "plan_version": str, "year": int, "agency": str, "version": int,
                 "sha256": str, "received_at": str, "filename": str, "warnings": list, "original": str,
                 "entries": list, "sections": list}
_ENTRY_TYPES = {"position": int, "task_id": str, "code": str, "role": str, "result": str, "status": (str, type(None)),
                "status_text": str, "note": str}
_SECTION_TYPES = {"section": str, "text": str}
_REVIEW_TYPES = {"review_state": str, "review_note": str, "arrived_on": (str, type(None)),  # archive version 2
                 "ingest_warnings": list}
_HISTORY_TYPES = {"id": int, "at": str, "user": (str, type(None)), "action": str, "submission_id": int, "state": str,
                  "previous_state": (str, type(None)), "note": str}


def _typed(item: object, types: dict) -> bool:
    return isinstance(item, dict) and set(item) == set(types) and all(
        isinstance(item[k], t) and not (t is int and isinstance(item[k], bool)) for k, t in types.items())


class _JsonLimit(ValueError):
    pass


def _bounded_int(text: str) -> int:
    if len(text) > 12 or abs(int(text)) > MAX_JSON_INT:
        raise _JsonLimit(f"có số nguyên quá lớn ({text[:20]}{'…' if len(text) > 20 else ''}; giới hạn {MAX_JSON_INT})")
    return int(text)


def _no_constant(text: str) -> None:
    raise _JsonLimit(f"có giá trị {text}, không phải JSON của kehoach export")


_JSON_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"')  # possessive: linear, no backtracking state
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def _json_depth(data: bytes) -> int:
    """The deepest nesting of lists and objects in a JSON text, found without parsing it (brackets outside strings;
    C loops only: a few seconds for the largest manifest allowed even if it is nothing but brackets)."""
    from array import array
    from itertools import accumulate

    steps = array("b", _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS).translate(_BRACKET_STEPS))
    return max(accumulate(steps), default=0)


def _parse_json(data: bytes, archive: Path) -> object:
    """The manifest's JSON within bounds (nesting depth, integers), each excess one sentence: json.loads alone
    overflows the stack on deep nesting and gives integers SQLite cannot store."""
    depth = _json_depth(data)
    if depth > MAX_JSON_DEPTH:
        raise _bad_archive(archive, f"{ARCHIVE_MANIFEST} lồng nhau quá sâu ({depth} mức; giới hạn {MAX_JSON_DEPTH})")
    try:
        return json.loads(data.decode("utf-8"), parse_int=_bounded_int, parse_constant=_no_constant)
    except _JsonLimit as e:
        raise _bad_archive(archive, f"{ARCHIVE_MANIFEST} {e}") from None
    except RecursionError:  # (not reached: the depth is checked first)
        raise _bad_archive(archive, f"{ARCHIVE_MANIFEST} lồng nhau quá sâu") from None


def _record_label(rec: dict) -> str:
    return _label(rec["id"], _escaped(rec["agency"]), rec["year"], rec["version"], _escaped(rec["filename"]))


def _check_values(rec: dict, where: str, archive: Path) -> None:
    """A typed record's values are sane before anything reads them: ids, versions and positions in range, a year of
    the calendar, a plan id that is a name (never a path) and an agency id (both printed in messages)."""
    if not _AGENCY_ID.fullmatch(rec["agency"]):
        raise _bad_archive(archive, f'{where} có mã đơn vị "{_escaped(rec["agency"])[:80]}" không hợp lệ')
    label = _record_label(rec)
    if rec["id"] < 1 or rec["version"] < 1 or any(e["position"] < 0 for e in rec["entries"]):
        raise _bad_archive(archive, f"{label}: số thứ tự bản báo cáo, phiên bản hoặc vị trí nhiệm vụ không hợp lệ")
    if not YEARS[0] <= rec["year"] <= YEARS[1]:
        raise _bad_archive(archive, f"{label}: năm báo cáo {rec['year']} không hợp lệ (ngoài khoảng "
                                    f"{YEARS[0]}–{YEARS[1]})")
    if not _PLAN_ID.fullmatch(rec["plan"]):
        raise _bad_archive(archive, f'{label}: mã kế hoạch "{_escaped(rec["plan"])[:80]}" không hợp lệ (mã kế hoạch '
                                    "chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang)")
