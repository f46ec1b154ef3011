"""A deterministic synthetic plan at national scale: N agencies, M tasks, about 20 tasks per agency.

    python benchmarks/synth.py OUT_DIR [--agencies 2000] [--tasks 11000]

Texts are Vietnamese with diacritics; names share their first words ("Ủy ban nhân dân xã ...") as real ones do,
so agency resolution is exercised the hard way. The plan folder is written as YAML and loaded by the real loader.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

PLACES = ["Hòa Bình", "Tân Phú", "Phước Đồng", "Vĩnh Lương", "Cam Thịnh", "Ninh Hải", "Diên Điền", "Suối Tiên",
          "Khánh Trung", "Sơn Thái", "Vạn Thắng", "Đại Lãnh", "Ea Kar", "Cư Jút", "Bình Định", "Quảng Ngãi"]
KINDS = ["Ủy ban nhân dân xã", "Ủy ban nhân dân phường", "Sở Nông nghiệp và Môi trường tỉnh", "Sở Tài chính tỉnh",
         "Liên minh Hợp tác xã tỉnh", "Ban Quản lý dự án khu vực"]
VERBS = ["Triển khai", "Hướng dẫn", "Tổng hợp, đánh giá", "Rà soát, sắp xếp", "Hỗ trợ", "Tuyên truyền, phổ biến"]
OBJECTS = ["các hợp tác xã nông nghiệp kiểu mới", "chính sách phát triển kinh tế tập thể",
           "chuyển đổi số trong tổ chức kinh tế tập thể", "liên kết chuỗi giá trị sản phẩm OCOP",
           "nguồn vốn tín dụng ưu đãi cho thành viên", "đào tạo, bồi dưỡng cán bộ quản lý hợp tác xã"]
TIMEFRAMES = ["Thường xuyên", "Hàng năm", "Hằng năm", "2023-2025", "2024-2026", "2025", "2023-2030"]


def q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _header_lines(name: str) -> list[str]:
    """The name in upper case on as many lines as the form's header column needs (split between words)."""
    from generator.plan.headers import HEADER_COLUMN_MM, line_width_mm

    lines: list[str] = []
    text = name.upper()
    if text.startswith("ỦY BAN NHÂN DÂN "):  # a People's Committee: "ỦY BAN NHÂN DÂN" / "PHƯỜNG ..."
        lines, text = ["ỦY BAN NHÂN DÂN", ""], text[len("ỦY BAN NHÂN DÂN "):]
    for word in text.split():
        if lines and not lines[-1]:
            lines[-1] = word
            continue
        if lines and line_width_mm(f"{lines[-1]} {word}") <= HEADER_COLUMN_MM:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def make_plan(out: Path, agencies: int = 2000, tasks: int = 11000, seed: int = 1627) -> Path:
    rng = random.Random(seed)
    base = Path(__file__).resolve().parents[1] / "plan_data" / "khanh-hoa-1627"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    plan = (base / "plan.yaml").read_text(encoding="utf-8")
    plan = plan.replace("id: khanh-hoa-1627", "id: toan-quoc-synth").replace("receiver: so-ke-hoach-va-dau-tu",
                                                                           "receiver: dv0001")
    (out / "plan.yaml").write_text(plan, encoding="utf-8")

    names = []
    lines = ["agencies:"]
    for i in range(1, agencies + 1):
        name = f"{KINDS[i % len(KINDS)]} {PLACES[i % len(PLACES)]} {i}"
        names.append(name)
        lines += [f"  - id: dv{i:04d}", f"    name: {q(name)}", "    code: UBND", "    kind: xa",
                  f"    place: {q(PLACES[i % len(PLACES)])}",  # a commune dates its reports with its own name
                  f"    header: [{', '.join(q(line) for line in _header_lines(name))}]",
                  "    reports: true", '    source: "dữ liệu tổng hợp cho đo hiệu năng"']
    (out / "agencies.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")

    mentions_per_task = max(2, round(agencies * 20 / tasks))  # about 20 tasks per agency
    lines = ["groups:"]
    per_group = 220
    for g in range(0, tasks, per_group):
        lines += [f"  - id: nhom-{g // per_group + 1}", f"    title: {q('Nhóm nhiệm vụ ' + str(g // per_group + 1) + ': phát triển kinh tế tập thể')}",
                  "    tasks:"]
        for t in range(g, min(g + per_group, tasks)):
            picked = rng.sample(names, mentions_per_task)
            text = f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} (nhiệm vụ số {t + 1}) trên địa bàn tỉnh"
            lines += [f"      - id: nv{t + 1:05d}", f"        task: {q(text)}", f"        lead: {q(picked[0])}",
                      f"        partners: {q('; '.join(picked[1:]))}", f"        deliverable: {q('Báo cáo')}",
                      f"        timeframe: {q(rng.choice(TIMEFRAMES))}"]
    (out / "tasks.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--agencies", type=int, default=2000)
    parser.add_argument("--tasks", type=int, default=11000)
    args = parser.parse_args()
    print(make_plan(args.out, args.agencies, args.tasks))
