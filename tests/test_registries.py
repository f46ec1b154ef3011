"""Registries belong to the province, not to the plan (issue 17).

A province's registry (plan_data/registries/<tỉnh>.yaml) is shared by all its plans and builds on the national 2025
reorganisation (plan_data/registries/national-2025.yaml); a plan folder may add agencies of its own (agencies.yaml)
and, copied anywhere, still finds its registry by name. Checked as a clerk sees it: exit codes, the sentences on
stderr, and the forms of a pack read back with python-docx.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path


from formxml import read_form
from generator.plan.loader import load_plan
from generator.paths import default_plan_dir, plan_data_dir

REGISTRIES = plan_data_dir() / "registries"


def kehoach(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def form_text(path: Path) -> str:
    """Every paragraph of a form, those of the task rows (content controls) included (the header's non-breaking
    spaces read as spaces)."""
    return "\n".join(read_form(path).paragraph_texts()).replace("\u00a0", " ")


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if text in line)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --------------------------------------------------------------------------- the default plan


def test_default_plan_takes_its_registry_from_plan_data_registries():
    assert not (default_plan_dir() / "agencies.yaml").exists()  # no copy of the registry in the plan folder
    assert "registry: khanh-hoa" in (default_plan_dir() / "plan.yaml").read_text(encoding="utf-8")
    plan = load_plan(default_plan_dir())
    assert plan.registry.agencies["so-cong-thuong"].name == "Sở Công Thương"
    # the file that defines it is the province's: a problem in it is reported there
    assert [Path(f).name for f in plan.registry_files] == ["national-2025.yaml", "khanh-hoa.yaml"]
    assert Path(plan.registry_files[1]).parent == REGISTRIES


def test_the_province_registry_reports_its_own_lines(tmp_path):
    """An error in a copy of the province registry points at that file and line, not at the plan."""
    plan_data = tmp_path / "plan_data"
    shutil.copytree(default_plan_dir(), plan_data / "khanh-hoa-1627")
    shutil.copytree(REGISTRIES, plan_data / "registries")
    registry = plan_data / "registries" / "khanh-hoa.yaml"
    edit(registry, "into: [ubnd-cap-xa]", "into: [ubnd-cap-xa-moi]")
    result = kehoach("validate", "--plan", "plan_data/khanh-hoa-1627", cwd=tmp_path)
    assert result.returncode == 1
    assert f"plan_data/registries/khanh-hoa.yaml:{line_of(registry, 'ubnd-cap-xa-moi')}:" in result.stderr
    assert '"ubnd-cap-xa-moi"' in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- a copied plan folder


def test_a_copied_plan_folder_validates_and_packs(plan_copy, tmp_path, form_pack):
    """The README's `kehoach validate --plan ke-hoach-sua`: the copy holds the plan's files only."""
    assert not (plan_copy / "agencies.yaml").exists() and not (plan_copy.parent / "registries").exists()
    result = kehoach("validate", "--plan", str(plan_copy), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "hợp lệ: 5 nhóm, 35 nhiệm vụ, 41 đơn vị, 7 nhóm đơn vị" in result.stdout
    result = kehoach("pack", "--year", "2026", "--plan", str(plan_copy), "--out", "p", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == sorted(p.name for p in form_pack(2026).iterdir())
    assert "Kính gửi: Sở Tài chính" in form_text(tmp_path / "p" / "so-cong-thuong.docx")


def test_an_explicit_registry_file_or_folder_is_used(plan_copy, tmp_path):
    elsewhere = tmp_path / "danh-muc"
    elsewhere.mkdir()
    shutil.copy(REGISTRIES / "khanh-hoa.yaml", elsewhere / "khanh-hoa.yaml")
    edit(elsewhere / "khanh-hoa.yaml", "header: CÔNG AN TỈNH KHÁNH HÒA", "header: CÔNG AN TỈNH KHÁNH HÒA (BẢN THỬ)")
    for option in (elsewhere / "khanh-hoa.yaml", elsewhere):  # a file, or a folder holding <tên>.yaml
        out = tmp_path / f"p-{option.name}"
        result = kehoach("pack", "--year", "2024", "--plan", str(plan_copy), "--registry", str(option),
                         "--out", str(out), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "CÔNG AN TỈNH KHÁNH HÒA (BẢN THỬ)" in form_text(out / "cong-an-tinh.docx")
    # a path relative to the plan folder, written in plan.yaml
    edit(plan_copy / "plan.yaml", "registry: khanh-hoa", "registry: ../danh-muc/khanh-hoa.yaml")
    result = kehoach("pack", "--year", "2024", "--plan", str(plan_copy), "--out", "p-rel", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "CÔNG AN TỈNH KHÁNH HÒA (BẢN THỬ)" in form_text(tmp_path / "p-rel" / "cong-an-tinh.docx")


def test_a_registry_that_cannot_be_found_says_where_it_looked(plan_copy, tmp_path):
    edit(plan_copy / "plan.yaml", "registry: khanh-hoa", "registry: khanh-hoa-cu")
    line = line_of(plan_copy / "plan.yaml", "registry: khanh-hoa-cu")
    result = kehoach("validate", "--plan", str(plan_copy), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    message = next(x for x in result.stderr.splitlines() if "khanh-hoa-cu" in x)
    assert message.startswith(f"{plan_copy / 'plan.yaml'}:{line}: ")
    assert 'không tìm thấy danh mục đơn vị "khanh-hoa-cu"' in message
    assert str(plan_copy.parent / "registries" / "khanh-hoa-cu.yaml") in message  # beside the plan folder
    assert str(REGISTRIES / "khanh-hoa-cu.yaml") in message  # the project's plan_data/
    assert "--registry" in message
    assert not (tmp_path / "output").exists()
    # an explicit option that leads nowhere is named too
    result = kehoach("pack", "--year", "2024", "--plan", str(plan_copy), "--registry", str(tmp_path / "khong-co"),
                     cwd=tmp_path)
    assert result.returncode == 1 and str(tmp_path / "khong-co") in result.stderr
    assert not (tmp_path / "output").exists()


# --------------------------------------------------------------------------- agencies of the plan's own


LOCAL = """\
# Đơn vị riêng của kế hoạch này (thêm vào danh mục của tỉnh)
agencies:
  - id: trung-tam-khuyen-cong
    name: Trung tâm Khuyến công và Tư vấn phát triển công nghiệp
    code: TTKC
    kind: so
    reports: true
    source: "thử nghiệm"
"""


def test_a_plan_local_agency_is_layered_on_top(plan_copy, tmp_path):
    (plan_copy / "agencies.yaml").write_text(LOCAL, encoding="utf-8")
    edit(plan_copy / "tasks.yaml", 'lead: "Sở Công Thương"',
         'lead: "Sở Công Thương; Trung tâm Khuyến công và Tư vấn phát triển công nghiệp"')
    result = kehoach("validate", "--plan", str(plan_copy), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "42 đơn vị" in result.stdout
    result = kehoach("pack", "--year", "2024", "--plan", str(plan_copy), "--out", "p", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = form_text(tmp_path / "p" / "trung-tam-khuyen-cong.docx")
    assert "TRUNG TÂM KHUYẾN CÔNG VÀ TƯ VẤN PHÁT TRIỂN CÔNG NGHIỆP" in text


def test_a_plan_local_agency_that_conflicts_with_the_province_is_refused(plan_copy, tmp_path):
    province = REGISTRIES / "khanh-hoa.yaml"
    (plan_copy / "agencies.yaml").write_text(
        LOCAL + "  - id: so-cong-thuong\n    name: Sở Công Thương mới\n    code: SCT\n    kind: so\n"
                "    reports: true\n    source: thử\n"
                "  - id: so-cong-thuong-2\n    name: Sở Công thương\n    code: SCT\n    kind: so\n"
                "    reports: true\n    source: thử\n", encoding="utf-8")
    result = kehoach("validate", "--plan", str(plan_copy), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    local = plan_copy / "agencies.yaml"
    by_id = next(x for x in result.stderr.splitlines() if x.startswith(f"{local}:{line_of(local, 'id: so-cong-thuong')}:"))
    assert '"so-cong-thuong"' in by_id and f"khanh-hoa.yaml:{line_of(province, 'id: so-cong-thuong')}" in by_id
    by_name = next(x for x in result.stderr.splitlines() if x.startswith(f"{local}:{line_of(local, 'id: so-cong-thuong-2')}:"))
    assert '"Sở Công thương"' in by_name and f"khanh-hoa.yaml:{line_of(province, 'id: so-cong-thuong')}" in by_name


def test_a_plan_local_name_spelt_otherwise_is_still_the_province_name(plan_copy, tmp_path):
    """Names are compared as everywhere else (agencies.name_key): "UBND huyện Vạn Ninh" of the plan's own file is
    the province's "Ủy ban nhân dân huyện Vạn Ninh", and "Sở Văn hoá..." (old tone placement) its "Sở Văn hóa..."."""
    province = REGISTRIES / "khanh-hoa.yaml"
    (plan_copy / "agencies.yaml").write_text(
        LOCAL + "  - id: van-ninh-moi\n    name: UBND huyện Vạn Ninh\n    code: UBND\n    kind: huyen\n"
                "    reports: true\n    source: thử\n"
                "  - id: vhtt-moi\n    name: Sở Văn hoá và Thể thao\n    code: SVHTT\n    kind: so\n"
                "    reports: true\n    source: thử\n", encoding="utf-8")
    result = kehoach("validate", "--plan", str(plan_copy), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    local = plan_copy / "agencies.yaml"
    for local_id, name, province_id in (("van-ninh-moi", "UBND huyện Vạn Ninh", "ubnd-huyen-van-ninh"),
                                        ("vhtt-moi", "Sở Văn hoá và Thể thao", "so-van-hoa-va-the-thao")):
        message = next(x for x in result.stderr.splitlines()
                       if x.startswith(f"{local}:{line_of(local, f'id: {local_id}')}:"))
        assert f'"{name}" đã dùng cho "{province_id}"' in message
        assert f"khanh-hoa.yaml:{line_of(province, f'id: {province_id}')}" in message


def test_an_unknown_name_names_the_registry_files_to_add_it_to(plan_copy, tmp_path):
    """The README's `kehoach validate --plan ke-hoach-sua` with a name the registry lacks: the sentence says which
    file to add it to (the province's, and the plan's own agencies.yaml when there is one), not "agencies.yaml"."""
    edit(plan_copy / "tasks.yaml", 'lead: "Sở Công Thương"', 'lead: "Sở Không Tồn Tại"')
    line = line_of(plan_copy / "tasks.yaml", "Sở Không Tồn Tại")
    result = kehoach("validate", "--plan", str(plan_copy), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [message] = [x for x in result.stderr.splitlines() if "Sở Không Tồn Tại" in x]
    assert message.startswith(f"{plan_copy / 'tasks.yaml'}:{line}: ")
    assert f'trong danh mục đơn vị "{REGISTRIES / "khanh-hoa.yaml"}";' in message
    assert "agencies.yaml" not in message
    (plan_copy / "agencies.yaml").write_text(LOCAL, encoding="utf-8")
    result = kehoach("validate", "--plan", str(plan_copy), cwd=tmp_path)
    [message] = [x for x in result.stderr.splitlines() if "Sở Không Tồn Tại" in x]
    assert (f'trong danh mục đơn vị "{REGISTRIES / "khanh-hoa.yaml"}" hay "{plan_copy / "agencies.yaml"}";'
            in message)


# --------------------------------------------------------------------------- a second province, no events


PROVINCE = """\
# Danh mục đơn vị của tỉnh Phú An (tỉnh giả định, dùng để thử)
province: Phú An
agencies:
  - id: skhdt
    name: Sở Kế hoạch và Đầu tư
    code: SKHĐT
    kind: so
    reports: true
    source: thử
  - id: stc
    name: Sở Tài chính
    code: STC
    kind: so
    reports: true
    source: thử
  - id: so-giao-thong-van-tai
    name: Sở Giao thông vận tải
    code: SGTVT
    kind: so
    reports: true
    source: thử
  - id: so-nong-nghiep-va-phat-trien-nong-thon
    name: Sở Nông nghiệp và Phát triển nông thôn
    code: SNN
    kind: so
    reports: true
    source: thử
  - id: so-tu-phap
    name: Sở Tư pháp
    code: STP
    kind: so
    reports: true
    source: thử
  - id: ubnd-huyen-an-binh
    name: Ủy ban nhân dân huyện An Bình
    header: UBND HUYỆN AN BÌNH
    code: UBND
    kind: huyen
    reports: true
    source: thử
  - id: ubnd-huyen-an-lac
    name: Ủy ban nhân dân huyện An Lạc
    header: UBND HUYỆN AN LẠC
    code: UBND
    kind: huyen
    reports: true
    source: thử
groups:
  - id: ubnd-cac-huyen
    name: UBND các huyện
    members: [ubnd-huyen-an-binh, ubnd-huyen-an-lac]
    source: thử
"""

PLAN = """\
id: phu-an-12
registry: phu-an
number: 12/KH-UBND
date: 2023-05-10
issuer: UBND tỉnh Phú An
issuer_full: Ủy ban nhân dân tỉnh Phú An
place: Phú An
parent_header: UBND TỈNH PHÚ AN
title: Phát triển giao thông nông thôn
subject: giao thông nông thôn
signer: {authority: TM. ỦY BAN NHÂN DÂN, title: CHỦ TỊCH, name: Nguyễn Văn A}
reporting: {receiver: skhdt, deadline: 15/12, source: thử}
appendix: {heading: PHỤ LỤC, title: Nhiệm vụ, attached: (Kèm theo Kế hoạch số 12/KH-UBND)}
"""

TASKS = """\
groups:
  - id: chung
    title: Nhiệm vụ chung
    tasks:
      - {id: nv01, task: Tổng hợp tình hình, lead: Sở Kế hoạch và Đầu tư, partners: Sở Tài chính, deliverable: Báo cáo, timeframe: Hằng năm}
      - {id: nv02, task: Làm đường giao thông nông thôn, lead: Sở Giao thông vận tải, partners: "Sở Nông nghiệp và Phát triển nông thôn; UBND các huyện", deliverable: Báo cáo, timeframe: Hằng năm}
      - {id: nv03, task: Quản lý đường huyện, lead: UBND các huyện, partners: Sở Tư pháp, deliverable: Báo cáo, timeframe: Thường xuyên}
"""


def second_province(tmp_path: Path) -> Path:
    """plan_data/ of a second province (its registry has no events): the national layer comes from the project."""
    root = tmp_path / "plan_data"
    (root / "registries").mkdir(parents=True)
    (root / "registries" / "phu-an.yaml").write_text(PROVINCE, encoding="utf-8")
    (root / "phu-an-12").mkdir()
    (root / "phu-an-12" / "plan.yaml").write_text(PLAN, encoding="utf-8")
    (root / "phu-an-12" / "tasks.yaml").write_text(TASKS, encoding="utf-8")
    return root / "phu-an-12"


def test_a_province_without_events_gets_the_national_changes_with_a_warning(tmp_path):
    folder = second_province(tmp_path)
    result = kehoach("validate", "--plan", str(folder), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    warning = next(x for x in result.stderr.splitlines() if x.startswith("Cảnh báo:"))
    assert "phu-an.yaml" in warning and "national-2025.yaml" in warning and "Phú An" in warning

    # 2024: the bodies of 2024, no warning needed in the pack but still shown
    result = kehoach("pack", "--year", "2024", "--plan", str(folder), "--out", "p2024", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    forms = {p.stem for p in (tmp_path / "p2024").glob("*.docx")}
    assert forms == {"skhdt", "stc", "so-giao-thong-van-tai", "so-nong-nghiep-va-phat-trien-nong-thon", "so-tu-phap",
                     "ubnd-huyen-an-binh", "ubnd-huyen-an-lac"}
    assert "Kính gửi: Sở Kế hoạch và Đầu tư" in form_text(tmp_path / "p2024" / "stc.docx")

    # 2026: the merged departments of Nghị định 45/2025 and the commune level, not the bodies that no longer exist
    result = kehoach("pack", "--year", "2026", "--plan", str(folder), "--out", "p2026", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "national-2025.yaml" in result.stderr
    p = tmp_path / "p2026"
    forms = {x.stem for x in p.glob("*.docx")}
    assert forms == {"stc", "so-xay-dung", "so-nong-nghiep-va-moi-truong", "so-tu-phap", "ubnd-cap-xa"}
    assert json.loads((p / "manifest.json").read_text(encoding="utf-8"))["receiver"] == "Sở Tài chính"
    finance = form_text(p / "stc.docx")
    # the receiver's own form is its working sheet, not a letter to itself
    assert "PHIẾU TỔNG HỢP" in finance and "Kính gửi" not in finance
    assert "Tiếp nhận từ Sở Kế hoạch và Đầu tư" in finance
    building = form_text(p / "so-xay-dung.docx")
    assert "SỞ XÂY DỰNG" in building and "Làm đường giao thông nông thôn" in building
    assert "Tiếp nhận từ Sở Giao thông vận tải" in building
    assert "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG" in form_text(p / "so-nong-nghiep-va-moi-truong.docx")
    commune = form_text(p / "ubnd-cap-xa.docx")
    assert "ỦY BAN NHÂN DÂN\nXÃ, PHƯỜNG, ĐẶC KHU ......" in commune and "Quản lý đường huyện" in commune


def test_the_national_changes_find_a_province_agency_spelt_otherwise(tmp_path):
    """The national layer knows "Sở Văn hóa và Thể thao" and "Sở Giao thông vận tải"; a province writing "Sở Văn hoá
    và Thể thao" (old tone placement) under an id of its own still has it merged on 01/3/2025."""
    folder = second_province(tmp_path)
    province = tmp_path / "plan_data" / "registries" / "phu-an.yaml"
    edit(province, "groups:\n", "  - id: svhtt\n    name: Sở Văn hoá và Thể thao\n    code: SVHTT\n    kind: so\n"
                                "    reports: true\n    source: thử\ngroups:\n")
    with (folder / "tasks.yaml").open("a", encoding="utf-8") as f:
        f.write("      - {id: nv04, task: Tuyên truyền về giao thông, lead: Sở Văn hoá và Thể thao, partners: Sở Tư pháp, "
                "deliverable: Báo cáo, timeframe: Hằng năm}\n")
    result = kehoach("validate", "--plan", str(folder), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    warning = next(x for x in result.stderr.splitlines() if x.startswith("Cảnh báo:"))
    assert "Sở Văn hoá và Thể thao → Sở Văn hóa, Thể thao và Du lịch từ 01/03/2025" in warning
    result = kehoach("pack", "--year", "2026", "--plan", str(folder), "--out", "p2026", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    forms = {x.stem for x in (tmp_path / "p2026").glob("*.docx")}
    assert "svhtt" not in forms and "so-van-hoa-the-thao-va-du-lich" in forms
    text = form_text(tmp_path / "p2026" / "so-van-hoa-the-thao-va-du-lich.docx")
    assert "Tuyên truyền về giao thông" in text and "Tiếp nhận từ Sở Văn hoá và Thể thao" in text


def test_a_province_with_events_of_its_own_gets_no_warning(tmp_path):
    result = kehoach("validate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Cảnh báo" not in result.stderr + result.stdout


def test_the_plan_version_covers_the_registry_content_not_its_files(plan_copy, province_registry):
    """Forms carry the plan version: it changes when the registry's content does (a header), not when a comment is
    edited or the registry is found elsewhere."""
    base = load_plan(default_plan_dir()).version
    assert load_plan(plan_copy).version == base  # the copy beside its own copy of the registries
    edit(province_registry, "# Danh mục đơn vị (registry)", "# Danh mục đơn vị (registry), bản sửa chú thích,")
    assert load_plan(plan_copy).version == base
    edit(province_registry, "header: CÔNG AN TỈNH KHÁNH HÒA", "header: CÔNG AN TỈNH KHÁNH HOÀ")
    assert load_plan(plan_copy).version != base


def test_every_command_that_takes_a_plan_takes_its_registry():
    """`--registry` goes with `--plan` (README: "mọi lệnh có --plan đều nhận tùy chọn này"), new commands included."""
    import typer.main

    import generator.cli.returns  # noqa: F401  (registers its commands on the app)
    from generator.cli.commands import app

    commands = typer.main.get_command(app).commands
    with_plan = {name for name, c in commands.items() if any("--plan" in p.opts for p in c.params)}
    assert {"validate", "pack", "ingest", "review", "show"} <= with_plan
    assert [name for name in sorted(with_plan)
            if not any("--registry" in p.opts for p in commands[name].params)] == []
