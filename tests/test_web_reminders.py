"""The reminders page (/ke-hoach/{plan}/{year}/don-doc): the agencies `kehoach reminders` reminds and why, their links
(issued from the page for those without one, shown only then), the list for an email, and the letter: the same
bytes as `kehoach reminders --out`."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from formfill import kehoach, ok
from test_reminders import KHANH_SON, NOTE, SCT, SYT, round_db  # noqa: F401, F811 - round_db: the same 2024 round
from webkit import OFFICE_USER, add_account, client_of, log_in, post_form

from generator.returns.roundlog import round_log
from generator.returns.store import Store

PAGE = "/ke-hoach/khanh-hoa-1627/2024/don-doc"


@pytest.fixture
def db(round_db, tmp_path) -> Path:  # noqa: F811 - the fixture imported above
    copy = tmp_path / "bc.sqlite3"
    shutil.copyfile(round_db, copy)
    return copy


@pytest.fixture
def client(db):
    from generator.web.app import create_app
    from generator.web.settings import WebSettings

    settings = WebSettings(db=db, base_url="https://baocao.example.gov.vn")
    add_account(settings)
    with client_of(create_app(settings), base_url="https://testserver") as c:
        assert log_in(c).status_code == 303
        yield c


def email_list(page: str) -> list[str]:
    found = re.search(r'<textarea id="danh-sach"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, "the page has no list for an email"
    return html.unescape(found.group(1)).splitlines()


def cli_list(db: Path, cwd: Path) -> list[str]:
    """The list `kehoach reminders` prints under its first line."""
    out = ok(kehoach("reminders", "--year", "2024", "--db", str(db), "--date", "20/12/2024", "--out", "cv.docx",
                     cwd=cwd))
    return out.splitlines()[1:]


def test_the_page_lists_whom_kehoach_reminders_reminds_and_why(client, db, tmp_path):
    r = client.get(f"{PAGE}?ngay=20/12/2024")
    assert r.status_code == 200, r.text
    lines = email_list(r.text)
    assert lines == cli_list(db, tmp_path)
    assert "Sở Y tế — chưa gửi báo cáo" in lines
    assert f"Sở Công Thương — cần bổ sung báo cáo: {NOTE}" in lines
    assert "chưa có" in r.text and "Cấp liên kết cho 3 đơn vị chưa có" in r.text
    data = client.get(f"{PAGE}?ngay=20/12/2024&format=json").json()
    assert {a["agency"] for a in data["agencies"]} == {SCT, SYT, KHANH_SON} and data["date"] == "2024-12-20"


def test_the_letter_is_the_same_bytes_as_kehoach_reminders_out(client, db, tmp_path):
    r = client.get(f"{PAGE}/cong-van.docx?ngay=20/12/2024")
    assert r.status_code == 200, r.text
    assert 'filename="cong-van-don-doc-2024-2024-12-20.docx"' in r.headers["content-disposition"]
    cli_list(db, tmp_path)
    assert r.content == (tmp_path / "cv.docx").read_bytes()
    r2 = client.get(f"{PAGE}/cong-van.docx?ngay=20/12/2024&han=5/1/2025")
    ok(kehoach("reminders", "--year", "2024", "--db", str(db), "--date", "20/12/2024", "--by", "5/1/2025", "--out",
               "cv2.docx", cwd=tmp_path))
    assert r2.content == (tmp_path / "cv2.docx").read_bytes() != r.content
    with Store(db) as store:
        log = [(e.user, e.action, e.detail) for e in round_log(store, "khanh-hoa-1627", 2024)
               if e.action == "generate-reminder"]
    assert log == [(OFFICE_USER, "generate-reminder", "cong-van-don-doc-2024-2024-12-20.docx: 3 đơn vị")] * 2


def test_links_are_issued_for_those_without_one_and_shown_only_then(client, db):
    from generator.returns.links import resolve

    client.get(PAGE)
    r = post_form(client, PAGE, {"ngay": "20/12/2024", "han": ""})
    assert r.status_code == 200, r.text
    lines = email_list(r.text)
    tokens = {}
    for line in lines:
        found = re.search(r" — https://baocao\.example\.gov\.vn/nop/([A-Za-z0-9_-]{43})$", line)
        assert found, line
        tokens[line.split(" — ")[0]] = found.group(1)
    with Store(db) as store:
        assert {resolve(store, t).agency for t in tokens.values()} == {SCT, SYT, KHANH_SON}
        issued = [(e.user, e.agency) for e in round_log(store, "khanh-hoa-1627", 2024) if e.action == "link-issue"]
    assert sorted(issued) == sorted((OFFICE_USER, a) for a in (SCT, SYT, KHANH_SON))
    again = client.get(f"{PAGE}?ngay=20/12/2024")
    assert not any(t in again.text for t in tokens.values())  # a link is shown once, when it is issued
    assert again.text.count("đã cấp lúc") == 3 and "Cấp liên kết cho" not in again.text
    assert all("/nop/" not in line for line in email_list(again.text))
    post_form(client, PAGE, {"ngay": "20/12/2024"})  # nobody without a link: nothing issued, nothing revoked
    with Store(db) as store:
        assert {resolve(store, t).agency for t in tokens.values()} == {SCT, SYT, KHANH_SON}


def test_issuing_links_without_the_csrf_token_is_refused(client, db):
    client.get(PAGE)
    r = client.post(PAGE, data={"ngay": "20/12/2024"})
    assert r.status_code == 403 and "thiếu mã chống giả mạo" in r.text
    with Store(db) as store:
        assert [e for e in round_log(store, "khanh-hoa-1627", 2024) if e.action == "link-issue"] == []


def test_nobody_to_remind_is_the_clis_sentence_and_no_letter(client, db, forms_2024, tmp_path):
    inbox = tmp_path / "cuoi"
    inbox.mkdir()
    for agency in (SYT, KHANH_SON):
        (inbox / f"{agency}.docx").write_bytes(forms_2024[agency])
    ok(kehoach("ingest", str(inbox), "--year", "2024", "--db", str(db), cwd=tmp_path))
    ok(kehoach("review", SCT, "--year", "2024", "--version", "1", "--state", "da-duyet", "--db", str(db),
               cwd=tmp_path))
    sentence = ok(kehoach("reminders", "--year", "2024", "--db", str(db), cwd=tmp_path)).strip()
    r = client.get(PAGE)
    assert r.status_code == 200 and sentence in html.unescape(r.text)
    r = client.get(f"{PAGE}/cong-van.docx")
    assert r.status_code == 404 and sentence in html.unescape(r.text)


def test_a_date_that_is_not_a_date_is_one_sentence(client):
    r = client.get(f"{PAGE}?ngay=mai")
    assert r.status_code == 400 and 'Ngày công văn "mai" không phải là ngày' in html.unescape(r.text)
    r = client.get(f"{PAGE}/cong-van.docx?ngay=20/12/2024&han=1/12/2024")
    assert r.status_code == 400 and "ở trước ngày công văn 20/12/2024" in html.unescape(r.text)


def test_without_base_url_a_link_is_the_address_the_page_was_reached_by(office_client):
    office_client.get(PAGE)  # a database with nothing received: every agency is to be reminded
    r = post_form(office_client, PAGE, {"ngay": "20/12/2024"})
    lines = email_list(r.text)
    assert lines and all(re.search(r" — http://testserver/nop/[A-Za-z0-9_-]{43}$", line) for line in lines), lines
