"""Load and faults against the real server (`kehoach serve`, uvicorn in a subprocess): 20 agencies uploading at the same
moment through their links all get their report stored as version 1; an upload cut off halfway stores nothing and the
server goes on serving; the server killed (SIGKILL) in the middle of a review leaves a database `kehoach check-db`
accepts, with the review either done whole or not at all."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest
from browser import DOCX, LiveServer, filled, issue_links, start_server, upload_form, upload_through_link

pytestmark = pytest.mark.server

YEAR = 2024
PLAN_ID = "khanh-hoa-1627"
CONCURRENT = 20


def versions(server: LiveServer) -> dict[str, list[int]]:
    """agency -> its stored versions (read-only, as check-db opens the file)."""
    with sqlite3.connect(f"file:{server.db}?mode=ro", uri=True) as c:
        rows = c.execute("SELECT agency, version FROM submissions WHERE plan = ? AND year = ? ORDER BY agency, version",
                         (PLAN_ID, YEAR)).fetchall()
    out: dict[str, list[int]] = {}
    for agency, version in rows:
        out.setdefault(agency, []).append(version)
    return out


def check_db(server: LiveServer) -> str:
    r = server.kehoach("check-db", "--plan", str(server.plan))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    return r.stdout


def test_twenty_agencies_upload_at_once(tmp_path, forms_2024):
    agencies = sorted(forms_2024)[:CONCURRENT]
    assert len(agencies) == CONCURRENT
    files = {a: filled(forms_2024[a], f"Báo cáo của {a}: đã hoàn thành các nhiệm vụ năm {YEAR}.") for a in agencies}
    with start_server(tmp_path / "serve") as server:
        links = issue_links(server, YEAR)
        start = threading.Barrier(CONCURRENT)

        def send(agency: str):
            with httpx.Client(timeout=120) as client:
                page = client.get(links[agency])
                assert page.status_code == 200, page.text
                form = upload_form(page.text, links[agency])
                start.wait()  # every agency posts at the same moment
                return client.post(form.action, data=form.hidden,
                                   files={form.file_field: (f"{agency}.docx", files[agency], DOCX)})

        with ThreadPoolExecutor(CONCURRENT) as pool:
            answers = dict(zip(agencies, pool.map(send, agencies)))
        for agency, r in answers.items():
            assert r.status_code in (200, 303), (agency, r.status_code, r.text)
        assert versions(server) == {a: [1] for a in agencies}
        check_db(server)
        assert server.answers()


def half_upload(server: LiveServer, link: str, data: bytes) -> None:
    """An agency's browser that sends the headers and half the body of its upload, then the connection drops."""
    import socket

    with httpx.Client(timeout=30) as client:
        page = client.get(link)
        form = upload_form(page.text, link)
        cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in form.hidden.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{form.file_field}"; '
                 f'filename="bao-cao.docx"\r\nContent-Type: {DOCX}\r\n\r\n'.encode() + data +
                 f"\r\n--{boundary}--\r\n".encode())
    body = b"".join(parts)
    target = urlsplit(form.action)
    head = (f"POST {target.path} HTTP/1.1\r\nHost: {target.netloc}\r\nCookie: {cookies}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection((target.hostname, target.port), timeout=30) as sock:
        sock.sendall(head + body[: len(body) // 2])
        time.sleep(0.5)  # the server has the half: it waits for the rest
    # the socket is closed here, mid-body


def test_upload_cut_off_halfway_stores_nothing(tmp_path, forms_2024):
    agency = "so-cong-thuong"
    data = filled(forms_2024[agency])
    with start_server(tmp_path / "serve") as server:
        link = issue_links(server, YEAR)[agency]
        half_upload(server, link, data)
        time.sleep(0.5)
        assert versions(server) == {}
        assert server.answers()
        check_db(server)
        r = upload_through_link(link, "so-cong-thuong.docx", data)  # the same file, sent whole, is taken
        assert r.status_code in (200, 303), r.text
        assert versions(server) == {agency: [1]}
        check_db(server)
