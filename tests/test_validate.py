"""`kehoach validate` on the default plan and on broken copies: each problem as file:line: message, exit 1."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.paths import default_plan_dir, plan_data_dir


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def broken(tmp_path):
    """A copy of the default plan and a helper that rewrites one line of one file, returning that line's number."""
    folder = tmp_path / "plan"
    shutil.copytree(default_plan_dir(), folder)
    shutil.copytree(plan_data_dir() / "registries", tmp_path / "registries")  # found beside the plan folder

    def edit(name: str, old: str, new: str, nth: int = 1) -> int:
        path = folder / name if (folder / name).exists() else tmp_path / "registries" / name
        lines = path.read_text(encoding="utf-8").split("\n")
        hits = [i for i, line in enumerate(lines) if old in line]
        i = hits[nth - 1]
        lines[i] = lines[i].replace(old, new)
        path.write_text("\n".join(lines), encoding="utf-8")
        return i + 1

    return folder, edit


def problems(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if ".yaml:" in line]


def test_default_plan_is_valid(tmp_path):
    result = run("validate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "hợp lệ" in result.stdout and "35 nhiệm vụ" in result.stdout and "5 nhóm" in result.stdout


def test_unknown_agency_is_named_with_file_and_line(broken, tmp_path):
    folder, edit = broken
    line = edit("tasks.yaml", 'lead: "Sở Tư pháp"', 'lead: "Sở Không Tồn Tại"')
    result = run("validate", "--plan", str(folder), cwd=tmp_path)
    assert result.returncode == 1
    [problem] = problems(result)
    assert problem.startswith(f"{folder / 'tasks.yaml'}:{line}: ")
    assert '"Sở Không Tồn Tại"' in problem and "II.15" in problem
    assert "Traceback" not in result.stderr


def test_unknown_agency_among_known_ones(broken, tmp_path):
    folder, edit = broken
    line = edit("tasks.yaml", 'partners: "Sở Tài chính; UBND các huyện, thị xã, thành phố"',
                'partners: "Sở Tài chính; Sở Vui Chơi, UBND các huyện, thị xã, thành phố"')
    result = run("validate", "--plan", str(folder), cwd=tmp_path)
    [problem] = problems(result)
    assert f"tasks.yaml:{line}:" in problem and '"Sở Vui Chơi"' in problem


def test_yaml_syntax_error_has_file_and_line(broken, tmp_path):
    folder, edit = broken
    line = edit("tasks.yaml", "        deliverable: \"Báo cáo\"", "        deliverable: \"Báo cáo", nth=3)
    result = run("validate", "--plan", str(folder), cwd=tmp_path)
    assert result.returncode == 1
    [problem] = problems(result)
    assert "tasks.yaml:" in problem and "cú pháp YAML" in problem
    reported = int(problem.split("tasks.yaml:")[1].split(":")[0])
    assert line <= reported <= line + 2  # the scanner notices the open quote at the end of that scalar


def test_duplicate_task_id(broken, tmp_path):
    folder, edit = broken
    line = edit("tasks.yaml", "- id: nv02", "- id: nv01")
    result = run("validate", "--plan", str(folder), cwd=tmp_path)
    [problem] = problems(result)
    assert f"tasks.yaml:{line}:" in problem and '"nv01"' in problem and "trùng" in problem


def test_unreadable_timeframe_is_a_warning(broken, tmp_path):
    folder, edit = broken
    line = edit("tasks.yaml", 'timeframe: "2023-2025"', 'timeframe: "Quý 3 năm sau"')
    result = run("validate", "--plan", str(folder), cwd=tmp_path)
    assert result.returncode == 0
    [warning] = problems(result)
    assert warning.startswith("Cảnh báo: ")
    assert f"tasks.yaml:{line}:" in warning and '"Quý 3 năm sau"' in warning


def test_impossible_month(broken, tmp_path):
    folder, edit = broken
    line = edit("tasks.yaml", 'timeframe: "2023-2025"', 'timeframe: "Tháng 13/2024"')
    result = run("validate", "--plan", str(folder), cwd=tmp_path)
    assert result.returncode == 1
    [problem] = problems(result)
    assert f"tasks.yaml:{line}:" in problem and '"Tháng 13/2024"' in problem and "tháng 13" in problem


def test_reversed_period(broken, tmp_path):
    folder, edit = broken
    line = edit("tasks.yaml", 'timeframe: "2023-2025"', 'timeframe: "2025-2023"')
    [problem] = problems(run("validate", "--plan", str(folder), cwd=tmp_path))
    assert f"tasks.yaml:{line}:" in problem and "2025-2023" in problem


def test_missing_field(broken, tmp_path):
    folder, edit = broken
    text = (folder / "tasks.yaml").read_text(encoding="utf-8")
    lines = text.split("\n")
    start = lines.index("      - id: nv05")
    del lines[start + 4]  # the "deliverable" line of II.2
    assert "timeframe" in lines[start + 4]
    (folder / "tasks.yaml").write_text("\n".join(lines), encoding="utf-8")
    result = run("validate", "--plan", str(folder), cwd=tmp_path)
    [problem] = problems(result)
    assert f"tasks.yaml:{start + 1}:" in problem and '"deliverable"' in problem and "thiếu" in problem


def test_misspelt_field(broken, tmp_path):
    folder, edit = broken
    line = edit("tasks.yaml", '        timeframe: "Thường xuyên"', '        timefram: "Thường xuyên"')
    messages = problems(run("validate", "--plan", str(folder), cwd=tmp_path))
    assert any(f"tasks.yaml:{line}:" in m and '"timefram"' in m for m in messages)


def test_group_member_must_exist(broken, tmp_path):
    folder, edit = broken
    line = edit("khanh-hoa.yaml", "ubnd-huyen-truong-sa]", "ubnd-huyen-khong-co]")
    [problem] = problems(run("validate", "--plan", str(folder), cwd=tmp_path))
    assert f"registries/khanh-hoa.yaml:{line}:" in problem and '"ubnd-huyen-khong-co"' in problem


def test_text_must_be_nfc(broken, tmp_path):
    import unicodedata

    folder, edit = broken
    decomposed = unicodedata.normalize("NFD", "Sở Tư pháp")
    line = edit("tasks.yaml", 'lead: "Sở Tư pháp"', f'lead: "{decomposed}"')
    messages = problems(run("validate", "--plan", str(folder), cwd=tmp_path))
    assert any(f"tasks.yaml:{line}:" in m and "NFC" in m for m in messages)


def test_all_problems_listed_at_once(broken, tmp_path):
    folder, edit = broken
    a = edit("tasks.yaml", 'lead: "Sở Tư pháp"', 'lead: "Sở Không Tồn Tại"')
    b = edit("tasks.yaml", 'timeframe: "2023-2025"', 'timeframe: "Trước ngày 31/4/2024"')
    messages = problems(run("validate", "--plan", str(folder), cwd=tmp_path))
    assert len(messages) == 2
    assert f"tasks.yaml:{b}:" in messages[0] or f"tasks.yaml:{b}:" in messages[1]
    assert any(f"tasks.yaml:{a}:" in m for m in messages)


@pytest.mark.parametrize("command", [["appendix"], ["pack", "--year", "2024"]])
def test_other_commands_refuse_an_invalid_plan_and_write_nothing(broken, tmp_path, command):
    folder, edit = broken
    edit("tasks.yaml", 'lead: "Sở Tư pháp"', 'lead: "Sở Không Tồn Tại"')
    work = tmp_path / "work"
    work.mkdir()
    result = run(*command, "--plan", str(folder), cwd=work)
    assert result.returncode == 1
    assert "Sở Không Tồn Tại" in result.stderr
    assert list(work.iterdir()) == []


def test_missing_plan_folder(tmp_path):
    result = run("validate", "--plan", str(tmp_path / "khong-co"), cwd=tmp_path)
    assert result.returncode == 1 and "không tìm thấy thư mục kế hoạch" in result.stderr
    assert "Traceback" not in result.stderr
