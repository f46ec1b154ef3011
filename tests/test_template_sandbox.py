"""A template is a document the office receives and edits: it must never run code, whatever Jinja it contains, and
it cannot cost more than a few seconds and a bounded amount of memory.

Each hostile template is the office template with Jinja text typed into the paragraph of the opening sentence (as
anyone editing the .docx in Word could). The commands run as a clerk runs them (`python -m generator ...` in a
fresh folder): the payloads try to create a marker file, and the tests check that the file does not exist, that the
command exits 1 with one sentence naming the template and the tag, and that no output folder was written. The cost
bombs must fail within seconds, with a bounded peak memory (measured with wait4), under an address-space limit that
keeps a regression from taking the machine down."""

from __future__ import annotations

import io
import os
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from generator.forms.render import FormTemplate, TemplateInvalid
from generator.paths import templates_dir
from generator.office.ziputil import write_zip

SOURCE = templates_dir() / "bao-cao-don-vi.docx"
ANCHOR = "{{ opening }}"


def hostile(tmp_path: Path, jinja: str, name: str = "mau-doc") -> Path:
    """The office template with `jinja` typed after the opening sentence's tag, in the same run of text."""
    with zipfile.ZipFile(SOURCE) as zf:
        items = [(i.filename, zf.read(i)) for i in zf.infolist()]
    out = []
    for part, data in items:
        if part == "word/document.xml":
            xml = data.decode("utf-8")
            assert xml.count(ANCHOR) == 1
            data = xml.replace(ANCHOR, ANCHOR + escape(jinja)).encode("utf-8")
        out.append((part, data))
    path = tmp_path / f"{name}.docx"
    path.write_bytes(write_zip(out))
    return path


def _limit_memory() -> None:  # in the child: a regression fails with MemoryError instead of swapping the machine
    resource.setrlimit(resource.RLIMIT_AS, (3 * 1024 ** 3, resource.RLIM_INFINITY))


# Starts the CLI and writes its peak memory (wait4's ru_maxrss, KB) to the file argv[1]. A process forked from pytest
# would report pytest's own memory at the fork as its peak (Linux keeps the larger of the two across exec), which in
# the full suite is hundreds of MB; this small process's child starts from its few MB.
LAUNCHER = """
import os, subprocess, sys
p = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(p.pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def run(*args: str, cwd: Path, timeout: float = 60) -> tuple[int, str, str, float, float]:
    """Run the CLI; returns (exit code, stdout, stderr, seconds, peak memory of the process in MB)."""
    start = time.monotonic()
    peak = cwd / ".peak-kb"
    with open(cwd / ".stdout", "w+") as o, open(cwd / ".stderr", "w+") as e:
        p = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(peak), sys.executable, "-m", "generator", *args],
                             cwd=cwd, stdout=o, stderr=e, preexec_fn=_limit_memory, start_new_session=True)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)  # the launcher and the CLI
            p.wait()
        seconds = time.monotonic() - start
        o.seek(0)
        e.seek(0)
        peak_mb = int(peak.read_text()) / 1024 if peak.exists() else float("inf")
        return p.returncode, o.read(), e.read(), seconds, peak_mb


def refused(tmp_path: Path, jinja: str, command: str) -> str:
    """Run validate or pack on the hostile template; assert a refusal in one sentence, nothing run, nothing written.
    Returns the sentence."""
    marker = tmp_path / "da-chay-lenh"
    template = hostile(tmp_path, jinja.replace("MARKER", str(marker)))
    args = ("validate", "--template", str(template)) if command == "validate" else (
        "pack", "--year", "2024", "--template", str(template))
    code, stdout, stderr, seconds, _ = run(*args, cwd=tmp_path)
    assert not marker.exists(), "the template ran a command"
    assert code == 1, (code, stdout, stderr)
    assert "Traceback" not in stderr
    [line] = stderr.splitlines()
    assert line.startswith("Lỗi: mẫu mau-doc.docx: "), line
    assert not (tmp_path / "output").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["mau-doc.docx"]
    return line


CODE = {
    # name: (payload, the tag the sentence shows, words of the problem)
    "lipsum-popen": ("{{ lipsum.__globals__['os'].popen('touch MARKER').read() }}", "{{ lipsum.__globals__",
                     'thuộc tính "__globals__"'),
    "cycler-system": ("{{ cycler.__init__.__globals__.os.system('touch MARKER') }}", "{{ cycler.__init__",
                      'thuộc tính "__init__"'),
    "joiner": ("{{ joiner.__init__.__globals__['os'].system('touch MARKER') }}", "{{ joiner.", '"__init__"'),
    "subscript": ("{{ opening['__class__']['__mro__'][1]['__subclasses__']() }}", "{{ opening['__class__']",
                  'thuộc tính "__class__"'),
    "attr-filter": ("{{ (opening|attr('__class__')|attr('__mro__'))[1].__subclasses__() }}", "attr('__class__')",
                    'thuộc tính "__class__"'),
    "private": ("{{ opening._x }}", "{{ opening._x }}", 'thuộc tính "_x"'),
    "namespace": ("{% set ns = namespace(x=1) %}", "{% set ns = namespace(x=1) %}", "namespace"),
    "range": ("{% for i in range(10) %}{% endfor %}", "{% for i in range(10) %}", "range"),
    "method": ("{{ opening.upper() }}", "{{ opening.upper() }}", "gọi hàm"),
    "macro": ("{% macro m() %}x{% endmacro %}", "{% macro m() %}", '"macro"'),
    "format-method": ("{{ '{0.__class__}'.format(opening) }}", "format(opening)", "gọi hàm"),
}


def refused_in_process(tmp_path: Path, jinja: str, monkeypatch) -> str:
    """`kehoach validate --template` run in-process (faster; `refused` runs the command as a process): the same
    assertions."""
    from typer.testing import CliRunner

    from generator.cli.commands import app

    marker = tmp_path / "da-chay-lenh"
    template = hostile(tmp_path, jinja.replace("MARKER", str(marker)))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["validate", "--template", str(template)])
    assert not marker.exists(), "the template ran a command"
    assert result.exit_code == 1 and (result.exception is None or isinstance(result.exception, SystemExit))
    assert "Traceback" not in result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("Lỗi:")]
    assert line.startswith("Lỗi: mẫu mau-doc.docx: "), line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mau-doc.docx"]
    return line


AS_PROCESS = {"lipsum-popen", "cycler-system"}  # the two payloads of the issue: run exactly as a clerk would


@pytest.mark.parametrize("name", sorted(CODE))
def test_validate_refuses_a_template_that_reaches_for_code(tmp_path, monkeypatch, name):
    payload, tag, words = CODE[name]
    line = refused(tmp_path, payload, "validate") if name in AS_PROCESS else (
        refused_in_process(tmp_path, payload, monkeypatch))
    assert f'thẻ "{tag}' in line or tag in line, line
    assert words in line, line
    assert "kehoach validate" in line


@pytest.mark.parametrize("name", ["lipsum-popen", "cycler-system"])
def test_pack_refuses_a_template_that_reaches_for_code_before_writing(tmp_path, name):
    payload, tag, words = CODE[name]
    line = refused(tmp_path, payload, "pack")
    assert tag in line and words in line, line


def test_code_hidden_in_a_branch_no_sample_takes_is_refused(tmp_path):
    """The check is on the template's text, not on what the sample forms happen to evaluate."""
    line = refused(tmp_path, "{% if year == 1900 %}{{ cycler.__init__.__globals__.os.system('touch MARKER') }}"
                              "{% endif %}", "validate")
    assert '"__init__"' in line


BOMBS = {
    # name: (payload, words of the sentence)
    "string-times-a-billion": ("{{ 'a' * 1000000000 }}", "quá lớn"),
    "list-times-a-billion": ("{{ ([opening] * 1000000000)|length }}", "quá lớn"),
    "power": ("{{ 10 ** 1000000000 }}", "quá lớn"),
    "percent-width": ("{{ '%01000000000d' % 1 }}", "quá lớn"),
    "doubling": ("".join(f"{{% set s{i + 1} = s{i} ~ s{i} %}}" for i in range(40)).replace("s0 ~ s0", "opening")
                 + "{{ s40 }}", "quá lớn"),
    "nested-lists": ("".join(f"{{% set l{i + 1} = [l{i}, l{i}] %}}" for i in range(60)).replace("[l0, l0]", "[opening]")
                     + "{{ l60 }}", "quá lớn"),
    "huge-join": ("{% set a = opening|list|join(opening) %}{% set b = a|list|join(a) %}{{ b|length }}", "quá lớn"),
    "huge-replace": ("{% set a = opening|replace('', opening) %}{{ a|replace('', a)|length }}", "quá lớn"),
    "nested-loops": ("{% for a in opening %}{% for b in opening %}{% for c in opening %}{% for d in opening %}"
                     "{% endfor %}{% endfor %}{% endfor %}{% endfor %}", "lần lặp"),
    "nested-loops-writing": ("{% for a in opening %}{% for b in opening %}{% for c in opening %}{{ closing }}"
                             "{% endfor %}{% endfor %}{% endfor %}", "giới hạn"),
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_a_costly_template_fails_fast_with_bounded_memory(tmp_path, name):
    payload, words = BOMBS[name]
    template = hostile(tmp_path, payload)
    code, stdout, stderr, seconds, peak_mb = run("validate", "--template", str(template), cwd=tmp_path, timeout=40)
    assert code == 1 and "Traceback" not in stderr, (code, stderr[-2000:])
    [line] = stderr.splitlines()
    assert line.startswith("Lỗi: mẫu mau-doc.docx: "), line
    assert words in line and "giới hạn" in line, line
    assert seconds < 12, seconds
    assert peak_mb < 400, peak_mb


def test_pack_refuses_a_costly_template_before_writing(tmp_path):
    template = hostile(tmp_path, BOMBS["string-times-a-billion"][0])
    code, _, stderr, seconds, peak_mb = run("pack", "--year", "2024", "--template", str(template), cwd=tmp_path,
                                            timeout=40)
    assert code == 1 and "quá lớn" in stderr and "Traceback" not in stderr, stderr[-2000:]
    assert len(stderr.splitlines()) == 1
    assert seconds < 12 and peak_mb < 400, (seconds, peak_mb)
    assert not (tmp_path / "output").exists()


def test_a_bomb_only_one_agency_triggers_stops_pack_without_output(tmp_path, plan_2024):
    """The trial render samples a few agencies; a bomb aimed at another one is caught when its form is rendered,
    by the same limits, and nothing is written."""
    template = hostile(tmp_path, "{% if agency_code == 'STTTT' %}{{ 'a' * 1000000000 }}{% endif %}")
    tpl = FormTemplate(template)
    tpl.check(plan_2024, 2024)  # the samples do not include Sở Thông tin và Truyền thông
    code, _, stderr, seconds, peak_mb = run("pack", "--year", "2024", "--template", str(template), cwd=tmp_path,
                                            timeout=40)
    assert code == 1 and "quá lớn" in stderr and "Traceback" not in stderr, stderr[-2000:]
    assert "Sở Thông tin và Truyền thông" in stderr
    assert len(stderr.splitlines()) == 1
    assert seconds < 12 and peak_mb < 400, (seconds, peak_mb)
    # the staging folder is gone; only the (empty) parent folder that `pack` creates first may remain
    assert not [p for p in (tmp_path / "output").rglob("*") if not p.is_dir()]
    assert not (tmp_path / "output" / "khanh-hoa-1627" / "2024").exists()


ALLOWED = {
    # what the office may reasonably write (documented variables and fields, filters, tests, loops, set,
    # arithmetic): the text each gives in Sở Công Thương's 2024 form
    "{{ agency_name|upper }} năm {{ year - 1 }}": lambda c: "SỞ CÔNG THƯƠNG năm 2023",
    "{% set n = lead|length + partner|length %}{{ n }} nhiệm vụ; {{ (agency_code ~ '/' ~ year)|lower }}":
        lambda c: f"{len(c['lead']) + len(c['partner'])} nhiệm vụ; sct/2024",
    "{% for t in lead %}{{ loop.index }}. {{ t.code }}{{ loop.cycle(',', ';') if not loop.last }} {% endfor %}":
        lambda c: "".join(f"{i}. {t['code']}{(',' if i % 2 else ';') if i < len(c['lead']) else ''} "
                          for i, t in enumerate(c["lead"], 1)),
    "{{ lead|map(attribute='code')|join(', ') }} | {{ partner|selectattr('via')|list|length }} | {{ '%03d' % 7 }}":
        lambda c: f"{', '.join(t['code'] for t in c['lead'])} | {sum(1 for t in c['partner'] if t['via'])} | 007",
    "{{ agency_code|default('') }} {{ 'ab' * 3 }} {{ [1, 2][1] }} {{ opening[:9] }} {{ plan_number is string }}":
        lambda c: f"SCT ababab 2 {c['opening'][:9]} True",
    "{{ (lead|first).task|truncate(25) }} {{ 2 ** 10 }} {{ lead|sort(attribute='code')|map(attribute='code')|first }}":
        lambda c: (c["lead"][0]["task"][:22].rsplit(" ", 1)[0] + "..." if len(c["lead"][0]["task"]) > 30 else
                   c["lead"][0]["task"]) + " 1024 " + sorted(t["code"] for t in c["lead"])[0],
}


@pytest.mark.parametrize("jinja", list(ALLOWED))
def test_documented_variables_and_filters_still_render(tmp_path, plan_2024, jinja):
    import re

    from generator.plan.assignments import assignments
    from generator.forms.context import form_context, form_properties

    tpl = FormTemplate(hostile(tmp_path, jinja))
    tpl.check(plan_2024, 2024)
    at = next(a for a in assignments(plan_2024, 2024) if a.agency.id == "so-cong-thuong")
    context = form_context(plan_2024, at, 2024)
    data = tpl.render(context, form_properties(plan_2024, at, 2024))
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    from html import unescape

    text = unescape("".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", xml)))
    assert context["opening"] + ALLOWED[jinja](context) in text


def test_the_library_refuses_before_rendering(tmp_path):
    """FormTemplate itself refuses (pack and validate go through it): no need for a plan to know it is hostile."""
    with pytest.raises(TemplateInvalid, match=r'mẫu mau-doc\.docx: thẻ "\{\{ lipsum\.__globals__'):
        FormTemplate(hostile(tmp_path, CODE["lipsum-popen"][0]))


MORE_FORBIDDEN = {
    # the same rules, in-process (FormTemplate is what validate and pack run): name -> (payload, words)
    "map-attr": ("{{ lead|map('attr', '__class__')|list }}", 'thuộc tính "__class__"'),
    "sort-attribute": ("{{ lead|sort(attribute='task.__class__') }}", 'thuộc tính "task.__class__"'),
    "selectattr": ("{{ lead|selectattr('_x')|list }}", 'thuộc tính "_x"'),
    "loop-private": ("{% for t in lead %}{{ loop.__class__ }}{% endfor %}", 'thuộc tính "__class__"'),
    "recursive-loop": ("{% for t in lead recursive %}{{ loop(t) }}{% endfor %}", 'gọi hàm "loop"'),
    "call-global": ("{{ lipsum(1) }}", 'gọi hàm "lipsum"'),
    "autoescape": ("{% autoescape false %}{{ opening }}{% endautoescape %}", 'câu lệnh "autoescape"'),
    "set-block": ("{% set x %}{{ opening }}{% endset %}", 'câu lệnh "set"'),
    "filter-block": ("{% filter upper %}x{% endfilter %}", 'câu lệnh "filter"'),
    "include": ("{% include 'x.docx' %}", 'câu lệnh "include"'),
    "call-block": ("{% call loop.cycle() %}x{% endcall %}", 'câu lệnh "call"'),
    "center": ("{{ opening|center(10) }}", 'không có bộ lọc "center"'),
    "safe": ("{{ opening|safe }}", 'không có bộ lọc "safe"'),
    "deep-nesting": ("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "lồng nhau quá nhiều tầng"),
}


@pytest.mark.parametrize("name", list(MORE_FORBIDDEN))
def test_more_that_a_template_may_not_do(tmp_path, name):
    payload, words = MORE_FORBIDDEN[name]
    with pytest.raises(TemplateInvalid) as e:
        FormTemplate(hostile(tmp_path, payload))
    assert str(e.value).startswith("mẫu mau-doc.docx: ") and words in str(e.value), str(e.value)
    assert "kehoach validate" in str(e.value)


def test_unknown_globals_are_unknown_variables(tmp_path, plan_2024):
    for name in ("lipsum", "cycler", "joiner", "namespace", "range", "dict"):
        with pytest.raises(TemplateInvalid, match=f'thẻ "{{{{ {name} }}}}" dùng biến "{name}" không có'):
            FormTemplate(hostile(tmp_path, f"{{{{ {name} }}}}")).check(plan_2024, 2024)


def test_a_slow_template_stops_at_the_time_limit(tmp_path, plan_2024, monkeypatch):
    """Comparisons of long texts in nested loops: no value grows, only time passes (the limit is lowered here)."""
    from generator.forms import sandbox as templatesandbox

    monkeypatch.setattr(templatesandbox, "MAX_SECONDS", 0.5)
    tpl = FormTemplate(hostile(tmp_path, "{% set a = 'x' * 4000000 %}{% set b = 'x' * 4000000 %}"
                                         "{% for i in opening %}{% for j in opening %}{% if a == b %}{% endif %}"
                                         "{% endfor %}{% endfor %}"))
    start = time.monotonic()
    with pytest.raises(TemplateInvalid, match=r"chạy quá lâu \(vượt giới hạn 0\.5 giây cho mỗi biểu mẫu\)"):
        tpl.check(plan_2024, 2024)
    assert time.monotonic() - start < 3


def test_a_form_is_never_larger_than_the_reader_accepts():
    from generator.returns import package as formreader
    from generator.forms import sandbox as templatesandbox

    assert templatesandbox.MAX_PART_BYTES == formreader.MAX_XML_PART
