"""The loader's fast paths keep the plain semantics: `_parse` gives what PyYAML's safe loader gives (keys as strings),
agency matching finds what trying every span of words finds, and problems keep their file and line."""

from __future__ import annotations

import random
import re
import shutil
import unicodedata
from pathlib import Path

import pytest
import yaml

from generator.plan.resolve import _TRAILING, _WORD, Resolver
from generator.plan.resolve import name_key as _key
from generator.errors import PlanInvalid
from generator.plan.yamlfast import _parse
from generator.plan.loader import load_plan
from generator.paths import default_plan_dir, plan_data_dir

NFD = unicodedata.normalize("NFD", "Sở Công Thương")


def _reference(text: str):
    """What `_parse` must give: PyYAML's own safe load, mapping keys made strings (of several documents, the last)."""

    def freeze(node):
        if isinstance(node, dict):
            return {str(k): freeze(v) for k, v in node.items()}
        if isinstance(node, list):
            return [freeze(v) for v in node]
        return node

    documents = list(yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    return freeze(documents[-1]) if documents else None


def _texts(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from _texts(v)
    elif isinstance(node, list):
        for v in node:
            yield from _texts(v)
    elif isinstance(node, str):
        yield node


DOCUMENTS = [
    "",
    "plain text",
    '"quoted"',
    "a: 1\nb: '2'\nc: \"3\"\nd: 2025-06-10\ne: 2025-06-10 10:00:00\nf: true\ng: yes\nh: null\ni: ~\nj:\nk: 3.5\n"
    "l: .nan\nm: -.inf\nn: 0x1F\no: 0o17\np: 1_000\nq: ''\n",
    "a: |\n  line one\n  line two\nb: >\n  folded\n  text\nc: |-\n  kept\n",
    "a: !!str 5\nb: ! 12\nc: !!int '7'\nd: !!float 1\ne: !!binary aGVsbG8=\nf: !!null ''\n",
    "1: one\ntrue: yes\nnull: nothing\n2025-01-01: date\n3.5: float\n",
    "1: first\ntrue: second\n",  # 1 and True are the same key: the later value wins under the first key
    "1: a\n'1': b\n1: c\n",  # int and str keys that become the same string
    "groups:\n  - id: g\n    tasks:\n      - {id: t1, lead: \"Sở Nội vụ\", 5: five}\n      - [1, 2, [3, {4: 5}]]\n",
    "a: [1, 'b', \"c\", {d: e}]\nb: {}\nc: []\n",
    "--- first\n--- {a: 1}\n",
    f"a: {NFD}\nb: [ok, \"{NFD}\"]\n",
    f"{NFD}: key only\n",
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_parse_gives_what_pyyaml_gives(text):
    data, all_nfc = _parse(text)
    expected = _reference(text)
    assert repr(data) == repr(expected)  # repr: tells 1 from True and "1", and compares .nan
    assert [type(x) for x in _texts(data)] == [type(x) for x in _texts(expected)]
    if all_nfc:
        assert all(unicodedata.is_normalized("NFC", x) for x in _texts(data))


def test_parse_flags_text_that_is_not_nfc():
    assert _parse("a: [x, y]\n")[1]
    assert _parse("a: Sở Công Thương\n")[1]
    assert not _parse(f"a: [x, '{NFD}']\n")[1]


def test_parse_refuses_aliases():
    with pytest.raises(yaml.MarkedYAMLError):
        _parse("a: &x 1\nb: *x\n")


def test_parse_of_a_large_file_matches_pyyaml():
    text = (default_plan_dir() / "tasks.yaml").read_text(encoding="utf-8")
    assert _parse(text) == (_reference(text), True)


# --------------------------------------------------------------------------- agency matching


def _longest_span_match(names: dict, key: str, pos: int):
    """The plain rule: of every span of up to the longest name's number of words starting at `pos` (ending after a
    word, or after punctuation right after a word), the longest that is a registry name."""
    max_words = max((len(_WORD.findall(n)) for n in names), default=0)
    ends = []
    for i, word in enumerate(_WORD.finditer(key, pos)):
        if i >= max_words:
            break
        ends.append(word.end())
        tail = _TRAILING.match(key, word.end())
        if tail and tail.end() > word.end():
            ends.append(tail.end())
    for end in sorted(ends, reverse=True):
        if key[pos:end] in names:
            return end, names[key[pos:end]]
    return None


class _Registry:
    def __init__(self, names: list[str]):
        half = len(names) // 2
        self.agencies = {f"a{i}": _Named(f"a{i}", n) for i, n in enumerate(names[:half])}
        self.groups = {f"g{i}": _Named(f"g{i}", n) for i, n in enumerate(names[half:])}


class _Named:
    def __init__(self, id: str, name: str):
        self.id, self.name, self.aliases = id, name, ()


TOKENS = ["sở", "Sở", "a", "ab", "b", "x_y", "1", "12", "và", "cùng", "liên", "quan", "có", ",", ";", ".", "...",
          ")", "(", "-", "…", "ủy", "ban", "é", "e\u0301", "!", "_"]


def _text(rng: random.Random, words: int) -> str:
    return "".join(rng.choice(TOKENS) + rng.choice(["", " ", " ", ", ", "; "]) for _ in range(words)).strip()


def test_match_is_the_longest_span_rule_on_random_registries():
    rng = random.Random(1627)
    for _ in range(150):
        names = list({_text(rng, rng.randint(1, 4)) for _ in range(rng.randint(1, 20))})
        resolver = Resolver(_Registry(names))
        keyed = {_key(n): target for n, target in resolver._names.items()}
        for _ in range(60):
            if rng.random() < 0.6:
                parts = [rng.choice(names) if rng.random() < 0.7 else _text(rng, 2) for _ in range(rng.randint(1, 4))]
                wording = rng.choice([" ", ", ", "; ", " và ", "", "...", " liên quan, "]).join(parts)
            else:
                wording = _text(rng, rng.randint(1, 10))
            key = _key(wording)
            for pos in range(len(key)):
                assert resolver._match(key, pos) == _longest_span_match(keyed, key, pos), (names, key, pos)


def test_match_on_the_default_registry():
    registry = load_plan(default_plan_dir()).registry
    resolver = Resolver(registry)
    names = resolver._names
    wordings = [w for g in load_plan(default_plan_dir()).groups for t in g.tasks for w in (t.lead, t.partners)]
    wordings += [n.upper() + tail for n in list(names)[:40] for tail in ("", "...", ")", "x", " liên quan")]
    for wording in wordings:
        key = _key(wording)
        for pos in range(len(key)):
            assert resolver._match(key, pos) == _longest_span_match(names, key, pos), (key, pos)


# --------------------------------------------------------------------------- problems keep their file:line


def _replace_line(path: Path, old: str, new: str) -> int:
    lines = path.read_text(encoding="utf-8").split("\n")
    i = next(i for i, line in enumerate(lines) if old in line)
    lines[i] = lines[i].replace(old, new)
    path.write_text("\n".join(lines), encoding="utf-8")
    return i + 1


def _problems(folder: Path) -> list[tuple[str, int, str]]:
    with pytest.raises(PlanInvalid) as e:
        load_plan(folder)
    return [(Path(p.file).name, p.line, p.message) for p in e.value.problems]


def test_text_not_nfc_in_a_list_and_a_key(plan_copy, province_registry):
    agencies = province_registry
    text = agencies.read_text(encoding="utf-8")
    alias = re.search(r"^(\s+aliases: \[)", text, re.M)
    assert alias, "the default registry has an inline aliases list"
    line = text[: alias.start()].count("\n") + 1
    agencies.write_text(text[: alias.end()] + f'"{NFD}", ' + text[alias.end():], encoding="utf-8")
    [(name, at, message)] = _problems(plan_copy)
    assert (name, at) == ("khanh-hoa.yaml", line) and "NFC" in message and NFD[:10] in message

    # A key that is not NFC is no text of the plan: only the schema complains about it (an unknown field).
    shutil.copy(plan_data_dir() / "registries" / "khanh-hoa.yaml", agencies)
    _replace_line(plan_copy / "tasks.yaml", "deliverable:", f"{NFD}: x\n        deliverable:")
    assert all("NFC" not in message for _, _, message in _problems(plan_copy))


def test_field_problems_point_at_the_file_that_wrote_the_field(plan_copy):
    line = _replace_line(plan_copy / "tasks.yaml", 'timeframe: "2023-2025"', 'timeframe: "2025-2023"')
    amendment = (
        "document: {kind: Kế hoạch, number: 9/KH-UBND, date: 2025-06-10, issuer: UBND tỉnh, title: Sửa đổi}\n"
        "changes:\n"
        "  - action: change_task\n"
        "    id: nv18\n"
        '    lead: "Sở Không Có"\n'
    )
    (plan_copy / "amendments").mkdir()
    (plan_copy / "amendments" / "a.yaml").write_text(amendment, encoding="utf-8")
    found = _problems(plan_copy)
    assert sorted((n, at) for n, at, _ in found) == [("a.yaml", 5), ("tasks.yaml", line)], found
    assert any(n == "a.yaml" and '"Sở Không Có"' in message for n, _, message in found)


def test_a_key_written_twice_or_a_list_as_key_is_refused_with_its_line(plan_copy):
    """PyYAML would keep the last of two equal keys silently (a clerk's first value lost without a word)."""
    line = _replace_line(plan_copy / "plan.yaml", "number:", "number: 1627/KH-UBND\nnumber:")
    [(name, at, message)] = _problems(plan_copy)
    assert (name, at) == ("plan.yaml", line + 1) and 'khóa "number" ghi hai lần' in message

    shutil.copy(default_plan_dir() / "plan.yaml", plan_copy / "plan.yaml")
    line = _replace_line(plan_copy / "plan.yaml", "number:", "? [a, b]\n: x\nnumber:")
    [(name, at, message)] = _problems(plan_copy)
    assert (name, at) == ("plan.yaml", line) and "khóa phải là một chữ" in message
