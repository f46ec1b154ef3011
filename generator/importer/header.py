"""What plan.yaml needs, read from the plan's text (the blocks before its PHỤ LỤC): the issuer and number (the
header table's left column: "ỦY BAN NHÂN DÂN / TỈNH KHÁNH HÒA", "Số: 1627/KH-UBND"), the place and date ("Khánh Hòa,
ngày 24 tháng 02 năm 2023"), the title (after "KẾ HOẠCH"), the documents it implements ("... Chương trình hành động
số 46-CTr/TU, ngày 06/12/2022 của <issuer>", the issuer ending before "về", "phê duyệt", "ban hành", ...), the reporting receiver and deadline ("... báo cáo ... gửi Sở ... trước ngày
15 tháng 12 hàng năm", with the section it is in), the signer (authority, title, name at the end).

Each field is found by a rule on the text or left out (None): the draft says so in its review list, never a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from ..office.wordbody import Para
from .text import clean


@dataclass
class Header:
    issuer_lines: list[str] = field(default_factory=list)  # "ỦY BAN NHÂN DÂN", "TỈNH KHÁNH HÒA"
    number: str | None = None
    place: str | None = None
    date: dt.date | None = None
    title: str | None = None
    implements: list[dict] = field(default_factory=list)
    signer: dict | None = None
    receiver: str | None = None  # the receiving body's wording
    deadline: str | None = None  # "15/12"
    reporting_text: str | None = None  # the words the deadline was read from
    section: str | None = None  # "III.1": where they are


_MOTTO = re.compile(r"(cộng hòa|cộng hoà|độc lập|^[-–—_=.\s]+$)", re.IGNORECASE)
_NUMBER = re.compile(r"^Số\s*:\s*(\S+)")
_DATE_LINE = re.compile(r"^(.+?),\s*ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})")
_KINDS = ("Chương trình hành động", "Chương trình", "Nghị quyết", "Quyết định", "Chỉ thị", "Kết luận", "Kế hoạch",
          "Nghị định", "Thông tư", "Công văn", "Đề án", "Thông báo", "Luật")
_KIND = "|".join(map(re.escape, _KINDS))
_DOC = re.compile(rf"\b({_KIND}) số ([\w./-]+),?\s+ngày\s+(\d{{1,2}})\s*/\s*(\d{{1,2}})\s*/\s*(\d{{4}})\s+(?:của\s+)?"
                  rf"(.+?)(?=\s+(?:về|phê duyệt|ban hành|quy định|hướng dẫn)\s|\s*\(sau đây|,\s|;|\.\s|$|\s+(?:{_KIND}) số )",
                  re.IGNORECASE)
_REPORT = re.compile(r"báo cáo[^.;]*?\bgửi\s+(.+?)\s+(?:trước|chậm nhất|trước hoặc vào)\s+ngày\s+(\d{1,2})\s+"
                     r"tháng\s+(\d{1,2})(?:\s+(?:hàng|hằng|mỗi)\s+năm)?", re.IGNORECASE)
_AUTHORITY = re.compile(r"^(TM|KT|TL|TUQ|Q)\.\s*\S")
_TITLE_AFTER = re.compile(r"^((?:TM|KT|TL|TUQ|Q)\.\s*\S.*?)\s+((?:PHÓ\s+)?(?:CHỦ TỊCH|GIÁM ĐỐC|TRƯỞNG BAN|BÍ THƯ))$")
_RECIPIENTS = re.compile(r"^(?:nơi nhận\b|lưu\s*:|[-+•]\s)", re.IGNORECASE)
_ROMAN_HEADING = re.compile(r"^([IVX]+)\.\s+\S")
_NUMBERED = re.compile(r"^(\d+)\.\s+\S")


def _units(blocks) -> list[str]:
    """The text before the PHỤ LỤC as paragraphs (a table's cells in order, each cell's paragraphs and lines one
    unit each), cleaned; empty ones kept out."""
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Para):
            pieces = b.text.split("\n")
        else:
            pieces = [line for r in b.rows for c in r.cells if c.origin is None for line in c.text.split("\n")]
        out.extend(t for t in (clean(p) for p in pieces) if t)
    return out


def _paragraphs(blocks) -> list[str]:
    """The body's paragraphs (outside tables), each one unit, line breaks inside joined."""
    return [t for t in (clean(b.text) for b in blocks if isinstance(b, Para)) if t]


def read_header(blocks) -> Header:
    h = Header()
    units = _units(blocks)
    for i, text in enumerate(units):
        if h.number is None and (m := _NUMBER.match(text)):
            h.number = m.group(1).rstrip(".,;")
            # the capitals above it that are not the motto (a PDF interleaves the header table's two columns)
            h.issuer_lines = [u for u in units[max(0, i - 8) : i] if u.isupper() and not _MOTTO.search(u)]
        if h.date is None and (m := _DATE_LINE.match(text)) and len(m.group(1)) < 40:
            try:
                h.date = dt.date(int(m.group(4)), int(m.group(3)), int(m.group(2)))
                h.place = m.group(1).strip()
            except ValueError:
                pass
    paras = _paragraphs(blocks)
    _title(h, paras, units)
    source = " ".join(p for p in [h.title or ""] + paras[:6])
    seen = set()
    for m in _DOC.finditer(source):
        kind, number, day, month, year, issuer = m.groups()
        key = (kind.lower(), number)
        if key in seen:
            continue
        seen.add(key)
        try:
            date = dt.date(int(year), int(month), int(day))
        except ValueError:
            continue
        h.implements.append({"kind": kind[0].upper() + kind[1:], "number": number, "date": date,
                             "issuer": issuer.strip(" ,;")})
    _reporting(h, paras)
    _signer(h, units)
    return h


def _title(h: Header, paras: list[str], units: list[str]) -> None:
    """The paragraph after "KẾ HOẠCH" (and the next one when it goes on in lower case)."""
    for i, text in enumerate(units):
        if text.upper() == text and re.fullmatch(r"KẾ\s*HOẠCH", text):
            rest = [u for u in units[i + 1 :] if not re.fullmatch(r"[-–—_=.*\s]+", u)]
            if not rest:
                return
            title = rest[0]
            for more in rest[1:3]:
                if title[-1:].isalnum() and more[:1].islower():
                    title = f"{title} {more}"
                else:
                    break
            h.title = title
            return


def _reporting(h: Header, paras: list[str]) -> None:
    roman = number = None
    for text in paras:
        if m := _ROMAN_HEADING.match(text):
            roman, number = m.group(1), None
        elif m := _NUMBERED.match(text):
            number = m.group(1)
        if m := _REPORT.search(text):
            h.receiver = m.group(1).strip()
            h.deadline = f"{int(m.group(2))}/{int(m.group(3))}"
            h.reporting_text = f"báo cáo gửi {h.receiver} trước ngày {m.group(2)} tháng {m.group(3)} hàng năm"
            h.section = f"{roman}.{number}" if roman and number else roman
            return


def _signer(h: Header, units: list[str]) -> None:
    """The last "TM. ..."/"KT. ..." line, the title below it, and the name after that; when two such lines follow
    each other ("TM. ỦY BAN NHÂN DÂN" / "KT. CHỦ TỊCH" / "PHÓ CHỦ TỊCH"), the first is the authority and the second
    goes with the title ("KT. CHỦ TỊCH PHÓ CHỦ TỊCH")."""
    at = None
    for i, text in enumerate(units):
        if _AUTHORITY.match(text):
            at = i
    if at is None:
        return
    authority = units[at]
    # below it: the title and the name; "Nơi nhận" and its list are beside it (a PDF interleaves the two columns)
    rest = [u for u in units[at + 1 :] if not re.fullmatch(r"\(?(đã ký|ký tên|ký, ghi rõ họ tên)\)?", u, re.I)
            and not _RECIPIENTS.match(u)]
    if m := _TITLE_AFTER.match(authority):  # authority and title on one line (a PDF's lines joined)
        authority, rest = m.group(1), [m.group(2), *rest]
    if at > 0 and _AUTHORITY.match(units[at - 1]) and rest:  # "TM. ỦY BAN NHÂN DÂN" above "KT. CHỦ TỊCH": signed
        authority, rest = units[at - 1], [f"{authority} {rest[0]}", *rest[1:]]  # for the body by a deputy
    if len(rest) < 2:
        return
    h.signer = {"authority": authority, "title": rest[0], "name": rest[1]}
