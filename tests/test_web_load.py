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
from browser import (DOCX, LiveServer, filled, issue_links, needs, office_client, start_server, upload_form,
                     upload_through_link)

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


@needs("agency")
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


@needs("agency")
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


def review_url(agency: str, version: int = 1) -> str:
    return f"/ke-hoach/{PLAN_ID}/{YEAR}/don-vi/{agency}/phien-ban/{version}/duyet"


def review(client: httpx.Client, agency: str, state: str, note: str) -> httpx.Response:
    return client.post(review_url(agency), data={"state": state, "note": note,
                                                 "csrftoken": client.cookies["csrftoken"]})


def stored_review(server: LiveServer, agency: str) -> tuple[str, str, list[tuple[str, str]]]:
    """The version's review state and note, and its history's (action, state) lines."""
    with sqlite3.connect(f"file:{server.db}?mode=ro", uri=True) as c:
        sid, state, note = c.execute("SELECT id, review_state, review_note FROM submissions WHERE plan = ? AND year = ? "
                                     "AND agency = ? AND version = 1", (PLAN_ID, YEAR, agency)).fetchone()
        history = c.execute("SELECT action, state FROM history WHERE submission_id = ? ORDER BY id", (sid,)).fetchall()
    return state, note, history


def ingested(server: LiveServer, agency: str, data: bytes) -> None:
    path = server.folder / f"{agency}.docx"
    path.write_bytes(data)
    r = server.kehoach("ingest", str(path), "--year", str(YEAR), "--plan", str(server.plan))
    assert r.returncode == 0, r.stdout + r.stderr


@needs("office")
def test_server_killed_inside_a_review_leaves_no_half_of_it(tmp_path, forms_2024):
    """KEHOACH_FAULT=kill:in-transaction:1: the server SIGKILLs itself inside the review's transaction, before it
    commits. The database is as check-db accepts, the version is still "đã nhận" with no trace of the review, and a
    server started again on it takes the same review."""
    agency = "so-cong-thuong"
    folder = tmp_path / "serve"
    with start_server(folder, env={"KEHOACH_FAULT": "kill:in-transaction:1"}) as server:
        ingested(server, agency, filled(forms_2024[agency]))
        with office_client(server) as client:
            with pytest.raises(httpx.TransportError):  # the connection dies with the server
                review(client, agency, "can-bo-sung", "Bổ sung số liệu quý IV")
        server.proc.wait(timeout=30)
        assert server.proc.returncode == -9, server.console()
        server.killed = True
        check_db(server)
        assert stored_review(server, agency) == ("da-nhan", "", [("ingest", "da-nhan")])
    with start_server(folder, user=False) as again:
        check_db(again)
        with office_client(again) as client:
            r = review(client, agency, "can-bo-sung", "Bổ sung số liệu quý IV")
            assert r.status_code in (200, 303), r.text
        assert stored_review(again, agency) == ("can-bo-sung", "Bổ sung số liệu quý IV",
                                                [("ingest", "da-nhan"), ("review", "can-bo-sung")])
        check_db(again)


@needs("office")
def test_server_killed_from_outside_while_reviews_are_posted(tmp_path, forms_2024):
    """SIGKILL at a moment nobody chose, while a clerk's reviews follow one another: check-db accepts the database,
    and the version's state is the one of the last review its history records (each review whole or absent)."""
    agency = "so-cong-thuong"
    with start_server(tmp_path / "serve") as server:
        ingested(server, agency, filled(forms_2024[agency]))
        sent = []
        stop = threading.Event()

        def clerk():
            with office_client(server) as client:
                for i in range(10_000):
                    if stop.is_set():
                        return
                    state, note = ("can-bo-sung", f"Bổ sung lần {i}") if i % 2 == 0 else ("da-duyet", "")
                    try:
                        r = review(client, agency, state, note)
                    except httpx.TransportError:
                        return
                    assert r.status_code in (200, 303), r.text
                    sent.append(i)

        worker = threading.Thread(target=clerk)
        worker.start()
        deadline = time.monotonic() + 30
        while len(sent) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.137)
        server.kill()
        stop.set()
        worker.join(timeout=60)
        assert len(sent) >= 5, server.console()
        check_db(server)
        state, _, history = stored_review(server, agency)
        assert history[-1] == ("review", state)
        assert len(history) - 1 in (len(sent), len(sent) + 1)  # every answered review is stored, maybe one more
