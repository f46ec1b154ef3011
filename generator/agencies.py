"""Agency resolution: official lead/partner wording -> registry references.

Names contain commas and "và" ("Sở Kế hoạch và Đầu tư"; "Các sở, ban, ngành"), so a cell is never split on
punctuation. Instead the cell is scanned left to right: separators are skipped, then the longest registry name or
alias that matches at that point (case-insensitively, ending on a word boundary) is taken, then an optional
"(có) liên quan" qualifier. Text that no name matches is reported as unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import Ref, Registry

_SEPARATORS = re.compile(r"(?:[\s,;.]|\bvà\b|\bcùng\b)+")
_WORD = re.compile(r"\w+")
_TRAILING = re.compile(r"[^\w\s,;]+")
_WORD_END = re.compile(r"(?<=\w)(?!\w)")
_QUALIFIER = re.compile(r"\s*(?:có\s+)?liên\s+quan\b")
_UNKNOWN_END = re.compile(r"[,;]|\svà\s")


@dataclass(frozen=True)
class Resolution:
    refs: tuple[Ref, ...]
    unknown: tuple[str, ...]  # wording no registry name matched


def _key(text: str) -> str:
    # lower() keeps the length of Vietnamese text, so positions in the key are positions in the text.
    return " ".join(text.split()).lower()


class Resolver:
    def __init__(self, registry: Registry):
        self._names: dict[str, tuple[str, bool]] = {}
        for a in registry.agencies.values():
            for n in (a.name, *a.aliases):
                self._names[_key(n)] = (a.id, False)
        for g in registry.groups.values():
            for n in (g.name, *g.aliases):
                self._names[_key(n)] = (g.id, True)
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
        text = " ".join(wording.split())
        key = text.lower()
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
                unknown.append(text[pos:end].strip())
                pos = end
                continue
            end, (target, is_group) = hit
            q = _QUALIFIER.match(key, end)
            related = q is not None
            if q:
                end = q.end()
            refs.append(Ref(target, is_group, related, text[pos:end]))
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
