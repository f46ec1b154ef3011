"""Templates edited by the office: `kehoach validate --template` refuses a broken Jinja tag, an unknown variable or a
tag split in a way docxtpl cannot repair, naming the template and the tag; a tag Word split across formatting runs
(which docxtpl repairs) renders correctly; `pack` refuses a broken template before writing anything. The broken
templates are made here by editing the XML of templates/bao-cao-don-vi.docx in a temporary copy."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from generator.forms.render import FormTemplate, TemplateInvalid
from generator.paths import templates_dir
from generator.office.ziputil import write_zip

SOURCE = templates_dir() / "bao-cao-don-vi.docx"
# a new run with its own formatting, as Word writes when part of a tag is typed or formatted differently
RUN = '</w:t></w:r><w:r><w:rPr><w:b/><w:i w:val="0"/><w:sz w:val="26"/></w:rPr><w:t>'


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def edited(tmp_path: Path, name: str, change) -> Path:
    """A copy of the office template with word/document.xml changed by `change(xml) -> xml`."""
    with zipfile.ZipFile(SOURCE) as zf:
        items = [(i.filename, zf.read(i)) for i in zf.infolist()]
    out = []
    for part, data in items:
        if part == "word/document.xml":
            new = change(data.decode("utf-8"))
            assert new != data.decode("utf-8"), "the edit changed nothing"
            data = new.encode("utf-8")
        out.append((part, data))
    path = tmp_path / f"{name}.docx"
    path.write_bytes(write_zip(out))
    return path


def last(xml: str, old: str, new: str) -> str:
    i = xml.rindex(old)
    return xml[:i] + new + xml[i + len(old):]


BROKEN = {
    # name: (edit, the tag the message must show, words of the problem)
    "the-ma-chua-dong": (lambda x: x.replace("{{ t.code }}", "{{ t.code", 1), "{{ t.code", 'chưa có dấu đóng "}}"'),
    "for-khong-endfor": (lambda x: last(x, "{%tr endfor %}", ""), "{%tr for t in expired %}", "không có thẻ đóng"),
    "endif-thua": (lambda x: x.replace("{{ opening }}", "{{ opening }}{% endif %}", 1), "{% endif %}",
                   "không khớp với thẻ mở nào"),
    "bien-khong-co": (lambda x: x.replace("{{ date_line }}", "{{ ten_khong_co }}", 1), "{{ ten_khong_co }}",
                      'biến "ten_khong_co" không có'),
    "bien-trong-vong-lap-rong": (lambda x: x.replace("{{ t.via }}", "{{ t.via }}{{ ghi_chu_sai }}", 1),
                                 "{{ ghi_chu_sai }}", 'biến "ghi_chu_sai" không có'),
    "truong-khong-co": (lambda x: x.replace("{{ t.code }}", "{{ t.cod }}", 1), "{{ t.cod }}",
                        'trường "cod" không có'),
    "bo-loc-khong-co": (lambda x: x.replace("{{ date_line }}", "{{ date_line|viet_hoa }}", 1),
                        "{{ date_line|viet_hoa }}", "sai cú pháp"),
    # split by Word with something between the braces that is not formatting: docxtpl cannot repair it
    "tach-co-khoang-trang": (lambda x: x.replace(
        "{{ date_line }}", "{" + '</w:t></w:r><w:r><w:t xml:space="preserve"> </w:t></w:r><w:r><w:t>'
        + "{ date_line }}", 1), "{ { date_line }}", 'thiếu dấu mở "{{"'),
    "tach-sang-doan-khac": (lambda x: x.replace("{{ date_line }}", "{{ date" + "</w:t></w:r></w:p><w:p><w:r><w:t>"
                                                + "_line }}", 1), "{{ date", "trong cùng đoạn văn"),
    "thieu-dau-mo": (lambda x: x.replace("{{ date_line }}", "date_line }}", 1), "date_line }}", 'thiếu dấu mở "{{"'),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_validate_refuses_a_broken_template_naming_it_and_the_tag(tmp_path, monkeypatch, name):
    """`kehoach validate --template` (the command itself, run in-process for speed; test_pack_refuses... and
    test_missing_or_unreadable_template run it as a process)."""
    from typer.testing import CliRunner

    from generator.cli.commands import app

    change, tag, words = BROKEN[name]
    template = edited(tmp_path, name, change)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["validate", "--template", str(template)])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("Lỗi:")]
    assert line.startswith(f'Lỗi: mẫu {name}.docx: thẻ "{tag}"'), line
    assert words in line, line
    assert "kehoach validate" in line  # what to do
    assert not (tmp_path / "output").exists()


@pytest.mark.parametrize("split", [
    ["{{ da", "te_li", "ne }}"],  # Word's usual split: one tag over three runs
    ["{", "{ date_line }", "}"],  # even the braces in runs of their own
])
def test_a_tag_split_across_runs_is_repaired_and_renders(tmp_path, plan_2024, split):
    template = edited(tmp_path, "tach", lambda x: x.replace("{{ date_line }}", RUN.join(split), 1))
    with zipfile.ZipFile(template) as zf:
        assert "{{ date_line }}" not in zf.read("word/document.xml").decode()
    tpl = FormTemplate(template)
    tpl.check(plan_2024, 2024)
    from generator.plan.assignments import assignments
    from generator.forms.context import form_context, form_properties

    at = next(a for a in assignments(plan_2024, 2024) if a.agency.id == "so-cong-thuong")
    data = tpl.render(form_context(plan_2024, at, 2024), form_properties(plan_2024, at, 2024))
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    text = "".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", xml))
    assert "Khánh Hòa, ngày" in text
    assert not re.search(r"\{\{|\}\}|\{%|%\}", text)
    r = run("validate", "--template", str(template), cwd=tmp_path)
    assert r.returncode == 0 and "Mẫu tach.docx hợp lệ" in r.stdout, r.stderr


def test_a_loop_tag_split_across_runs_is_repaired(tmp_path, plan_2024):
    template = edited(tmp_path, "vong-lap", lambda x: x.replace("{%tr for t in lead %}",
                                                                 RUN.join(["{%tr for t ", "in lead %}"]), 1))
    assert FormTemplate(template).check(plan_2024, 2024)


def test_the_office_template_is_valid(tmp_path):
    r = run("validate", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert re.search(r"Mẫu bao-cao-don-vi\.docx hợp lệ: \d+ thẻ, đã thử tạo biểu mẫu năm \d+ của ", r.stdout)


def test_pack_refuses_a_broken_template_before_writing_anything(tmp_path):
    template = edited(tmp_path, "hong", BROKEN["bien-trong-vong-lap-rong"][0])
    r = run("pack", "--year", "2024", "--template", str(template), cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert 'mẫu hong.docx: thẻ "{{ ghi_chu_sai }}"' in r.stderr
    assert not (tmp_path / "output").exists()
    previous = tmp_path / "bo-cu"
    previous.mkdir()
    (previous / "manifest.json").write_text("{}")
    r = run("pack", "--year", "2024", "--template", str(template), "--out", "bo-cu", cwd=tmp_path)
    assert r.returncode == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bo-cu", "hong.docx"]
    assert [p.name for p in previous.iterdir()] == ["manifest.json"]


@pytest.mark.parametrize("content, words", [
    (None, "không tìm thấy mẫu"),
    (b"not a zip", "không phải .docx hợp lệ"),
    ("dir", "là một thư mục"),
])
def test_missing_or_unreadable_template(tmp_path, content, words):
    path = tmp_path / "mau.docx"
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    for args in (("validate", "--template", str(path)), ("pack", "--year", "2024", "--template", str(path))):
        r = run(*args, cwd=tmp_path)
        assert r.returncode == 1 and "Traceback" not in r.stderr
        assert words in r.stderr and "mau.docx" in r.stderr
    assert not (tmp_path / "output").exists()


def test_template_error_names_template_in_the_library(tmp_path, plan_2024):
    with pytest.raises(TemplateInvalid, match=r'mẫu x\.docx: thẻ "\{\{ t\.cod \}\}"'):
        FormTemplate(edited(tmp_path, "x", BROKEN["truong-khong-co"][0])).check(plan_2024, 2024)


def test_the_office_restyles_every_task_table_from_one_style(tmp_path, plan_2024):
    """The task tables take their formatting from named styles: changing "Bảng - nội dung" once in the template (as
    the office would in Word's Styles pane: 12 pt, 3 pt after) changes every task cell of every form, and the hint
    keeps Word's grey "Placeholder Text" character style."""
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Pt
    from docx.text.paragraph import Paragraph

    from generator.plan.assignments import assignments
    from generator.forms.context import form_context, form_properties

    with zipfile.ZipFile(SOURCE) as zf:
        items = [(i.filename, zf.read(i)) for i in zf.infolist()]
    styles = dict(items)["word/styles.xml"].decode("utf-8")
    text_style = re.search(r'<w:style [^>]*w:styleId="TableText">.*?</w:style>', styles)[0]
    restyled = text_style.replace('<w:sz w:val="21"/>', '<w:sz w:val="24"/>').replace('w:after="0"', 'w:after="60"')
    assert restyled.count("24") == 1 and restyled.count('w:after="60"') == 1
    path = tmp_path / "mau-12pt.docx"
    path.write_bytes(write_zip([(n, styles.replace(text_style, restyled).encode() if n == "word/styles.xml" else d)
                                for n, d in items]))
    tpl = FormTemplate(path)
    tpl.check(plan_2024, 2024)
    at = next(a for a in assignments(plan_2024, 2024) if a.agency.id == "so-cong-thuong")
    out = tmp_path / "so-cong-thuong.docx"
    out.write_bytes(tpl.render(form_context(plan_2024, at, 2024), form_properties(plan_2024, at, 2024)))
    d = docx.Document(str(out))
    by_tag = {t.get(qn("w:val")): t.getparent().getparent() for t in d.element.body.iter(qn("w:tag"))}
    table = d.tables[1]
    for tag in ("nv14|task", "nv15|task", "nv14|result", "nv14|deliverable", "nv14|timeframe"):
        p = Paragraph(next(by_tag[tag].iter(qn("w:p"))), table)
        style = p.style  # the task text and the product/timeframe lines are variants based on "Bảng - nội dung"
        assert (style if style.name == "Bảng - nội dung" else style.base_style).name == "Bảng - nội dung", tag
        if tag.endswith(("task", "result")):
            assert (style.font.size or style.base_style.font.size) == Pt(12), tag
        assert style.base_style.paragraph_format.space_after == Pt(3) or style.paragraph_format.space_after == Pt(3)
        assert all(r.font.size is None for r in p.runs), tag  # nothing in the cell overrides the style
    hint = Paragraph(next(by_tag["nv14|result"].iter(qn("w:p"))), table).runs[1]  # (runs[0]: the lead character)
    assert hint.text == "Nhập kết quả thực hiện" and hint.style.name == "Placeholder Text"
