"""Reading returned forms back (`kehoach ingest`): what Word and LibreOffice users do to a form, identity checks,
the submissions database (versions, idempotence, originals kept) and `kehoach status`."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from formfill import Fill, W, edit_document, fill_form, kehoach, set_property, unwrap_controls, write

from generator.plan.assignments import assignments
from generator.errors import FormRejected
from generator.returns.rows import normalize_status
from generator.returns.read import read_form
from generator.returns.store import Store
from generator.errors import StoreError

SCT = "so-cong-thuong"
NHA_TRANG = "ubnd-thanh-pho-nha-trang"
RESULT = Fill(
    result=[[("Đã tổ chức ", ""), ("03 lớp", "b"), (" tập huấn cho ", ""), ("120", "bi"), (" học viên.", "")],
            "Phối hợp với Liên minh HTX tỉnh\nvà các huyện."],
    bullets=["Lớp 1: Nha Trang", "Lớp 2: Cam Ranh"],
    status="Hoàn thành",
    note="Kinh phí: 150 triệu đồng",
)


def entry(reading, task_id):
    return next(e for e in reading.entries if e.task_id == task_id)


def warning(reading, start: str) -> str:
    found = [w for w in reading.warnings if w.startswith(start)]
    assert found, f"no warning starting with {start!r} in {reading.warnings}"
    return found[0]


# ==================================================================================================== reading


def test_blank_form_reads_empty_with_warnings(plan_2024, forms_2024):
    r = read_form(forms_2024[SCT], plan_2024)
    assert (r.plan, r.year, r.agency, r.plan_version) == (plan_2024.id, 2024, SCT, plan_2024.version)
    at = next(a for a in assignments(plan_2024, 2024) if a.agency.id == SCT)
    assert [e.task_id for e in r.entries] == [t.id for t in plan_2024.tasks if t.id in {a.task.id for a in at.all}]
    assert all(e.is_empty and e.status is None for e in r.entries)
    assert r.sections == {"kho-khan": "", "kien-nghi": ""}
    assert "II.11" in warning(r, "chưa điền kết quả thực hiện") and "II.11" in warning(r, "chưa chọn tình trạng")
    assert not any("điền sẵn" in w for w in r.warnings)
    assert {e.role for e in r.entries} == {"lead", "partner", "expired"}


def test_word_fill_is_read_back(plan_2024, forms_2024):
    data = fill_form(forms_2024[SCT], {"nv14": RESULT}, {"kho-khan": ["Thiếu kinh phí.", "Thiếu cán bộ."],
                                                         "kien-nghi": ["Bổ sung kinh phí năm 2025."]})
    r = read_form(data, plan_2024)
    e = entry(r, "nv14")
    assert e.result == RESULT.expected_result() == (
        "Đã tổ chức 03 lớp tập huấn cho 120 học viên.\nPhối hợp với Liên minh HTX tỉnh\nvà các huyện.\n"
        "- Lớp 1: Nha Trang\n- Lớp 2: Cam Ranh")
    assert (e.status, e.status_text, e.note, e.role, e.code) == ("Hoàn thành", "Hoàn thành", RESULT.note, "lead",
                                                                  "II.11")
    assert r.sections == {"kho-khan": "Thiếu kinh phí.\nThiếu cán bộ.", "kien-nghi": "Bổ sung kinh phí năm 2025."}
    assert "II.11" not in warning(r, "chưa điền kết quả thực hiện")


def test_text_typed_outside_the_control_counts(plan_2024, forms_2024):
    data = fill_form(forms_2024[SCT], {"nv15": Fill(result=["Gõ ngoài ô điều khiển.", "Đoạn hai."], outside=True,
                                                    status="Đang thực hiện")})
    e = entry(read_form(data, plan_2024), "nv15")
    assert e.result == "Gõ ngoài ô điều khiển.\nĐoạn hai."  # the placeholder still shown in the control is dropped
    assert e.status == "Đang thực hiện"


@pytest.mark.parametrize("typed, expected", [
    ("hoàn thành", "Hoàn thành"), ("Đã hoàn thành", "Hoàn thành"), ("HOAN THANH", "Hoàn thành"), ("HT", "Hoàn thành"),
    ("  Đang triển khai ", "Đang thực hiện"), ("đang thực hiện.", "Đang thực hiện"),
    ("Chưa thực hiện", "Chưa thực hiện"), ("chưa triển khai", "Chưa thực hiện"),
])
def test_status_typed_by_hand_is_normalised(plan_2024, forms_2024, typed, expected):
    data = fill_form(forms_2024[SCT], {"nv14": Fill(result=["x"], status=typed, status_typed=True)})
    r = read_form(data, plan_2024)
    e = entry(r, "nv14")
    assert (e.status, e.status_text) == (expected, typed.strip())
    assert not any(w.startswith("tình trạng không thuộc") for w in r.warnings)
    assert normalize_status(typed) == expected


def test_unknown_status_kept_verbatim_with_warning(plan_2024, forms_2024):
    data = fill_form(forms_2024[SCT], {"nv14": Fill(result=["x"], status="Hoàn thành 70%", status_typed=True)})
    r = read_form(data, plan_2024)
    e = entry(r, "nv14")
    assert (e.status, e.status_text) == (None, "Hoàn thành 70%")
    assert 'II.11: "Hoàn thành 70%"' in warning(r, "tình trạng không thuộc danh sách")


def test_prefilled_text_changed_is_a_warning(plan_2024, forms_2024):
    def change(root):
        for sdt in root.iter(W + "sdt"):
            if sdt.find(f"{W}sdtPr/{W}tag").get(W + "val") == "nv16|deliverable":
                sdt.find(f".//{W}t").text = "Sản phẩm đã sửa"

    r = read_form(edit_document(forms_2024[SCT], change), plan_2024)
    assert "II.13 (Sản phẩm)" in warning(r, "nội dung điền sẵn đã bị sửa")
    assert "II.11" not in warning(r, "nội dung điền sẵn đã bị sửa")


def test_controls_deleted_row_read_by_code_and_column(plan_2024, forms_2024):
    data = fill_form(forms_2024[SCT], {"nv14": RESULT})
    data = edit_document(data, lambda root: unwrap_controls(root, "nv14"))
    assert b"nv14|" not in data
    e = entry(read_form(data, plan_2024), "nv14")
    assert (e.result, e.status, e.note) == (RESULT.expected_result(), "Hoàn thành", RESULT.note)


def test_version_of_plan_data_differs_is_a_warning(plan_2024, forms_2024):
    r = read_form(set_property(forms_2024[SCT], "kehoach.plan_version", "000000000000"), plan_2024)
    assert "000000000000" in warning(r, "biểu mẫu tạo từ phiên bản dữ liệu kế hoạch")


def test_identity_is_checked(plan_2024, forms_2024):
    form = forms_2024[SCT]
    cases = {
        "kế hoạch": set_property(form, "kehoach.plan", "ha-noi-99"),
        "năm báo cáo 2019": set_property(form, "kehoach.year", "2019"),
        "không có trong danh mục": set_property(form, "kehoach.agency", "so-khong-ton-tai"),
        "thông tin nhận dạng": set_property(form, "kehoach.form", "khac"),
    }
    not_assigned = next(a for a in plan_2024.registry.agencies
                        if a not in {at.agency.id for at in assignments(plan_2024, 2024)})
    cases["không được giao"] = set_property(form, "kehoach.agency", not_assigned)
    for words, data in cases.items():
        with pytest.raises(FormRejected, match=words):
            read_form(data, plan_2024)
    with pytest.raises(FormRejected, match="năm 2024, không phải năm 2025"):
        read_form(form, plan_2024, expected_year=2025)


def test_not_a_form(plan_2024):
    from docx import Document
    import io

    buf = io.BytesIO()
    Document().save(buf)
    with pytest.raises(FormRejected, match="không phải biểu mẫu"):
        read_form(buf.getvalue(), plan_2024)


# ==================================================================================================== store


def reading_of(plan_2024, data):
    return read_form(data, plan_2024)


def test_store_versions_history_and_originals(plan_2024, forms_2024, tmp_path):
    v1 = fill_form(forms_2024[SCT], {"nv14": Fill(result=["Bản đầu"], status="Đang thực hiện")})
    v2 = fill_form(forms_2024[SCT], {"nv14": Fill(result=["Bản sửa"], status="Hoàn thành")})
    other = fill_form(forms_2024[NHA_TRANG], {"nv14": Fill(result=["Phối hợp"], status="Hoàn thành")})
    with Store(tmp_path / "db" / "bao-cao.sqlite3") as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        a1 = store.add(reading_of(plan_2024, v1), v1, "sct.docx")
        a2 = store.add(reading_of(plan_2024, v2), v2, "sct-sua.docx")
        store.add(reading_of(plan_2024, other), other, "nt.docx")
        before = store.dump()
        again = store.add(reading_of(plan_2024, v1), v1, "sct-lan-nua.docx")
        assert again.duplicate and again.submission.id == a1.submission.id
        assert store.dump() == before
        assert (a1.submission.version, a2.submission.version) == (1, 2)
        latest = store.latest(plan_2024.id, 2024)
        assert set(latest) == {SCT, NHA_TRANG}
        assert entry(latest[SCT], "nv14").result == "Bản sửa"
        history = store.history(plan_2024.id, 2024, SCT)
        assert [s.version for s in history] == [1, 2]
        assert entry(history[0], "nv14").result == "Bản đầu" and history[0].filename == "sct.docx"
        assert store.original(a1.submission.id) == v1  # byte for byte
        assert history[0].sha256 == hashlib.sha256(v1).hexdigest()
        assert history[0].received_at.endswith("Z")


def test_store_refuses_output_folder_and_foreign_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match="output/"):
        Store(Path("output") / "x.sqlite3")
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="không mở được"):
        Store(junk)
    with pytest.raises(StoreError, match="chưa có cơ sở dữ liệu"):
        Store(tmp_path / "missing.sqlite3", create=False)


# ==================================================================================================== CLI



def dump(db: Path) -> str:
    with sqlite3.connect(db) as c:
        return "\n".join(c.iterdump())


def test_ingest_resubmission_and_idempotence(plan_2024, forms_2024, tmp_path):
    v1 = write(tmp_path / "in", "so-cong-thuong.docx",
               fill_form(forms_2024[SCT], {"nv14": Fill(result=["Bản đầu"], status="Đang thực hiện")}))
    v2 = write(tmp_path / "in2", "so-cong-thuong.docx",
               fill_form(forms_2024[SCT], {"nv14": Fill(result=["Bản sửa"], status="Hoàn thành")}))
    r = kehoach("ingest", "--year", "2024", str(v1), "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"Đã nhận: {v1} — Sở Công Thương, năm 2024, phiên bản 1" in r.stdout
    assert "    Cảnh báo: chưa điền kết quả thực hiện: I.1" in r.stdout
    r = kehoach("ingest", "--year", "2024", str(v2), "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 0 and "phiên bản 2" in r.stdout
    db = tmp_path / "bc.sqlite3"
    before = dump(db)
    r = kehoach("ingest", "--year", "2024", str(v1), str(v2), "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("Bỏ qua (đã có):") == 2 and "phiên bản 1" in r.stdout and "phiên bản 2" in r.stdout
    assert dump(db) == before
    with Store(db) as store:
        assert entry(store.latest(plan_2024.id, 2024)[SCT], "nv14").result == "Bản sửa"
        assert [entry(s, "nv14").result for s in store.history(plan_2024.id, 2024, SCT)] == ["Bản đầu", "Bản sửa"]


def test_ingest_bad_identity_does_not_stop_the_others(plan_2024, forms_2024, tmp_path):
    folder = tmp_path / "nhan"
    good = write(folder, "nha-trang.docx", fill_form(forms_2024[NHA_TRANG], {"nv14": Fill(result=["Có"])}))
    other_plan = write(folder, "ke-hoach-khac.docx", set_property(forms_2024[SCT], "kehoach.plan", "ha-noi-99"))
    unknown = write(folder, "don-vi-la.docx", set_property(forms_2024[SCT], "kehoach.agency", "so-khong-ton-tai"))
    old_year = write(folder, "nam-2019.docx", set_property(forms_2024[SCT], "kehoach.year", "2019"))
    good2 = write(folder, "sct.docx", forms_2024[SCT])
    (folder / "~$sct.docx").write_bytes(b"Word lock file")  # skipped: Word's owner file while the form is open
    (folder / "ghi-chu.txt").write_text("không phải biểu mẫu")  # skipped: not a Word file
    r = kehoach("ingest", "--year", "2024", str(folder), "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert f"Lỗi: {other_plan}: biểu mẫu thuộc kế hoạch \"ha-noi-99\"" in r.stderr
    assert f"Lỗi: {unknown}: đơn vị \"so-khong-ton-tai\"" in r.stderr
    assert f"Lỗi: {old_year}: biểu mẫu là báo cáo năm 2019, không phải năm 2024 đang nhận" in r.stderr
    assert f"Đã nhận: {good} — Ủy ban nhân dân thành phố Nha Trang" in r.stdout
    assert f"Đã nhận: {good2} — Sở Công Thương" in r.stdout
    assert "~$" not in r.stdout + r.stderr and "ghi-chu" not in r.stdout + r.stderr
    assert "Đã nhận 2 tệp mới, 0 tệp đã có, 3 lỗi" in r.stdout
    with Store(tmp_path / "bc.sqlite3") as store:
        assert set(store.latest(plan_2024.id, 2024)) == {NHA_TRANG, SCT}

    # --year: a form of another year is refused, the others of the same call still go in
    form_2024 = write(tmp_path / "y", "sct.docx", fill_form(forms_2024[SCT], {"nv14": Fill(result=["y"])}))
    r = kehoach("ingest", str(form_2024), str(tmp_path / "khong-co.docx"), "--year", "2025", "--db", "bc.sqlite3",
                cwd=tmp_path)
    assert r.returncode == 1
    assert f"Lỗi: {form_2024}: biểu mẫu là báo cáo năm 2024, không phải năm 2025 đang nhận" in r.stderr
    assert "khong-co.docx: không tìm thấy tệp" in r.stderr


def test_concurrent_ingests_number_versions_once(plan_2024, forms_2024, tmp_path):
    """Two clerks ingesting at the same moment: WAL + BEGIN IMMEDIATE give versions 1 and 2, no error."""
    import os
    import subprocess
    import sys

    files = [write(tmp_path / f"n{i}", "sct.docx", fill_form(forms_2024[SCT], {"nv14": Fill(result=[f"Bản {i}"])}))
             for i in range(3)]
    env = {k: v for k, v in os.environ.items() if k != "KEHOACH_DB"}
    procs = [subprocess.Popen([sys.executable, "-m", "generator", "ingest", "--year", "2024", str(f), "--db", "bc.sqlite3"], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for f in files]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    with Store(tmp_path / "bc.sqlite3") as store:
        history = store.history(plan_2024.id, 2024, SCT)
    assert sorted(s.version for s in history) == [1, 2, 3]
    assert sorted(entry(s, "nv14").result for s in history) == ["Bản 0", "Bản 1", "Bản 2"]


def test_default_database_location_and_env(plan_2024, forms_2024, tmp_path):
    form = write(tmp_path, "sct.docx", forms_2024[SCT])
    r = kehoach("ingest", "--year", "2024", "sct.docx", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "kehoach-data" / "bao-cao.sqlite3").is_file()
    assert "kehoach-data/bao-cao.sqlite3" in r.stdout
    assert not (tmp_path / "output").exists()
    r = kehoach("ingest", "--year", "2024", str(form), "--db", "output/bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 1 and "output/" in r.stderr

    import os
    import subprocess
    import sys

    env = dict(os.environ, KEHOACH_DB=str(tmp_path / "rieng" / "bc.sqlite3"))
    r = subprocess.run([sys.executable, "-m", "generator", "ingest", "--year", "2024", "sct.docx"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "rieng" / "bc.sqlite3").is_file() and "Đã nhận: sct.docx" in r.stdout


def test_status_before_and_after_ingest(plan_2024, forms_2024, tmp_path):
    expected = len(assignments(plan_2024, 2024))
    r = kehoach("status", "--year", "2024", "--db", "bc.sqlite3", "--today", "2024-12-01", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"Đã nộp 0/{expected} đơn vị" in r.stdout and "còn 14 ngày" in r.stdout
    assert "Chưa nộp" in r.stdout and "Quá hạn" not in r.stdout

    sct = fill_form(forms_2024[SCT], {"nv14": RESULT})
    nt = forms_2024[NHA_TRANG]
    with Store(tmp_path / "bc.sqlite3") as store:  # received on 10/12/2024 and 20/12/2024 (after the deadline)
        store.add(read_form(sct, plan_2024), sct, "sct.docx", received_at="2024-12-10T12:00:00Z")
        store.add(read_form(nt, plan_2024), nt, "nt.docx", received_at="2024-12-20T12:00:00Z")
    r = kehoach("status", "--year", "2024", "--db", "bc.sqlite3", "--today", "2025-01-05", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = {line.split("│")[0].strip(): line for line in r.stdout.splitlines() if "│" in line}
    text = " ".join(r.stdout.split())
    assert f"Đã nộp 2/{expected} đơn vị (2 có cảnh báo, 1 nộp muộn); chưa nộp {expected - 2}" in text
    assert "đã quá hạn" in text and "Quá hạn" in text
    assert "Sở Công Thương" in rows and "Đã nộp" in rows["Sở Công Thương"] and "10/12/2024" in rows["Sở Công Thương"]
    assert any("Nộp muộn" in line and "20/12/2024" in line for line in r.stdout.splitlines())
