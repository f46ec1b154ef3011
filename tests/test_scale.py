"""Large packs: the process pool gives byte-identical output to a single process (benchmarks/synth.py plan)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from synth import make_plan  # noqa: E402


def test_pool_output_is_byte_identical_to_single_process(tmp_path):
    plan = make_plan(tmp_path / "synth", agencies=240, tasks=900)
    outs = {}
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}"
        result = subprocess.run([sys.executable, "-m", "generator", "pack", "--year", "2025", "--plan", str(plan),
                                 "--out", str(out), "--jobs", str(jobs)], cwd=tmp_path, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        outs[jobs] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert len([n for n in outs[1] if n.endswith(".docx")]) >= 200  # enough forms for the pool to be used
    assert outs[1] == outs[2]
