"""kehoach benchmarks (`make bench`): wall time, forms per second and peak memory, medians of several runs.

Measures, on this machine:
  1. the default pack (Kế hoạch 1627, this year) as a whole `kehoach pack` process, cold;
  2. a 2,000-form pack of a synthetic national-scale plan (2,000 agencies, 11,000 tasks), whole CLI process;
  3. ingesting 2,000 filled forms of that pack (`kehoach ingest`), whole CLI process;
  4. the appendix of a 2,000-task synthetic plan (`kehoach appendix`), whole CLI process;
  5. importing Kế hoạch 1627 (35 tasks) from its Word document (`kehoach import-plan`), whole CLI process;
  6. the web app on that round (benchmarks/webbench.py): the status board of the 2,000 agencies served, and one form
     sent through an agency's link visible on the board, server side, against the budgets of issue 16;
and, in the same run, the same form content rendered by a naive docxtpl loop (template loaded for every form),
with the ratio. No thresholds are asserted here: the figures go into README.md by hand.
"""

from __future__ import annotations

import io
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from synth import make_plan  # noqa: E402
from webbench import UPLOADS, web_figures  # noqa: E402

KEHOACH = [sys.executable, "-m", "generator"]
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
NAIVE_FORMS = int(os.environ.get("BENCH_NAIVE_FORMS", "100"))


def measure(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one process (and the workers it waited for)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode()}")
    proc.stderr.close()
    return wall, usage.ru_maxrss / 1024


def median_of(cmd: list[str], cwd: Path, before=None) -> tuple[float, float]:
    results = []
    for _ in range(RUNS):
        if before:
            before()
        results.append(measure(cmd, cwd))
    return statistics.median(w for w, _ in results), max(m for _, m in results)


def fill(docx: bytes) -> bytes:
    """A form as an agency returns it: every result typed, every status picked (string-level, like Word's output)."""
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        entries = [(i.filename, zf.read(i)) for i in zf.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            if name == "word/document.xml":
                text = data.decode("utf-8").replace("<w:showingPlcHdr/>", "")
                text = text.replace(">Nhập kết quả thực hiện<", ">Đã tổ chức 3 lớp tập huấn cho 120 học viên; "
                                    "hoàn thành kế hoạch năm.<")
                text = text.replace(">Chọn<", ">Hoàn thành<")
                data = text.encode("utf-8")
            zf.writestr(name, data)
    return out.getvalue()


def naive_docxtpl(plan_dir: Path, year: int, count: int) -> float:
    """Forms per second of the naive loop on the same forms: DocxTemplate loaded and rendered for every form."""
    from docxtpl import DocxTemplate

    from generator.plan.assignments import assignments
    from generator.forms.context import form_context
    from generator.plan.loader import load_plan
    from generator.paths import templates_dir

    plan = load_plan(plan_dir, report_year=year)
    agencies = assignments(plan, year)[:count]
    template = templates_dir() / "bao-cao-don-vi.docx"
    start = time.perf_counter()
    for at in agencies:
        doc = DocxTemplate(template)
        doc.render(form_context(plan, at, year), autoescape=True)
        doc.save(io.BytesIO())
    return len(agencies) / (time.perf_counter() - start)


def row(name: str, wall: float, rss: float, forms: int | None) -> str:
    rate = f"{forms / wall:8.0f}" if forms else "       -"
    return f"| {name:<44} | {wall:8.2f} | {rate} | {rss:8.0f} |"


def main() -> None:
    year = time.localtime().tm_year
    work = Path(tempfile.mkdtemp(prefix="kehoach-bench-"))
    try:
        synth = make_plan(work / "synth", agencies=2000, tasks=11000)
        synth2k = make_plan(work / "synth2k", agencies=400, tasks=2000)
        lines = [f"kehoach benchmarks: {platform.machine()}, {os.cpu_count()} cores, Python "
                 f"{platform.python_version()}, medians of {RUNS} runs", "",
                 "| measurement                                  |   wall s |  forms/s | peak MB |",
                 "|----------------------------------------------|---------:|---------:|--------:|"]

        default_out = work / "default"
        wall, rss = median_of([*KEHOACH, "pack", "--year", str(year), "--out", str(default_out)], work)
        forms = len(list(default_out.glob("*.docx")))
        lines.append(row(f"default pack, cold CLI ({forms} forms)", wall, rss, forms))

        pack_out = work / "pack2000"
        wall, rss = median_of([*KEHOACH, "pack", "--year", "2025", "--plan", str(synth), "--out", str(pack_out)],
                              work)
        forms = len(list(pack_out.glob("*.docx")))
        lines.append(row(f"{forms}-form pack, CLI (11,000-task plan)", wall, rss, forms))
        pack_rate = forms / wall

        naive = naive_docxtpl(synth, 2025, NAIVE_FORMS)
        lines.append(row(f"naive docxtpl loop (same forms, {NAIVE_FORMS} of them)", NAIVE_FORMS / naive, 0, NAIVE_FORMS))

        filled = work / "filled"
        filled.mkdir()
        for path in sorted(pack_out.glob("*.docx")):
            (filled / path.name).write_bytes(fill(path.read_bytes()))
        db = work / "bench.sqlite3"
        wall, rss = median_of([*KEHOACH, "ingest", "--year", "2025", str(filled), "--plan", str(synth), "--db", str(db)],
                              work, before=lambda: db.unlink(missing_ok=True))
        lines.append(row(f"ingest {forms} filled forms, CLI", wall, rss, forms))
        ingest_rate = forms / wall

        wall, rss = median_of([*KEHOACH, "appendix", "--plan", str(synth2k), "--out", str(work / "pl.xlsx")], work)
        lines.append(row("appendix of a 2,000-task plan, CLI", wall, rss, None))

        sys.path.insert(0, str(ROOT / "tests"))
        from importdocs import plan_1627_docx

        document = work / "ke-hoach-1627.docx"
        document.write_bytes(plan_1627_docx())
        draft = work / "draft-1627"
        wall, rss = median_of([*KEHOACH, "import-plan", str(document), "--out", str(draft)], work,
                              before=lambda: shutil.rmtree(draft, ignore_errors=True))
        lines.append(row("import-plan of Kế hoạch 1627 (.docx, 35 tasks), CLI", wall, rss, None))

        web_db = work / "web.sqlite3"
        waiting = sorted(filled.glob("*.docx"))[-UPLOADS:]  # sent through their links by web_figures
        ingested = work / "filled-web"
        shutil.copytree(filled, ingested)
        for path in waiting:
            (ingested / path.name).unlink()
        measure([*KEHOACH, "ingest", "--year", "2025", str(ingested), "--plan", str(synth), "--db", str(web_db)], work)
        web = web_figures(web_db, synth, 2025, {p.stem: p.read_bytes() for p in waiting})

        lines += ["", f"pack throughput / naive docxtpl loop: {pack_rate / naive:.1f}x "
                      f"({pack_rate:.0f} vs {naive:.0f} forms/s)", f"ingest: {ingest_rate:.0f} forms/s", "",
                  "| web app (server side, in process)                             |   median    | issue 16 |",
                  "|--------------------------------------------------------------|------------:|----------|", *web]
        print("\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
