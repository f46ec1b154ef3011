"""The pure core: agency resolution, schedules, Vietnamese dates."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.plan.resolve import Resolver
from generator.plan.schedule import parse_timeframe
from generator.office.vnformat import long_date


def explicit(plan, agency_id: str, role: str) -> list[str]:
    """Task codes whose lead/partner wording names the agency itself (not through a group)."""
    refs = "lead_refs" if role == "lead" else "partner_refs"
    return [t.code for t in plan.tasks if any(r.target == agency_id for r in getattr(t, refs))]


# Hand-checked against the PHỤ LỤC of ../shared/source/ke-hoach-1627-KH-UBND.txt: where each body is NAMED.
HAND_CHECKED = {
    "so-cong-thuong": {"lead": ["II.11", "II.12", "II.13"], "partner": []},
    "so-noi-vu": {"lead": [], "partner": ["I.3", "II.6", "III.7"]},
    "so-ke-hoach-va-dau-tu": {"lead": ["II.1", "II.14", "III.2", "IV.1", "IV.3"],
                              "partner": ["I.2", "II.2", "III.7"]},
    "so-tai-chinh": {"lead": ["II.14"], "partner": ["II.8", "III.7"]},
    "so-thong-tin-va-truyen-thong": {"lead": ["I.2", "II.3"], "partner": ["I.1"]},
    "so-khoa-hoc-va-cong-nghe": {"lead": ["II.10"], "partner": ["II.12"]},
    "lien-minh-hop-tac-xa-tinh": {"lead": ["I.3", "II.17", "II.18", "III.5", "III.6", "III.7", "IV.2", "V.2"],
                                  "partner": ["III.1", "III.2", "III.3", "IV.4", "V.1"]},
    "ngan-hang-nha-nuoc-tinh": {"lead": ["II.9", "III.4"], "partner": []},
    "ubnd-cap-huyen": {"lead": ["I.1", "II.2", "II.6", "II.7", "III.1", "III.3", "IV.3", "IV.4"],
                       "partner": ["I.2", "I.3", "II.1", "II.3", "II.8", "II.9", "II.10", "II.11", "II.12", "II.13",
                                   "II.15", "II.16", "II.17", "II.18", "II.19", "III.2", "III.4", "III.5", "III.6",
                                   "IV.1", "IV.2"]},
    "cac-don-vi-lien-quan": {"lead": [], "partner": ["II.4", "II.5"]},
}


@pytest.mark.parametrize("target", sorted(HAND_CHECKED))
def test_resolution_matches_hand_checked_table(plan, target):
    assert explicit(plan, target, "lead") == HAND_CHECKED[target]["lead"]
    assert explicit(plan, target, "partner") == HAND_CHECKED[target]["partner"]


def test_names_with_commas_and_va_resolve_by_registry(plan):
    r = Resolver(plan.registry)
    res = r.resolve("Liên Minh Hợp tác xã tỉnh, Sở Nông nghiệp và Phát triển Nông thôn và các sở, ban, ngành có liên quan")
    assert [(x.target, x.related) for x in res.refs] == [
        ("lien-minh-hop-tac-xa-tinh", False),
        ("so-nong-nghiep-va-phat-trien-nong-thon", False),
        ("cac-so-ban-nganh", True),
    ]
    assert res.unknown == ()


def test_every_task_resolves_and_keeps_official_wording(plan):
    r = Resolver(plan.registry)
    for t in plan.tasks:
        for wording, refs in ((t.lead, t.lead_refs), (t.partners, t.partner_refs)):
            again = r.resolve(wording)
            assert again.unknown == () and again.refs == refs
            for ref in refs:  # each reference is a piece of the official wording, in order
                assert ref.text.lower() in wording.lower()


def test_unknown_wording_is_reported():
    from generator.plan.loader import load_plan
    from generator.paths import default_plan_dir

    r = Resolver(load_plan(default_plan_dir()).registry)
    res = r.resolve("Sở Tư pháp; Sở Không Tồn Tại và Sở Công Thương")
    assert res.unknown == ("Sở Không Tồn Tại",)
    assert [x.target for x in res.refs] == ["so-tu-phap", "so-cong-thuong"]


names = st.sampled_from([
    ("Sở Kế hoạch và Đầu tư", "so-ke-hoach-va-dau-tu"),
    ("Sở Lao động – Thương binh và Xã hội", "so-lao-dong-thuong-binh-va-xa-hoi"),
    ("Các sở, ban, ngành", "cac-so-ban-nganh"),
    ("UBND các huyện, thị xã, thành phố", "ubnd-cap-huyen"),
    ("Liên Minh Hợp tác xã tỉnh", "lien-minh-hop-tac-xa-tinh"),
    ("Các tổ chức kinh tế tập thể, hợp tác xã", "to-chuc-kinh-te-tap-the"),
    ("Sở Tài Chính", "so-tai-chinh"),
    ("Ngân hàng nhà nước tỉnh", "ngan-hang-nha-nuoc-tinh"),
    ("Sở Nông nghiệp và Phát triển Nông thôn", "so-nong-nghiep-va-phat-trien-nong-thon"),
])


@settings(max_examples=200, deadline=None)
@given(st.lists(names, min_size=1, max_size=6), st.lists(st.sampled_from([", ", "; ", " và ", "; và "]), min_size=6, max_size=6))
def test_any_join_of_registry_names_resolves_to_exactly_those(plan, picked, seps):
    text = picked[0][0] + "".join(sep + name for sep, (name, _) in zip(seps, picked[1:]))
    res = Resolver(plan.registry).resolve(text)
    assert res.unknown == ()
    assert [r.target for r in res.refs] == [target for _, target in picked]


@pytest.mark.parametrize("text,kind,start,end", [
    ("Thường xuyên", "continuous", None, None),
    ("Hàng năm", "annual", None, None),
    ("Hằng năm", "annual", None, None),
    ("2023", "deadline", None, 2023),  # a completion deadline: from the plan's first year up to 2023
    ("2023-2025", "period", 2023, 2025),
    ("2023 – 2024", "period", 2023, 2024),
    ("Sau khi có Văn bản của cấp có thẩm quyền", "conditional", None, None),
])
def test_timeframes(text, kind, start, end):
    s = parse_timeframe(text)
    assert (s.kind, s.start, s.end, s.text) == (kind, start, end, text)


def test_schedule_status():
    s = parse_timeframe("2023-2024")
    assert [s.status(y) for y in (2022, 2023, 2024, 2025)] == ["future", "active", "active", "expired"]
    assert parse_timeframe("Hàng năm").status(2030) == "active"


@pytest.mark.parametrize("bad", ["2025-2023", "Tháng 0/2024", "Trước ngày 29/2/2023"])
def test_bad_timeframes_are_refused(bad):
    with pytest.raises(ValueError):
        parse_timeframe(bad)


def test_decree_dates_for_every_day_of_several_years():
    day = dt.date(2023, 1, 1)
    while day.year < 2027:
        text = long_date(day)
        d = f"{day.day:02d}"
        m = f"{day.month:02d}" if day.month < 3 else str(day.month)
        assert text == f"ngày {d} tháng {m} năm {day.year}"
        day += dt.timedelta(days=1)
    assert long_date(dt.date(2023, 2, 24)) == "ngày 24 tháng 02 năm 2023"
    assert long_date(dt.date(2023, 3, 5)) == "ngày 05 tháng 3 năm 2023"
