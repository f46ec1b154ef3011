"""Fixtures of the end-to-end tests: the real `kehoach serve` (a uvicorn subprocess on a free port) and Debian's
chromium driven by Playwright (registered for every test by conftest's `pytest_plugins`).

- `start_server(folder, plan=None, env=None)`: a context manager running `python -m generator serve --port <free> --db <folder>/
  bao-cao.sqlite3 --plan <plan>` in `folder`, after creating the office account with `kehoach user add
  --password-stdin`; it waits until the app answers and yields a `LiveServer`; on exit it stops the server with SIGINT
  (Ctrl+C) and asserts exit 130 (unless the test killed it). `live_server`: the same as a fixture.
- `office_client(server)`: an httpx client logged in as the office user (a browser without JavaScript would do the
  same: the login page's hidden CSRF field, then the form).
- `LiveServer.kehoach(*args)`: a command run on the same database (`--db` appended), e.g. `links --year 2024`.
- `chromium`: a Playwright Browser on /usr/bin/chromium (module-wide; no browser is ever downloaded).
- `watch(page)`: the console errors, page errors and Content-Security-Policy violations of a page, as a list that
  grows while the page is used (a test asserts it stays empty).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from generator.paths import default_plan_dir

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package (make chromium), never a downloaded build
SERVER_START_SECONDS = 60
OFFICE_USER = "Trần Thị Bình"
OFFICE_PASSWORD = "mat-khau-kiem-thu-trinh-duyet"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_kehoach(*args: str, cwd: Path, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, timeout=timeout)


@dataclass
class LiveServer:
    url: str  # http://127.0.0.1:<port>
    folder: Path  # the server's working folder (its console output is in serve.out / serve.err)
    db: Path
    plan: Path
    proc: subprocess.Popen
    killed: bool = field(default=False)

    def kehoach(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """`kehoach ARGS --db <the server's database>`, run in the server's folder."""
        return run_kehoach(*args, "--db", str(self.db), cwd=self.folder, stdin=stdin)

    def console(self) -> str:
        return (self.folder / "serve.out").read_text(errors="replace") + (self.folder / "serve.err").read_text(
            errors="replace")

    def kill(self) -> None:
        """SIGKILL: the server dies at once, with whatever it was doing half done."""
        self.proc.kill()
        self.proc.wait(timeout=30)
        self.killed = True

    def answers(self) -> bool:
        import httpx

        try:
            return httpx.get(f"{self.url}/dang-nhap", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


def add_office_user(folder: Path, db: Path, name: str = OFFICE_USER, password: str = OFFICE_PASSWORD) -> None:
    r = run_kehoach("user", "add", name, "--password-stdin", "--db", str(db), cwd=folder, stdin=password + "\n")
    assert r.returncode == 0, r.stdout + r.stderr


@contextlib.contextmanager
def start_server(folder: Path, plan: Path | None = None, user: bool = True, env: dict[str, str] | None = None):
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "bao-cao.sqlite3"
    plan = plan or default_plan_dir()
    if user:
        add_office_user(folder, db)
    port = free_port()
    with open(folder / "serve.out", "wb") as out, open(folder / "serve.err", "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--port", str(port), "--db", str(db),
                                 "--plan", str(plan)], cwd=folder, stdout=out, stderr=err,
                                env={**os.environ, **(env or {})})
    server = LiveServer(url=f"http://127.0.0.1:{port}", folder=folder, db=db, plan=plan, proc=proc)
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not server.answers():
            assert proc.poll() is None, f"kehoach serve stopped (exit {proc.returncode}):\n{server.console()}"
            assert time.monotonic() < deadline, f"kehoach serve did not answer in {SERVER_START_SECONDS} s"
            time.sleep(0.1)
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # Ctrl+C
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise AssertionError(f"kehoach serve did not stop on Ctrl+C:\n{server.console()}") from None
            assert proc.returncode == 130, f"Ctrl+C: exit {proc.returncode}, not 130:\n{server.console()}"
            assert "Traceback" not in server.console(), server.console()
        elif not server.killed:
            raise AssertionError(f"kehoach serve stopped by itself (exit {proc.returncode}):\n{server.console()}")


@pytest.fixture
def live_server(tmp_path):
    with start_server(tmp_path / "serve") as server:
        yield server


def sandboxed() -> bool:
    # Chromium's sandbox is on, except as root: Chromium refuses to start as root with it ("Chromium sandboxing
    # failed!", it needs an unprivileged user namespace root is not given), and CI containers run the tests as root.
    # Off, Playwright passes --no-sandbox (its chromium_sandbox option).
    return os.geteuid() != 0


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), chromium_sandbox=sandboxed())
        try:
            yield browser
        finally:
            browser.close()


# Chromium logs a CSP violation on the console too; the event also catches the ones it reports only to listeners.
CSP_LISTENER = """document.addEventListener("securitypolicyviolation", (e) =>
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`));"""


def watch(page) -> list[str]:
    """Every console error, uncaught page error and CSP violation of `page` from now on."""
    problems: list[str] = []
    page.add_init_script(CSP_LISTENER)
    page.on("console", lambda msg: msg.type == "error" and problems.append(
        f"console: {msg.text} ({msg.location.get('url', '')})"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.request.method} {r.url}"))
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    return problems


# ------------------------------------------------------------------------------------------ what the tests send


def filled(docx: bytes, text: str = "Đã tổ chức 03 lớp tập huấn cho 120 học viên; hoàn thành kế hoạch năm.") -> bytes:
    """The form `docx` as an agency returns it: every task's result typed (as Word writes it) and status picked."""
    import io
    import zipfile

    from formfill import Fill, fill_form
    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        root = etree.fromstring(zf.read("word/document.xml"))
    tasks = [tag.get(w + "val").split("|")[0] for tag in root.iter(w + "tag")
             if (tag.get(w + "val") or "").endswith("|result")]
    assert tasks, "the form has no task to fill"
    return fill_form(docx, {t: Fill(result=[text], status="Hoàn thành") for t in tasks})


def issue_links(server: LiveServer, year: int) -> dict[str, str]:
    """`kehoach links --year Y`: agency id -> its full upload link on `server`."""
    r = server.kehoach("links", "--year", str(year), "--plan", str(server.plan), "--base-url", server.url)
    assert r.returncode == 0, r.stdout + r.stderr
    out = {}
    for line in r.stdout.splitlines():
        parts = line.split(" — ")
        if len(parts) >= 3 and "/nop/" in parts[-1]:
            out[parts[0].strip()] = parts[-1].strip()
    assert out, r.stdout
    return out


@dataclass
class PageForm:
    """The upload form of a page, as the browser sees it: where it posts, its hidden fields, its file field."""

    action: str
    hidden: dict[str, str]
    file_field: str


def upload_form(html: str, base: str) -> PageForm:
    """The first multipart form of a page (the one with a file field)."""
    from html.parser import HTMLParser
    from urllib.parse import urljoin

    class Parser(HTMLParser):
        def __init__(self):
            super().__init__()
            self.forms: list[dict] = []
            self.current: dict | None = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form":
                self.current = {"action": a.get("action") or "", "enctype": a.get("enctype") or "", "hidden": {},
                                "file": None}
                self.forms.append(self.current)
            elif tag == "input" and self.current is not None:
                if a.get("type") == "hidden" and a.get("name"):
                    self.current["hidden"][a["name"]] = a.get("value") or ""
                elif a.get("type") == "file":
                    self.current["file"] = a.get("name")

        def handle_endtag(self, tag):
            if tag == "form":
                self.current = None

    parser = Parser()
    parser.feed(html)
    for form in parser.forms:
        if form["file"]:
            assert form["enctype"] == "multipart/form-data", form
            return PageForm(urljoin(base, form["action"] or base), form["hidden"], form["file"])
    raise AssertionError(f"no upload form on the page:\n{html}")


def upload_through_link(link: str, name: str, data: bytes, client=None):
    """What an agency's browser does: open its link, send its file with the page's form. Returns the response."""
    import httpx

    with contextlib.ExitStack() as stack:
        client = client or stack.enter_context(httpx.Client(timeout=60))
        page = client.get(link)
        assert page.status_code == 200, page.text
        form = upload_form(page.text, link)
        return client.post(form.action, data=form.hidden, files={form.file_field: (name, data, DOCX)})


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@contextlib.contextmanager
def office_client(server: LiveServer):
    """An httpx.Client logged in on `server` as OFFICE_USER."""
    import re

    import httpx

    with httpx.Client(base_url=server.url, timeout=60) as client:
        page = client.get("/dang-nhap")
        token = re.search(r'<input type="hidden" name="csrftoken" value="([^"]+)">', page.text)
        assert token, page.text
        r = client.post("/dang-nhap", data={"name": OFFICE_USER, "password": OFFICE_PASSWORD,
                                            "csrftoken": token.group(1)})
        assert r.status_code == 303, r.text
        yield client


# The pages other branches add (issue 16); a flow that needs a page not merged yet is skipped, saying which.
PAGES = {"agency": ("generator.web.agency", "the agency's link page /nop/{token} (branch agencypage)"),
         "office": ("generator.web.round", "the office's round board and agency page (branch officepages)"),
         "upload": ("generator.web.upload", "the office's upload and documents pages (branch docspages)")}


def needs(*pages: str):
    """Skip a test until the pages it drives are part of the app."""
    import importlib.util

    missing = [PAGES[p][1] for p in pages if importlib.util.find_spec(PAGES[p][0]) is None]
    return pytest.mark.skipif(bool(missing), reason=f"not merged yet: {'; '.join(missing)}")
