"""The round's counts, board rows, filter and sort, and the overview's years (`returns.board`), over the status rows
`review.round_status` gives for versions as the store returns them."""

from __future__ import annotations

import datetime as dt

import pytest

from generator.errors import KehoachError
from generator.plan.assignments import assignments
from generator.returns.board import (board_rows, filter_rows, name_key, overview_years, round_counts, round_overview,
                                     sort_rows)
from generator.returns.model import Submission
from generator.returns.review import round_status

SCT, NHA_TRANG, DU_LICH = "so-cong-thuong", "ubnd-thanh-pho-nha-trang", "so-du-lich"
AFTER = dt.date(2025, 1, 5)


def version(i: int, agency: str, n: int, day: str, state: str = "da-nhan", note: str = "", warnings=()) -> Submission:
    return Submission(i, "khanh-hoa-1627", "v", 2024, agency, n, f"{i:064x}", f"{day}T03:00:00Z", f"{agency}.docx",
                      tuple(warnings), review_state=state, review_note=note, arrived_on=day)


def statuses(plan, subs):
    return round_status(plan, 2024, subs, AFTER)


def test_counts_partition_the_agencies_a_correction_is_not_sent(plan_2024):
    expected = len(assignments(plan_2024, 2024))
    subs = [version(1, SCT, 1, "2024-12-10", "can-bo-sung", "Bổ sung"), version(2, NHA_TRANG, 1, "2024-12-20"),
            version(3, DU_LICH, 1, "2024-12-01", warnings=["một cảnh báo"])]
    c = round_counts(statuses(plan_2024, subs))
    assert (c.expected, c.sent, c.on_time, c.late, c.correction, c.missing, c.warned) == (
        expected, 2, 1, 1, 1, expected - 3, 1)
    assert c.on_time + c.late + c.correction + c.missing == c.expected
    # corrected (a new version received), it counts as sent again; a late first version stays late
    subs.append(version(4, SCT, 2, "2024-12-28"))
    c = round_counts(statuses(plan_2024, subs))
    assert (c.sent, c.on_time, c.correction) == (3, 2, 0)
    # every version set aside: missing
    c = round_counts(statuses(plan_2024, [version(5, SCT, 1, "2024-12-10", "khong-dung")]))
    assert (c.sent, c.missing) == (0, expected)


def test_board_rows_filter_and_sort(plan_2024):
    subs = [version(1, SCT, 1, "2024-12-10", "can-bo-sung", "Bổ sung"), version(2, NHA_TRANG, 1, "2024-12-20"),
            version(3, DU_LICH, 1, "2024-12-01", warnings=["một cảnh báo"])]
    rows = board_rows(statuses(plan_2024, subs))
    by_id = {r.agency: r for r in rows}
    assert (by_id[SCT].state, by_id[SCT].group, by_id[SCT].review_label, by_id[SCT].review_note) == (
        "Đã nộp", "can-bo-sung", "Cần bổ sung", "Bổ sung")
    assert by_id[NHA_TRANG].group == "nop-muon" and by_id[DU_LICH].group == "dung-han"
    assert [r.agency for r in filter_rows(rows, "can-bo-sung")] == [SCT]
    assert [r.agency for r in filter_rows(rows, "canh-bao")] == [DU_LICH]
    assert all(r.version is None for r in filter_rows(rows, "chua-nop"))
    assert filter_rows(rows, "") == rows and sort_rows(rows, None) == rows
    assert [r.agency for r in sort_rows(rows, "ngay-nhan")[:3]] == [DU_LICH, SCT, NHA_TRANG]
    states = [r.group for r in sort_rows(rows, "trang-thai")]
    assert states[-3:] == ["can-bo-sung", "nop-muon", "dung-han"] and set(states[:-3]) == {"chua-nop"}
    names = [r.name for r in sort_rows(rows, "ten")]
    assert names == sorted(names, key=name_key) and names != [r.name for r in rows]
    for bad, sentence in ((lambda: filter_rows(rows, "x"), 'trang-thai="x" không có'),
                          (lambda: sort_rows(rows, "y"), 'sap-xep="y" không có')):
        with pytest.raises(KehoachError, match=sentence):
            bad()


def test_name_order_is_vietnamese():
    names = ["Ủy ban nhân dân", "Đài Phát thanh", "Sở Du lịch", "Ban Dân tộc", "Sở Công Thương", "Dân tộc"]
    assert sorted(names, key=name_key) == ["Ban Dân tộc", "Dân tộc", "Đài Phát thanh", "Sở Công Thương", "Sở Du lịch",
                                           "Ủy ban nhân dân"]


def test_overview_years_and_one_round(plan_2024):
    assert overview_years(2023, 2026, [2021, 2027], lambda y: y != 2025) == [2027, 2026, 2024, 2023]
    r = round_overview(plan_2024, 2024, None, AFTER)  # no database yet: everyone missing
    assert r.deadline == dt.date(2024, 12, 15) and r.counts.missing == r.counts.expected
