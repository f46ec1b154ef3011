"""The documents page (/ke-hoach/{plan}/{year}/tai-lieu) and its downloads: the same bytes as `kehoach pack`,
`appendix` and `summary` write for the same plan, year and database; built in a private temporary folder that is
gone once the file is sent (nothing under output/); each one a line of the round's log."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pytest
from formfill import Fill, fill_form, kehoach
from webkit import OFFICE_USER, post_form

from generator.returns.roundlog import round_log
from generator.returns.store import Store

SCT, STC = "so-cong-thuong", "so-tai-chinh"
DOCS = "/ke-hoach/khanh-hoa-1627/2024/tai-lieu"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """The test runs in an empty folder with its own temporary folder: what a download leaves behind shows."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return work, temp


@pytest.fixture
def received(office_client, forms_2024):
    """Two 2024 forms received through the upload page (Sở Công Thương's filled in)."""
    good = fill_form(forms_2024[SCT], {"nv14": Fill(result=["Đã tổ chức 03 lớp tập huấn."], status="Hoàn thành")})
    r = post_form(office_client, "/ke-hoach/khanh-hoa-1627/2024/tai-len", {"ngay-nhan": "2024-12-10"},
                  files=[("tep", (f"{SCT}.docx", good, DOCX)), ("tep", (f"{STC}.docx", forms_2024[STC], DOCX))])
    assert r.status_code == 200 and "Đã nhận 2 tệp mới" in r.text
    return office_client


def download(client, path: str):
    r = client.get(f"{DOCS}/{path}")
    assert r.status_code == 200, r.text
    return r


def test_the_pack_zip_holds_exactly_the_files_kehoach_pack_writes(office_client, form_pack, isolated):
    work, temp = isolated
    r = download(office_client, "bo-bieu-mau.zip")
    assert r.headers["content-type"] == "application/zip"
    assert 'filename="bo-bieu-mau-khanh-hoa-1627-2024.zip"' in r.headers["content-disposition"]
    folder = form_pack(2024)
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        names = zf.namelist()
        assert names == sorted(p.name for p in folder.iterdir())
        for name in names:
            assert zf.read(name) == (folder / name).read_bytes(), name
    assert download(office_client, "bo-bieu-mau.zip").content == r.content  # deterministic
    assert list(work.iterdir()) == [] and list(temp.iterdir()) == []  # no output/, the temporary folder removed


def test_one_form_is_the_same_bytes_as_in_the_pack(office_client, form_pack, isolated):
    r = download(office_client, f"bieu-mau/{SCT}.docx")
    assert r.content == (form_pack(2024) / f"{SCT}.docx").read_bytes()
    assert 'filename="so-cong-thuong.docx"' in r.headers["content-disposition"]
    assert list(isolated[1].iterdir()) == []


@pytest.mark.parametrize("agency", ["khong-co-don-vi-nay", "..%2F..%2Fmanifest", "%2e%2e", "manifest"])
def test_an_unknown_agency_is_not_found(office_client, agency, isolated):
    r = office_client.get(f"{DOCS}/bieu-mau/{agency}.docx")
    assert r.status_code == 404
    assert "PK" not in r.text[:2]
    assert list(isolated[1].iterdir()) == []


def test_the_appendix_is_the_one_kehoach_appendix_writes_for_the_years_deadline(office_client, form_pack, tmp_path):
    r = download(office_client, "phu-luc.xlsx")
    assert r.content == (form_pack(2024) / "phu-luc.xlsx").read_bytes()
    cli = kehoach("appendix", "--as-of", "15/12/2024", "--out", "phu-luc.xlsx", cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr
    assert r.content == (tmp_path / "phu-luc.xlsx").read_bytes()


def test_the_summary_is_the_one_kehoach_summary_writes(received, web_settings, tmp_path, isolated):
    docx_file, xlsx_file = download(received, "tong-hop.docx"), download(received, "tong-hop.xlsx")
    cli = kehoach("summary", "--year", "2024", "--db", str(web_settings.db), "--out", str(tmp_path / "th"),
                  cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr
    assert docx_file.content == (tmp_path / "th" / "bao-cao-tong-hop.docx").read_bytes()
    assert xlsx_file.content == (tmp_path / "th" / "tong-hop.xlsx").read_bytes()
    import docx

    text = "\n".join(p.text for p in docx.Document(io.BytesIO(docx_file.content)).paragraphs)
    assert "Đã tổ chức 03 lớp tập huấn." in text or "03 lớp tập huấn" in "".join(
        c.text for t in docx.Document(io.BytesIO(docx_file.content)).tables for row in t.rows for c in row.cells)
    assert list(isolated[1].iterdir()) == []


def test_each_document_built_is_in_the_rounds_log(received, web_settings):
    for path in ("bo-bieu-mau.zip", f"bieu-mau/{SCT}.docx", "phu-luc.xlsx", "tong-hop.docx", "tong-hop.xlsx"):
        download(received, path)
    assert received.get(f"{DOCS}/bieu-mau/khong-co.docx").status_code == 404
    with Store(web_settings.db) as store:
        log = [(e.user, e.action, e.agency, e.detail) for e in round_log(store, "khanh-hoa-1627", 2024)
               if e.action.startswith("generate-")]
    assert log == [
        (OFFICE_USER, "generate-pack", None, "bo-bieu-mau.zip"),
        (OFFICE_USER, "generate-pack", SCT, f"bieu-mau/{SCT}.docx"),
        (OFFICE_USER, "generate-appendix", None, "phu-luc.xlsx"),
        (OFFICE_USER, "generate-summary", None, "tong-hop.docx"),
        (OFFICE_USER, "generate-summary", None, "tong-hop.xlsx"),
    ]


def test_the_documents_page_lists_every_download(office_client):
    r = office_client.get(DOCS)
    assert r.status_code == 200
    for path in ("bo-bieu-mau.zip", "phu-luc.xlsx", "tong-hop.docx", "tong-hop.xlsx", f"bieu-mau/{SCT}.docx"):
        assert f'href="{DOCS}/{path}"' in r.text
    assert "kehoach appendix --as-of 15/12/2024" in r.text
    data = office_client.get(f"{DOCS}?format=json").json()
    assert data["year"] == 2024 and any(f["agency"] == SCT for f in data["forms"])


def test_another_plan_or_year_is_not_found(office_client):
    assert office_client.get("/ke-hoach/quang-nam-99/2024/tai-lieu/phu-luc.xlsx").status_code == 404
    assert office_client.get("/ke-hoach/khanh-hoa-1627/2019/tai-lieu").status_code == 404


def test_a_download_needs_a_login(anon_client):
    r = anon_client.get(f"{DOCS}/tong-hop.docx")
    assert r.status_code == 303 and r.headers["location"].startswith("/dang-nhap?next=")


def test_nothing_is_built_from_a_path_in_the_request(office_client, isolated):
    for path in ("bieu-mau/..%2F..%2F..%2Fetc%2Fpasswd.docx", "bieu-mau/%2Fetc%2Fpasswd.docx"):
        assert office_client.get(f"{DOCS}/{path}").status_code == 404
    assert not (Path(isolated[0]) / "output").exists()


def test_an_amended_plan_gives_each_year_the_documents_of_the_plan_in_force_then(tmp_path):
    """With an amendment of 10/06/2025, the 2024 documents are those of the plan before it, the 2025 ones after it:
    each the bytes `kehoach pack` / `appendix --as-of <deadline>` write for that year."""
    import shutil

    from test_amendments import AMENDMENT
    from webkit import add_account, client_of, log_in

    from generator.paths import default_plan_dir
    from generator.web.app import create_app
    from generator.web.settings import WebSettings

    folder = tmp_path / "plan"
    shutil.copytree(default_plan_dir(), folder)
    (folder / "amendments").mkdir()
    (folder / "amendments" / "2025-999-kh-ubnd.yaml").write_text(AMENDMENT, encoding="utf-8")
    settings = WebSettings(db=tmp_path / "db.sqlite3", plan_dir=folder)
    add_account(settings)
    seen = {}
    with client_of(create_app(settings)) as client:
        assert log_in(client).status_code == 303
        for year in (2024, 2025):
            base = f"/ke-hoach/khanh-hoa-1627/{year}/tai-lieu"
            appendix, form = client.get(f"{base}/phu-luc.xlsx"), client.get(f"{base}/bieu-mau/{SCT}.docx")
            assert appendix.status_code == form.status_code == 200
            out = tmp_path / str(year)
            assert kehoach("pack", "--year", str(year), "--plan", str(folder), "--out", str(out),
                           cwd=tmp_path).returncode == 0
            assert kehoach("appendix", "--as-of", f"15/12/{year}", "--plan", str(folder), "--out",
                           str(tmp_path / f"phu-luc-{year}.xlsx"), cwd=tmp_path).returncode == 0
            assert appendix.content == (tmp_path / f"phu-luc-{year}.xlsx").read_bytes() == (out / "phu-luc.xlsx").read_bytes()
            assert form.content == (out / f"{SCT}.docx").read_bytes()
            seen[year] = appendix.content
    assert seen[2024] != seen[2025]
