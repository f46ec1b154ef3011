"""`kehoach import-plan`: a plan's document read into a draft plan folder (README "Thêm một kế hoạch mới").

The table reader is tested on raw table XML (spans, vertical merges, header rows, breaks and paragraphs in a cell);
the command as a clerk runs it (`python -m generator import-plan`), on small documents; Kế hoạch 1627 from its .doc
(the .docx and the PDF: tests/test_import_acceptance.py)."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from lxml import etree

from generator.office.wordbody import Para, Table, read_table, walk
from importdocs import HEADER_ROW, docx, header_table, p, tbl, tc, tr
from plandocs import kh1627_docx

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "plan_data" / "khanh-hoa-1627"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def kehoach(*args, cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def xml(body: str):
    return etree.fromstring(f'<w:body xmlns:w="{W}">{body}</w:body>'.encode())


# ------------------------------------------------------------------------------------------------ the table reader


def test_spans_vertical_merges_and_header_rows_are_read_from_the_xml():
    table = read_table(xml(tbl(
        tr(tc("TT"), tc("Nhiệm vụ"), tc("Chủ trì"), header=True),
        tr(tc("I"), tc("Nhóm một", span=2)),
        tr(tc("1"), tc("Việc một", "đoạn hai"), tc("Sở A", vmerge="restart")),
        tr(tc("2."), tc("Việc\nhai"), tc(vmerge="")),
        tr(tc("3"), tc("Việc ba"), tc("Sở B")),
        cols=3))[0])
    assert [r.header for r in table.rows] == [True, False, False, False, False]
    group = table.rows[1]
    assert [(c.col, c.span, c.text) for c in group.cells] == [(0, 1, "I"), (1, 2, "Nhóm một")]
    first, second, third = table.rows[2:]
    assert first.cells[1].text == "Việc một\nđoạn hai"  # two paragraphs, one per line
    assert second.cells[1].text == "Việc\nhai"  # a <w:br/>
    merged = second.at(2)
    assert merged.text == "" and merged.origin is first.at(2) and merged.value == "Sở A"  # not repeated text
    assert third.at(2).origin is None and third.at(2).value == "Sở B"  # a cell after the merge starts anew


def test_old_horizontal_merges_widen_the_cell_and_nested_tables_are_flattened():
    nested = tbl(tr(tc("trong"), tc("bảng")), cols=2)
    body = tbl(tr(tc("A"), tc("", hmerge=""), tc("B")),
               tr(f"<w:tc>{p('ngoài')}{nested}</w:tc>", tc("x"), tc("y")), cols=3)
    blocks = list(walk(xml(body + p("sau"))))
    assert isinstance(blocks[0], Table) and isinstance(blocks[1], Para) and blocks[1].text == "sau"
    rows = blocks[0].rows
    assert [(c.col, c.span, c.text) for c in rows[0].cells] == [(0, 2, "A"), (2, 1, "B")]
    assert rows[1].cells[0].text == "ngoài\ntrong\nbảng" and len(rows) == 2  # the nested row is not a row here


# ------------------------------------------------------------------------------------------------ small documents


def small_plan(rows: list[str], *, extra: str = "", place: str = "Khánh Hòa", issuer: str = "TỈNH KHÁNH HÒA",
               header: tuple[str, ...] = HEADER_ROW, after: str = "") -> bytes:
    cols = len(header)
    body = [header_table(f"ỦY BAN NHÂN DÂN\n{issuer}", "88/KH-UBND", f"{place}, ngày 05 tháng 3 năm 2024"),
            p("KẾ HOẠCH"), p("Triển khai Quyết định số 12/QĐ-UBND ngày 10/01/2024 của UBND tỉnh Khánh Hòa về chuyển "
                              "đổi số trong cơ quan nhà nước"),
            p("Chuyển đổi số là nhiệm vụ trọng tâm; mọi cơ quan thực hiện chuyển đổi số theo Kế hoạch này."),
            p("III. Tổ chức thực hiện"),
            p("1. Các đơn vị định kỳ báo cáo kết quả gửi Sở Kế hoạch và Đầu tư trước ngày 10 tháng 12 hàng năm."),
            extra,
            tbl(tr(tc("TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH"), tc("PHÓ CHỦ TỊCH"), tc("Trần Văn B")), cols=3,
                borders=False),
            p("PHỤ LỤC"), p("Danh mục nhiệm vụ chuyển đổi số"),
            p("(Kèm theo Kế hoạch số 88/KH-UBND ngày 05/3/2024 của UBND tỉnh Khánh Hòa)"),
            tbl(tr(*(tc(h) for h in header), header=True), *rows, cols=cols), after]
    return docx("".join(body))


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_plan_laid_out_as_word_does_imports_every_cell_and_validates(tmp_path):
    header = ("STT", "Nội dung nhiệm vụ", "Thời gian thực hiện", "Đơn vị chủ trì", "Đơn vị phối hợp",
              "Sản phẩm", "Ghi chú")  # another order, and an extra column
    rows = [tr(tc("I"), tc("Chuyển đổi số   trong\ncơ quan", span=6)),
            tr(tc("1."), tc("Số hóa hồ sơ"), tc("Quý IV/2024"), tc("Sở Nội vụ (Ban Thi đua - Khen thưởng)",
                                                                     vmerge="restart"),
               tc("Sở Tài chính"), tc(""), tc("mới")),
            tr(tc("2."), tc("Lập kho dữ liệu"), tc("Quý I năm 2025"), tc(vmerge=""), tc(""), tc("Kho dữ liệu"),
               tc("")),
            tr(*(tc(h) for h in header)),  # the header repeated at a page break, not marked
            tr(tc("3"), tc("Đào tạo"), tc("Hằng năm"), tc("Sở Tư pháp"), tc("Các sở, ban, ngành"), tc("Báo cáo"),
               tc(""))]
    src = write(tmp_path, "kh88.docx", small_plan(rows, header=header))
    r = kehoach("import-plan", src, "--out", tmp_path / "kh88", cwd=tmp_path)
    assert r.returncode == 3, r.stdout + r.stderr  # one review item: the column not used
    assert 'PHỤ LỤC, cột "Ghi chú": cột không dùng' in r.stdout
    assert "Cần xem lại 1 mục" in r.stdout
    tasks = yaml.safe_load((tmp_path / "kh88" / "tasks.yaml").read_text(encoding="utf-8"))
    [group] = tasks["groups"]
    assert group["id"] == "chuyen-doi-so" and group["title"] == "Chuyển đổi số trong cơ quan"
    assert [t["id"] for t in group["tasks"]] == ["nv01", "nv02", "nv03"]
    one, two, three = group["tasks"]
    assert one == {"id": "nv01", "task": "Số hóa hồ sơ", "lead": "Sở Nội vụ (Ban Thi đua - Khen thưởng)",
                   "partners": "Sở Tài chính", "deliverable": "", "timeframe": "Quý IV/2024"}
    assert two["lead"] == "Sở Nội vụ (Ban Thi đua - Khen thưởng)"  # the merged cell's text on every row it spans
    assert two["partners"] == "" and three["timeframe"] == "Hằng năm"
    plan = yaml.safe_load((tmp_path / "kh88" / "plan.yaml").read_text(encoding="utf-8"))
    assert plan["id"] == "khanh-hoa-88" and plan["number"] == "88/KH-UBND" and plan["subject"] == "chuyển đổi số"
    assert plan["implements"] == [{"kind": "Quyết định", "number": "12/QĐ-UBND", "date": dt.date(2024, 1, 10),
                                   "issuer": "UBND tỉnh Khánh Hòa"}]
    assert plan["signer"] == {"authority": "TM. ỦY BAN NHÂN DÂN", "title": "KT. CHỦ TỊCH PHÓ CHỦ TỊCH",
                              "name": "Trần Văn B"}
    assert plan["reporting"]["receiver"] == "so-ke-hoach-va-dau-tu" and plan["reporting"]["deadline"] == "10/12"
    v = kehoach("validate", "--plan", tmp_path / "kh88", cwd=tmp_path)
    assert v.returncode == 0, v.stdout + v.stderr


def test_text_after_the_task_table_is_never_dropped_silently(tmp_path):
    # A table that became plain text (LibreOffice's .doc export of a table that ends the document writes its rows as
    # one paragraph), or a note under the PHỤ LỤC: text kehoach did not read goes to the review list.
    rows = [tr(tc("I"), tc("Nhóm", span=5)),
            tr(tc("1"), tc("Việc"), tc("Sở Tư pháp"), tc(""), tc(""), tc("Hằng năm"))]
    lost = "II\tNhóm hai\t1\tViệc khác\tSở Tư pháp"
    src = write(tmp_path, "kh.docx", small_plan(rows, after=p(lost) + p("") + p("12")))
    r = kehoach("import-plan", src, "--out", tmp_path / "d", cwd=tmp_path)
    assert r.returncode == 3, r.stdout + r.stderr
    items = [x for x in r.stdout.splitlines() if x.startswith("- ")]
    assert items == ['- PHỤ LỤC, đoạn văn sau bảng nhiệm vụ: kehoach không nhập đoạn này vào dữ liệu kế hoạch: '
                     '"II Nhóm hai 1 Việc khác Sở Tư pháp"; nếu đó là nhiệm vụ, hãy ghi vào tasks.yaml'], items
    plain = write(tmp_path, "ok.docx", small_plan(rows, after=p("") + p("3")))  # empty lines, a page number: fine
    assert kehoach("import-plan", plain, "--out", tmp_path / "ok", cwd=tmp_path).returncode == 0


def test_unknown_names_are_reviewed_with_the_closest_and_proposed_until_filled_in(tmp_path):
    rows = [tr(tc("I"), tc("Nhóm", span=5)),
            tr(tc("1"), tc("Việc"), tc("Sở Khoa học Công nghệ"), tc("Trung tâm Dữ liệu tỉnh"), tc(""),
               tc("Quý 5/2024"))]
    src = write(tmp_path, "kh.docx", small_plan(rows))
    r = kehoach("import-plan", src, "--out", tmp_path / "d", cwd=tmp_path)
    assert r.returncode == 3
    lines = [x for x in r.stdout.splitlines() if x.startswith("- ")]
    assert any(x.startswith('- I.1, Đơn vị chủ trì: đơn vị "Sở Khoa học Công nghệ" không có trong danh mục khanh-hoa; '
                            'tên gần nhất: "Sở Khoa học và Công nghệ"') for x in lines), lines
    assert any('- I.1, Đơn vị phối hợp: đơn vị "Trung tâm Dữ liệu tỉnh"' in x for x in lines)
    assert any(x.startswith('- I.1, Thời gian hoàn thành: kehoach không hiểu "Quý 5/2024"') for x in lines), lines
    review = (tmp_path / "d" / "CAN-XEM-LAI.md").read_text(encoding="utf-8")
    assert all(x in review for x in lines)
    v = kehoach("validate", "--plan", tmp_path / "d", cwd=tmp_path)
    assert v.returncode == 1 and 'agencies.yaml:' in v.stdout + v.stderr  # the proposals are refused until filled
    agencies = tmp_path / "d" / "agencies.yaml"
    text = agencies.read_text(encoding="utf-8")
    text = text.replace('code: ""', 'code: "X"').replace('kind: ""', 'kind: "so"')
    agencies.write_text(text, encoding="utf-8")
    tasks = tmp_path / "d" / "tasks.yaml"
    tasks.write_text(tasks.read_text(encoding="utf-8").replace("Quý 5/2024", "Quý IV/2024"), encoding="utf-8")
    v = kehoach("validate", "--plan", tmp_path / "d", cwd=tmp_path)
    assert v.returncode == 0, v.stdout + v.stderr
    proposed = yaml.safe_load(text)["agencies"]
    assert [a["name"] for a in proposed] == ["Sở Khoa học Công nghệ", "Trung tâm Dữ liệu tỉnh"]


def test_a_province_without_a_registry_is_one_sentence_saying_where_it_looked(tmp_path):
    src = write(tmp_path, "py.docx", small_plan([], place="Phú Yên", issuer="TỈNH PHÚ YÊN"))
    r = kehoach("import-plan", src, "--out", tmp_path / "d", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert 'không tìm thấy danh mục đơn vị của tỉnh "Phú Yên"' in r.stderr
    assert "plan_data/registries" in r.stderr and "khanh-hoa (Khánh Hòa)" in r.stderr
    assert not (tmp_path / "d").exists()
    r = kehoach("import-plan", src, "--out", tmp_path / "d", "--registry", "khanh-hoa", cwd=tmp_path)
    assert (tmp_path / "d" / "plan.yaml").is_file(), r.stdout + r.stderr


# ------------------------------------------------------------------------------------------------ what is never lost


def test_an_existing_folder_is_never_overwritten_unless_an_unedited_draft_and_force(tmp_path):
    src = write(tmp_path, "kh.docx", small_plan([tr(tc("I"), tc("Nhóm", span=5)),
                                                 tr(*(tc(t) for t in ("1", "Việc", "Sở Tư pháp", "", "", "2025")))]))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "ghi-chu.txt").write_text("của tôi", encoding="utf-8")
    r = kehoach("import-plan", src, "--out", mine, "--force", cwd=tmp_path)
    assert r.returncode == 1 and "không phải bản nháp do kehoach import-plan ghi" in r.stderr
    assert [x.name for x in mine.iterdir()] == ["ghi-chu.txt"]
    draft = tmp_path / "draft"
    assert kehoach("import-plan", src, "--out", draft, cwd=tmp_path).returncode == 0
    r = kehoach("import-plan", src, "--out", draft, cwd=tmp_path)
    assert r.returncode == 1 and "thêm --force" in r.stderr
    assert kehoach("import-plan", src, "--out", draft, "--force", cwd=tmp_path).returncode == 0
    tasks = draft / "tasks.yaml"
    tasks.write_text(tasks.read_text(encoding="utf-8") + "# sửa\n", encoding="utf-8")
    r = kehoach("import-plan", src, "--out", draft, "--force", cwd=tmp_path)
    assert r.returncode == 1 and "đã được sửa sau đó (tasks.yaml)" in r.stderr
    assert tasks.read_text(encoding="utf-8").endswith("# sửa\n")


def test_the_shipped_plan_folder_is_the_default_target_and_is_refused(tmp_path):
    src = kh1627_docx(tmp_path / "kh1627.docx")
    before = {p.name: p.read_bytes() for p in SHIPPED.iterdir()}
    r = kehoach("import-plan", src, cwd=tmp_path)
    assert r.returncode == 1 and f'"{SHIPPED}"' in r.stderr and "không ghi đè" in r.stderr
    assert {p.name: p.read_bytes() for p in SHIPPED.iterdir()} == before


def zip_of(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("case", ["bomb", "dtd", "text", "empty", "oversize"])
def test_a_hostile_or_wrong_file_is_one_sentence_and_nothing_is_written(tmp_path, case):
    ok = zipfile.ZipFile(kh1627_docx(tmp_path / "kh1627.docx"))
    parts = {n: ok.read(n) for n in ok.namelist()}
    if case == "bomb":
        data = zip_of({**parts, "word/media/bomb.bin": b"\0" * (300 * 1024 * 1024)})
        expected = "có thể là tệp nén độc hại (zip bomb)"
    elif case == "dtd":
        evil = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaa">]>' + parts["word/document.xml"].split(b"?>", 1)[1]
        data = zip_of({**parts, "word/document.xml": evil})
        expected = "có khai báo DOCTYPE/ENTITY"
    elif case == "text":
        data = "Kế hoạch số 1\n".encode()
        expected = "tệp không phải văn bản Word (.docx, .doc) hay PDF"
    elif case == "empty":
        data = b""
        expected = "tệp rỗng (0 byte)"
    else:
        data = b"PK" + b"\0" * (21 * 1024 * 1024)
        expected = "tệp quá lớn"
    src = write(tmp_path, "kh.docx", data)
    r = kehoach("import-plan", src, "--out", tmp_path / "d", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f'Không đọc được văn bản kế hoạch "{src}": ' in r.stderr and expected in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "d").exists()


# ------------------------------------------------------------------------------------------------ Kế hoạch 1627
# The .docx and the PDF of Kế hoạch 1627 against the shipped dataset: tests/test_import_acceptance.py (its documents:
# tests/plandocs.py); the speed of import-plan: make bench. Here: the same draft from a .doc LibreOffice made of it.


def _cells(folder: Path) -> tuple:
    tasks = yaml.safe_load((folder / "tasks.yaml").read_text(encoding="utf-8"))
    return tuple((g["title"], tuple(tuple((k, t[k]) for k in sorted(t)) for t in g["tasks"])) for g in tasks["groups"])


FORM_FIELDS = ("id", "registry", "number", "date", "issuer", "issuer_full", "place", "parent_header", "title",
               "subject", "reporting", "appendix")  # what a form, the appendix or the summary prints


@pytest.fixture(scope="module")
def imported_1627(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kh1627")
    src = kh1627_docx(tmp / "ke-hoach-1627.docx")
    return tmp, src, None, None


@pytest.mark.libreoffice
def test_kh1627_from_a_doc_is_the_shipped_draft(imported_1627, tmp_path):
    tmp, src, _, _ = imported_1627
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed (make libreoffice)")
    for fmt in ("doc",):
        subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless",
                        "--convert-to", fmt, "--outdir", str(tmp_path), str(src)], capture_output=True, timeout=180)
        converted = tmp_path / f"ke-hoach-1627.{fmt}"
        r = kehoach("import-plan", converted, "--out", tmp_path / fmt, cwd=tmp_path, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        assert _cells(tmp_path / fmt) == _cells(SHIPPED)
        mine = yaml.safe_load((tmp_path / fmt / "plan.yaml").read_text(encoding="utf-8"))
        shipped = yaml.safe_load((SHIPPED / "plan.yaml").read_text(encoding="utf-8"))
        assert {k: mine.get(k) for k in FORM_FIELDS} == {k: shipped[k] for k in FORM_FIELDS}, fmt
        marker = json.loads((tmp_path / fmt / ".kehoach-import.json").read_text(encoding="utf-8"))
        assert marker["source"] == f"ke-hoach-1627.{fmt}"
