"""Property-based tests of the pure core against simple reference models: agency resolution over the whole registry,
timeframe parsing and statuses, decree dates, and amendments applied in order (the documented semantics)."""

from __future__ import annotations

import copy
import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from generator.plan.resolve import Resolver
from generator.plan.loader import load_plan
from generator.paths import default_plan_dir
from generator.plan.schedule import parse_timeframe
from generator.office.vnformat import long_date, short_date

# ================================================================================================ agency resolution


@pytest.fixture(scope="module")
def registry_names(plan) -> list[tuple[str, str]]:
    """(name as written, agency or group id) for every name and alias of the registry."""
    r = plan.registry
    names = [(n, a.id) for a in r.agencies.values() for n in (a.name, *a.aliases)]
    return names + [(n, g.id) for g in r.groups.values() for n in (g.name, *g.aliases)]


SEPARATORS = st.sampled_from([", ", "; ", " và ", "; và ", ", và ", " cùng ", " ; ", ",  ", "  và  "])


def _case(name: str, how: int) -> str:
    return (name, name.lower(), name.upper(), " ".join(name.split(" ")).replace(" ", "  "))[how]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_join_of_any_registry_names_resolves_to_exactly_those(plan, registry_names, data):
    picked = data.draw(st.lists(st.sampled_from(registry_names), min_size=1, max_size=7), label="names")
    seps = data.draw(st.lists(SEPARATORS, min_size=len(picked), max_size=len(picked)), label="separators")
    cases = data.draw(st.lists(st.integers(0, 3), min_size=len(picked), max_size=len(picked)), label="case")
    text = "".join((sep if i else "") + _case(name, how)
                   for i, ((name, _), sep, how) in enumerate(zip(picked, seps, cases)))
    res = Resolver(plan.registry).resolve(text)
    assert res.unknown == (), text
    assert [r.target for r in res.refs] == [target for _, target in picked], text


# Old tone placement, written out by hand (independently of `name_key`): the mark on the second vowel.
_OLD_TONES = {"òa": "oà", "óa": "oá", "ỏa": "oả", "õa": "oã", "ọa": "oạ", "òe": "oè", "óe": "oé", "ỏe": "oẻ",
              "õe": "oẽ", "ọe": "oẹ", "ùy": "uỳ", "úy": "uý", "ủy": "uỷ", "ũy": "uỹ", "ụy": "uỵ"}


def _respell(name: str, abbreviate: bool, unit: str) -> str:
    out = name
    if abbreviate:
        out = (out.replace("Ủy ban nhân dân", "UBND") if "Ủy ban nhân dân" in out
               else out.replace("UBND", "Ủy ban nhân dân"))
    for new, old in _OLD_TONES.items():
        out = out.replace(new, old).replace(new.capitalize(), old.capitalize())
    return out + (f" ({unit})" if unit else "")


UNITS = st.sampled_from(["", "Ban Thi đua - Khen thưởng", "Phòng Tài chính - Kế hoạch", "Văn phòng, bộ phận một cửa"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_respelling_of_registry_names_resolves_to_the_same(plan, registry_names, data):
    """Old tone placement, "UBND" for "Ủy ban nhân dân" (or back) and a parenthetical sub-unit: the same agencies,
    and each mention's text is the wording as written."""
    picked = data.draw(st.lists(st.sampled_from(registry_names), min_size=1, max_size=5), label="names")
    written = [_respell(n, data.draw(st.booleans()), data.draw(UNITS)) for n, _ in picked]
    seps = data.draw(st.lists(SEPARATORS, min_size=len(picked), max_size=len(picked)), label="separators")
    text = "".join((sep if i else "") + w for i, (w, sep) in enumerate(zip(written, seps)))
    res = Resolver(plan.registry).resolve(text)
    assert res.unknown == (), text
    assert [r.target for r in res.refs] == [target for _, target in picked], text
    assert [r.text for r in res.refs] == written, text


# ================================================================================================ timeframes

YEAR = st.integers(2000, 2099)
DASH = st.sampled_from(["-", "–", " - ", " – ", "  -  ", "-  "])
SPACE = st.sampled_from(["", " ", "  ", "\t", "\n "])


@given(YEAR, YEAR, DASH, SPACE, SPACE)
def test_any_period_parses_to_that_period(y, z, dash, before, after):
    text = f"{before}{min(y, z)}{dash}{max(y, z)}{after}"
    s = parse_timeframe(text)
    assert (s.kind, s.start, s.end) == ("period", min(y, z), max(y, z))
    assert s.text == " ".join(text.split())
    for year in range(min(y, z) - 3, max(y, z) + 4):
        expected = "future" if year < min(y, z) else "expired" if year > max(y, z) else "active"
        assert s.status(year) == expected


@given(YEAR, YEAR, DASH)
def test_a_period_ending_before_it_starts_is_refused(y, z, dash):
    assume(y != z)
    with pytest.raises(ValueError, match="năm bắt đầu sau năm kết thúc"):
        parse_timeframe(f"{max(y, z)}{dash}{min(y, z)}")


@given(YEAR, SPACE, st.sampled_from(["", "Năm ", "năm ", "Trong năm "]))
def test_a_single_year_is_a_completion_deadline(y, space, prefix):
    """Reported from the plan's first year (no start of its own) up to that year, past its deadline afterwards."""
    s = parse_timeframe(f"{space}{prefix}{y}{space}")
    assert (s.kind, s.start, s.end, s.due) == ("deadline", None, y, dt.date(y, 12, 31))
    assert [s.status(x) for x in (y - 5, y - 1, y, y + 1, y + 5)] == ["active"] * 3 + ["expired"] * 2


@given(st.sampled_from([("Thường xuyên", "continuous"), ("Hàng năm", "annual"), ("Hằng năm", "annual")]),
       st.sampled_from([str.lower, str.upper, str.title, lambda t: t]), SPACE, st.integers(1900, 2200))
def test_recurring_wordings_are_always_active(wording, case, space, year):
    text, kind = wording
    s = parse_timeframe(space + case(text).replace(" ", "  ") + space)
    assert s.kind == kind and s.status(year) == "active"


@given(st.text(max_size=40), st.integers(1900, 2200))
def test_conditional_wordings(rest, year):
    s = parse_timeframe("Sau khi " + rest)
    assert s.kind == "conditional" and s.status(year) == "active"


def _reference_kind(text: str) -> tuple | None:
    """The documented rule (for the words the strategy below can write), written independently: None when the
    wording must be refused; wording not understood is "unknown" (reported every year, with a warning)."""
    words = " ".join(text.split())
    key = words.lower()
    if key == "thường xuyên":
        return ("continuous", None, None)
    if key in ("hàng năm", "hằng năm"):
        return ("annual", None, None)
    if key.startswith("sau khi"):
        return ("conditional", None, None)
    m = re.fullmatch(r"(?:năm )?(20\d\d) ?[-–] ?(20\d\d)", key)
    if m:
        return ("period", int(m[1]), int(m[2])) if int(m[1]) <= int(m[2]) else None
    if m := re.fullmatch(r"(?:năm )?(20\d\d)", key):
        return ("deadline", None, int(m[1]))
    return ("unknown", None, None)


@given(st.text(alphabet="0123456789 -–2020sauSAU khithường xuyênhàng năm", max_size=16)
       | st.integers(1800, 2300).map(str))
def test_any_wording_parses_as_the_reference_rule_says(text):
    expected = _reference_kind(text)
    if expected is None:
        with pytest.raises(ValueError):
            parse_timeframe(text)
    else:
        s = parse_timeframe(text)
        assert (s.kind, s.start, s.end) == expected


# ================================================================================================ decree dates


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_decree_date_rule_for_any_day(day):
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    assert long_date(day) == f"ngày {day.day:02d} tháng {month} năm {day.year}"
    assert short_date(day) == f"{day.day:02d}/{day.month:02d}/{day.year}"


# ================================================================================================ amendments

LEADS = ["Sở Công Thương", "Sở Tài chính", "Sở Nội vụ", "Liên minh Hợp tác xã tỉnh", "Sở Kế hoạch và Đầu tư",
         "UBND các huyện, thị xã, thành phố", "Sở Y tế; Sở Xây dựng"]
PARTNERS = ["", "Sở Khoa học và Công nghệ", "Các sở, ban, ngành của tỉnh", "Sở Tư pháp và các đơn vị liên quan"]
TIMEFRAMES = ["Thường xuyên", "Hàng năm", "2024", "2023-2026", "2025 – 2027", "Sau khi có văn bản hướng dẫn"]
WORDS = ["Hỗ trợ", "hợp tác xã", "ứng dụng", "chuyển đổi số", "đào tạo", "nguồn nhân lực", "“kinh tế tập thể”",
         "giai đoạn 2025-2030", "theo Nghị quyết số 20-NQ/TW", "# không phải chú thích", "tỉnh: Khánh Hòa"]
FIELDS = ("task", "lead", "partners", "deliverable", "timeframe")
PLAN_DATE = dt.date(2023, 2, 24)


def _base_state() -> list[dict]:
    raw = yaml.safe_load((default_plan_dir() / "tasks.yaml").read_text(encoding="utf-8"))
    return [{"id": g["id"], "title": g["title"], "tasks": [{"id": t["id"], **{f: t[f] for f in FIELDS}}
                                                            for t in g["tasks"]]} for g in raw["groups"]]


def _apply(state: list[dict], change: dict) -> None:
    """The documented semantics of one change (README, "Văn bản sửa đổi, bổ sung")."""
    action = change["action"]
    if action == "add_task":
        group = next(g for g in state if g["id"] == change["group"])
        position = len(group["tasks"])
        if change.get("after"):
            position = [t["id"] for t in group["tasks"]].index(change["after"]) + 1
        group["tasks"].insert(position, {"id": change["id"], **{f: change.get(f, "") for f in FIELDS}})
    elif action in ("change_task", "remove_task"):
        for g in state:
            for i, t in enumerate(g["tasks"]):
                if t["id"] == change["id"]:
                    if action == "remove_task":
                        del g["tasks"][i]
                    else:
                        t.update({f: change[f] for f in FIELDS if f in change})
    elif action == "add_group":
        position = len(state)
        if change.get("after"):
            position = [g["id"] for g in state].index(change["after"]) + 1
        state.insert(position, {"id": change["id"], "title": change["title"], "tasks": []})
    elif action == "retitle_group":
        next(g for g in state if g["id"] == change["id"])["title"] = change["title"]


def reference(base: list[dict], amendments: list[dict], as_of: dt.date | None) -> list[dict]:
    """Base + the amendments dated on or before `as_of`, applied in order of date (then number)."""
    state = copy.deepcopy(base)
    for a in sorted(amendments, key=lambda a: (a["document"]["date"], a["document"]["number"])):
        if as_of is None or a["document"]["date"] <= as_of:
            for change in a["changes"]:
                _apply(state, change)
    return state


def _roman(n: int) -> str:
    return ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV"][n]


@st.composite
def amendment_sets(draw) -> list[dict]:
    """1-4 valid amending documents (possibly on the same day), each with 1-5 changes valid at their turn."""
    base = _base_state()
    dates = sorted(draw(st.lists(st.dates(min_value=PLAN_DATE, max_value=dt.date(2026, 12, 31)),
                                 min_size=1, max_size=4)))
    state, fresh, amendments = copy.deepcopy(base), iter(range(1000)), []
    text = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)
    for i, day in enumerate(dates):
        changes = []
        for _ in range(draw(st.integers(1, 5))):
            tasks = [t["id"] for g in state for t in g["tasks"]]
            action = draw(st.sampled_from(["add_task", "change_task", "remove_task", "add_group", "retitle_group"]))
            if action == "add_task":
                group = draw(st.sampled_from(state))
                after = draw(st.sampled_from([None] + [t["id"] for t in group["tasks"]]))
                change = {"action": "add_task", "group": group["id"], "id": f"nx{next(fresh)}",
                          "task": draw(text), "lead": draw(st.sampled_from(LEADS)),
                          "partners": draw(st.sampled_from(PARTNERS)), "deliverable": draw(text),
                          "timeframe": draw(st.sampled_from(TIMEFRAMES))}
                if after:
                    change["after"] = after
            elif action == "change_task":
                fields = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=5, unique=True))
                values = {"task": text, "lead": st.sampled_from(LEADS), "partners": st.sampled_from(PARTNERS),
                          "deliverable": text, "timeframe": st.sampled_from(TIMEFRAMES)}
                change = {"action": "change_task", "id": draw(st.sampled_from(tasks)),
                          **{f: draw(values[f]) for f in fields}}
            elif action == "remove_task" and len(tasks) > 1:
                change = {"action": "remove_task", "id": draw(st.sampled_from(tasks))}
            elif action == "add_group":
                change = {"action": "add_group", "id": f"nhom-moi-{next(fresh)}", "title": draw(text)}
                after = draw(st.sampled_from([None] + [g["id"] for g in state]))
                if after:
                    change["after"] = after
            else:
                change = {"action": "retitle_group", "id": draw(st.sampled_from(state))["id"], "title": draw(text)}
            _apply(state, change)
            changes.append(change)
        amendments.append({"document": {"kind": "Kế hoạch", "number": f"{100 + i}/KH-UBND", "date": day,
                                        "issuer": "UBND tỉnh Khánh Hòa", "title": f"Sửa đổi lần {i + 1}"},
                           "changes": changes})
    return amendments


@pytest.fixture(scope="module")
def plan_copy(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("amend") / "plan"
    shutil.copytree(default_plan_dir(), folder)
    return folder


def _as_loaded(plan) -> list:
    return [(g.id, g.title, [(t.id, t.code, t.task, t.lead, t.partners, t.deliverable, t.timeframe.text)
                             for t in g.tasks]) for g in plan.groups]


def _as_expected(state: list[dict]) -> list:
    return [(g["id"], g["title"], [(t["id"], f"{_roman(gi + 1)}.{ti + 1}", *(t[f] for f in FIELDS[:4]),
                                    " ".join(t["timeframe"].split())) for ti, t in enumerate(g["tasks"])])
            for gi, g in enumerate(state)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(amendments=amendment_sets())
def test_amendments_applied_in_order_equal_the_documented_result(plan_copy, amendments):
    folder = plan_copy / "amendments"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    # file names in reverse order: the order of application must come from the dates, not from the names
    for i, a in enumerate(amendments):
        (folder / f"{len(amendments) - i:02d}-sua-doi.yaml").write_text(
            yaml.safe_dump(a, allow_unicode=True, sort_keys=False), encoding="utf-8")
    base = _base_state()
    days = sorted({a["document"]["date"] for a in amendments})
    for as_of in [PLAN_DATE, *days, *(d - dt.timedelta(days=1) for d in days), None]:
        plan = load_plan(plan_copy, as_of)
        assert _as_loaded(plan) == _as_expected(reference(base, amendments, as_of)), as_of
        in_force = [a["document"] for a in sorted(amendments, key=lambda a: (a["document"]["date"],
                                                                               a["document"]["number"]))
                    if as_of is None or a["document"]["date"] <= as_of]
        assert [(d.number, d.date) for d in plan.amendments] == [(d["number"], d["date"]) for d in in_force]
        ids = [t.id for t in plan.tasks]
        assert len(ids) == len(set(ids))  # ids stay unique; removed ones are gone
