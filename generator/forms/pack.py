"""The yearly report pack: one form per reporting agency, the appendix and a manifest.

Forms are rendered one at a time and written straight to a staging folder (memory stays flat however many forms
there are); with enough forms the work is shared by a process pool, in a fixed order, so the output is byte for
byte the same as a single-process run. The appendix can be built meanwhile by a forked child (`AppendixJob`,
started by the CLI as soon as the plan is loaded). The staging folder replaces the previous pack only once it is
complete (`fsutil.build_dir`: atomic swap, recovery after a kill, never replacing a folder that is not a pack).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import KehoachError, NotFound
from ..fsutil import build_dir, visible_entries, write_file
from ..plan.assignments import AgencyTasks, distribute
from ..plan.loader import check_year
from ..plan.model import Plan
from ..workers import fork_pool, jobs_default
from .context import form_context, form_properties, receiver_name

if TYPE_CHECKING:
    from .render import FormTemplate


APPENDIX_FILE = "phu-luc.xlsx"
MANIFEST_FILE = "manifest.json"
SUMMARY_DIR = "tong-hop"  # `kehoach summary` writes here by default (replaced with the pack)
POOL_THRESHOLD = 200  # below this many forms a process pool costs more than it saves


@dataclass
class Pack:
    plan: Plan
    year: int
    agencies: list[AgencyTasks]
    files: dict[str, bytes] = field(default_factory=dict)  # in-memory packs only: relative path -> content
    warnings: list[str] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)


def form_file(at: AgencyTasks) -> str:
    return f"{at.agency.id}.docx"


# The pool's workers are forked with the job in these globals, so the plan and the compiled template are never
# pickled; each task is just a range of form indices.
_JOB: dict = {}
_JOB_LOCK = threading.Lock()  # one pack at a time per process (the web app serves requests from threads)


def form_bytes(plan: Plan, at: AgencyTasks, year: int, template: FormTemplate, link: str | None = None) -> bytes:
    """One agency's form of the year's pack, as the pack holds it (`link`: its upload link, `pack --base-url`)."""
    return template.render(form_context(plan, at, year, link), form_properties(plan, at, year))


def _render(index: int) -> bytes:
    link = _JOB["links"].get(_JOB["agencies"][index].agency.id)
    return form_bytes(_JOB["plan"], _JOB["agencies"][index], _JOB["year"], _JOB["template"], link)


def build_form(plan: Plan, year: int, template: FormTemplate, agency: str) -> bytes:
    """The form of `agency` alone, the same bytes as its file in the year's pack (without links); NotFound when the
    agency does not report that year."""
    check_year(plan, year)
    for at in distribute(plan, year).agencies:
        if at.agency.id == agency:
            return form_bytes(plan, at, year, template)
    raise NotFound(f'không có biểu mẫu "{agency}.docx" trong bộ biểu mẫu năm {year} của Kế hoạch {plan.meta.number}: '
                   "đơn vị này không báo cáo năm đó (hoặc mã đơn vị không đúng)")


def _render_to(staging: str, indices: range) -> list[str]:
    out = []
    for i in indices:
        data = _render(i)
        write_file(os.path.join(staging, form_file(_JOB["agencies"][i])), data)
        out.append(hashlib.sha256(data).hexdigest())
    return out


def _chunks(n: int, size: int) -> list[range]:
    return [range(i, min(i + size, n)) for i in range(0, n, size)]


def _serial(staging: Path | None, count: int, sink: Callable[[int, bytes], None] | None) -> Iterator[str]:
    """Render every form in order; yield each one's sha256. Writes to `staging`, or hands bytes to `sink`."""
    for i in range(count):
        data = _render(i)
        if staging is not None:
            write_file(staging / form_file(_JOB["agencies"][i]), data)
        if sink is not None:
            sink(i, data)
        yield hashlib.sha256(data).hexdigest()


def _render_to_star(args: tuple[str, range]) -> list[str]:
    return _render_to(*args)


def _appendix_job() -> bytes:
    from .appendix import build_appendix

    return build_appendix(_JOB["plan"])


class AppendixJob:
    """The appendix, built by a forked child process while this one compiles the template and renders the forms.

    Importing openpyxl and building the workbook take about as long as the template work, so with two cores the
    appendix is ready when the forms are written. Start it as soon as the plan is loaded, in a `with` block:
    leaving the block (a refused template, Ctrl+C, any error) kills and reaps the child, which writes nothing to
    disk, so nothing is left behind. When there is no child (`fork=False`, or fork failed) or it did not finish
    cleanly, `result()` builds the appendix in this process: any error is raised here exactly as without a child.
    """

    def __init__(self, plan: Plan, fork: bool = True):
        self.plan = plan
        self._pid: int | None = None
        self._fd: int | None = None
        if fork and hasattr(os, "fork"):
            self._start()

    def _start(self) -> None:
        try:
            read, write = os.pipe()
        except OSError:
            return
        parent = os.getpid()
        # Ctrl+C is held back until both processes know their role: the child must never run the parent's code.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            try:
                pid = os.fork()
            except OSError:  # no process can be started (limits): build the appendix in this process
                os.close(read)
                os.close(write)
                return
            if pid == 0:
                _appendix_child(self.plan, read, write, parent, mask)  # never returns
            os.close(write)
            self._pid, self._fd = pid, read
        finally:
            try:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a Ctrl+C held back is raised here
            except BaseException:
                self.close()  # the `with` block is not entered yet: stop the child now
                raise

    def result(self) -> bytes:
        """The appendix bytes (waits for the child)."""
        if self._pid is not None:
            fd, self._fd = self._fd, None
            with open(fd, "rb") as f:  # type: ignore[arg-type]
                data = f.read()
            try:
                _, status = os.waitpid(self._pid, 0)
            except ChildProcessError:  # reaped by someone else (SIGCHLD ignored): its outcome is unknown
                status = -1
            self._pid = None
            if status == 0:  # exited normally with code 0: the whole appendix came through
                return data
        from .appendix import build_appendix

        return build_appendix(self.plan)

    def close(self) -> None:
        """Stop the child if it is still running; idempotent."""
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._pid, 0)
            self._pid = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> AppendixJob:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_PR_SET_PDEATHSIG = 1


def _appendix_child(plan: Plan, read: int, write: int, parent: int, mask) -> None:
    """The forked child: build the appendix, send it down the pipe, exit. It prints nothing and runs none of the
    parent's clean-up (os._exit); on any failure it exits non-zero and the parent builds the appendix itself."""
    code = 1
    try:
        os.close(read)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to report (it kills this child)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        with contextlib.suppress(Exception):  # Linux: die with the parent (SIGKILL, the fault hook), never linger
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl
            return
        from .appendix import build_appendix

        view = memoryview(build_appendix(plan))
        while view:
            view = view[os.write(write, view):]
        code = 0
    except BaseException:  # noqa: BLE001 - reported by the parent, which builds the appendix again
        pass
    finally:
        os._exit(code)


def _assemble(plan: Plan, year: int, template: FormTemplate, staging: Path | None, jobs: int,
              on_form: Callable[[AgencyTasks], None] | None, appendix: AppendixJob | None = None,
              links: Mapping[str, str] | None = None) -> Pack:
    with _JOB_LOCK:  # the forms are rendered from the module's _JOB
        return _assemble_alone(plan, year, template, staging, jobs, on_form, appendix, links)


def _assemble_alone(plan: Plan, year: int, template: FormTemplate, staging: Path | None, jobs: int,
                    on_form: Callable[[AgencyTasks], None] | None, appendix: AppendixJob | None,
                    links: Mapping[str, str] | None) -> Pack:
    check_year(plan, year)
    distribution = distribute(plan, year)
    pack = Pack(plan, year, distribution.agencies, warnings=distribution.warnings)
    count = len(pack.agencies)
    use_pool = staging is not None and jobs > 1 and count >= POOL_THRESHOLD
    _JOB.update(plan=plan, year=year, template=template, agencies=pack.agencies, links=links or {})
    # workers ignore Ctrl+C: the parent stops them and reports it in one sentence (no traceback per worker)
    pool = None
    if use_pool:
        pool = fork_pool(jobs)
    try:
        if pool is not None:
            if appendix is None:  # the appendix is built by one worker while the others render forms
                pooled = pool.apply_async(_appendix_job)
            chunks = pool.imap(_render_to_star, [(str(staging), r) for r in _chunks(count, 25)])
            digests: Iterator[str] = (digest for done in chunks for digest in done)
        else:
            sink = None if staging is not None else (
                lambda i, data: pack.files.__setitem__(form_file(pack.agencies[i]), data))
            digests = _serial(staging, count, sink)
        forms = []
        for at, digest in zip(pack.agencies, digests):
            forms.append({
                "agency": at.agency.id,
                "name": at.agency.name,
                "file": form_file(at),
                "sha256": digest,
                "lead": [a.task.code for a in at.lead],
                "partner": [a.task.code for a in at.partner],
                "expired": [a.task.code for a in at.expired],
            })
            if on_form:
                on_form(at)
        if appendix is not None:
            appendix_data = appendix.result()
        else:
            appendix_data = pooled.get() if pool is not None else _appendix_job()
    finally:
        if pool is not None:
            pool.terminate()
        _JOB.clear()
    pack.manifest = {
        "plan": plan.id, "plan_version": plan.version, "year": year, "receiver": receiver_name(plan, year),
        "appendix": APPENDIX_FILE, "forms": forms,
        "amendments": [f"{d.number} ngày {d.date:%d/%m/%Y}" for d in plan.amendments],
        "warnings": pack.warnings,
    }
    extra = {
        APPENDIX_FILE: appendix_data,
        MANIFEST_FILE: (json.dumps(pack.manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
    }
    for name, data in extra.items():
        if staging is not None:
            write_file(staging / name, data)
        else:
            pack.files[name] = data
    return pack


def build_pack(plan: Plan, year: int, template: FormTemplate,
               on_form: Callable[[AgencyTasks], None] | None = None, links: Mapping[str, str] | None = None) -> Pack:
    """The whole pack in memory (`pack.files`), for tests and small packs. `links`: agency id -> its upload link,
    said in its form's closing paragraph (`pack --base-url`)."""
    return _assemble(plan, year, template, None, 1, on_form, links=links)


def _owned(folder: Path) -> None:
    """Refuse to replace a folder that is not a kehoach pack (`--out` pointing at someone's documents)."""
    names = visible_entries(folder)
    if not names or MANIFEST_FILE in names or names == [SUMMARY_DIR]:
        return
    shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    raise KehoachError(f'thư mục "{folder}" đã có tệp không phải bộ biểu mẫu của kehoach ({shown}) nên không bị thay '
                       "thế; hãy chọn một thư mục trống hoặc thư mục bộ biểu mẫu cũ bằng --out")


def write_pack(plan: Plan, year: int, template: FormTemplate, out_dir: Path, jobs: int | None = None,
               on_form: Callable[[AgencyTasks], None] | None = None, appendix: AppendixJob | None = None,
               links: Mapping[str, str] | None = None) -> Pack:
    """Render the pack into a staging folder beside `out_dir`, then swap it in (`fsutil.build_dir`): the old pack
    stays until the new one is complete, a failure or a kill leaves no trace, and a folder that is not a pack is
    never replaced. `appendix`: the appendix already being built for `plan` (`AppendixJob`), else it is built
    here. `links`: as `build_pack`'s."""
    return build_dir(out_dir, lambda staging: _assemble(plan, year, template, staging, jobs or jobs_default(),
                                                        on_form, appendix, links), owned=_owned)
