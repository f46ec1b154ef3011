"""Atomic outputs: `pack`, `summary` and `appendix` killed at any moment (SIGKILL, via the documented KEHOACH_FAULT hook
and by timing) or hitting a full disk leave the previous output intact or the new one complete, never a mix; what a
killed run leaves behind is cleaned (or the previous folder restored) by the next run."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from formfill import Fill, fill_form

from generator import fsutil
from generator.paths import default_plan_dir

ENV = {k: v for k, v in os.environ.items() if k not in ("KEHOACH_DB", fsutil.FAULT_ENV)}


def kehoach(*args: str, cwd: Path, fault: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(ENV, COLUMNS="200")
    if fault:
        env[fsutil.FAULT_ENV] = fault
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under `folder` (hidden working files included)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def complete_pack(folder: Path) -> dict[str, str]:
    """Assert `folder` is one complete pack (every form of its manifest with the right sha256, the appendix, nothing
    else) and return its snapshot."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    files = snapshot(folder)
    expected = {f["file"]: f["sha256"] for f in manifest["forms"]}
    assert {k: v for k, v in files.items() if k.endswith(".docx")} == expected
    assert sorted(files) == sorted([*expected, "manifest.json", "phu-luc.xlsx"])
    return files


def no_leftovers(parent: Path) -> None:
    hidden = [p.name for p in parent.iterdir() if p.name.startswith(".")]
    assert hidden == [], f"working files left in {parent}: {hidden}"


@pytest.fixture(scope="module")
def other_plan(tmp_path_factory) -> Path:
    """A copy of the plan whose forms all differ from the default plan's (another place name on the date line)."""
    folder = tmp_path_factory.mktemp("plan") / "plan"
    shutil.copytree(default_plan_dir(), folder)
    text = (folder / "plan.yaml").read_text(encoding="utf-8")
    (folder / "plan.yaml").write_text(text.replace("place: Khánh Hòa", "place: Nha Trang", 1), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def packs(tmp_path_factory, other_plan) -> dict[str, dict[str, str]]:
    """Snapshots of the previous pack (other plan) and of the new one (default plan), year 2024."""
    cwd = tmp_path_factory.mktemp("packs")
    old = kehoach("pack", "--year", "2024", "--plan", str(other_plan), "--out", "old", cwd=cwd)
    new = kehoach("pack", "--year", "2024", "--out", "new", cwd=cwd)
    assert old.returncode == 0 and new.returncode == 0, old.stderr + new.stderr
    snaps = {"old": complete_pack(cwd / "old"), "new": complete_pack(cwd / "new"), "dir": cwd}
    changed = [k for k in snaps["new"] if snaps["old"].get(k) != snaps["new"][k]]
    assert len(changed) >= 36, "the two packs must differ form by form to detect a mix"
    return snaps


def previous_pack(packs, cwd: Path) -> Path:
    target = cwd / "pack"
    shutil.copytree(packs["dir"] / "old", target)
    return target


def either(target: Path, packs) -> str:
    """'old' or 'new': the folder is exactly one of the two packs (never a mix)."""
    files = snapshot(target)
    for name in ("old", "new"):
        if files == packs[name]:
            return name
    complete_pack(target)  # a clearer failure message when it is not
    raise AssertionError(f"{target} is neither the previous pack nor the new one")


# ------------------------------------------------------------------------------------------------ pack, killed


KILL_POINTS = [
    ("kill:after-file:1", "old"),        # first form written into the staging folder
    ("kill:after-file:20", "old"),       # half the forms
    ("kill:after-file:37", "old"),       # every form and the appendix, manifest not yet
    ("kill:before-swap", "old"),         # staging complete, not yet swapped in
    ("kill:after-swap", "new"),          # swapped in (atomic exchange), previous not yet removed
]


def test_pack_killed_leaves_previous_or_new_complete(packs, tmp_path):
    """SIGKILL at five moments of `pack` (one run each, from the previous pack): the folder is always exactly the
    previous pack or the complete new one; each run first cleans what the killed one before it left."""
    target = tmp_path / "pack"
    for point, expected in KILL_POINTS:
        shutil.rmtree(target, ignore_errors=True)
        previous_pack(packs, tmp_path)
        r = kehoach("pack", "--year", "2024", "--out", "pack", cwd=tmp_path, fault=point)
        assert r.returncode == -signal.SIGKILL, (point, r.stderr)
        assert either(target, packs) == expected, point
        leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".pack.")]
        assert leftovers, f"{point}: the kill left no working files (is the hook working?)"
        assert len([n for n in leftovers if ".new." in n]) == 1, leftovers  # the previous run's were cleaned
    # the next run cleans what the killed one left and writes the new pack
    r = kehoach("pack", "--year", "2024", "--out", "pack", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert either(target, packs) == "new"
    no_leftovers(tmp_path)


def test_pack_killed_between_the_two_renames_of_the_fallback(packs, tmp_path):
    """Without RENAME_EXCHANGE the swap is two renames; killed between them, the previous pack waits in the backup
    folder and is put back by the next write of the same folder, before anything else happens."""
    target = previous_pack(packs, tmp_path)
    r = kehoach("pack", "--year", "2024", "--out", "pack", cwd=tmp_path, fault="kill:mid-swap")
    assert r.returncode == -signal.SIGKILL
    assert not target.exists()
    [backup] = [p for p in tmp_path.iterdir() if p.name.startswith(".pack.old.")]
    assert snapshot(backup / "pack") == packs["old"]
    with fsutil.locked(target):  # what every write of `pack` does first
        assert either(target, packs) == "old"
    no_leftovers(tmp_path)


def test_pack_fallback_swap_without_exchange(packs, tmp_path):
    previous_pack(packs, tmp_path)
    r = kehoach("pack", "--year", "2024", "--out", "pack", cwd=tmp_path, fault="no-exchange")
    assert r.returncode == 0, r.stderr
    assert either(tmp_path / "pack", packs) == "new"
    no_leftovers(tmp_path)


def test_pack_killed_at_random_moments(packs, tmp_path):
    """SIGKILL from outside while the pack is being written (after k forms in the staging folder, k = 0, 12, 30)."""
    env = dict(ENV)
    for k in (0, 12, 30):
        target = tmp_path / "pack"
        if not target.exists():
            previous_pack(packs, tmp_path)
        proc = subprocess.Popen([sys.executable, "-m", "generator", "pack", "--year", "2024", "--out", "pack"],
                                cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            staging = [p for p in tmp_path.glob(".pack.new.*")]
            if staging and len(list(staging[0].iterdir())) >= k:
                break
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert either(target, packs) in ("old", "new")
    r = kehoach("pack", "--year", "2024", "--out", "pack", cwd=tmp_path)
    assert r.returncode == 0 and either(tmp_path / "pack", packs) == "new"
    no_leftovers(tmp_path)


def test_two_packs_at_once_both_succeed(packs, tmp_path):
    previous_pack(packs, tmp_path)
    procs = [subprocess.Popen([sys.executable, "-m", "generator", "pack", "--year", "2024", "--out", "pack"],
                              cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert either(tmp_path / "pack", packs) == "new"
    no_leftovers(tmp_path)


# ------------------------------------------------------------------------------------------------ full disk


@pytest.mark.parametrize("fraction", [0, 0.4, 0.999])
def test_pack_on_a_full_disk(packs, tmp_path, fraction):
    """The disk fills up before the first byte, mid-way, and on the very last file (the manifest)."""
    size = sum(p.stat().st_size for p in (packs["dir"] / "new").iterdir())
    limit = int(size * fraction)
    target = previous_pack(packs, tmp_path)
    r = kehoach("pack", "--year", "2024", "--out", "pack", cwd=tmp_path, fault=f"disk-full:{limit}")
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    [line] = [line for line in r.stderr.splitlines() if line.startswith("Lỗi:")]
    assert "hết dung lượng đĩa khi ghi" in line and "pack/" in line and ".pack.new" not in line
    assert either(target, packs) == "old"
    no_leftovers(tmp_path)


def test_appendix_killed_or_on_a_full_disk(tmp_path):
    target = tmp_path / "phu-luc.xlsx"
    target.write_bytes(b"previous appendix")
    r = kehoach("appendix", "--out", "phu-luc.xlsx", cwd=tmp_path, fault="kill:before-replace")
    assert r.returncode == -signal.SIGKILL
    assert target.read_bytes() == b"previous appendix"
    assert list(tmp_path.glob(".phu-luc.xlsx.*.tmp")), "the kill left its complete temporary copy"
    r = kehoach("appendix", "--out", "phu-luc.xlsx", cwd=tmp_path, fault="disk-full:3000")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith('Lỗi: hết dung lượng đĩa khi ghi "phu-luc.xlsx"')
    assert target.read_bytes() == b"previous appendix"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["phu-luc.xlsx"]  # the killed run's copy cleaned too
    r = kehoach("appendix", "--out", "phu-luc.xlsx", cwd=tmp_path)
    assert r.returncode == 0 and target.read_bytes()[:2] == b"PK"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["phu-luc.xlsx"]


# ------------------------------------------------------------------------------------------------ summary


@pytest.fixture(scope="module")
def summaries(tmp_path_factory, plan_2024, forms_2024):
    """A database with two reports; the summary of its first report only (previous) and of both (new), as the CLI
    writes them (`build_summary`'s bytes)."""
    from generator.returns.read import read_form
    from generator.returns.store import Store
    from generator.returns.summary import build_summary

    cwd = tmp_path_factory.mktemp("summary")
    forms = [fill_form(forms_2024["so-cong-thuong"], {"nv14": Fill(result=["Bản đầu"], status="Hoàn thành")}),
             fill_form(forms_2024["ubnd-thanh-pho-nha-trang"], {"nv14": Fill(result=["Có"], status="Hoàn thành")})]
    with Store(cwd / "new.sqlite3") as s:
        for i, data in enumerate(forms):
            s.add(read_form(data, plan_2024), data, f"{i}.docx")
            latest = s.latest(plan_2024.id, 2024)  # received today, after 15/12/2024: late, as `summary` counts them
            for name, content in build_summary(plan_2024, 2024, latest, late=set(latest)).items():
                (cwd / ("old" if i == 0 else "new")).mkdir(exist_ok=True)
                (cwd / ("old" if i == 0 else "new") / name).write_bytes(content)
    old, new = snapshot(cwd / "old"), snapshot(cwd / "new")
    assert sorted(old) == sorted(new) == ["bao-cao-tong-hop.docx", "tong-hop.xlsx"]
    assert all(old[k] != new[k] for k in old)
    return {"dir": cwd, "old": old, "new": new}


def test_summary_is_replaced_as_a_whole(summaries, tmp_path):
    """`summary` killed at four moments, or on a full disk: both files previous, or both new."""
    shutil.copy(summaries["dir"] / "new.sqlite3", tmp_path / "bc.sqlite3")
    target = tmp_path / "tong-hop"
    for point, expected in (("kill:after-file:1", "old"), ("kill:before-swap", "old"), ("kill:after-swap", "new"),
                            ("kill:mid-swap", None), ("disk-full:20000", "old")):
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(summaries["dir"] / "old", target)
        r = kehoach("summary", "--year", "2024", "--db", "bc.sqlite3", "--out", "tong-hop", cwd=tmp_path, fault=point)
        if point.startswith("disk-full"):
            assert r.returncode == 1 and "hết dung lượng đĩa" in r.stderr and "Traceback" not in r.stderr
            no_leftovers(tmp_path)
        else:
            assert r.returncode == -signal.SIGKILL, (point, r.stderr)
        if expected is None:  # killed between the fallback's two renames: the next write restores, then replaces
            assert not target.exists()
            with fsutil.locked(target):
                assert snapshot(target) == summaries["old"]
        else:
            assert snapshot(target) == summaries[expected], point
    r = kehoach("summary", "--year", "2024", "--db", "bc.sqlite3", "--out", "tong-hop", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert snapshot(target) == summaries["new"]
    no_leftovers(tmp_path)


# ------------------------------------------------------------------------------------------------ foreign folders


def test_pack_and_summary_refuse_to_replace_a_folder_of_other_files(tmp_path):
    docs = tmp_path / "tai-lieu"
    docs.mkdir()
    (docs / "cong-van.docx").write_bytes(b"an official letter")
    before = snapshot(docs)
    for args in (("pack", "--year", "2024", "--out", "tai-lieu"),
                 ("summary", "--year", "2024", "--db", "bc.sqlite3", "--out", "tai-lieu")):
        if args[0] == "summary":
            from generator.returns.store import Store

            Store(tmp_path / "bc.sqlite3").close()
        r = kehoach(*args, cwd=tmp_path)
        assert r.returncode == 1 and "Traceback" not in r.stderr
        assert "không bị thay thế" in r.stderr and "cong-van.docx" in r.stderr
        assert snapshot(docs) == before
        no_leftovers(tmp_path)


# ------------------------------------------------------------------------------------------------ fsutil in-process


def test_replace_dir_exchange_and_fallback(tmp_path, monkeypatch):
    for fault in ("", "no-exchange"):
        monkeypatch.setenv(fsutil.FAULT_ENV, fault)
        target = tmp_path / fault / "out"
        target.mkdir(parents=True)
        (target / "a.txt").write_text("old")
        fsutil.build_dir(target, lambda d: (d / "b.txt").write_text("new"))
        assert sorted(p.name for p in target.iterdir()) == ["b.txt"]
        assert [p.name for p in target.parent.iterdir()] == ["out"]


def test_build_dir_failure_leaves_target_untouched(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "a.txt").write_text("old")

    def broken(staging: Path):
        (staging / "half.txt").write_text("x")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fsutil.build_dir(target, broken)
    assert [p.name for p in tmp_path.iterdir()] == ["out"] and (target / "a.txt").read_text() == "old"


def test_recover_cleans_leftovers_and_restores_a_lost_folder(tmp_path):
    target = tmp_path / "2024"
    (tmp_path / ".2024.new.abc").mkdir()  # a staging folder of a killed run
    (tmp_path / ".2024.new.abc" / "x.docx").write_bytes(b"half")
    backup = tmp_path / ".2024.old.def"
    (backup / "2024").mkdir(parents=True)  # the previous pack, target missing: killed between the two renames
    (backup / "2024" / "manifest.json").write_text("{}")
    (tmp_path / ".2024.xyz.tmp").write_bytes(b"t")
    (tmp_path / ".khac.new.abc").mkdir()  # another target's: untouched
    done = fsutil.recover(target)
    assert any(d.startswith("restored") for d in done)
    assert (target / "manifest.json").read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".khac.new.abc", "2024"]


def test_lock_waits_for_another_writer(tmp_path):
    """Two writers of the same target: the second waits for the first (and never cleans its staging folder)."""
    import threading

    target = tmp_path / "out"
    order = []
    started = threading.Event()

    def first():
        def build(staging: Path):
            started.set()
            time.sleep(0.3)
            order.append("first")
            (staging / "a").write_text("1")
        fsutil.build_dir(target, build)

    t = threading.Thread(target=first)
    t.start()
    started.wait(5)
    fsutil.build_dir(target, lambda staging: (order.append("second"), (staging / "b").write_text("2")))
    t.join()
    assert order == ["first", "second"]
    assert [p.name for p in target.iterdir()] == ["b"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
