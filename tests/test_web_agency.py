"""The agency's page through its link (issue 16): `GET /nop/{token}` shows its own report of the year and nothing of
other agencies; `POST /nop/{token}` receives its filled form through the same checks as `kehoach ingest` (the sentence
of a refusal compared with the one the command line prints for the same file), within the size limit while the body
is read; a wrong, malformed or revoked token is one and the same 404."""

from __future__ import annotations

import asyncio
import html
import logging
import re
import sqlite3
from pathlib import Path

import pytest
from formfill import Fill, fill_form, kehoach, set_property
from webkit import add_account, client_of, log_in, post_form

from generator.plan.assignments import assignments
from generator.returns.links import issue, revoke
from generator.returns.store import Store

SCT = "so-cong-thuong"
SYT = "so-y-te"
STC = "so-tai-chinh"
YEAR = 2024
MB = 1024 * 1024


@pytest.fixture
def link(web_settings, plan):
    """A live link of Sở Công Thương's 2024 report."""
    from generator.web.app import create_app

    create_app(web_settings)  # the database created whole (schema 3), as `kehoach serve` does
    with Store(web_settings.db) as store:
        return f"/nop/{issue(store, plan.id, YEAR, SCT, by='test')}"


@pytest.fixture
def client(web_app):
    with client_of(web_app) as c:
        yield c


def submissions(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as c:
        return c.execute("SELECT agency, year, version, filename FROM submissions ORDER BY id").fetchall()


def send(client, url: str, data: bytes, name: str = "so-cong-thuong.docx"):
    client.get(url)  # the page first, as a browser does: its CSRF cookie
    return post_form(client, url, files={"tep": (name, data, "application/octet-stream")})


def error_line(page: str) -> str:
    found = re.findall(r'<p class="error" role="alert">(.*?)</p>', page, re.DOTALL)
    assert len(found) == 1, page
    return html.unescape(found[0])


def cli_refusal(tmp_path: Path, name: str, data: bytes, *options: str) -> str:
    """The line `kehoach ingest` prints for the same file, run from the folder holding it."""
    folder = tmp_path / "cli"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)
    r = kehoach("ingest", name, "--db", str(tmp_path / "cli.sqlite3"), *options, cwd=folder)
    assert r.returncode == 1, r.stdout + r.stderr
    lines = [line for line in r.stderr.splitlines() if line.startswith(f"Lỗi: {name}: ")]
    assert len(lines) == 1, r.stderr
    return lines[0]


# ------------------------------------------------------------------------------------------------ the page


def test_the_page_shows_the_agency_its_year_and_deadline_and_nothing_of_other_agencies(client, link, plan_2024):
    r = client.get(link)
    assert r.status_code == 200
    page = r.text
    assert '<html lang="vi">' in page
    assert "<strong>Sở Công Thương</strong>" in page
    assert "Nộp báo cáo năm 2024" in page
    assert "Hạn gửi báo cáo: ngày 15 tháng 12 năm 2024" in page
    assert "Chưa gửi báo cáo năm 2024" in page
    assert 'type="file"' in page and 'accept=".docx' in page and 'enctype="multipart/form-data"' in page
    assert re.search(r'<input type="hidden" name="csrftoken" value="[^"]+">', page)
    assert link.removeprefix("/nop/") not in page  # the secret is in the address bar only
    own = {a.task.id for at in assignments(plan_2024, YEAR) if at.agency.id == SCT for a in at.all}
    others = [at.agency.name for at in assignments(plan_2024, YEAR) if at.agency.id != SCT]
    assert len(others) > 20
    assert [n for n in others if n in page and n not in "Sở Công Thương"] == []
    foreign = [t.task for t in plan_2024.tasks if t.id not in own]
    assert [t for t in foreign if t in page] == []
    assert "Đăng xuất" not in page and "Tổng quan" not in page  # no office navigation


def test_the_page_shows_the_counted_version_its_state_and_the_offices_note(client, link, web_settings, forms_2024,
                                                                           plan_2024, tmp_path):
    filled = fill_form(forms_2024[SCT], {"nv14": Fill(result=["Đã tổ chức 03 lớp tập huấn"], status="Hoàn thành")})
    r = send(client, link, filled)
    assert r.status_code == 303, r.text
    note = "Bổ sung số liệu kinh phí của nhiệm vụ II.11 <b>trước 20/12</b>"
    from generator.returns.review import review_version

    with Store(web_settings.db) as store:
        review_version(store, plan_2024, YEAR, SCT, 1, "can-bo-sung", note, "Nguyễn Văn An")
    page = client.get(link).text
    assert "Phiên bản được tính</dt><dd>Phiên bản 1 (tệp so-cong-thuong.docx)" in page
    assert "<dt>Tình trạng</dt><dd>Cần bổ sung</dd>" in page
    assert "Văn phòng yêu cầu bổ sung" in page
    assert html.escape(note, quote=False) in page and "<b>trước" not in page  # escaped, never markup
    assert re.search(r"<dt>Nhận lúc</dt><dd>\d\d:\d\d ngày \d\d/\d\d/\d{4}</dd>", page)

    with Store(web_settings.db) as store:
        review_version(store, plan_2024, YEAR, SCT, 1, "da-duyet", "", "Nguyễn Văn An")
    page = client.get(link).text
    assert "<dt>Tình trạng</dt><dd>Đã duyệt</dd>" in page and "Văn phòng yêu cầu bổ sung" not in page


def test_a_wrong_malformed_revoked_or_reissued_token_is_one_and_the_same_404(client, link, web_settings, plan,
                                                                             caplog):
    caplog.set_level(logging.DEBUG)
    token = link.removeprefix("/nop/")
    wrong = "A" * 43
    answers = {}
    for name, path in (("wrong", f"/nop/{wrong}"), ("malformed", "/nop/abc%2F..%2Fx"), ("short", "/nop/abc"), ("empty", "/nop/"),
                       ("long", f"/nop/{token}x")):
        answers[name] = client.get(path)
    with Store(web_settings.db) as store:
        revoke(store, plan.id, YEAR, SCT, by="test")
    answers["revoked"] = client.get(link)
    with Store(web_settings.db) as store:
        issue(store, plan.id, YEAR, SCT, by="test")
    answers["reissued (old link)"] = client.get(link)
    bodies = {r.text for r in answers.values()}
    assert {r.status_code for r in answers.values()} == {404}
    assert len(bodies) == 1, answers.keys()
    body = bodies.pop()
    sentences = re.findall(r'<p class="error" role="alert">(.*?)</p>', body)
    assert sentences == ["đường dẫn nộp báo cáo này không dùng được (sai, đã bị thu hồi hoặc đã được cấp lại); hãy "
                         "liên hệ văn phòng theo dõi báo cáo để được gửi đường dẫn mới"]
    main = body[body.index("<main>"):body.index("</main>")]
    assert re.sub(r"<[^>]+>|\s", "", main) == re.sub(r"<[^>]+>|\s", "", sentences[0])  # nothing else
    assert token not in body and wrong not in body and "Sở Công Thương" not in body
    r = post_form(client, link, files={"tep": ("so-cong-thuong.docx", b"x")})
    assert r.status_code == 404 and r.text == body
    server_side = [r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert not [m for m in server_side if token in m or wrong in m]  # (the test client's own log aside)


# ------------------------------------------------------------------------------------------------ uploads


def test_the_agencys_form_is_stored_as_its_new_version_recorded_as_the_link(client, link, web_settings, forms_2024,
                                                                           tmp_path):
    filled = fill_form(forms_2024[SCT], {"nv14": Fill(result=["Đã tổ chức 03 lớp tập huấn cho 120 học viên"],
                                                      status="Hoàn thành")})
    r = send(client, link, filled)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"{link}?da-nhan=1"
    page = client.get(r.headers["location"]).text
    assert "Đã nhận phiên bản 1" in page and "<dt>Tình trạng</dt><dd>Đã nhận</dd>" in page
    assert submissions(web_settings.db) == [(SCT, YEAR, 1, "so-cong-thuong.docx")]

    r = kehoach("show", SCT, "--year", str(YEAR), "--db", str(web_settings.db), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Phiên bản được tính: 1 (Đã nhận)" in r.stdout
    assert "Đã tổ chức 03 lớp tập huấn cho 120 học viên" in r.stdout
    assert re.search(r"— lien-ket:so-cong-thuong — nhận phiên bản 1 \(tệp so-cong-thuong\.docx\)", r.stdout), r.stdout

    again = send(client, link, filled)  # the very same file: nothing changes
    assert again.status_code == 303 and again.headers["location"] == f"{link}?da-co=1"
    assert "Tệp này đã được nhận trước đây (phiên bản 1)" in client.get(again.headers["location"]).text
    second = fill_form(forms_2024[SCT], {"nv14": Fill(result=["Bản sửa"], status="Hoàn thành")})
    r = send(client, link, second)
    assert r.headers["location"] == f"{link}?da-nhan=2"
    page = client.get(r.headers["location"]).text
    assert "Đã nhận phiên bản 2" in page and "Phiên bản 2 (tệp so-cong-thuong.docx), trong 2 phiên bản đã gửi" in page
    assert [s[2] for s in submissions(web_settings.db)] == [1, 2]


def test_another_agencys_form_is_refused_with_the_sentence_of_the_command_line(client, link, web_settings,
                                                                                forms_2024, tmp_path):
    data = fill_form(forms_2024[SYT], {})
    r = send(client, link, data, name="so-y-te.docx")
    assert r.status_code == 422
    line = error_line(r.text)
    assert line == cli_refusal(tmp_path, "so-y-te.docx", data, "--year", str(YEAR), "--agency", SCT)
    assert "không phải của Sở Công Thương" in line
    assert submissions(web_settings.db) == []
    own = tmp_path / "cli" / "so-cong-thuong.docx"  # `ingest --agency` takes the agency's own form
    own.write_bytes(forms_2024[SCT])
    r = kehoach("ingest", own.name, "--db", "cli.sqlite3", "--year", str(YEAR), "--agency", "Sở Công Thương",
                cwd=own.parent)
    assert r.returncode == 0 and "Đã nhận: so-cong-thuong.docx — Sở Công Thương, năm 2024, phiên bản 1" in r.stdout


def test_a_form_of_another_year_or_plan_is_refused_with_the_sentence_of_the_command_line(client, link, web_settings,
                                                                                          forms_2024, tmp_path):
    from generator.forms.pack import build_pack
    from generator.forms.render import FormTemplate
    from generator.paths import templates_dir
    from generator.plan.loader import plan_of_year

    other_year = build_pack(plan_of_year(None, 2025), 2025, FormTemplate(templates_dir() / "bao-cao-don-vi.docx"))
    cases = {
        "nam-2025.docx": other_year.files[f"{SCT}.docx"],
        "ke-hoach-khac.docx": set_property(forms_2024[SCT], "kehoach.plan", "ke-hoach-khac"),
    }
    for name, data in cases.items():
        r = send(client, link, data, name=name)
        assert r.status_code == 422, name
        line = error_line(r.text)
        assert line == cli_refusal(tmp_path, name, data, "--year", str(YEAR), "--agency", SCT)
    assert "biểu mẫu là báo cáo năm 2025, không phải năm 2024 đang nhận" in cli_refusal(
        tmp_path, "nam-2025.docx", cases["nam-2025.docx"], "--year", str(YEAR))
    assert submissions(web_settings.db) == []


def test_a_form_passed_off_as_the_agencys_own_is_refused(client, link, web_settings, forms_2024, tmp_path):
    forged = set_property(fill_form(forms_2024[STC], {}), "kehoach.agency", SCT)  # rows Sở Công Thương has not
    r = send(client, link, forged, name="so-cong-thuong.docx")
    assert r.status_code == 422
    line = error_line(r.text)
    assert "không phải nhiệm vụ giao cho Sở Công Thương năm 2024" in line
    assert line == cli_refusal(tmp_path, "so-cong-thuong.docx", forged, "--year", str(YEAR))
    assert submissions(web_settings.db) == []


@pytest.fixture(scope="module")
def hostile_forms(forms_2024, tmp_path_factory) -> dict[str, bytes]:
    from test_hostile import BILLION_LAUGHS, XXE, macro_document, replaced, zip_bomb

    form = forms_2024[SCT]
    bomb = tmp_path_factory.mktemp("bomb") / "zip-bomb.docx"
    zip_bomb(bomb, form)
    return {
        "zip-bomb.docx": bomb.read_bytes(),
        "billion-laughs.docx": replaced(form, "word/document.xml", BILLION_LAUGHS),
        "xxe.docx": replaced(form, "docProps/custom.xml", XXE),
        "co-macro.docm": macro_document(form),
        "word-cu.docx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096),
    }


@pytest.mark.parametrize("name", ["zip-bomb.docx", "billion-laughs.docx", "xxe.docx", "co-macro.docm",
                                  "word-cu.docx"])
def test_a_hostile_file_is_refused_as_ingest_refuses_it(client, link, web_settings, hostile_forms, name, tmp_path):
    data = hostile_forms[name]
    r = send(client, link, data, name=name)
    assert r.status_code == 422
    line = error_line(r.text)
    assert line == cli_refusal(tmp_path, name, data, "--year", str(YEAR), "--agency", SCT)
    assert "root:" not in r.text  # the XXE's /etc/passwd never read
    assert submissions(web_settings.db) == []


def test_a_file_over_the_form_limit_is_refused_by_its_size(client, link, web_settings, forms_2024, tmp_path):
    data = forms_2024[SCT] + bytes(25 * MB - len(forms_2024[SCT]))
    r = send(client, link, data, name="lon.docx")
    assert r.status_code == 422
    line = error_line(r.text)
    assert line == "Lỗi: lon.docx: tệp quá lớn (25.0 MB; giới hạn 20 MB)"
    assert line == cli_refusal(tmp_path, "lon.docx", data, "--year", str(YEAR), "--agency", SCT)
    assert submissions(web_settings.db) == []


def test_the_uploads_name_is_only_a_label_escaped_never_a_path(client, link, web_settings, forms_2024, tmp_path):
    name = 'C:\\Users\\van-thu\\..\\<img src=x onerror=alert(1)>.docx'
    r = send(client, link, forms_2024[SCT], name=name)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"]).text
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;.docx" in page
    assert submissions(web_settings.db) == [(SCT, YEAR, 1, "<img src=x onerror=alert(1)>.docx")]
    assert not list(tmp_path.rglob("*onerror*"))  # nothing written under the name anywhere


def test_no_file_is_one_sentence(client, link, web_settings):
    client.get(link)
    r = post_form(client, link, files={"tep": ("", b"", "application/octet-stream")})
    assert r.status_code == 400
    assert error_line(r.text) == "Lỗi: chưa chọn tệp; hãy chọn tệp biểu mẫu .docx đã điền rồi bấm Gửi báo cáo"
    assert submissions(web_settings.db) == []


def test_an_upload_without_the_csrf_token_is_refused(client, link, web_settings, forms_2024):
    client.get(link)
    r = client.post(link, files={"tep": ("so-cong-thuong.docx", forms_2024[SCT])})
    assert r.status_code == 403
    assert "thiếu mã chống giả mạo" in r.text
    r = client.post(link, data={"csrftoken": "gia-mao"}, files={"tep": ("so-cong-thuong.docx", forms_2024[SCT])})
    assert r.status_code == 403
    assert submissions(web_settings.db) == []


def test_an_office_session_changes_nothing_on_the_agencys_page(web_app, web_settings, link, forms_2024, tmp_path):
    add_account(web_settings)
    with client_of(web_app) as c:
        assert log_in(c).status_code == 303
        page = c.get(link).text
        assert "Đăng xuất" not in page and "Sở Công Thương" in page
        r = send(c, link, forms_2024[SCT])
        assert r.status_code == 303
    r = kehoach("show", SCT, "--year", str(YEAR), "--db", str(web_settings.db), cwd=tmp_path)
    assert "— lien-ket:so-cong-thuong — nhận phiên bản 1" in r.stdout, r.stdout


# ------------------------------------------------------------------------------------------------ the size limit


def asgi_post(app, path: str, chunks, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    """POST to the app as the server calls it: the body handed over chunk by chunk from `chunks` (an iterator)."""
    sent: list[dict] = []

    async def receive():
        try:
            return {"type": "http.request", "body": next(chunks), "more_body": True}
        except StopIteration:
            return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), *headers], "client": ("127.0.0.1", 50000),
             "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_a_200_mb_body_is_cut_off_at_the_limit_while_it_is_read(web_app, web_settings, link):
    limit = web_settings.upload_limit
    read = 0

    def body():  # 200 MB in 1 MB chunks, without a declared length; reading past the limit + 1 MB is the bug
        nonlocal read
        chunk = bytes(MB)
        for _ in range(200):
            if read > limit + MB:
                raise AssertionError(f"the body was read past the limit: {read} bytes")
            read += len(chunk)
            yield chunk

    boundary = b"kehoach-boundary"
    status, answer = asgi_post(web_app, link, body(),
                               [(b"content-type", b"multipart/form-data; boundary=" + boundary),
                                (b"transfer-encoding", b"chunked")])
    assert status == 413
    assert read <= limit + MB
    assert "dữ liệu gửi lên quá lớn (tối đa 64 MB một lần gửi)" in answer.decode()
    assert submissions(web_settings.db) == []

    read = 0  # a declared length over the limit: refused before a byte of the body is read
    status, _ = asgi_post(web_app, link, body(), [(b"content-type", b"multipart/form-data; boundary=" + boundary),
                                                  (b"content-length", str(200 * MB).encode())])
    assert status == 413 and read == 0


# ------------------------------------------------------------------------------------------------ pack --base-url


def pack_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def closing_links(folder: Path) -> dict[str, str]:
    """agency id -> the link said in its form's closing paragraph."""
    import docx

    found = {}
    for path in sorted(folder.glob("*.docx")):
        texts = [p.text for p in docx.Document(str(path)).paragraphs if "Gửi báo cáo qua đường dẫn" in p.text]
        assert len(texts) == 1, (path.name, texts)
        assert texts[0].startswith(("Trên đây là báo cáo", "Kết quả trên được tổng hợp")), texts[0]
        match = re.search(r"\. Gửi báo cáo qua đường dẫn: (https://baocao\.example\.gov\.vn/nop/[A-Za-z0-9_-]{43}) "
                          r"\./\.$", texts[0])
        assert match, texts[0]
        found[path.stem] = match.group(1)
    return found


def test_pack_with_base_url_says_each_agencys_own_link_in_its_form(tmp_path, plan):
    from generator.plan.loader import plan_of_year
    from generator.returns.review import agency_name
    from generator.web.app import create_app
    from generator.web.settings import WebSettings

    db = tmp_path / "bc.sqlite3"
    r = kehoach("pack", "--year", str(YEAR), "--out", "truoc", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    before = pack_files(tmp_path / "truoc")

    r = kehoach("pack", "--year", str(YEAR), "--out", "lien-ket", "--base-url", "https://baocao.example.gov.vn/",
                "--db", str(db), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    forms = sorted(p.stem for p in (tmp_path / "lien-ket").glob("*.docx"))
    assert f"Đã cấp {len(forms)} liên kết nộp báo cáo" in r.stdout
    links = closing_links(tmp_path / "lien-ket")
    assert sorted(links) == forms and len(set(links.values())) == len(forms)
    app = create_app(WebSettings(db=db))
    with client_of(app) as c:
        for agency in (SCT, SYT):
            page = c.get(links[agency].removeprefix("https://baocao.example.gov.vn")).text
            name = agency_name(plan_of_year(None, YEAR), YEAR, agency)
            assert f"<strong>{name}</strong>" in page

        # links already live: refused, nothing written; --reissue-links replaces them (the old ones stop working)
        r = kehoach("pack", "--year", str(YEAR), "--out", "lan-hai", "--base-url", "https://baocao.example.gov.vn",
                    "--db", str(db), cwd=tmp_path)
        assert r.returncode == 1 and not (tmp_path / "lan-hai").exists()
        assert f"Lỗi: {len(forms)} đơn vị đã có liên kết nộp báo cáo năm 2024" in r.stderr
        assert "hãy chạy lại với --reissue-links" in r.stderr and "Traceback" not in r.stderr
        r = kehoach("pack", "--year", str(YEAR), "--out", "lan-hai", "--base-url", "https://baocao.example.gov.vn",
                    "--reissue-links", "--db", str(db), cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        again = closing_links(tmp_path / "lan-hai")
        assert not set(again.values()) & set(links.values())
        assert c.get(links[SCT].removeprefix("https://baocao.example.gov.vn")).status_code == 404
        assert c.get(again[SCT].removeprefix("https://baocao.example.gov.vn")).status_code == 200

    # without --base-url the pack is what it was, byte for byte (the links in the database change nothing)
    r = kehoach("pack", "--year", str(YEAR), "--out", "sau", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert pack_files(tmp_path / "sau") == before
    for bad in (["--base-url", "baocao.example.gov.vn"], ["--reissue-links"]):
        r = kehoach("pack", "--year", str(YEAR), "--out", "sai", "--db", str(db), *bad, cwd=tmp_path)
        assert r.returncode != 0 and r.stderr.startswith("Lỗi: ") and not (tmp_path / "sai").exists(), r.stderr
