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
        names: dict[str, tuple[str, bool]] = {}
        for a in registry.agencies.values():
            for n in (a.name, *a.aliases):
                names[_key(n)] = (a.id, False)
        for g in registry.groups.values():
            for n in (g.name, *g.aliases):
                names[_key(n)] = (g.id, True)
        # Candidates indexed by their first word, longest first: a scan only tries names that can match there.
        self._by_word: dict[str, list[tuple[str, tuple[str, bool]]]] = {}
        for name, target in sorted(names.items(), key=lambda kv: -len(kv[0])):
            first = _WORD.match(name)
            self._by_word.setdefault(first.group(0) if first else name, []).append((name, target))

    def resolve(self, wording: str) -> Resolution:
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
            name, (target, is_group) = hit
            end = pos + len(name)
            q = _QUALIFIER.match(key, end)
            related = q is not None
            if q:
                end = q.end()
            refs.append(Ref(target, is_group, related, text[pos:end]))
            pos = end
        return Resolution(tuple(refs), tuple(unknown))

    def _match(self, key: str, pos: int) -> tuple[str, tuple[str, bool]] | None:
        word = _WORD.match(key, pos)
        for name, target in self._by_word.get(word.group(0) if word else "", ()):
            if key.startswith(name, pos):
                end = pos + len(name)
                if end == len(key) or not key[end].isalnum():
                    return name, target
        return None
