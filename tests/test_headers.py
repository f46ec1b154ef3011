"""Whose name heads each form (the province's registry, `headers`): the rule of each kind of body, and the clerk-facing
refusals when the data breaks it (a header line too long for the column, a rule's field missing)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from generator.plan.assignments import assignments
from generator.forms.context import agency_heading, form_context

# HAND-WRITTEN from nd30-format.md ("Whose name heads the document") and the sources recorded in the registry.
EXPECTED = {
    2024: {
        "so-cong-thuong": ("UBND TỈNH KHÁNH HÒA", ("SỞ CÔNG THƯƠNG",), "Khánh Hòa"),
        "ubnd-thanh-pho-nha-trang": ("", ("ỦY BAN NHÂN DÂN", "THÀNH PHỐ NHA TRANG"), "Nha Trang"),
        "ubnd-huyen-van-ninh": ("", ("ỦY BAN NHÂN DÂN", "HUYỆN VẠN NINH"), "Vạn Ninh"),
        "cuc-thue-tinh": ("TỔNG CỤC THUẾ", ("CỤC THUẾ TỈNH KHÁNH HÒA",), "Khánh Hòa"),
        "ngan-hang-nha-nuoc-tinh": ("NGÂN HÀNG NHÀ NƯỚC VIỆT NAM", ("CHI NHÁNH TỈNH KHÁNH HÒA",), "Khánh Hòa"),
        "cong-an-tinh": ("BỘ CÔNG AN", ("CÔNG AN TỈNH KHÁNH HÒA",), "Khánh Hòa"),
        "uy-ban-mat-tran-to-quoc-tinh": ("", ("ỦY BAN MTTQ VIỆT NAM", "TỈNH KHÁNH HÒA"), "Khánh Hòa"),
        "so-nong-nghiep-va-phat-trien-nong-thon": ("UBND TỈNH KHÁNH HÒA", ("SỞ NÔNG NGHIỆP VÀ", "PHÁT TRIỂN NÔNG THÔN"),
                                                   "Khánh Hòa"),
    },
    2026: {
        "ubnd-cap-xa": ("", ("ỦY BAN NHÂN DÂN", "XÃ, PHƯỜNG, ĐẶC KHU ......"), "......"),
        "cuc-thue-tinh": ("CỤC THUẾ", ("THUẾ TỈNH KHÁNH HÒA",), "Khánh Hòa"),
        "bao-hiem-xa-hoi-tinh": ("BẢO HIỂM XÃ HỘI VIỆT NAM", ("BẢO HIỂM XÃ HỘI", "TỈNH KHÁNH HÒA"), "Khánh Hòa"),
    },
}


@pytest.mark.parametrize("year", sorted(EXPECTED))
def test_each_kind_heads_as_it_heads_its_own_documents(plan, year):
    seen = {}
    for at in assignments(plan, year):
        h = agency_heading(plan, at.agency)
        seen[at.agency.id] = (h.parent, h.lines, h.place)
        context = form_context(plan, at, year)
        assert context["date_line"].startswith(f"{h.place}, ngày")
        assert all(" " not in line for line in context["agency_header_lines"])  # no line breaks inside a line
    for agency, expected in EXPECTED[year].items():
        assert seen[agency] == expected, agency


def validate(folder) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", "validate", "--plan", str(folder)], capture_output=True,
                          text=True, timeout=60)


def test_a_header_line_too_long_for_the_column_is_a_warning(plan_copy, province_registry):
    """Word would break such a line wherever it likes (maybe inside a proper name): validate says so with file and
    line, and the form keeps the line's ordinary spaces so that at least no word is cut."""
    path = province_registry
    text = path.read_text(encoding="utf-8")
    line = text.splitlines().index('    header: ["SỞ NÔNG NGHIỆP VÀ", "PHÁT TRIỂN NÔNG THÔN"]') + 1
    path.write_text(text.replace('    header: ["SỞ NÔNG NGHIỆP VÀ", "PHÁT TRIỂN NÔNG THÔN"]\n', ""), encoding="utf-8")
    r = validate(plan_copy)
    assert r.returncode == 0 and "Traceback" not in r.stderr
    assert (f'khanh-hoa.yaml:{line - 1}: tên "Sở Nông nghiệp và Phát triển nông thôn" in hoa dài hơn cột tiêu đề '
            "(khoảng 107 mm, cột rộng 78 mm) nên sẽ bị ngắt dòng tùy ý; hãy thêm header là danh sách các dòng, ngắt "
            "ở chỗ không cắt đôi tên riêng") in r.stderr
    from generator.plan.headers import unbreakable

    assert unbreakable("SỞ NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN") == "SỞ NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN"
    assert unbreakable("SỞ NÔNG NGHIỆP VÀ") == "SỞ\u00a0NÔNG\u00a0NGHIỆP\u00a0VÀ"


def test_a_district_without_its_place_name_is_refused(plan_copy, province_registry):
    path = province_registry
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    place: Vạn Ninh\n", ""), encoding="utf-8")
    r = validate(plan_copy)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert ('đơn vị loại "huyen" cần trường place (địa danh ở dòng ngày tháng), theo quy tắc tiêu đề của loại này'
            in r.stdout + r.stderr)
