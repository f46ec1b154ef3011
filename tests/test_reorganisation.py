"""Agencies over time (the 2025 reorganisation): who gets a form in 2024 and 2026, which tasks, and to whom the
reports go. Expectations are hand-made from ../shared/reference/reorganization-2025.md and the PHỤ LỤC."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import docx
import pytest

from formxml import read_form

DISTRICTS = ["ubnd-thanh-pho-nha-trang", "ubnd-thanh-pho-cam-ranh", "ubnd-thi-xa-ninh-hoa", "ubnd-huyen-van-ninh",
             "ubnd-huyen-dien-khanh", "ubnd-huyen-cam-lam", "ubnd-huyen-khanh-vinh", "ubnd-huyen-khanh-son",
             "ubnd-huyen-truong-sa"]
# Departments of 2026: the 21 of 2023 less those merged away on 01/3/2025 (KH&ĐT, GTVT, TT&TT, NN&PTNT, TN&MT,
# LĐ-TB&XH, VH&TT, Du lịch), plus the two new ones.
DEPARTMENTS_2026 = ["so-tai-chinh", "so-noi-vu", "so-tu-phap", "so-cong-thuong", "so-khoa-hoc-va-cong-nghe",
                    "so-giao-duc-va-dao-tao", "van-phong-ubnd-tinh", "so-xay-dung", "so-y-te", "so-ngoai-vu",
                    "thanh-tra-tinh", "ban-dan-toc", "ban-quan-ly-khu-kinh-te-van-phong",
                    "so-nong-nghiep-va-moi-truong", "so-van-hoa-the-thao-va-du-lich"]
CENTRAL = ["cuc-thue-tinh", "ngan-hang-nha-nuoc-tinh", "bao-hiem-xa-hoi-tinh", "cong-an-tinh"]
ORGANISATIONS = ["lien-minh-hop-tac-xa-tinh", "uy-ban-mat-tran-to-quoc-tinh"]


@pytest.fixture(scope="module")
def packs(tmp_path_factory) -> dict[int, tuple[Path, subprocess.CompletedProcess]]:
    tmp = tmp_path_factory.mktemp("reorg")
    out = {}
    for year in (2024, 2026):
        result = subprocess.run([sys.executable, "-m", "generator", "pack", "--year", str(year), "--out",
                                 str(tmp / str(year))], cwd=tmp, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        out[year] = (tmp / str(year), result)
    return out


def manifest(packs, year) -> dict:
    return json.loads((packs[year][0] / "manifest.json").read_text(encoding="utf-8"))


def test_2024_still_goes_to_the_planning_department_and_the_districts(packs):
    m = manifest(packs, 2024)
    agencies = {f["agency"] for f in m["forms"]}
    assert m["receiver"] == "Sở Kế hoạch và Đầu tư"
    assert set(DISTRICTS) <= agencies and "so-ke-hoach-va-dau-tu" in agencies
    assert "ubnd-cap-xa" not in agencies and "so-nong-nghiep-va-moi-truong" not in agencies
    assert len(agencies) == 36
    form = docx.Document(packs[2024][0] / "so-cong-thuong.docx")
    text = "\n".join(p.text for p in form.paragraphs)
    assert "Kính gửi: Sở Kế hoạch và Đầu tư" in text


def test_2026_goes_to_the_agencies_in_force(packs):
    m = manifest(packs, 2026)
    assert m["receiver"] == "Sở Tài chính"
    assert [f["agency"] for f in m["forms"]] == DEPARTMENTS_2026 + CENTRAL + ORGANISATIONS + ["ubnd-cap-xa"]
    names = {f["agency"]: f["name"] for f in m["forms"]}
    assert names["cuc-thue-tinh"] == "Thuế tỉnh Khánh Hòa"
    assert names["bao-hiem-xa-hoi-tinh"] == "Bảo hiểm xã hội tỉnh Khánh Hòa"
    for gone in DISTRICTS + ["so-ke-hoach-va-dau-tu", "so-thong-tin-va-truyen-thong", "so-tai-nguyen-va-moi-truong"]:
        assert not (packs[2026][0] / f"{gone}.docx").exists()


def test_2026_form_is_addressed_to_the_finance_department(packs):
    form = docx.Document(packs[2026][0] / "so-cong-thuong.docx")
    text = "\n".join(p.text for p in form.paragraphs)
    assert "Kính gửi: Sở Tài chính" in text
    assert "Báo cáo gửi Sở Tài chính trước ngày 15 tháng 12 năm 2026" in text
    assert "Sở Kế hoạch và Đầu tư" not in text


def test_successor_gets_predecessor_tasks_once_with_a_note(packs):
    stc = read_form(packs[2026][0] / "so-tai-chinh.docx")
    lead = {r.task_id: r for r in stc.rows("lead")}
    every = [r.task_id for role in ("lead", "partner", "expired") for r in stc.rows(role)]
    assert len(every) == len(set(every))
    # II.14 names both Sở Kế hoạch và Đầu tư and Sở Tài chính as lead: once, as lead, its own (no note)
    assert "nv17" in lead and "Tiếp nhận" not in lead["nv17"].text("task")
    # II.1 was Sở Kế hoạch và Đầu tư's alone: lead, with a note naming the predecessor
    assert "nv04" in lead and "Tiếp nhận từ Sở Kế hoạch và Đầu tư" in lead["nv04"].text("task")
    # IV.1 (2023) of the predecessor is listed among the expired tasks
    assert "nv30" in {r.task_id for r in stc.rows("expired")}


def test_merged_departments_pass_tasks_to_the_new_department(packs):
    snnmt = read_form(packs[2026][0] / "so-nong-nghiep-va-moi-truong.docx")
    lead = {r.task_id: r for r in snnmt.rows("lead")}
    assert "nv22" in lead  # II.19, Sở Nông nghiệp và Phát triển nông thôn's
    assert "Tiếp nhận từ Sở Nông nghiệp và Phát triển nông thôn" in lead["nv22"].text("task")


def test_districts_tasks_go_to_one_generic_commune_form_with_a_warning(packs):
    path = packs[2026][0] / "ubnd-cap-xa.docx"
    form = docx.Document(path)
    header = form.tables[0].rows[0].cells[0].text.replace("\u00a0", " ")
    assert header.startswith("ỦY BAN NHÂN DÂN\nXÃ, PHƯỜNG, ĐẶC KHU ......\n")  # a People's Committee: no parent
    codes = {r.text("code") for r in read_form(path).rows("lead")}
    assert {"I.1", "II.2", "II.6", "III.3", "IV.3", "IV.4"} <= codes
    assert "UBND các xã, phường, đặc khu" in packs[2026][1].stderr and "Cảnh báo" in packs[2026][1].stderr
    assert any("65" in w for w in manifest(packs, 2026)["warnings"])


def edit(path: Path, old: str, new: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if new.split("\n")[0] in line)


def validate(folder: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", "validate", "--plan", str(folder)], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_event_with_unknown_agency_is_refused(plan_copy, province_registry, tmp_path):
    line = edit(province_registry, "agencies: [so-ke-hoach-va-dau-tu]", "agencies: [so-ke-hoach]")
    result = validate(plan_copy, tmp_path)
    assert result.returncode == 1
    assert f"khanh-hoa.yaml:{line}:" in result.stderr and '"so-ke-hoach"' in result.stderr


def test_merge_without_successor_is_refused(plan_copy, province_registry, tmp_path):
    edit(province_registry, "    into: [so-tai-chinh]\n", "")
    result = validate(plan_copy, tmp_path)
    assert result.returncode == 1 and "merged" in result.stderr and "khanh-hoa.yaml:" in result.stderr


def test_bad_event_kind_is_refused(plan_copy, province_registry, tmp_path):
    line = edit(province_registry, "kind: abolished", "kind: dissolved")
    result = validate(plan_copy, tmp_path)
    assert f"khanh-hoa.yaml:{line}:" in result.stderr and '"dissolved"' in result.stderr


def test_an_error_in_the_national_layer_points_at_its_file_and_line(plan_copy, province_registry, tmp_path):
    """The national layer is data too: an error in it points at its own file and line."""
    national = province_registry.parent / "national-2025.yaml"
    line = edit(national, "into: [so-xay-dung]", "into: [so-xay-dung-moi]")
    result = validate(plan_copy, tmp_path)
    assert result.returncode == 1
    assert f"national-2025.yaml:{line}:" in result.stderr and '"so-xay-dung-moi"' in result.stderr
