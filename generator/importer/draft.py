"""The import use case: a plan's document -> `DraftPlan` (what plan.yaml, tasks.yaml and the plan's own agencies.yaml
will hold) and the review list of what could not be decided. Prints nothing, writes nothing (`importer.write`).

Rules (README "Thêm một kế hoạch mới"):
- issuer: the header's lines above "Số:" ("ỦY BAN NHÂN DÂN" / "TỈNH KHÁNH HÒA") in sentence case
  (`issuer_full`: "Ủy ban nhân dân tỉnh Khánh Hòa"); `issuer`, the short form, as the document writes it where it
  names itself ("... của UBND tỉnh Khánh Hòa" in the PHỤ LỤC's attached line), else "UBND" for "Ủy ban nhân dân";
  `parent_header`: the short form in capitals.
- plan id: slug of the place and the number's digits ("khanh-hoa-1627"); task ids nv01, nv02, ... in order
  (zero-padded to the width the count needs, at least 2); group ids: the first three words of the group's title as a
  slug ("nang-cao-nhan-thuc"), made unique with "-2", "-3".
- subject (the field of the report's subject line): the phrase of 3 to 6 words of the title's last "về ..." that
  the document (its text and its PHỤ LỤC) uses most, weighing each use by the phrase's words; said in the printed
  summary as read by rule.
- agencies: every lead/partner wording resolved against the province's registry (`plan.resolve`); a name it does not
  know is a review item with the three closest known names and a proposed entry in agencies.yaml whose `code` and
  `kind` are left empty (the validator refuses them until filled).
- timeframes: `plan.schedule` reads them; wording it cannot read is a review item (kept verbatim).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..office.wordbody import Para
from ..plan.province import Province, find_province, load_province
from ..plan.resolve import Resolver, name_key
from ..plan.schedule import parse_timeframe
from .appendix import LABELS, Appendix, read_appendix
from .header import Header, read_header
from .source import SourceDocument, open_document
from .text import ReviewItem, clean, slug


@dataclass
class Proposed:
    """An agency the registry does not know, proposed for the plan's agencies.yaml."""

    id: str
    name: str
    closest: list[str]
    where: list[str]  # task codes and fields it was met in


@dataclass
class DraftPlan:
    source: SourceDocument
    province: Province
    plan: dict  # plan.yaml's fields (a missing one is absent, and a review item)
    appendix: Appendix
    task_ids: list[list[str]]  # per group, per task
    group_ids: list[str]
    proposed: list[Proposed]
    review: list[ReviewItem]
    notes: list[str] = field(default_factory=list)  # values read by rule, said in the summary
    matched: int = 0  # registry agencies and groups the lead/partner cells name

    @property
    def id(self) -> str | None:
        return self.plan.get("id")

    @property
    def tasks(self) -> int:
        return sum(len(g.tasks) for g in self.appendix.groups)


def import_plan(path: str | Path, registry: str | Path | None = None) -> DraftPlan:
    source = open_document(path)
    appendix = read_appendix(source.blocks)
    header = read_header(source.blocks[: appendix.start])
    review: list[ReviewItem] = []
    province_words = _province_names(header)
    name, file = find_province(registry, province_words)
    province = load_province(name, file)
    body = " ".join(clean(b.text) for b in source.blocks if isinstance(b, Para))
    plan, notes = _plan_fields(header, appendix, province, review, body)
    resolver = Resolver(province.registry)
    proposed, matched = _agencies(appendix, resolver, province, review)
    if "reporting" in plan:
        receiver = resolver.resolve(header.receiver or "")
        if len(receiver.refs) == 1 and not receiver.unknown and not receiver.refs[0].is_group:
            plan["reporting"]["receiver"] = receiver.refs[0].target
        else:
            plan["reporting"].pop("receiver")
            review.append(ReviewItem("plan.yaml", "reporting.receiver", f'cơ quan nhận báo cáo "{header.receiver}" '
                                     f"không khớp đúng một đơn vị của danh mục {province.name}; hãy ghi mã đơn vị"))
    _timeframes(appendix, review)
    group_ids = _group_ids([g.title for g in appendix.groups])
    width = max(2, len(str(sum(len(g.tasks) for g in appendix.groups))))
    n = 0
    task_ids = []
    for g in appendix.groups:
        ids = []
        for _ in g.tasks:
            n += 1
            ids.append(f"nv{n:0{width}d}")
        task_ids.append(ids)
    return DraftPlan(source, province, plan, appendix, task_ids, group_ids, proposed,
                     appendix.review + review, notes, len(matched))


def _province_names(h: Header) -> list[str]:
    out = []
    for line in h.issuer_lines:
        if m := re.match(r"^(?:ỦY BAN NHÂN DÂN |UBND )?(?:TỈNH|THÀNH PHỐ)\s+(.+)$", line, re.IGNORECASE):
            out.append(_proper(m.group(1)))
    if h.place:
        out.append(h.place)
    return out


def _proper(words: str) -> str:
    """A proper name in capitals ("KHÁNH HÒA") as written in a sentence ("Khánh Hòa")."""
    return " ".join(w[:1].upper() + w[1:].lower() for w in words.split())


def _sentence_case(lines: list[str]) -> str | None:
    """"ỦY BAN NHÂN DÂN" + "TỈNH KHÁNH HÒA" -> "Ủy ban nhân dân tỉnh Khánh Hòa": the level word and what precedes in
    lower case, the place's name capitalised, the first letter capital."""
    text = " ".join(lines)
    if not text:
        return None
    m = re.match(r"^(.*?\b(?:TỈNH|THÀNH PHỐ|HUYỆN|QUẬN|THỊ XÃ|XÃ|PHƯỜNG))\s+(.+)$", text)
    if m is None:
        return text[:1].upper() + text[1:].lower()
    head = m.group(1).lower()
    return head[:1].upper() + head[1:] + " " + _proper(m.group(2))


def _plan_fields(h: Header, a: Appendix, province: Province, review: list[ReviewItem],
                 body: str) -> tuple[dict, list[str]]:
    plan: dict = {}
    notes: list[str] = []

    def missing(field_: str, what: str) -> None:
        review.append(ReviewItem("plan.yaml", field_, f"không tìm thấy {what} trong văn bản; hãy ghi vào plan.yaml"))

    digits = re.match(r"\d+", h.number or "")
    if h.place and digits:
        plan["id"] = f"{slug(h.place)}-{digits.group()}"
    else:
        missing("id", "số văn bản hoặc địa danh (mã kế hoạch ghép từ hai thứ đó)")
    plan["registry"] = province.name
    for key, value, what in (("number", h.number, 'số, ký hiệu ("Số: .../KH-...")'),
                             ("date", h.date, 'ngày ban hành ("..., ngày ... tháng ... năm ...")')):
        if value:
            plan[key] = value
        else:
            missing(key, what)
    full = _sentence_case(h.issuer_lines)
    if full:
        short = _short_issuer(full, a.attached)
        plan.update(issuer=short, issuer_full=full)
    else:
        missing("issuer", 'cơ quan ban hành (dòng trên "Số:")')
    if h.place:
        plan["place"] = h.place
    else:
        missing("place", "địa danh ở dòng ngày tháng")
    if full:
        plan["parent_header"] = plan["issuer"].upper()
    if h.title:
        plan["title"] = h.title
        subject = _subject(h.title, a, body)
        if subject:
            plan["subject"] = subject
            notes.append(f'lĩnh vực (subject) "{subject}": cụm từ cuối tên Kế hoạch được văn bản dùng nhiều nhất')
        else:
            missing("subject", "lĩnh vực của kế hoạch (dùng trong trích yếu báo cáo)")
    else:
        missing("title", 'tên Kế hoạch (đoạn sau dòng "KẾ HOẠCH")')
        missing("subject", "lĩnh vực của kế hoạch (dùng trong trích yếu báo cáo)")
    plan["implements"] = h.implements
    if not h.implements:
        review.append(ReviewItem("plan.yaml", "implements", "không tìm thấy văn bản nào mà Kế hoạch triển khai; ghi "
                                 "thêm nếu có"))
    if h.signer:
        plan["signer"] = h.signer
    else:
        missing("signer", 'người ký (dòng "TM. ..." / "KT. ..." cuối văn bản)')
    if h.deadline:
        where = f", mục {h.section}" if h.section else ""
        number = digits.group() if digits else h.number
        plan["reporting"] = {"receiver": h.receiver, "deadline": h.deadline,
                             "source": f"Kế hoạch {number}{where}: {h.reporting_text}"}
    else:
        missing("reporting", 'chế độ báo cáo ("... báo cáo ... gửi ... trước ngày ... tháng ... hàng năm")')
    if a.heading:
        plan["appendix"] = {"heading": a.heading, "title": a.title, "attached": a.attached}
        for k, v in plan["appendix"].items():
            if not v:
                missing(f"appendix.{k}", {"title": "tên của PHỤ LỤC", "attached": 'dòng "(Ban hành kèm theo ...)"'}[k])
    else:
        missing("appendix", 'dòng "PHỤ LỤC" trước bảng nhiệm vụ')
    return plan, notes


def _short_issuer(full: str, attached: str) -> str:
    """The issuer as the document names it in "... của <issuer>)" when that is the same name, else by rule."""
    key = name_key(full)
    if m := re.search(r"\bcủa\s+(.+?)\)?\s*$", attached):
        said = m.group(1).strip()
        if name_key(said) == key:
            return said
    return re.sub(r"^Ủy ban nhân dân", "UBND", full)


def _subject(title: str, a: Appendix, body: str) -> str | None:
    tail = title.rsplit(" về ", 1)[-1] if " về " in title else ""
    words = re.findall(r"\w+", tail)
    if not words:
        return None
    text = " ".join([title, body] + [g.title for g in a.groups] + [t.cells["task"] for g in a.groups for t in g.tasks])
    low = " ".join(re.findall(r"\w+", text.lower()))
    best, score = None, 0
    for n in range(3, 7):
        for i in range(len(words) - n + 1):
            phrase = " ".join(words[i : i + n])
            count = low.count(phrase.lower())
            if count >= 3 and count * n > score:
                best, score = phrase, count * n
    return best


def _agencies(a: Appendix, resolver: Resolver, province: Province,
              review: list[ReviewItem]) -> tuple[list[Proposed], set[str]]:
    registry = province.registry
    names = {name_key(n): n for ag in registry.agencies.values() for n in (ag.name, *ag.aliases)}
    names.update({name_key(n): n for g in registry.groups.values() for n in (g.name, *g.aliases)})
    taken = set(registry.agencies) | set(registry.groups)
    proposed: dict[str, Proposed] = {}
    matched: set[str] = set()
    for g in a.groups:
        for t in g.tasks:
            for f in ("lead", "partners"):
                if not t.cells[f]:
                    if f == "lead":
                        review.append(ReviewItem(t.code, LABELS[f], "ô trống; mỗi nhiệm vụ cần đơn vị chủ trì"))
                    continue
                resolution = resolver.resolve(t.cells[f])
                matched.update(r.target for r in resolution.refs)
                for unknown in resolution.unknown:
                    key = name_key(unknown)
                    p = proposed.get(key)
                    if p is None:
                        closest = [names[k] for k in difflib.get_close_matches(key, list(names), n=3, cutoff=0.0)]
                        base = slug(unknown) or "don-vi"
                        pid, i = base, 2
                        while pid in taken:
                            pid, i = f"{base}-{i}", i + 1
                        taken.add(pid)
                        p = proposed[key] = Proposed(pid, unknown, closest, [])
                    p.where.append(f"{t.code} {LABELS[f]}")
                    near = ", ".join(f'"{n}"' for n in p.closest) or "(không có)"
                    review.append(ReviewItem(t.code, LABELS[f], f'đơn vị "{unknown}" không có trong danh mục '
                                             f"{province.name}; tên gần nhất: {near}; sửa tên trong tasks.yaml, hoặc "
                                             f'điền mục "{p.id}" đề xuất trong agencies.yaml'))
    return list(proposed.values()), matched


def _timeframes(a: Appendix, review: list[ReviewItem]) -> None:
    for g in a.groups:
        for t in g.tasks:
            text = t.cells["timeframe"]
            if not text:
                review.append(ReviewItem(t.code, LABELS["timeframe"], "ô trống; hãy ghi thời gian hoàn thành"))
                continue
            try:
                schedule = parse_timeframe(text)
            except ValueError as e:
                review.append(ReviewItem(t.code, LABELS["timeframe"], f'"{text}": {e}'))
                continue
            if schedule.kind == "unknown":
                review.append(ReviewItem(t.code, LABELS["timeframe"], f'kehoach không hiểu "{text}" (giữ nguyên văn, '
                                         "sẽ báo cáo mọi năm); sửa nếu là một thời hạn"))
            if not t.cells["task"]:
                review.append(ReviewItem(t.code, LABELS["task"], "ô trống; hãy ghi nội dung nhiệm vụ"))


def _group_ids(titles: list[str]) -> list[str]:
    out: list[str] = []
    for title in titles:
        base = slug(clean(title), 3) or "nhom"
        gid, i = base, 2
        while gid in out:
            gid, i = f"{base}-{i}", i + 1
        out.append(gid)
    return out


