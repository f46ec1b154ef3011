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
        self._max_words = max((len(_WORD.findall(n)) for n in self._names), default=0)
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
        """The longest registry name starting at `pos` and ending on a word boundary: (end, target)."""
        ends = []
        for i, word in enumerate(_WORD.finditer(key, pos)):
            if i >= self._max_words:
                break
            ends.append(word.end())
            tail = _TRAILING.match(key, word.end())  # a name may end in punctuation: "......", ")"
            if tail and tail.end() > word.end():
                ends.append(tail.end())
        for end in sorted(ends, reverse=True):
            target = self._names.get(key[pos:end])
            if target is not None:
                return end, target
        return None
