"""The appendix built by a forked child while the forms are rendered (`pack.AppendixJob`): the same bytes as in one
process, the same error when building it fails, nothing left running when the pack stops early (a refused template,
an error, Ctrl+C); and the template's variables recorded while compiling, equal to jinja2's own analysis."""

from __future__ import annotations

import os
import signal
import time
import zipfile

import jinja2
import jinja2.meta
import pytest
from typer.testing import CliRunner

from generator.forms import appendix as appendix_module
from generator.cli import commands as cli
from generator.forms.appendix import build_appendix
from generator.forms.render import FormTemplate
from generator.errors import KehoachError
from generator.forms.pack import AppendixJob, write_pack
from generator.paths import templates_dir
from generator.office.ziputil import write_zip

TEMPLATE = templates_dir() / "bao-cao-don-vi.docx"


def gone(pid: int) -> bool:
    """True when `pid` is no child of this process any more: it ended and was reaped (no zombie, no stray)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@pytest.fixture
def forks(monkeypatch):
    """The pids of the children forked during the test (AppendixJob uses os.fork)."""
    pids: list[int] = []
    real = os.fork

    def fork() -> int:
        pid = real()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    return pids


def test_child_gives_the_same_bytes(plan, forks):
    expected = build_appendix(plan)
    with AppendixJob(plan) as job:
        assert job.result() == expected
    assert len(forks) == 1 and gone(forks[0])
    with AppendixJob(plan, fork=False) as job:  # --jobs 1: built in this process
        assert job.result() == expected
    assert len(forks) == 1


def test_pack_is_identical_with_and_without_the_child(plan_2024, tmp_path):
    template = FormTemplate(TEMPLATE)
    write_pack(plan_2024, 2024, template, tmp_path / "one", jobs=1)
    with AppendixJob(plan_2024) as job:
        write_pack(plan_2024, 2024, template, tmp_path / "two", jobs=2, appendix=job)
    one, two = ({p.name: p.read_bytes() for p in (tmp_path / d).iterdir()} for d in ("one", "two"))
    assert one == two and "phu-luc.xlsx" in one


def test_an_error_in_the_child_is_raised_as_without_it(plan, monkeypatch, forks):
    def broken(plan):
        raise KehoachError("phụ lục hỏng")

    monkeypatch.setattr(appendix_module, "build_appendix", broken)  # in the child and, again, in this process
    with AppendixJob(plan) as job, pytest.raises(KehoachError, match="phụ lục hỏng"):
        job.result()
    assert len(forks) == 1 and gone(forks[0])


def test_a_killed_child_is_replaced_by_building_here(plan, forks):
    with AppendixJob(plan) as job:
        os.kill(forks[0], signal.SIGKILL)
        assert job.result() == build_appendix(plan)
    assert gone(forks[0])


def test_leaving_the_block_stops_the_child(plan, monkeypatch, forks):
    monkeypatch.setattr(appendix_module, "build_appendix", lambda plan: time.sleep(60))
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt), AppendixJob(plan):
        raise KeyboardInterrupt  # as Ctrl+C while the template is compiled
    assert time.monotonic() - start < 10
    assert len(forks) == 1 and gone(forks[0])


def test_refused_template_leaves_no_folder_and_no_process(tmp_path, monkeypatch, forks):
    with zipfile.ZipFile(TEMPLATE) as zf:
        parts = [(i.filename, zf.read(i)) for i in zf.infolist()]
    bad = tmp_path / "mau.docx"
    bad.write_bytes(write_zip([(n, d.replace(b"{{ opening }}", b"{{ khong_co }}") if n == "word/document.xml" else d)
                               for n, d in parts]))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(cli._state, "debug", False)
    result = CliRunner().invoke(cli.app, ["pack", "--year", "2024", "--template", str(bad), "--out", "bo",
                                          "--jobs", "2"])
    assert result.exit_code == 1 and 'biến "khong_co"' in result.output
    assert len(forks) == 1 and gone(forks[0])  # the appendix child was started, then stopped and reaped
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mau.docx"]


def test_recorded_variables_of_the_office_template():
    template = FormTemplate(TEMPLATE)
    plain = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    for name, names in template._undeclared.items():
        with zipfile.ZipFile(TEMPLATE) as zf:
            from docxtpl import DocxTemplate

            xml = DocxTemplate.patch_xml(None, zf.read(name).decode("utf-8"))
        assert names == jinja2.meta.find_undeclared_variables(plain.parse(xml))


def test_an_error_raised_while_ctrl_c_unwinds_is_still_ctrl_c(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        finally:  # as zipfile does when interrupted while writing an entry
            raise ValueError("Can't close the ZIP file while there is an open writing handle on it.")

    monkeypatch.setattr(cli.plan, "load_plan", interrupted)
    monkeypatch.setitem(cli._state, "debug", False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.app, ["validate"])
    assert result.exit_code == 130 and "Đã dừng theo yêu cầu (Ctrl+C)" in result.output


def test_every_staged_file_and_folder_is_flushed_before_the_swap(tmp_path, monkeypatch):
    from generator import fsutil

    synced: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    def build(staging):
        (staging / "sub").mkdir()
        for name in ("a.docx", "sub/b.txt"):
            fsutil.write_file(staging / name, b"x")

    monkeypatch.setattr(os, "fsync", fsync)
    fsutil.build_dir(tmp_path / "out", build)
    staged = {p for p in synced if ".out.new." in p}
    assert {os.path.relpath(p, min(staged, key=len)) for p in staged} == {".", "a.docx", "sub", "sub/b.txt"}


def test_a_file_that_cannot_reach_the_disk_is_not_swapped_in(tmp_path, monkeypatch):
    import errno

    from generator import fsutil

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.docx").write_bytes(b"old")

    def fsync(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError):
        fsutil.build_dir(tmp_path / "out", lambda staging: fsutil.write_file(staging / "new.docx", b"new"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["old.docx"]
