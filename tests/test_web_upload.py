"""The office's upload page (/ke-hoach/{plan}/{year}/tai-len): several forms at once, a result line per file worded
as `kehoach ingest` prints it, the received date and the office user in the history, the limits while the body is
read, CSRF."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from formfill import Fill, fill_form, kehoach, set_property
from test_hostile import BILLION_LAUGHS, replaced
from webkit import OFFICE_USER, add_account, client_of, log_in, post_form

from generator.returns.store import Store

SCT, STC, SYT = "so-cong-thuong", "so-tai-chinh", "so-y-te"
URL = "/ke-hoach/khanh-hoa-1627/2024/tai-len"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def result_lines(page: str) -> list[str]:
    """The result lines the page shows (each file's line, then the count), as a clerk reads them."""
    items = re.findall(r'<li class="result [^"]*">(.*?)</li>\s*(?=<li class="result|</ul>\s*</section>)', page, re.S)
    out = []
    for item in items:
        first = re.sub(r"<ul>.*", "", item, flags=re.S)
        out.append(" ".join(html.unescape(re.sub(r"<[^>]+>", "", first)).split()))
    return out


def without_times(line: str) -> str:
    return re.sub(r"nhận lúc \d\d:\d\d ngày \d\d/\d\d/\d{4}", "nhận lúc …", line)


@pytest.fixture
def batch(forms_2024):
    """(file name, bytes) in the order sent: a good form, the same form again under another name, Sở Y tế's form of
    another plan, a hostile file (billion laughs) and Sở Tài chính's good form."""
    good = fill_form(forms_2024[SCT], {"nv14": Fill(result=["Đã tổ chức 03 lớp tập huấn."], status="Hoàn thành")})
    return [
        (f"{SCT}.docx", good),
        (f"{SCT} (1).docx", good),
        (f"{SYT}.docx", set_property(forms_2024[SYT], "kehoach.plan", "quang-nam-99")),
        ("billion-laughs.docx", replaced(forms_2024[SCT], "word/document.xml", BILLION_LAUGHS)),
        (f"{STC}.docx", forms_2024[STC]),
    ]


def upload(client, files, received: str | None = "2024-12-10", url: str = URL):
    data = {} if received is None else {"ngay-nhan": received}
    return post_form(client, url, data, files=[("tep", (name, content, DOCX)) for name, content in files])


def test_several_files_give_the_lines_ingest_prints(office_client, web_settings, batch, tmp_path):
    r = upload(office_client, batch)
    assert r.status_code == 200, r.text
    shown = result_lines(r.text)
    assert shown[0] == f"Đã nhận: {SCT}.docx — Sở Công Thương, năm 2024, phiên bản 1"
    assert shown[1].startswith(f"Bỏ qua (đã có): {SCT} (1).docx — Sở Công Thương, năm 2024, phiên bản 1 (nhận lúc ")
    assert shown[2].startswith(f"Lỗi: {SYT}.docx: biểu mẫu thuộc kế hoạch \"quang-nam-99\"")
    assert shown[3].startswith("Lỗi: billion-laughs.docx: ") and "DOCTYPE/ENTITY" in shown[3]
    assert shown[4] == f"Đã nhận: {STC}.docx — Sở Tài chính, năm 2024, phiên bản 1"
    assert shown[5] == "Đã nhận 2 tệp mới, 1 tệp đã có, 2 lỗi."
    assert len(shown) == 6

    # the same files given to `kehoach ingest`, in the same order: the same sentences
    folder = tmp_path / "cli"
    folder.mkdir()
    for name, content in batch:
        (folder / name).write_bytes(content)
    cli = kehoach("ingest", *(name for name, _ in batch), "--year", "2024", "--received", "10/12/2024", "--db",
                  "bc.sqlite3", cwd=folder)
    assert cli.returncode == 1, cli.stderr
    printed = [line for line in cli.stdout.splitlines() if not line.startswith("    ")]
    assert [without_times(x) for x in printed[:-1]] == [without_times(x) for x in (shown[0], shown[1], shown[4])]
    assert printed[-1].startswith(shown[5].rstrip(".") + "; cơ sở dữ liệu: ")
    assert cli.stderr.splitlines() == [shown[2], shown[3]]


def test_the_received_date_and_the_office_user_are_stored(office_client, web_settings, batch):
    assert upload(office_client, batch[:1], received="2024-12-20").status_code == 200
    with Store(web_settings.db) as store:
        (s,) = store.submissions("khanh-hoa-1627", 2024)
        events = store.events("khanh-hoa-1627", 2024, SCT)
    assert s.arrived_on == "2024-12-20"
    assert [e.user for e in events] == [OFFICE_USER]
    r = office_client.get("/ke-hoach/khanh-hoa-1627/2024/tai-len")
    assert f'value="{dt.date.today().isoformat()}"' in r.text  # the date field defaults to today
    assert 'type="file" multiple' in r.text and 'enctype="multipart/form-data"' in r.text
    data = office_client.get("/ke-hoach/khanh-hoa-1627/2024/tai-len?format=json").json()
    assert data["year"] == 2024 and data["received"] == dt.date.today().isoformat()


def test_a_date_typed_by_hand_is_read_and_a_date_to_come_is_refused(office_client, web_settings, batch):
    assert upload(office_client, batch[:1], received="9/12/2024").status_code == 200
    with Store(web_settings.db) as store:
        assert [s.arrived_on for s in store.submissions("khanh-hoa-1627", 2024)] == ["2024-12-09"]
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    r = upload(office_client, batch[4:], received=tomorrow.isoformat())
    assert r.status_code == 400
    assert (f"Lỗi: Ngày nhận {tomorrow:%d/%m/%Y} là ngày trong tương lai; hãy ghi ngày các báo cáo đến"
            in html.unescape(r.text))
    r = upload(office_client, batch[4:], received="hôm qua")
    assert r.status_code == 400 and 'Ngày nhận "hôm qua" không phải là ngày' in html.unescape(r.text)
    with Store(web_settings.db) as store:
        assert [s.agency for s in store.submissions("khanh-hoa-1627", 2024)] == [SCT]  # nothing else stored


def test_no_file_chosen_is_one_sentence(office_client):
    r = post_form(office_client, URL, {"ngay-nhan": "2024-12-10"}, files=[("tep", ("", b"", "application/octet-stream"))])
    assert r.status_code == 400 and "chưa chọn tệp nào" in r.text


def test_a_file_over_the_limit_is_cut_off_and_the_others_are_received(office_client, batch, tmp_path):
    from generator.returns.package import MAX_FILE_BYTES

    big = batch[0][1] + bytes(MAX_FILE_BYTES)
    r = upload(office_client, [("to-qua.docx", big), batch[4]])
    assert r.status_code == 200, r.text
    assert result_lines(r.text)[:2] == ["Lỗi: to-qua.docx: tệp quá lớn (20.0 MB; giới hạn 20 MB)",
                                        f"Đã nhận: {STC}.docx — Sở Tài chính, năm 2024, phiên bản 1"]
    (tmp_path / "to-qua.docx").write_bytes(big)  # the sentence `kehoach ingest` prints for the same file
    cli = kehoach("ingest", "to-qua.docx", "--year", "2024", "--db", "bc.sqlite3", cwd=tmp_path)
    assert cli.stderr.strip() == result_lines(r.text)[0]


def test_a_part_is_not_kept_past_the_file_limit_while_it_is_read(monkeypatch):
    """The reader stops keeping a file's bytes as soon as they pass the limit (not after reading it whole)."""
    import asyncio

    from starlette.requests import Request

    from generator.web import upload as web_upload

    monkeypatch.setattr(web_upload, "MAX_FILE_BYTES", 1000)
    kept = []
    original = web_upload._Reader.on_part_data

    def spy(self, data, start, end):
        original(self, data, start, end)
        kept.append(len(self.part.data))

    monkeypatch.setattr(web_upload._Reader, "on_part_data", spy)
    boundary = "xyz"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"tep\"; filename=\"a.docx\"\r\n\r\n".encode()
            + b"a" * 300_000 + f"\r\n--{boundary}--\r\n".encode())
    chunks = [body[i:i + 4096] for i in range(0, len(body), 4096)]

    async def receive():
        return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}

    scope = {"type": "http", "method": "POST", "path": "/", "headers": [
        (b"content-type", f"multipart/form-data; boundary={boundary}".encode())]}
    form = asyncio.run(web_upload.read_upload(Request(scope, receive)))
    assert max(kept) <= 1000
    assert [(u.name, u.data, u.size) for u in form.files] == [("a.docx", b"", 300_000)]


def test_a_body_over_the_total_limit_is_refused_and_nothing_is_stored(tmp_path, batch):
    from generator.web.app import create_app
    from generator.web.settings import WebSettings

    settings = WebSettings(db=tmp_path / "db.sqlite3", upload_limit=1024 * 1024)
    add_account(settings)
    with client_of(create_app(settings)) as client:
        assert log_in(client).status_code == 303
        r = upload(client, [batch[0], ("dem.docx", bytes(1024 * 1024))])
    assert r.status_code == 413 and "dữ liệu gửi lên quá lớn (tối đa 1 MB" in r.text
    with Store(settings.db) as store:
        assert store.submissions("khanh-hoa-1627", 2024) == []


def test_a_file_name_is_only_shown(office_client, web_settings, batch):
    r = upload(office_client, [("..\\..\\../etc/<script>x.docx", batch[4][1])])
    assert r.status_code == 200
    assert "<script>x" not in r.text and "Đã nhận: &lt;script&gt;x.docx — Sở Tài chính" in r.text
    with Store(web_settings.db) as store:
        (s,) = store.submissions("khanh-hoa-1627", 2024)
    assert s.filename == "<script>x.docx"


def test_an_upload_without_the_csrf_token_is_refused(office_client, web_settings, batch):
    r = office_client.post(URL, data={"ngay-nhan": "2024-12-10"}, files=[("tep", (f"{STC}.docx", batch[4][1], DOCX))])
    assert r.status_code == 403 and "thiếu mã chống giả mạo" in r.text
    with Store(web_settings.db) as store:
        assert store.submissions("khanh-hoa-1627", 2024) == []


def test_another_plan_or_a_year_before_the_plan_is_not_found(office_client, batch):
    assert office_client.get("/ke-hoach/quang-nam-99/2024/tai-len").status_code == 404
    r = office_client.get("/ke-hoach/khanh-hoa-1627/2019/tai-len")
    assert r.status_code == 404 and "không có báo cáo năm 2019" in r.text
    assert upload(office_client, batch[:1], url="/ke-hoach/quang-nam-99/2024/tai-len").status_code == 404


def test_a_form_of_another_year_is_refused_as_ingest_refuses_it(office_client, forms_2024):
    r = upload(office_client, [(f"{STC}.docx", set_property(forms_2024[STC], "kehoach.year", "2025"))])
    line = result_lines(r.text)[0]
    assert line.startswith(f"Lỗi: {STC}.docx: ") and "2025" in line


def test_the_navigations_upload_and_documents_lead_to_the_year_reported_now(office_client):
    year = max(dt.date.today().year, 2023)
    for page in ("tai-len", "tai-lieu"):
        r = office_client.get(f"/{page}")
        assert r.status_code == 303 and r.headers["location"] == f"/ke-hoach/khanh-hoa-1627/{year}/{page}"
        assert office_client.get(r.headers["location"]).status_code == 200
