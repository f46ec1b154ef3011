"""Agency resolution: official lead/partner wording -> registry references.

Names contain commas and "và" ("Sở Kế hoạch và Đầu tư"; "Các sở, ban, ngành"), so a cell is never split on
punctuation. Instead the cell is scanned left to right: separators are skipped, then the longest registry name or
alias that matches at that point (case-insensitively, ending on a word boundary) is taken, then an optional
parenthetical sub-unit ("Sở Nội vụ (Ban Thi đua - Khen thưởng)": the task is the agency's, the sub-unit is kept in the
mention's text), then an optional "(có) liên quan" qualifier. Text that no name matches is reported as unknown.

Names are compared by `name_key`, the one matching key of the project: either tone placement ("Uỷ"/"Ủy",
"Hoà"/"Hòa", "Thuỷ"/"Thủy") and "UBND"/"Ủy ban nhân dân" give the same key. The key is only for matching: the wording
of the plan is never respelt.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .model import Ref, Registry


_SEPARATORS = re.compile(r"(?:[\s,;.]|\bvà\b|\bcùng\b)+")
_WORD = re.compile(r"\w+")
_TRAILING = re.compile(r"[^\w\s,;]+")
_WORD_END = re.compile(r"(?<=\w)(?!\w)")
_QUALIFIER = re.compile(r"\s*(?:có\s+)?liên\s+quan\b")
_UNKNOWN_END = re.compile(r"[,;]|\svà\s")
_SUB_UNIT = re.compile(r"\s*\(([^()]*\w[^()]*)\)")

# A tone mark on the second vowel of "oa", "oe", "uy" ("hoà", "khoẻ", "thuỷ") is moved to the first ("hòa", "khỏe",
# "thủy"): one spelling for both placements, of the same length (two precomposed letters either way).
_TONED = re.compile("[ou][àáảãạèéẻẽẹỳýỷỹỵ]")
_PAIRS = {("o", "a"), ("o", "e"), ("u", "y")}
# Spelt-out forms and their abbreviation, both keyed as the abbreviation (after the tone move above).
_ABBREVIATIONS = {"ủy ban nhân dân": "ubnd", "hội đồng nhân dân": "hđnd"}
_SPELT_OUT = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, _ABBREVIATIONS)) + r")(?!\w)")


@dataclass(frozen=True)
class Resolution:
    refs: tuple[Ref, ...]
    unknown: tuple[str, ...]  # wording no registry name matched


def name_key(text: str) -> str:
    """The key agency names are matched by: NFC, spaces collapsed, lower case, one tone placement, "UBND" for
    "Ủy ban nhân dân" (and "HĐND" for "Hội đồng nhân dân"). Two names with the same key are the same name."""
    return _keyed(" ".join(unicodedata.normalize("NFC", text).split()))[0]


def _move_tone(m: re.Match) -> str:
    first, second = m.group()
    base, tone = unicodedata.normalize("NFD", second)
    if (first, base) not in _PAIRS:
        return m.group()
    return unicodedata.normalize("NFC", first + tone) + base


def _keyed(text: str) -> tuple[str, list[int] | None]:
    """`text` (NFC, spaces collapsed) -> (its key, where): key[i] stands for text from where[i] on, and
    where[len(key)] == len(text); where is None when key positions are text positions (no abbreviation met)."""
    low = text.lower()
    if len(low) != len(text):  # a letter whose lower case is longer (not Vietnamese): keep positions
        low = "".join(c.lower()[0] for c in text)
    low = _TONED.sub(_move_tone, low)
    if not _SPELT_OUT.search(low):
        return low, None
    pieces: list[str] = []
    where: list[int] = []
    pos = 0
    for m in _SPELT_OUT.finditer(low):
        pieces.append(low[pos : m.start()])
        where.extend(range(pos, m.start()))
        short = _ABBREVIATIONS[m.group()]
        pieces.append(short)
        where.extend(range(m.start(), m.start() + len(short)))
        pos = m.end()
    pieces.append(low[pos:])
    where.extend(range(pos, len(low) + 1))
    return "".join(pieces), where


class Resolver:
    def __init__(self, registry: Registry):
        self._names: dict[str, tuple[str, bool]] = {}
        for a in registry.agencies.values():
            for n in (a.name, *a.aliases):
                self._names[name_key(n)] = (a.id, False)
        for g in registry.groups.values():
            for n in (g.name, *g.aliases):
                self._names[name_key(n)] = (g.id, True)
        # Name lengths by the name's head (its text up to the end of its first word), longest first: at a position
        # only the names that begin with the word found there are tried, instead of every span of words.
        lengths: dict[str, set[int]] = {}
        for n in self._names:
            if m := _WORD.search(n):  # a name without a word can never end on a word boundary
                lengths.setdefault(n[: m.end()], set()).add(len(n))
        self._lengths = {head: tuple(sorted(ls, reverse=True)) for head, ls in lengths.items()}
        self._cache: dict[str, Resolution] = {}

    def resolve(self, wording: str) -> Resolution:
        if wording not in self._cache:
            self._cache[wording] = self._resolve(wording)
        return self._cache[wording]

    def _resolve(self, wording: str) -> Resolution:
        text = " ".join(unicodedata.normalize("NFC", wording).split())
        key, where = _keyed(text)
        at = (lambda i: i) if where is None else where.__getitem__  # key position -> text position
        refs: list[Ref] = []
        unknown: list[str] = []
        pos = 0
        while pos < len(key):
            if m := _SEPARATORS.match(key, pos):
                pos = m.end()
                if pos >= len(key):
                    break
            hit = self._match(key, pos)
            if hit is None:
                m = _UNKNOWN_END.search(key, pos)
                end = m.start() if m else len(key)
                unknown.append(text[at(pos) : at(end)].strip())
                pos = end
                continue
            end, (target, is_group) = hit
            unit, related = "", False
            if p := _SUB_UNIT.match(key, end):
                if _QUALIFIER.fullmatch(key[p.start(1) : p.end(1)].strip()):  # "(có liên quan)"
                    related = True
                else:
                    unit = text[at(p.start(1)) : at(p.end(1))].strip()
                end = p.end()
            if q := _QUALIFIER.match(key, end):
                related = True
                end = q.end()
            refs.append(Ref(target, is_group, related, text[at(pos) : at(end)], unit))
            pos = end
        return Resolution(tuple(refs), tuple(unknown))

    def _match(self, key: str, pos: int) -> tuple[int, tuple[str, bool]] | None:
        """The longest registry name starting at `pos` and ending on a word boundary: (end, target).

        Only the names that begin with the word at `pos` are tried, longest first; the boundary is checked only
        for a name that is there. (Every name has at most as many words as the longest one, so this finds the
        same name as trying each span of up to that many words.)
        """
        word = _WORD.search(key, pos)
        if word is None:
            return None
        for length in self._lengths.get(key[pos : word.end()], ()):
            end = pos + length
            if end > len(key):
                continue  # the slice below would be cut short, and might be another (shorter) name
            target = self._names.get(key[pos:end])
            if target is not None and _ends_name(key, pos, end):
                return end, target
        return None


def _ends_name(key: str, pos: int, end: int) -> bool:
    """Whether a name found at key[pos:end] ends on a word boundary: right after a word, or after punctuation that
    directly follows a word (a name may end in "......" or ")")."""
    if _WORD_END.match(key, end):
        return True
    last = None
    for last in _WORD.finditer(key, pos, end):
        pass
    tail = _TRAILING.match(key, last.end()) if last else None
    return tail is not None and tail.end() == end
