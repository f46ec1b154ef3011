"""The office reviews versions (`kehoach review`, `kehoach show`), nothing is replaced without a trace (history), the
date a report arrived (`ingest --received`) and the year it belongs to; all through the command line as a clerk runs
it."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import re
import sqlite3
import zipfile
from pathlib import Path

import docx
import pytest
from formfill import Fill, W, edit_document, fill_form, kehoach, ok, refused, write

from generator.returns.read import read_form

SCT = "so-cong-thuong"
NHA_TRANG = "ubnd-thanh-pho-nha-trang"
REAL = "Bản báo cáo thật của Sở Công Thương: đã tổ chức 03 lớp tập huấn."





def rows(stdout: str) -> dict[str, list[str]]:
    """`kehoach status` table rows: agency name -> cells."""
    return {cells[0]: cells for line in stdout.splitlines() if "│" in line
            for cells in [[c.strip() for c in line.split("│")]]}


def dump(db: Path) -> str:
    with sqlite3.connect(db) as c:
        return "\n".join(c.iterdump())


def summary_text(tmp: Path, db: str = "bc.sqlite3") -> str:
    ok(kehoach("summary", "--year", "2024", "--db", db, "--out", "tong-hop", cwd=tmp))
    return "\n".join(p.text for p in docx.Document(tmp / "tong-hop" / "bao-cao-tong-hop.docx").paragraphs)


@pytest.fixture(scope="module")
def wrong_file_db(forms_2024, tmp_path_factory):
    """Sở Công Thương's real report (version 1), then a file named so-du-lich.docx carrying Sở Công Thương's identity
    (Sở Du lịch sent the blank form it got by mistake): version 2. Ingested once; each test gets a copy."""
    tmp = tmp_path_factory.mktemp("wrong-file")
    real = write(tmp / "dot-1", "so-cong-thuong.docx",
                 fill_form(forms_2024[SCT], {"nv14": Fill(result=[REAL], status="Hoàn thành")}))
    wrong = write(tmp / "dot-2", "so-du-lich.docx", forms_2024[SCT])
    ok(kehoach("ingest", str(real), "--year", "2024", "--received", "10/12/2024", "--db", "bc.sqlite3", cwd=tmp))
    r = kehoach("ingest", str(wrong), "--year", "2024", "--received", "12/12/2024", "--db", "bc.sqlite3", cwd=tmp)
    return tmp / "bc.sqlite3", r


@pytest.fixture
def wrong_file_round(wrong_file_db, tmp_path):
    db, r = wrong_file_db
    for companion in ("", "-wal"):
        if Path(f"{db}{companion}").exists():
            (tmp_path / f"bc.sqlite3{companion}").write_bytes(Path(f"{db}{companion}").read_bytes())
    return tmp_path, r


# ==================================================================================================== review


def test_wrong_file_is_warned_and_setting_it_aside_brings_version_1_back(wrong_file_round):
    tmp, r = wrong_file_round
    text = " ".join(ok(r).split())
    assert "Sở Công Thương, năm 2024, phiên bản 2" in text
    assert ('Cảnh báo: tên tệp "so-du-lich.docx" là tên biểu mẫu của Sở Du lịch, nhưng biểu mẫu là của Sở Công '
            "Thương: có thể đơn vị đã gửi nhầm tệp") in text
    assert ("Cảnh báo: bản này điền 0 nhiệm vụ, ít hơn 1 nhiệm vụ của phiên bản 1 đang được tính: có thể là tệp cũ "
            "hoặc gửi nhầm tệp") in text
    status = rows(ok(kehoach("status", "--year", "2024", "--db", "bc.sqlite3", "--today", "2024-12-10", cwd=tmp)))
    assert status["Sở Công Thương"][1:4] == ["Đã nộp", "2", "Đã nhận"]
    assert REAL not in summary_text(tmp)  # the wrong file counts until the office sets it aside

    r = kehoach("review", SCT, "--year", "2024", "--version", "2", "--state", "khong-dung",
                "--note", "Sở Du lịch gửi nhầm biểu mẫu của Sở Công Thương", "--db", "bc.sqlite3", cwd=tmp)
    assert " ".join(ok(r).split()) == (
        'Đã chuyển phiên bản 2 (tệp so-du-lich.docx) của Sở Công Thương năm 2024 từ "Đã nhận" sang "Không dùng"; '
        "phiên bản được tính: phiên bản 1.")
    status = rows(ok(kehoach("status", "--year", "2024", "--db", "bc.sqlite3", "--today", "2024-12-10", cwd=tmp)))
    assert status["Sở Công Thương"][1:4] == ["Đã nộp", "1", "Đã nhận"]
    assert REAL in summary_text(tmp)

    # the agency named by its form's file name, as on the file the clerk holds
    ok(kehoach("review", "so-cong-thuong.docx", "--year", "2024", "--version", "1", "--state", "da-duyet",
               "--db", "bc.sqlite3", cwd=tmp))
    status = rows(ok(kehoach("status", "--year", "2024", "--db", "bc.sqlite3", "--today", "2024-12-10", cwd=tmp)))
    assert status["Sở Công Thương"][1:4] == ["Đã nộp", "1", "Đã duyệt"]

    shown = ok(kehoach("show", SCT, "--year", "2024", "--db", "bc.sqlite3", cwd=tmp))
    lines = [line.strip() for line in shown.splitlines()]
    assert "Sở Công Thương — báo cáo năm 2024, Kế hoạch số 1627/KH-UBND" in lines
    assert "Phiên bản 1 (được tính) — Đã duyệt" in lines and "Phiên bản 2 — Không dùng" in lines
    v2 = lines[lines.index("Phiên bản 2 — Không dùng"):]
    assert v2[1] == "Ghi chú duyệt: Sở Du lịch gửi nhầm biểu mẫu của Sở Công Thương"
    assert v2[2] == "Tệp: so-du-lich.docx"
    assert any(line.startswith('Cảnh báo: tên tệp "so-du-lich.docx" là tên biểu mẫu của Sở Du lịch') for line in v2)
    assert "Tệp: so-cong-thuong.docx" in lines
    readings = lines[lines.index("Kết quả của phiên bản 1:"):lines.index("Lịch sử:")]
    assert "II.11 (chủ trì) — Hoàn thành" in readings and REAL in readings
    history = lines[lines.index("Lịch sử:") + 1:]
    user = getpass.getuser()
    expected = [
        f"{user} — nhận phiên bản 1 (tệp so-cong-thuong.docx), 2 cảnh báo",
        f"{user} — nhận phiên bản 2 (tệp so-du-lich.docx), 4 cảnh báo",
        f'{user} — phiên bản 2: "Đã nhận" → "Không dùng"; ghi chú: Sở Du lịch gửi nhầm biểu mẫu của Sở Công Thương',
        f'{user} — phiên bản 1: "Đã nhận" → "Đã duyệt"',
    ]
    assert [re.sub(r"^\d\d/\d\d/\d{4} \d\d:\d\d:\d\d — ", "", h) for h in history if h] == expected


def test_identical_content_is_warned(forms_2024, tmp_path):
    filled = fill_form(forms_2024[SCT], {"nv14": Fill(result=[REAL], status="Hoàn thành")})

    def stray_paragraph(root):  # the same report saved again: other bytes, same content
        body = root.find(W + "body")
        body.insert(len(body) - 1, root.makeelement(W + "p"))

    again = edit_document(filled, stray_paragraph)
    assert again != filled
    one = write(tmp_path / "a", "so-cong-thuong.docx", filled)
    two = write(tmp_path / "b", "so-cong-thuong.docx", again)
    ok(kehoach("ingest", str(one), "--year", "2024", "--db", "bc.sqlite3", cwd=tmp_path))
    text = " ".join(ok(kehoach("ingest", str(two), "--year", "2024", "--db", "bc.sqlite3", cwd=tmp_path)).split())
    assert ("phiên bản 2 Cảnh báo: không thay đổi nội dung so với phiên bản 1 đang được tính (tệp khác nhưng kết quả "
            "giống hệt)") in text
    assert "tên biểu mẫu" not in text and "ít hơn" not in text


def test_review_refusals(wrong_file_round):
    tmp, _ = wrong_file_round
    db = tmp / "bc.sqlite3"
    before = dump(db)
    base = ("review", SCT, "--year", "2024", "--db", "bc.sqlite3")
    cases = {
        ("--version", "1", "--state", "can-bo-sung"):
            'trạng thái "can-bo-sung" (cần bổ sung) phải kèm ghi chú nói rõ đơn vị cần bổ sung gì: thêm --note "..."',
        ("--version", "1", "--state", "can-bo-sung", "--note", "  "):
            'trạng thái "can-bo-sung" (cần bổ sung) phải kèm ghi chú nói rõ đơn vị cần bổ sung gì: thêm --note "..."',
        ("--version", "3", "--state", "da-duyet"):
            "Sở Công Thương có phiên bản 1, 2 của báo cáo năm 2024, không có phiên bản 3",
        ("--version", "1", "--state", "duyet"):
            'trạng thái "duyet" không có; hãy chọn một trong: da-nhan (đã nhận), can-bo-sung (cần bổ sung), '
            "da-duyet (đã duyệt), khong-dung (không dùng)",
    }
    for args, sentence in cases.items():
        assert sentence in refused(kehoach(*base, *args, cwd=tmp)), args
    assert "không có đơn vị" in refused(kehoach("review", "so-khong-co.docx", "--year", "2024", "--version", "1",
                                                "--state", "da-duyet", "--db", "bc.sqlite3", cwd=tmp))
    assert "Sở Du lịch chưa gửi báo cáo năm 2024" in refused(kehoach(
        "review", "so-du-lich", "--year", "2024", "--version", "1", "--state", "da-duyet", "--db", "bc.sqlite3",
        cwd=tmp))
    assert dump(db) == before  # nothing recorded


def test_can_bo_sung_is_listed_apart_in_status(wrong_file_round):
    tmp, _ = wrong_file_round
    ok(kehoach("review", SCT, "--year", "2024", "--version", "2", "--state", "can-bo-sung", "--note",
               "Gửi lại đúng biểu mẫu đã điền", "--db", "bc.sqlite3", cwd=tmp))
    out = ok(kehoach("status", "--year", "2024", "--db", "bc.sqlite3", "--today", "2024-12-10", cwd=tmp))
    assert rows(out)["Sở Công Thương"][1:4] == ["Đã nộp", "2", "Cần bổ sung"]
    # a report to be corrected is not counted as sent: the counts are on time + late + to correct + missing
    expected = len(rows(out))  # one row per agency that reports
    assert (f"Đã nộp 0/{expected} đơn vị (0 có cảnh báo, 0 nộp muộn); cần bổ sung 1; chưa nộp {expected - 1}."
            in " ".join(out.split()))
    lines = [line.strip() for line in out.splitlines()]
    i = lines.index("Cần bổ sung (1 đơn vị):")
    assert lines[i + 1] == "- Sở Công Thương (phiên bản 2): Gửi lại đúng biểu mẫu đã điền"


# ==================================================================================================== point 3


def test_received_date_decides_lateness(forms_2024, tmp_path):
    sct = write(tmp_path / "in", "so-cong-thuong.docx", forms_2024[SCT])
    nt = write(tmp_path / "in", "ubnd-thanh-pho-nha-trang.docx", forms_2024[NHA_TRANG])
    r = kehoach("ingest", str(sct), "--year", "2024", "--received", "15/12/2024", "--db", "bc.sqlite3", cwd=tmp_path)
    ok(r)
    ok(kehoach("ingest", str(nt), "--year", "2024", "--db", "bc.sqlite3", cwd=tmp_path))  # received today: late
    out = ok(kehoach("status", "--year", "2024", "--db", "bc.sqlite3", "--today", "2025-01-05", cwd=tmp_path))
    table = rows(out)
    assert table["Sở Công Thương"][1] == "Đã nộp" and table["Sở Công Thương"][4] == "15/12/2024"
    name = "Ủy ban nhân dân thành phố Nha Trang"
    assert table[name][1] == "Nộp muộn" and table[name][4] == f"{dt.date.today():%d/%m/%Y}"
    shown = ok(kehoach("show", "so-cong-thuong.docx", "--year", "2024", "--db", "bc.sqlite3", cwd=tmp_path))
    assert re.search(r"Nhận lúc: \d\d:\d\d ngày \d\d/\d\d/\d{4}; ngày đến \(--received\): 15/12/2024", shown)

    for bad, sentence in (("32/12/2024", '--received "32/12/2024" không phải là ngày'),
                          ("1/1/2999", "--received 01/01/2999 là ngày trong tương lai")):
        assert sentence in refused(kehoach("ingest", str(sct), "--year", "2024", "--received", bad, "--db",
                                           "other.sqlite3", cwd=tmp_path))
    assert not (tmp_path / "other.sqlite3").exists()


def test_form_of_another_year_needs_year(forms_2024, tmp_path):
    current = dt.date.today().year
    assert current != 2024
    form = write(tmp_path, "so-cong-thuong.docx", forms_2024[SCT])
    r = kehoach("ingest", str(form), "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert (f"Lỗi: {form}: biểu mẫu là báo cáo năm 2024, không phải năm báo cáo hiện tại {current}; hãy gửi đơn vị "
            f"biểu mẫu năm {current}, hoặc nếu đúng là báo cáo năm 2024 thì nhận bằng kehoach ingest --year 2024"
            ) in " ".join(r.stderr.split())
    assert "Đã nhận 0 tệp mới, 0 tệp đã có, 1 lỗi" in r.stdout
    ok(kehoach("ingest", str(form), "--year", "2024", "--db", "bc.sqlite3", cwd=tmp_path))


# ==================================================================================================== safety


def test_export_import_keeps_states_and_history(wrong_file_round):
    tmp, _ = wrong_file_round
    ok(kehoach("review", SCT, "--year", "2024", "--version", "2", "--state", "khong-dung", "--note", "nhầm tệp",
               "--db", "bc.sqlite3", cwd=tmp))
    ok(kehoach("review", SCT, "--year", "2024", "--version", "1", "--state", "can-bo-sung", "--note",
               "thiếu số liệu quý IV", "--db", "bc.sqlite3", cwd=tmp))
    assert "không có lỗi" in ok(kehoach("check-db", "--db", "bc.sqlite3", cwd=tmp))
    ok(kehoach("export", "--db", "bc.sqlite3", "--out", "sao-luu.zip", cwd=tmp))
    with zipfile.ZipFile(tmp / "sao-luu.zip") as zf:
        manifest = json.loads(zf.read("kehoach-sao-luu.json"))
    assert [(s["version"], s["review_state"], s["review_note"]) for s in manifest["submissions"]] == [
        (1, "can-bo-sung", "thiếu số liệu quý IV"), (2, "khong-dung", "nhầm tệp")]
    assert [(h["action"], h["state"]) for h in manifest["history"]] == [
        ("ingest", "da-nhan"), ("ingest", "da-nhan"), ("review", "khong-dung"), ("review", "can-bo-sung")]
    ok(kehoach("import", "sao-luu.zip", "--db", "khoi-phuc.sqlite3", cwd=tmp))
    assert "không có lỗi" in ok(kehoach("check-db", "--db", "khoi-phuc.sqlite3", cwd=tmp))
    show = ("show", SCT, "--year", "2024")
    assert ok(kehoach(*show, "--db", "khoi-phuc.sqlite3", cwd=tmp)) == ok(kehoach(*show, "--db", "bc.sqlite3", cwd=tmp))
    ok(kehoach("export", "--db", "khoi-phuc.sqlite3", "--out", "lan-2.zip", cwd=tmp))
    assert (tmp / "lan-2.zip").read_bytes() == (tmp / "sao-luu.zip").read_bytes()


def test_history_cannot_be_rewritten(wrong_file_round):
    tmp, _ = wrong_file_round
    with sqlite3.connect(tmp / "bc.sqlite3") as c:
        for sql in ("UPDATE history SET user = 'ai-do'", "DELETE FROM history"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                c.execute(sql)


def test_check_db_finds_a_state_the_history_does_not_explain(wrong_file_round):
    tmp, _ = wrong_file_round
    with sqlite3.connect(tmp / "bc.sqlite3") as c:  # a state changed behind kehoach's back
        c.execute("UPDATE submissions SET review_state = 'da-duyet' WHERE version = 1")
    r = kehoach("check-db", "--db", "bc.sqlite3", cwd=tmp)
    assert r.returncode == 1
    assert ('trạng thái duyệt "da-duyet" không khớp lịch sử (lần ghi cuối: "da-nhan")') in r.stderr


V1_SCHEMA = """
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY, plan TEXT NOT NULL, plan_version TEXT NOT NULL, year INTEGER NOT NULL,
    agency TEXT NOT NULL, version INTEGER NOT NULL, sha256 TEXT NOT NULL UNIQUE, received_at TEXT NOT NULL,
    filename TEXT NOT NULL, original BLOB NOT NULL, warnings TEXT NOT NULL, UNIQUE (plan, year, agency, version));
CREATE TABLE entries (
    submission_id INTEGER NOT NULL REFERENCES submissions(id), position INTEGER NOT NULL, task_id TEXT NOT NULL,
    code TEXT NOT NULL, role TEXT NOT NULL, result TEXT NOT NULL, status TEXT, status_text TEXT NOT NULL,
    note TEXT NOT NULL, PRIMARY KEY (submission_id, task_id));
CREATE TABLE sections (
    submission_id INTEGER NOT NULL REFERENCES submissions(id), section TEXT NOT NULL, text TEXT NOT NULL,
    PRIMARY KEY (submission_id, section));
CREATE INDEX submissions_by_agency ON submissions (plan, year, agency, version);
PRAGMA user_version = 1;
"""


def old_database(path: Path, plan_2024, forms: list[tuple[bytes, str, str]]) -> None:
    """A database as kehoach wrote it before reviews existed (schema version 1)."""
    import hashlib

    c = sqlite3.connect(path)
    c.executescript(V1_SCHEMA)
    for sid, (data, name, at) in enumerate(forms, 1):
        r = read_form(data, plan_2024)
        version = 1 + c.execute("SELECT COUNT(*) FROM submissions WHERE agency = ?", (r.agency,)).fetchone()[0]
        c.execute("INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (sid, r.plan, r.plan_version, r.year, r.agency, version, hashlib.sha256(data).hexdigest(), at, name,
                   data, json.dumps(list(r.warnings), ensure_ascii=False)))
        c.executemany("INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      [(sid, i, e.task_id, e.code, e.role, e.result, e.status, e.status_text, e.note)
                       for i, e in enumerate(r.entries)])
        c.executemany("INSERT INTO sections VALUES (?, ?, ?)", [(sid, k, v) for k, v in sorted(r.sections.items())])
    c.commit()
    c.close()


def test_old_database_still_works(plan_2024, forms_2024, tmp_path):
    v1 = fill_form(forms_2024[SCT], {"nv14": Fill(result=[REAL], status="Hoàn thành")})
    v2 = fill_form(forms_2024[SCT], {"nv14": Fill(result=["Bản gửi lại"], status="Đang thực hiện")})
    old_database(tmp_path / "cu.sqlite3", plan_2024, [(v1, "so-cong-thuong.docx", "2024-12-10T12:00:00Z"),
                                                      (v2, "so-cong-thuong.docx", "2024-12-20T12:00:00Z")])
    # read-only commands first: the old file is checked and backed up as it is, not changed
    before = (tmp_path / "cu.sqlite3").read_bytes()
    checked = " ".join(ok(kehoach("check-db", "--db", "cu.sqlite3", cwd=tmp_path)).split())
    assert "không có lỗi: 2 bản báo cáo của 1 đơn vị (năm 2024)" in checked
    assert "Chú ý: cơ sở dữ liệu có cấu trúc cũ (phiên bản 1, chưa có trạng thái duyệt và lịch sử)" in checked
    ok(kehoach("export", "--db", "cu.sqlite3", "--out", "cu.zip", cwd=tmp_path))
    assert (tmp_path / "cu.sqlite3").read_bytes() == before
    ok(kehoach("import", "cu.zip", "--db", "moi.sqlite3", cwd=tmp_path))
    first = dt.datetime(2024, 12, 10, 12, tzinfo=dt.timezone.utc).astimezone()
    unknown = (f"{first:%d/%m/%Y %H:%M:%S} — (không rõ: nhận trước khi kehoach ghi lịch sử) — nhận phiên bản 1 (tệp "
               "so-cong-thuong.docx), 2 cảnh báo")
    lines = [line.strip() for line in ok(kehoach("show", SCT, "--year", "2024", "--db", "moi.sqlite3",
                                                 cwd=tmp_path)).splitlines()]
    assert lines[lines.index("Lịch sử:") + 1] == unknown  # restored from the old database's backup

    db = "cu.sqlite3"  # the old file itself, upgraded by the first command that opens it
    table = rows(ok(kehoach("status", "--year", "2024", "--db", db, "--today", "2025-01-05", cwd=tmp_path)))
    assert table["Sở Công Thương"][1:5] == ["Đã nộp", "2", "Đã nhận", "20/12/2024"]
    ok(kehoach("review", SCT, "--year", "2024", "--version", "2", "--state", "khong-dung", "--note", "bản nháp",
               "--db", db, cwd=tmp_path))
    assert REAL in summary_text(tmp_path, db)
    lines = [line.strip() for line in ok(kehoach("show", SCT, "--year", "2024", "--db", db,
                                                 cwd=tmp_path)).splitlines()]
    history = lines[lines.index("Lịch sử:") + 1:]
    assert history[0] == unknown
    assert history[2].endswith(f'{getpass.getuser()} — phiên bản 2: "Đã nhận" → "Không dùng"; ghi chú: bản nháp')
    assert "không có lỗi" in ok(kehoach("check-db", "--db", db, cwd=tmp_path))
    v3 = write(tmp_path / "v3", "so-cong-thuong.docx", forms_2024[SCT])
    assert "phiên bản 3" in ok(kehoach("ingest", str(v3), "--year", "2024", "--db", db, cwd=tmp_path))


def test_backup_made_before_reviews_still_imports(wrong_file_round):
    """An archive of format 1 (kehoach before reviews: no states, no history) restores, every version received."""
    tmp, _ = wrong_file_round
    ok(kehoach("export", "--db", "bc.sqlite3", "--out", "moi.zip", cwd=tmp))
    with zipfile.ZipFile(tmp / "moi.zip") as zf:
        entries = [(i, zf.read(i)) for i in zf.infolist()]
    manifest = json.loads(dict((i.filename, d) for i, d in entries)["kehoach-sao-luu.json"])
    manifest.update(format_version=1, schema_version=1)
    del manifest["history"]
    for rec in manifest["submissions"]:
        for key in ("review_state", "review_note", "arrived_on", "ingest_warnings"):
            del rec[key]
    with zipfile.ZipFile(tmp / "cu.zip", "w") as zf:
        for info, data in entries:
            zf.writestr(info, json.dumps(manifest, ensure_ascii=False).encode() if info.filename.endswith(".json")
                        else data)
    ok(kehoach("import", "cu.zip", "--db", "khoi-phuc.sqlite3", cwd=tmp))
    assert "không có lỗi" in ok(kehoach("check-db", "--db", "khoi-phuc.sqlite3", cwd=tmp))
    lines = [line.strip() for line in ok(kehoach("show", SCT, "--year", "2024", "--db", "khoi-phuc.sqlite3",
                                                 cwd=tmp)).splitlines()]
    assert "Phiên bản 2 (được tính) — Đã nhận" in lines
    history = lines[lines.index("Lịch sử:") + 1:]
    assert [h.split(" — ", 1)[1] for h in history] == [
        "(không rõ: nhận trước khi kehoach ghi lịch sử) — nhận phiên bản 1 (tệp so-cong-thuong.docx), 2 cảnh báo",
        "(không rõ: nhận trước khi kehoach ghi lịch sử) — nhận phiên bản 2 (tệp so-du-lich.docx), 2 cảnh báo"]
