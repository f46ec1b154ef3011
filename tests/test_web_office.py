"""The office's reading and review pages, as a clerk logged in sees them: the overview, the round's status board
(filter, sort, JSON), an agency's page (versions, readings, review, the original file, the link) and the round's
history, over a round of filled forms ingested with `kehoach ingest` as the office does. A review in the browser
changes exactly what `kehoach review` changes, and `kehoach show` / `kehoach status` agree."""

from __future__ import annotations

import html
import re
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import unquote

import pytest
from formfill import Fill, fill_form, kehoach
from webkit import OFFICE_USER, add_account, client_of, csrf_token, hidden_token, log_in

from generator.plan.assignments import assignments

SCT, NHA_TRANG, DU_LICH = "so-cong-thuong", "ubnd-thanh-pho-nha-trang", "so-du-lich"
PLAN = "khanh-hoa-1627"
ROUND = f"/ke-hoach/{PLAN}/2024"
REAL = "Bản báo cáo của Sở Công Thương: đã tổ chức 03 lớp tập huấn."
SECOND = "Bản bổ sung của Sở Công Thương: thêm 02 lớp tập huấn."
HOSTILE = '<script>alert("xss")</script> & <b>đậm</b>'
DIFFICULTY = "Thiếu kinh phí tổ chức lớp tập huấn."


def ok(r) -> str:
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def first_task(plan, year: int, agency: str) -> str:
    return next(at for at in assignments(plan, year) if at.agency.id == agency).all[0].task.id


@pytest.fixture(scope="module")
def round_db(plan_2024, forms_2024, tmp_path_factory):
    """Sở Công Thương: version 1 on 10/12/2024, version 2 on 12/12/2024 (on time); Nha Trang: one version on
    20/12/2024 (late) whose result is a hostile string. Returns (folder, db, the files as ingested)."""
    tmp = tmp_path_factory.mktemp("office-round")
    files = {
        "sct-1": fill_form(forms_2024[SCT], {"nv14": Fill(result=[REAL], status="Hoàn thành")},
                           {"kho-khan": [DIFFICULTY]}),
        "sct-2": fill_form(forms_2024[SCT], {"nv14": Fill(result=[SECOND], status="Đang thực hiện", note="Ghi chú")}),
        "nt": fill_form(forms_2024[NHA_TRANG], {first_task(plan_2024, 2024, NHA_TRANG): Fill(result=[HOSTILE])}),
    }
    for key, name, day in (("sct-1", "Báo cáo SCT (bản 1).docx", "10/12/2024"),
                           ("sct-2", "so-cong-thuong.docx", "12/12/2024"),
                           ("nt", f"{NHA_TRANG}.docx", "20/12/2024")):
        folder = tmp / key
        folder.mkdir()
        (folder / name).write_bytes(files[key])
        ok(kehoach("ingest", str(folder / name), "--year", "2024", "--received", day, "--db", "bc.sqlite3", cwd=tmp))
    return tmp, tmp / "bc.sqlite3", files


@pytest.fixture
def office(round_db, tmp_path):
    """(a logged-in client on a copy of the round's database, the database)."""
    from generator.web.app import create_app
    from generator.web.settings import WebSettings

    _, db, _ = round_db
    copy = tmp_path / "kehoach-data" / "bc.sqlite3"
    copy.parent.mkdir()
    with sqlite3.connect(db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    settings = WebSettings(db=copy)
    app = create_app(settings)
    add_account(settings)
    with client_of(app) as client:
        assert log_in(client).status_code == 303
        yield client, copy


def text_of(page: str) -> str:
    """The page's visible text, tags removed, entities decoded, spaces collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def board_table(page: str) -> list[list[str]]:
    body = re.search(r'<table class="board">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [[text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*data-agency[^>]*>(.*?)</tr>", body, re.S)]


def dump(db: Path) -> str:
    with sqlite3.connect(db) as c:
        return "\n".join(c.iterdump())


def post(client, url: str, data: dict):
    return client.post(url, data={**data, "csrftoken": csrf_token(client)})


# ------------------------------------------------------------------------------------------------ overview


def test_overview_lists_the_round_with_its_deadline_and_counts(office):
    client, _ = office
    r = client.get("/")
    assert r.status_code == 200
    text = text_of(r.text)
    assert "Kế hoạch 1627/KH-UBND" in text
    row = re.search(r"Năm 2024 (ngày 15 tháng 12 năm 2024) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", text)
    assert row, text
    expected, sent, on_time, late, missing, correction = map(int, row.groups()[1:])
    assert (sent, on_time, late, missing, correction) == (2, 1, 1, expected - 2, 0)
    assert f'href="{ROUND}"' in r.text
    data = client.get("/?format=json").json()
    round_2024 = next(x for x in data["plans"][0]["rounds"] if x["year"] == 2024)
    assert round_2024["counts"] == {"expected": expected, "sent": 2, "on_time": 1, "late": 1, "correction": 0,
                                    "missing": expected - 2, "warned": round_2024["counts"]["warned"]}
    assert round_2024["deadline"] == "2024-12-15" and round_2024["url"] == ROUND

    # a report to be corrected is counted apart from the sent ones
    assert post(client, f"{ROUND}/don-vi/{SCT}/phien-ban/2/duyet",
                {"state": "can-bo-sung", "note": "Bổ sung số liệu"}).status_code == 303
    counts = next(x for x in client.get("/?format=json").json()["plans"][0]["rounds"] if x["year"] == 2024)["counts"]
    assert (counts["sent"], counts["on_time"], counts["late"], counts["correction"]) == (1, 0, 1, 1)


# ------------------------------------------------------------------------------------------------ the board


def test_board_shows_what_kehoach_status_prints(office):
    client, db = office
    r = client.get(ROUND)
    assert r.status_code == 200
    rows = {cells[0]: cells for cells in board_table(r.text)}
    assert rows["Sở Công Thương"][1:5] == ["Đã nộp", "2", "Đã nhận", "12/12/2024"]
    assert rows["Ủy ban nhân dân thành phố Nha Trang"][1:5] == ["Nộp muộn", "1", "Đã nhận", "20/12/2024"]
    assert rows["Sở Du lịch"][1:5] == ["Quá hạn", "", "", ""]
    assert f'href="{ROUND}/don-vi/{SCT}"' in r.text
    # the same rows and states as the command line
    out = ok(kehoach("status", "--year", "2024", "--db", str(db), cwd=db.parent))
    cli = {cells[0]: cells for line in out.splitlines() if "│" in line for cells in [[c.strip() for c in line.split("│")]]}
    assert {name: cells[1:6] for name, cells in cli.items()} == {name: cells[1:6] for name, cells in rows.items()}
    assert "Đã nộp 2/" in text_of(r.text) and "1 nộp muộn" in text_of(r.text)


def test_board_filter_and_sort_by_plain_links(office):
    client, _ = office
    page = client.get(ROUND).text
    assert f'href="{ROUND}?trang-thai=nop-muon"' in page and 'sap-xep=ten"' in page
    late = board_table(client.get(f"{ROUND}?trang-thai=nop-muon").text)
    assert [c[0] for c in late] == ["Ủy ban nhân dân thành phố Nha Trang"]
    missing = board_table(client.get(f"{ROUND}?trang-thai=chua-nop").text)
    assert missing and all(c[1] == "Quá hạn" for c in missing)
    by_name = [c[0] for c in board_table(client.get(f"{ROUND}?sap-xep=ten").text)]
    assert by_name != [c[0] for c in board_table(page)] and by_name[0].startswith("Ban")
    from generator.returns.board import name_key

    assert by_name == sorted(by_name, key=name_key)
    received = [c[0] for c in board_table(client.get(f"{ROUND}?sap-xep=ngay-nhan").text)]
    assert received[:2] == ["Sở Công Thương", "Ủy ban nhân dân thành phố Nha Trang"]
    by_state = [c[1] for c in board_table(client.get(f"{ROUND}?sap-xep=trang-thai").text)]
    assert by_state[-2:] == ["Nộp muộn", "Đã nộp"] and set(by_state[:-2]) == {"Quá hạn"}
    r = client.get(f"{ROUND}?trang-thai=khong-co")
    assert r.status_code == 400 and 'trang-thai="khong-co" không có' in text_of(r.text)


def test_board_json_is_the_page_data(office):
    client, _ = office
    for query in ("", "?trang-thai=dung-han", "?sap-xep=ten"):
        page = board_table(client.get(f"{ROUND}{query}").text)
        sep = "&" if query else "?"
        data = client.get(f"{ROUND}{query}{sep}format=json").json()
        assert [[r["name"], r["state"], str(r["version"] or ""), r["review_label"] or "", r["arrived_text"],
                 str(len(r["warnings"])) if r["version"] else ""] for r in data["rows"]] == page
    data = client.get(f"{ROUND}?format=json").json()
    assert data["deadline"] == "2024-12-15" and data["counts"]["late"] == 1


# ------------------------------------------------------------------------------------------------ the agency page


def test_agency_page_versions_readings_and_history(office):
    client, _ = office
    r = client.get(f"{ROUND}/don-vi/{SCT}")
    assert r.status_code == 200
    text = text_of(r.text)
    assert "Phiên bản 2 (được tính) — Đã nhận" in text and "Phiên bản 1 — Đã nhận" in text
    assert "Báo cáo SCT (bản 1).docx" in text and "ngày đến: 12/12/2024" in text
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d — \S+ — nhận phiên bản 1 \(tệp Báo cáo SCT \(bản 1\)\.docx\)", text)
    # the counted version's readings by default
    assert "Kết quả của phiên bản 2" in text and SECOND in text and REAL not in text
    assert "Đang thực hiện" in text and "Ghi chú" in text
    assert "Khó khăn, vướng mắc (không ghi)" in text
    # another version on request
    text1 = text_of(client.get(f"{ROUND}/don-vi/{SCT}?phien-ban=1").text)
    assert "Kết quả của phiên bản 1" in text1 and REAL in text1 and "Hoàn thành" in text1 and DIFFICULTY in text1
    assert client.get(f"{ROUND}/don-vi/{SCT}?phien-ban=7").status_code == 404
    # its review forms: the Vietnamese labels, a note, the CSRF field
    assert '<option value="can-bo-sung">Cần bổ sung</option>' in r.text and "<textarea" in r.text
    assert hidden_token(r.text) == csrf_token(client)
    data = client.get(f"{ROUND}/don-vi/{SCT}?format=json").json()
    assert [v["version"] for v in data["versions"]] == [1, 2] and data["counted"] == 2
    assert data["reading"]["version"] == 2 and any(e["result"] == SECOND for e in data["reading"]["entries"])


def test_unknown_agency_or_version_is_404(office):
    client, db = office
    before = dump(db)
    for url in (f"{ROUND}/don-vi/khong-co", f"{ROUND}/don-vi/khong-co/phien-ban/1/tep",
                f"{ROUND}/don-vi/{SCT}/phien-ban/9/tep", f"{ROUND}/don-vi/{SCT}/phien-ban/abc/tep",
                f"/ke-hoach/khong-co/2024/don-vi/{SCT}", f"/ke-hoach/{PLAN}/1990/don-vi/{SCT}"):
        assert client.get(url).status_code == 404, url
    for url in (f"{ROUND}/don-vi/{SCT}/phien-ban/9/duyet", f"{ROUND}/don-vi/khong-co/phien-ban/1/duyet"):
        r = post(client, url, {"state": "da-duyet", "note": ""})
        assert r.status_code == 404, url
    assert "Sở Công Thương không có phiên bản 9" in text_of(post(
        client, f"{ROUND}/don-vi/{SCT}/phien-ban/9/duyet", {"state": "da-duyet"}).text)
    assert dump(db) == before


def test_original_download_is_the_file_as_received(office, round_db):
    client, _ = office
    _, _, files = round_db
    r = client.get(f"{ROUND}/don-vi/{SCT}/phien-ban/1/tep")
    assert r.status_code == 200 and r.content == files["sct-1"]
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="so-cong-thuong-2024-phien-ban-1.docx"; ')
    assert disposition.isascii()
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "Báo cáo SCT (bản 1).docx"
    assert client.get(f"{ROUND}/don-vi/{NHA_TRANG}/phien-ban/1/tep").content == files["nt"]


# ------------------------------------------------------------------------------------------------ review


def test_review_in_the_browser_is_kehoach_review(office, round_db):
    client, db = office
    tmp, original_db, _ = round_db
    url = f"{ROUND}/don-vi/{SCT}/phien-ban/2/duyet"
    r = post(client, url, {"state": "can-bo-sung", "note": "  Bổ sung   số liệu tháng 12  "})
    assert r.status_code == 303 and r.headers["location"] == f"{ROUND}/don-vi/{SCT}"
    # the same change as the command line makes on a copy of the same database
    cli_db = db.parent / "cli.sqlite3"
    with sqlite3.connect(original_db) as src, sqlite3.connect(cli_db) as dst:
        src.backup(dst)
    ok(kehoach("review", SCT, "--year", "2024", "--version", "2", "--state", "can-bo-sung", "--note",
               "Bổ sung số liệu tháng 12", "--db", str(cli_db), cwd=db.parent))

    def reviewed(path):
        with sqlite3.connect(path) as c:
            subs = c.execute("SELECT agency, version, review_state, review_note FROM submissions ORDER BY id").fetchall()
            hist = c.execute("SELECT action, submission_id, state, previous_state, note FROM history ORDER BY id")
            return subs, hist.fetchall()

    assert reviewed(db) == reviewed(cli_db)
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT user FROM history ORDER BY id DESC LIMIT 1").fetchone()[0] == OFFICE_USER
    shown = ok(kehoach("show", SCT, "--year", "2024", "--db", str(db), cwd=db.parent))
    assert "Phiên bản 2 (được tính) — Cần bổ sung" in shown and "Ghi chú duyệt: Bổ sung số liệu tháng 12" in shown
    assert f'— {OFFICE_USER} — phiên bản 2: "Đã nhận" → "Cần bổ sung"; ghi chú: Bổ sung số liệu tháng 12' in shown
    status = ok(kehoach("status", "--year", "2024", "--db", str(db), cwd=db.parent))
    assert "cần bổ sung 1;" in " ".join(status.split())
    page = text_of(client.get(f"{ROUND}/don-vi/{SCT}").text)
    assert "Phiên bản 2 (được tính) — Cần bổ sung" in page and "Ghi chú duyệt Bổ sung số liệu tháng 12" in page
    board = {c[0]: c for c in board_table(client.get(f"{ROUND}?trang-thai=can-bo-sung").text)}
    assert list(board) == ["Sở Công Thương"] and board["Sở Công Thương"][3] == "Cần bổ sung: Bổ sung số liệu tháng 12"
    # setting version 2 aside makes version 1 count again, as on the command line
    assert post(client, url, {"state": "khong-dung", "note": ""}).status_code == 303
    assert "Phiên bản 1 (được tính)" in text_of(client.get(f"{ROUND}/don-vi/{SCT}").text)


def test_review_refusals_change_nothing(office):
    client, db = office
    before = dump(db)
    url = f"{ROUND}/don-vi/{SCT}/phien-ban/2/duyet"
    r = post(client, url, {"state": "can-bo-sung", "note": "   "})
    assert r.status_code == 400
    assert ('trạng thái "can-bo-sung" (cần bổ sung) phải kèm ghi chú nói rõ đơn vị cần bổ sung gì: thêm --note "..."'
            in text_of(r.text))
    assert "Phiên bản 2 (được tính) — Đã nhận" in text_of(r.text)  # the agency's page again, with the sentence
    r = post(client, url, {"state": "duyet-roi", "note": "x"})
    assert r.status_code == 400 and 'trạng thái "duyet-roi" không có; hãy chọn một trong: da-nhan' in text_of(r.text)
    # without the CSRF token (a form posted from another site): refused before anything runs
    r = client.post(url, data={"state": "da-duyet", "note": ""})
    assert r.status_code == 403 and "thiếu mã chống giả mạo" in text_of(r.text)
    r = client.post(url, data={"state": "da-duyet", "note": "", "csrftoken": "gia-mao"})
    assert r.status_code == 403
    assert dump(db) == before


def test_hostile_result_and_note_are_shown_as_text(office):
    client, _ = office
    agency = f"{ROUND}/don-vi/{NHA_TRANG}"
    assert post(client, f"{agency}/phien-ban/1/duyet",
                {"state": "can-bo-sung", "note": '<img src=x onerror="alert(1)"> bổ sung'}).status_code == 303
    for url in (agency, ROUND, f"{ROUND}?trang-thai=can-bo-sung", f"{ROUND}/nhat-ky"):
        page = client.get(url).text
        assert "<script>alert" not in page and "<img src=x" not in page, url
        assert "&lt;img src=x onerror=" in page, url
    page = client.get(agency).text
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt; &amp; &lt;b&gt;đậm&lt;/b&gt;" in page
    assert HOSTILE in text_of(page)


# ------------------------------------------------------------------------------------------------ the link box


def test_link_issue_shown_once_reissue_and_revoke(office):
    from generator.returns.links import resolve
    from generator.returns.store import Store

    client, db = office
    agency = f"{ROUND}/don-vi/{DU_LICH}"
    assert "Đơn vị chưa có liên kết nào đang dùng được." in text_of(client.get(agency).text)
    r = post(client, f"{agency}/lien-ket", {"action": "cap"})
    assert r.status_code == 200
    link = re.search(r'id="new-link" class="copy-source" value="(/nop/[A-Za-z0-9_-]{43})"', r.text).group(1)
    assert 'data-copy="new-link"' in r.text  # the copy button (shown by kehoach.js; the link is selectable text)
    with Store(db) as store:
        assert resolve(store, link.removeprefix("/nop/")).agency == DU_LICH
    page = client.get(agency).text
    assert link not in page and "Đơn vị có liên kết đang dùng được, cấp lúc" in text_of(page)
    again = re.search(r'value="(/nop/[^"]+)"', post(client, f"{agency}/lien-ket", {"action": "cap"}).text).group(1)
    with Store(db) as store:
        assert resolve(store, link.removeprefix("/nop/")) is None and resolve(store, again.removeprefix("/nop/"))
    assert post(client, f"{agency}/lien-ket", {"action": "thu-hoi"}).status_code == 303
    with Store(db) as store:
        assert resolve(store, again.removeprefix("/nop/")) is None
    r = post(client, f"{agency}/lien-ket", {"action": "thu-hoi"})
    assert r.status_code == 404 and "chưa có liên kết nộp báo cáo năm 2024 nào còn dùng được" in text_of(r.text)
    assert post(client, f"{agency}/lien-ket", {"action": "xoa"}).status_code == 400
    assert client.post(f"{agency}/lien-ket", data={"action": "cap"}).status_code == 403  # no CSRF token
    log = client.get(f"{ROUND}/nhat-ky?format=json").json()["lines"]
    assert [(x["kind"], x["user"], x["agency"]) for x in log[:4]] == [
        ("link-revoke", OFFICE_USER, DU_LICH), ("link-issue", OFFICE_USER, DU_LICH),
        ("link-revoke", OFFICE_USER, DU_LICH), ("link-issue", OFFICE_USER, DU_LICH)]


def test_link_with_base_url_is_the_full_address(round_db, tmp_path):
    from generator.web.app import create_app
    from generator.web.settings import WebSettings

    _, db, _ = round_db
    copy = tmp_path / "bc.sqlite3"
    shutil.copy(db, copy)
    settings = WebSettings(db=copy, base_url="https://baocao.example.gov.vn/")
    add_account(settings)
    with client_of(create_app(settings), base_url="https://testserver") as client:
        assert log_in(client).status_code == 303
        r = post(client, f"{ROUND}/don-vi/{SCT}/lien-ket", {"action": "cap"})
        assert re.search(r'value="https://baocao\.example\.gov\.vn/nop/[A-Za-z0-9_-]{43}"', r.text)


# ------------------------------------------------------------------------------------------------ history


def test_round_history_newest_first(office):
    client, _ = office
    assert post(client, f"{ROUND}/don-vi/{SCT}/phien-ban/2/duyet", {"state": "da-duyet", "note": "Đạt"}).status_code == 303
    assert post(client, f"{ROUND}/don-vi/{SCT}/lien-ket", {"action": "cap"}).status_code == 200
    r = client.get(f"{ROUND}/nhat-ky")
    assert r.status_code == 200
    text = text_of(r.text)
    review = f'{OFFICE_USER} Sở Công Thương phiên bản 2: "Đã nhận" → "Đã duyệt"; ghi chú: Đạt'
    assert review in text and f"{OFFICE_USER} Sở Công Thương cấp liên kết nộp báo cáo" in text
    ingests = [m.start() for m in re.finditer(r"nhận phiên bản \d \(tệp", text)]
    assert len(ingests) == 3 and text.index(review) < ingests[0]
    assert text.index("nhận phiên bản 1 (tệp ubnd-thanh-pho-nha-trang.docx)") < text.index(
        "nhận phiên bản 1 (tệp Báo cáo SCT (bản 1).docx)")  # (received in that order: the newest first)
    lines = client.get(f"{ROUND}/nhat-ky?format=json").json()["lines"]
    assert [x["at"] for x in lines] == sorted((x["at"] for x in lines), reverse=True)
    assert {x["kind"] for x in lines} == {"ingest", "review", "link-issue"}
    assert f'href="{ROUND}/don-vi/{SCT}"' in r.text
