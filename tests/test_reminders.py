"""The reminder letter (công văn đôn đốc, `kehoach reminders`): whom it is addressed to (the agencies that sent
nothing and those whose counted report is `can-bo-sung`), what it says (the V/v line, the number with no type code,
the office's note, the deadline), how it prints (LibreOffice -> PDF: one A4 page, the decree's places), the list for
an email; all through the command line as a clerk runs it."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import docx
import pytest
from formfill import Fill, fill_form, kehoach, ok, refused
from lo import requires_soffice, to_pdf

from generator.plan.loader import plan_of_year
from generator.returns.reminders import due_reminders, reminder_lines

SCT, SYT, KHANH_SON, SKHDT = "so-cong-thuong", "so-y-te", "ubnd-huyen-khanh-son", "so-ke-hoach-va-dau-tu"
NOTE = "Thiếu kết quả nhiệm vụ II.12 và số liệu về hợp tác xã năm 2024"
SUBJECT_2024 = "V/v đôn đốc gửi báo cáo kết quả thực hiện Kế hoạch số 1627/KH-UBND năm 2024"
LETTER = "cong-van.docx"




@pytest.fixture(scope="module")
def round_db(forms_2024, tmp_path_factory) -> Path:
    """The 2024 round: every agency's form received (Sở Công Thương's filled) except Sở Y tế's and UBND huyện Khánh
    Sơn's; the office set Sở Công Thương's report to can-bo-sung with a note."""
    tmp = tmp_path_factory.mktemp("reminders-round")
    inbox = tmp / "nhan"
    inbox.mkdir()
    for agency, data in forms_2024.items():
        if agency in (SYT, KHANH_SON):
            continue
        if agency == SCT:
            data = fill_form(data, {"nv14": Fill(result=["Đã tổ chức 03 lớp tập huấn."], status="Hoàn thành")})
        (inbox / f"{agency}.docx").write_bytes(data)
    ok(kehoach("ingest", str(inbox), "--year", "2024", "--received", "10/12/2024", "--db", "bc.sqlite3", cwd=tmp))
    ok(kehoach("review", SCT, "--year", "2024", "--version", "1", "--state", "can-bo-sung", "--note", NOTE,
               "--db", "bc.sqlite3", cwd=tmp))
    return tmp / "bc.sqlite3"


@pytest.fixture
def cwd(round_db, tmp_path) -> Path:
    """A fresh folder holding a copy of the round's database."""
    for companion in ("", "-wal"):
        if Path(f"{round_db}{companion}").exists():
            shutil.copyfile(f"{round_db}{companion}", tmp_path / f"bc.sqlite3{companion}")
    return tmp_path


@pytest.fixture(scope="module")
def letter(round_db, tmp_path_factory):
    """`kehoach reminders --year 2024 --date 20/12/2024` (after the deadline): (stdout, the letter's path)."""
    tmp = tmp_path_factory.mktemp("reminders-letter")
    shutil.copyfile(round_db, tmp / "bc.sqlite3")
    out = ok(kehoach("reminders", "--year", "2024", "--db", "bc.sqlite3", "--date", "20/12/2024", "--out", LETTER,
                     cwd=tmp))
    return out, tmp / LETTER


def paragraphs(path: Path) -> list[str]:
    return [p.text for p in docx.Document(path).paragraphs]


def addressees(texts: list[str]) -> list[str]:
    """The names under "Kính gửi:" ("Kính gửi:\t- A;", "- B;", ..., "- Z.", or "Kính gửi: A.")."""
    start = next(i for i, t in enumerate(texts) if t.startswith("Kính gửi:"))
    first = texts[start][len("Kính gửi:"):].strip()
    if not first.startswith("- "):
        assert first.endswith(".")
        return [first[:-1]]
    items = [first]
    for t in texts[start + 1:]:
        if not t.startswith("- "):
            break
        items.append(t)
    assert all(i.endswith(";") for i in items[:-1]) and items[-1].endswith("."), items
    return [i[2:-1] for i in items]


def header_left(path: Path) -> list[str]:
    return [p.text for p in docx.Document(path).tables[0].rows[0].cells[0].paragraphs]


# ==================================================================================================== content


def test_the_letter_is_addressed_to_exactly_the_missing_and_the_correction(letter):
    stdout, path = letter
    texts = paragraphs(path)
    assert addressees(texts) == ["Sở Công Thương", "Sở Y tế", "Ủy ban nhân dân huyện Khánh Sơn"]  # the plan's order
    body = " ".join(texts)
    assert (f"Báo cáo năm 2024 của Sở Công Thương cần được bổ sung, hoàn chỉnh: {NOTE}.") in body
    assert ("Tính đến ngày 20 tháng 12 năm 2024, Sở Kế hoạch và Đầu tư chưa nhận được báo cáo năm 2024 của các cơ "
            "quan, đơn vị: Sở Y tế; Ủy ban nhân dân huyện Khánh Sơn.") in body
    assert "gửi Sở Kế hoạch và Đầu tư trước ngày 15 tháng 12 năm 2024" in body  # the plan's deadline
    assert "trước ngày 27 tháng 12 năm 2024./." in body  # dated after the deadline: 7 days from the letter's date
    assert "Sở Tài chính" not in body  # sent its form: not reminded
    # the list for an email, one agency a line, after the sentence naming the file
    lines = stdout.strip().splitlines()
    assert lines[0] == ("Đã ghi công văn đôn đốc ngày 20/12/2024 gửi 3 đơn vị (2 chưa gửi, 1 cần bổ sung; hạn gửi: "
                        f"ngày 27 tháng 12 năm 2024): {LETTER}")
    assert lines[1:] == [f"Sở Công Thương — cần bổ sung báo cáo: {NOTE}", "Sở Y tế — chưa gửi báo cáo",
                         "Ủy ban nhân dân huyện Khánh Sơn — chưa gửi báo cáo"]


def test_the_header_is_the_senders_with_a_number_without_type_code_and_the_vv_line_under_it(letter):
    _, path = letter
    left = header_left(path)
    assert [t.replace("\u00a0", " ") for t in left[:2]] == ["UBND TỈNH KHÁNH HÒA", "SỞ KẾ HOẠCH VÀ ĐẦU TƯ"]
    number = next(t for t in left if t.startswith("Số:"))
    assert re.fullmatch(r"Số:\s+/SKHĐT", number), number  # a công văn: no "CV", no "BC-"
    assert "CV" not in number and "-" not in number
    assert left[left.index(number) + 1] == SUBJECT_2024
    right = [p.text for p in docx.Document(path).tables[0].rows[0].cells[1].paragraphs]
    assert "Khánh Hòa, ngày 20 tháng 12 năm 2024" in right
    texts = paragraphs(path)
    assert not any(t.strip() in ("CÔNG VĂN", "BÁO CÁO") for t in texts)  # no document-type line


def test_the_letter_ends_with_the_recipients_and_the_signer(letter):
    _, path = letter
    sign = docx.Document(path).tables[-1].rows[0].cells
    assert [p.text for p in sign[0].paragraphs] == ["Nơi nhận:", "- Như trên;", "- Lưu: VT."]
    assert [p.text for p in sign[1].paragraphs if p.text] == ["GIÁM ĐỐC"]


def test_the_same_inputs_give_the_same_bytes(cwd):
    for name in ("a.docx", "b.docx"):
        ok(kehoach("reminders", "--year", "2024", "--db", "bc.sqlite3", "--date", "2024-12-20", "--out", name,
                   cwd=cwd))
    assert (cwd / "a.docx").read_bytes() == (cwd / "b.docx").read_bytes()
    ok(kehoach("reminders", "--year", "2024", "--db", "bc.sqlite3", "--date", "21/12/2024", "--out", "c.docx",
               cwd=cwd))
    assert (cwd / "c.docx").read_bytes() != (cwd / "a.docx").read_bytes()  # the date is in the letter


def test_without_out_the_letter_goes_beside_the_pack_and_a_signer_from_the_plan_signs(cwd, plan_copy):
    text = (plan_copy / "plan.yaml").read_text(encoding="utf-8")
    signers = ("  signers:\n    - agency: so-ke-hoach-va-dau-tu\n      authority: KT. GIÁM ĐỐC\n"
               "      title: PHÓ GIÁM ĐỐC\n      name: Nguyễn Văn A\n")
    text = text.replace("  # signers:", signers + "  # signers:", 1)
    (plan_copy / "plan.yaml").write_text(text, encoding="utf-8")
    out = ok(kehoach("reminders", "--year", "2024", "--db", "bc.sqlite3", "--date", "01/12/2024", "--plan",
                     str(plan_copy), cwd=cwd))
    path = cwd / "output" / "khanh-hoa-1627" / "cong-van-don-doc-2024-2024-12-01.docx"
    assert str(path.relative_to(cwd)) in out.splitlines()[0]
    sign = docx.Document(path).tables[-1].rows[0].cells[1]
    assert [p.text for p in sign.paragraphs if p.text] == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Nguyễn Văn A"]
    assert "trước ngày 15 tháng 12 năm 2024./." in " ".join(paragraphs(path))  # before the deadline: the deadline


def test_a_2026_letter_is_sent_by_and_to_the_bodies_after_the_2025_reorganisation(tmp_path):
    r = kehoach("reminders", "--year", "2026", "--db", "chua-co.sqlite3", "--date", "01/12/2026", "--out", LETTER,
                cwd=tmp_path)
    ok(r)
    assert 'Chú ý: chưa có cơ sở dữ liệu "chua-co.sqlite3"' in r.stderr
    assert "Chú ý: phiếu tổng hợp của chính Sở Tài chính chưa gửi báo cáo (không ghi vào công văn)." in r.stderr
    texts = paragraphs(tmp_path / LETTER)
    names = addressees(texts)
    assert "Sở Nông nghiệp và Môi trường" in names and "Sở Văn hóa, Thể thao và Du lịch" in names
    assert "UBND xã, phường, đặc khu ......" in names
    assert "Sở Tài chính" not in names  # the sender does not write to itself
    everything = " ".join(texts + header_left(tmp_path / LETTER))
    for gone in ("Sở Kế hoạch và Đầu tư", "Sở Du lịch", "Sở Tài nguyên và Môi trường", "huyện"):
        assert gone not in everything
    left = [t.replace("\u00a0", " ") for t in header_left(tmp_path / LETTER)]
    assert left[1] == "SỞ TÀI CHÍNH" and re.fullmatch(r"Số:\s+/STC", left[left.index(left[1]) + 2])
    assert "V/v đôn đốc gửi báo cáo kết quả thực hiện Kế hoạch số 1627/KH-UBND năm 2026" in left
    assert "chưa nhận được báo cáo năm 2026 của các cơ quan, đơn vị nêu trên." in " ".join(texts)


def test_an_agency_that_ceased_before_the_letter_is_reminded_through_its_successor(plan):
    """A reminder of the 2024 report written in March 2025: Sở Du lịch merged into Sở Văn hóa, Thể thao và Du lịch
    on 01/3/2025."""
    p = plan_of_year(None, 2024)
    before = {r.agency: r.name for r in due_reminders(p, 2024, [], dt.date(2024, 12, 20)).items}
    after = {r.agency: r.name for r in due_reminders(p, 2024, [], dt.date(2025, 3, 10)).items}
    assert before["so-du-lich"] == "Sở Du lịch"
    assert after["so-du-lich"] == "Sở Văn hóa, Thể thao và Du lịch"


def test_the_email_list_takes_each_agencys_link():
    p = plan_of_year(None, 2026)
    r = due_reminders(p, 2026, [], dt.date(2026, 12, 1))
    lines = reminder_lines(r.items[:2], links={"so-noi-vu": "https://ubnd.example/nop/abc"})
    assert lines == ["Sở Nội vụ — chưa gửi báo cáo — https://ubnd.example/nop/abc", "Sở Tư pháp — chưa gửi báo cáo"]


# ==================================================================================================== edges


def test_nobody_to_remind_is_a_sentence_and_no_file(cwd, forms_2024):
    inbox = cwd / "cuoi"
    inbox.mkdir()
    for agency in (SYT, KHANH_SON):
        (inbox / f"{agency}.docx").write_bytes(forms_2024[agency])
    ok(kehoach("ingest", str(inbox), "--year", "2024", "--db", "bc.sqlite3", cwd=cwd))
    ok(kehoach("review", SCT, "--year", "2024", "--version", "1", "--state", "da-duyet", "--db", "bc.sqlite3",
               cwd=cwd))
    r = kehoach("reminders", "--year", "2024", "--db", "bc.sqlite3", "--out", LETTER, cwd=cwd)
    assert ok(r).strip() == ("Không có đơn vị nào cần đôn đốc: mọi đơn vị phải báo cáo năm 2024 đã gửi báo cáo và "
                             "không có báo cáo nào cần bổ sung; không ghi công văn.")
    assert not (cwd / LETTER).exists() and not (cwd / "output").exists()


def test_one_recipient_is_on_the_kinh_gui_line(cwd, forms_2024):
    inbox = cwd / "cuoi"
    inbox.mkdir()
    for agency in (SYT, KHANH_SON):
        (inbox / f"{agency}.docx").write_bytes(forms_2024[agency])
    ok(kehoach("ingest", str(inbox), "--year", "2024", "--db", "bc.sqlite3", cwd=cwd))
    ok(kehoach("reminders", "--year", "2024", "--db", "bc.sqlite3", "--date", "16/12/2024", "--out", LETTER, cwd=cwd))
    texts = paragraphs(cwd / LETTER)
    assert "Kính gửi: Sở Công Thương." in texts and addressees(texts) == ["Sở Công Thương"]
    body = " ".join(texts)
    assert "chưa nhận được" not in body
    assert "đề nghị Quý cơ quan khẩn trương gửi báo cáo đã bổ sung" in body


def test_the_letter_is_never_written_over_the_database(cwd):
    before = (cwd / "bc.sqlite3").read_bytes()
    message = refused(kehoach("reminders", "--year", "2024", "--db", "bc.sqlite3", "--out", "bc.sqlite3", cwd=cwd))
    assert message.startswith('Lỗi: không ghi đè lên "bc.sqlite3": đây là')
    assert (cwd / "bc.sqlite3").read_bytes() == before
    assert sorted(p.name for p in cwd.iterdir() if not p.name.startswith("bc.sqlite3")) == []


def test_a_date_that_is_not_a_date_is_one_sentence(cwd):
    message = refused(kehoach("reminders", "--year", "2024", "--db", "bc.sqlite3", "--date", "32/12/2024", cwd=cwd))
    assert message == ('Lỗi: --date "32/12/2024" không phải là ngày; hãy ghi dạng ngày/tháng/năm, ví dụ 30/6/2025')
    assert not (cwd / "output").exists()


def test_by_sets_the_date_asked_and_may_not_come_before_the_letter(cwd):
    ok(kehoach("reminders", "--year", "2024", "--db", "bc.sqlite3", "--date", "20/12/2024", "--by", "2025-01-05",
               "--out", LETTER, cwd=cwd))
    assert "trước ngày 05 tháng 01 năm 2025./." in " ".join(paragraphs(cwd / LETTER))
    message = refused(kehoach("reminders", "--year", "2024", "--db", "bc.sqlite3", "--date", "20/12/2024", "--by",
                              "19/12/2024", "--out", "b.docx", cwd=cwd))
    assert message == ("Lỗi: hạn gửi báo cáo --by 19/12/2024 ở trước ngày công văn 20/12/2024; hãy ghi một ngày từ "
                       "ngày công văn trở đi")
    assert not (cwd / "b.docx").exists()


# ==================================================================================================== printed


@pytest.fixture(scope="module")
def printed(letter, tmp_path_factory):
    pdfplumber = pytest.importorskip("pdfplumber")
    return pdfplumber.open(to_pdf(letter[1], tmp_path_factory.mktemp("reminder-pdf")))


def words_of(page, text: str) -> list[dict]:
    return [w for w in page.extract_words() if w["text"] == text]


@requires_soffice
@pytest.mark.libreoffice
def test_the_letter_prints_on_one_a4_page_in_the_decrees_places(printed):
    assert len(printed.pages) == 1
    page = printed.pages[0]
    assert (round(page.width * 25.4 / 72), round(page.height * 25.4 / 72)) == (210, 297)
    mid = page.width / 2
    number = words_of(page, "Số:")[0]
    vv = words_of(page, "V/v")[0]
    assert vv["top"] > number["bottom"] - 1 and vv["x1"] < mid  # the V/v line under the number, left column
    sizes = {round(c["size"]) for c in page.chars if c["top"] >= vv["top"] - 1 and c["bottom"] <= vv["bottom"] + 20
             and c["x1"] < mid}
    assert sizes == {12}, sizes
    national = words_of(page, "CỘNG")[0]
    assert national["x0"] > mid - 20  # Quốc hiệu on the right
    label = words_of(page, "Kính")[0]
    text_left, text_right = 30 * 72 / 25.4, page.width - 15 * 72 / 25.4
    assert label["top"] > vv["bottom"]
    assert text_left + 30 < label["x0"] < mid  # the recipients block in the middle region, not at the margin
    dashes = sorted((w for w in page.extract_words() if w["text"] == "-" and label["top"] - 2 < w["top"] <
                     label["top"] + 60), key=lambda w: w["top"])
    assert len(dashes) == 3 and len({round(w["x0"]) for w in dashes}) == 1 and dashes[0]["x0"] > label["x1"]
    signer = words_of(page, "GIÁM")[0]
    recipients = words_of(page, "Nơi")[0]
    assert signer["x0"] > mid and recipients["x1"] < mid
    assert abs(recipients["top"] - signer["top"]) < 15  # side by side under the body
    body = [c for c in page.chars if label["bottom"] + 30 < c["top"] < recipients["top"] - 5 and c["text"].strip()]
    assert body and {round(c["size"]) for c in body} == {14}
    assert min(c["x0"] for c in body) >= text_left - 1 and max(c["x1"] for c in body) <= text_right + 1
    assert {c["fontname"].split("+")[-1].split("-")[0].split(",")[0] for c in page.chars} <= {
        "TimesNewRoman", "TimesNewRomanPSMT", "LiberationSerif"}
