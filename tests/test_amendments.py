"""Amendments as data: the plan in force on a date, the regenerated appendix, `kehoach diff`, the affected forms,
and invalid amendments refused with file and line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from formxml import read_form
from generator.paths import default_plan_dir

AMENDMENT = """\
# Văn bản sửa đổi, bổ sung (giả định, dùng cho kiểm thử)
document:
  kind: Kế hoạch
  number: 999/KH-UBND
  date: 2025-06-10
  issuer: UBND tỉnh Khánh Hòa
  title: Sửa đổi, bổ sung Phụ lục Kế hoạch số 1627/KH-UBND
changes:
  - action: add_task            # a new task right after II.11
    group: chinh-sach
    after: nv14
    id: nv36
    task: "Hỗ trợ hợp tác xã ứng dụng thương mại điện tử"
    lead: "Sở Công Thương"
    partners: "Sở Khoa học và Công nghệ; UBND các huyện, thị xã, thành phố"
    deliverable: "Báo cáo"
    timeframe: "2025-2027"
  - action: change_task         # II.2: deliverable and timeframe
    id: nv05
    deliverable: "Báo cáo tình hình khai thác hệ thống"
    timeframe: "2023-2026"
  - action: change_task         # II.15: reassigned from Sở Tư pháp to Sở Nội vụ
    id: nv18
    lead: "Sở Nội vụ"
  - action: remove_task         # II.13 bãi bỏ
    id: nv16
  - action: retitle_group
    id: vai-tro-mat-tran-lien-minh
    title: "Phát huy vai trò của Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh và Liên minh Hợp tác xã tỉnh"
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def amended(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("amended") / "plan"
    shutil.copytree(default_plan_dir(), folder)
    (folder / "amendments").mkdir()
    (folder / "amendments" / "2025-999-kh-ubnd.yaml").write_text(AMENDMENT, encoding="utf-8")
    return folder


def table(path: Path) -> dict[str, list]:
    """The appendix read back: {"II.12": [task, lead, partners, deliverable, timeframe], ...} plus group titles."""
    ws = openpyxl.load_workbook(path).active
    rows, numeral = {}, None
    for r in ws.iter_rows(min_row=6, values_only=True):
        if isinstance(r[0], str):
            numeral = r[0]
            rows[numeral] = [r[1]]
        elif r[0] is not None:
            rows[f"{numeral}.{r[0]}"] = list(r[1:])
    return rows


def test_appendix_before_and_after_the_amendment(amended, tmp_path):
    before, after = tmp_path / "before.xlsx", tmp_path / "after.xlsx"
    assert run("appendix", "--plan", str(amended), "--as-of", "9/6/2025", "--out", str(before), cwd=tmp_path).returncode == 0
    assert run("appendix", "--plan", str(amended), "--as-of", "10/6/2025", "--out", str(after), cwd=tmp_path).returncode == 0
    old, new = table(before), table(after)
    assert old["II.12"][0].startswith("Hỗ trợ các tổ chức kinh tế tập thể, hợp tác xã tiếp cận")
    assert len([k for k in old if "." in k]) == 35 and len([k for k in new if "." in k]) == 35
    # added after II.11, renumbered; removed II.13 ("Triển khai công tác cảnh báo sớm ...") is gone
    assert new["II.12"] == ["Hỗ trợ hợp tác xã ứng dụng thương mại điện tử", "Sở Công Thương",
                            "Sở Khoa học và Công nghệ; UBND các huyện, thị xã, thành phố", "Báo cáo", "2025-2027"]
    assert new["II.13"][0] == old["II.12"][0]
    assert not any(str(v[0]).startswith("Triển khai công tác cảnh báo sớm") for v in new.values())
    assert new["II.2"][3:] == ["Báo cáo tình hình khai thác hệ thống", "2023-2026"]
    assert new["II.15"][1] == "Sở Nội vụ" and old["II.15"][1] == "Sở Tư pháp"
    assert new["V"] == ["Phát huy vai trò của Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh và Liên minh Hợp tác xã tỉnh"]
    # the note under the title names the amending document, only once it is in force
    ws_new = openpyxl.load_workbook(after).active
    ws_old = openpyxl.load_workbook(before).active
    assert ws_new["A4"].value == ("(Đã sửa đổi, bổ sung theo Kế hoạch số 999/KH-UBND ngày 10/06/2025 "
                                  "của UBND tỉnh Khánh Hòa)")
    assert ws_old["A4"].value is None


def test_diff_lists_changes_field_by_field_and_forms_to_resend(amended, tmp_path):
    result = run("diff", "--plan", str(amended), "--from", "1/6/2025", "--to", "30/6/2025", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "+ II.12 [nv36] Hỗ trợ hợp tác xã ứng dụng thương mại điện tử" in text
    assert "- II.13 [nv16] Triển khai công tác cảnh báo sớm" in text
    assert '~ II.2 [nv05]' in text and 'Thời gian hoàn thành: "Thường xuyên" → "2023-2026"' in text
    assert 'Sản phẩm hoàn thành: "" → "Báo cáo tình hình khai thác hệ thống"' in text
    assert 'Đơn vị chủ trì: "Sở Tư pháp" → "Sở Nội vụ"' in text
    assert 'Số thứ tự: "II.12" → "II.13"' in text  # renumbered, same task id
    forms = text.split("Biểu mẫu năm 2025 cần gửi lại:")[1]
    for agency in ("so-cong-thuong.docx", "so-tu-phap.docx", "so-noi-vu.docx", "so-khoa-hoc-va-cong-nghe.docx",
                   "ubnd-cap-xa.docx"):
        assert agency in forms
    assert "cong-an-tinh.docx" not in forms  # I.1 / I.2 only: its form does not change


def test_diff_of_two_plan_folders(amended, tmp_path):
    result = run("diff", "--from-plan", str(default_plan_dir()), "--to-plan", str(amended), "--year", "2025",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "+ II.12 [nv36]" in result.stdout


def test_pack_uses_the_plan_in_force_for_the_year(amended, tmp_path):
    for year in (2024, 2025):
        assert run("pack", "--year", str(year), "--plan", str(amended), "--out", str(tmp_path / str(year)),
                   cwd=tmp_path).returncode == 0
    m2024 = json.loads((tmp_path / "2024/manifest.json").read_text(encoding="utf-8"))
    m2025 = json.loads((tmp_path / "2025/manifest.json").read_text(encoding="utf-8"))
    assert m2024["amendments"] == [] and m2025["amendments"] == ["999/KH-UBND ngày 10/06/2025"]
    sct = read_form(tmp_path / "2025/so-cong-thuong.docx")
    rows = {r.task_id: r for r in sct.rows("lead")}
    assert "nv36" in rows and rows["nv36"].text("code") == "II.12"
    assert "nv16" not in {r.task_id for role in ("lead", "partner", "expired") for r in sct.rows(role)}
    stp = read_form(tmp_path / "2025/so-tu-phap.docx")
    assert "nv18" not in {r.task_id for r in stp.rows("lead")}
    snv = read_form(tmp_path / "2025/so-noi-vu.docx")
    assert "nv18" in {r.task_id for r in snv.rows("lead")}
    sct_2024 = read_form(tmp_path / "2024/so-cong-thuong.docx")
    assert [r.text("code") for r in sct_2024.rows("lead")][-3:] == ["II.11", "II.12", "II.13"]


def write(folder: Path, name: str, text: str) -> Path:
    (folder / "amendments").mkdir(exist_ok=True)
    path = folder / "amendments" / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if needle in line)


def test_change_to_a_missing_task_is_refused(plan_copy, tmp_path):
    path = write(plan_copy, "a.yaml", AMENDMENT.replace("id: nv05", "id: nv99"))
    result = run("validate", "--plan", str(plan_copy), cwd=tmp_path)
    assert result.returncode == 1
    assert f"{path}:{line_of(path, 'id: nv99')}:" in result.stderr and '"nv99"' in result.stderr


def test_two_amendments_with_the_same_number(plan_copy, tmp_path):
    write(plan_copy, "a.yaml", AMENDMENT)
    second = AMENDMENT.replace("date: 2025-06-10", "date: 2025-08-01").replace("id: nv36", "id: nv37")
    second = second.replace("id: nv16\n", "id: nv17\n")
    path = write(plan_copy, "b.yaml", second)
    result = run("validate", "--plan", str(plan_copy), cwd=tmp_path)
    assert result.returncode == 1
    assert f"{path}:{line_of(path, 'number: 999/KH-UBND')}:" in result.stderr and "999/KH-UBND" in result.stderr


def test_amendment_dated_before_the_plan(plan_copy, tmp_path):
    path = write(plan_copy, "a.yaml", AMENDMENT.replace("date: 2025-06-10", "date: 2022-12-31"))
    result = run("validate", "--plan", str(plan_copy), cwd=tmp_path)
    assert result.returncode == 1
    assert f"{path}:{line_of(path, 'date: 2022-12-31')}:" in result.stderr and "31/12/2022" in result.stderr


def test_unknown_agency_in_an_added_task_points_at_the_amendment(plan_copy, tmp_path):
    path = write(plan_copy, "a.yaml", AMENDMENT.replace('lead: "Sở Công Thương"', 'lead: "Sở Thương Mại"'))
    result = run("validate", "--plan", str(plan_copy), cwd=tmp_path)
    assert f"{path}:{line_of(path, 'Sở Thương Mại')}:" in result.stderr and '"Sở Thương Mại"' in result.stderr


def test_unknown_action(plan_copy, tmp_path):
    path = write(plan_copy, "a.yaml", AMENDMENT.replace("action: retitle_group", "action: doi_ten"))
    result = run("validate", "--plan", str(plan_copy), cwd=tmp_path)
    assert result.returncode == 1
    assert f"{path}:{line_of(path, 'action: doi_ten')}:" in result.stderr and '"doi_ten"' in result.stderr


def test_reused_task_id(plan_copy, tmp_path):
    path = write(plan_copy, "a.yaml", AMENDMENT.replace("id: nv36", "id: nv02"))
    result = run("validate", "--plan", str(plan_copy), cwd=tmp_path)
    assert f"{path}:{line_of(path, 'id: nv02')}:" in result.stderr and '"nv02"' in result.stderr


def test_a_broken_future_amendment_blocks_every_command(plan_copy, tmp_path):
    write(plan_copy, "a.yaml", AMENDMENT.replace("date: 2025-06-10", "date: 2030-01-01").replace("id: nv05", "id: nv99"))
    result = run("pack", "--year", "2024", "--plan", str(plan_copy), cwd=tmp_path)
    assert result.returncode == 1 and "nv99" in result.stderr
    assert not (tmp_path / "output").exists()
