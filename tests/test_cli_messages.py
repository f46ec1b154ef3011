"""What the clerk sees when a command is cut short or misused: a closed pipe (`kehoach status | head`) ends quietly,
Ctrl+C at any moment is one sentence and exit code 130, help and usage errors are Vietnamese, paths that are not
regular files (a FIFO, /dev/zero) or lead out of a folder are named for what they are, and a part that passes the XML
reader's limits says which. Run through the real command line."""

from __future__ import annotations

import base64
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from formfill import Fill, fill_form, kehoach

SCT = "so-cong-thuong"
STOPPED = "Đã dừng theo yêu cầu (Ctrl+C); các tệp và cơ sở dữ liệu đã có vẫn giữ nguyên."
PY = shlex.quote(sys.executable)

# The English words of typer and the click it carries (typer/_click/core.py, parser.py, exceptions.py,
# decorators.py, formatting.py; typer/core.py, _coercion.py, _param_types.py) that could reach a clerk.
ENGLISH = (
    "Usage:", "Options", "Arguments", "Commands", "Show this message and exit", "[default:", "default:", "required]",
    "env var:", "(dynamic)", "Error:", "No such option", "No such command", "Possible options", "Missing option",
    "Missing argument", "Missing parameter", "Missing command", "Invalid value", "Try '", "for help",
    "Got unexpected extra argument", "requires an argument", "does not take a value", "takes", "is not a valid",
    "is not one of", "does not exist", "Input should be", "Aborted!", "Choose from", "[OPTIONS]", "COMMAND",
    "[ARGS]", "<int", "<str>", "<path>", "list[Path]", "range>", "x>=", "paths...", "archive", "] agency",
)


def english_in(text: str) -> list[str]:
    return [w for w in ENGLISH if w in text]


# ------------------------------------------------------------------------------------------------- a closed pipe


def piped(command: str, reader: str, cwd: Path) -> tuple[str, str, int]:
    """`kehoach COMMAND | READER` in bash: what the reader printed, kehoach's stderr, kehoach's exit code."""
    env = {k: v for k, v in os.environ.items() if k != "KEHOACH_DB"}
    script = f"{PY} -m generator {command} 2>err.txt | {reader}; echo ${{PIPESTATUS[0]}} >rc.txt"
    r = subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=120, env=env)
    return r.stdout, (cwd / "err.txt").read_text(), int((cwd / "rc.txt").read_text())


def test_validate_piped_to_head_prints_its_first_line_and_ends_quietly(tmp_path):
    shown, err, code = piped("validate", "head -1", tmp_path)
    assert shown.startswith("Kế hoạch 1627/KH-UBND hợp lệ") and len(shown.splitlines()) == 1
    assert err == ""  # no traceback, no "Exception ignored ... BrokenPipeError", no sentence: a normal end
    assert code in (0, 141)


@pytest.mark.parametrize("command", [
    "validate", "pack --year 2024 --out bo", "diff --from 1/1/2024 --to 31/12/2025", "status --year 2024",
    "--help", "pack --help", "",
])
def test_output_to_a_reader_that_has_gone_ends_quietly(tmp_path, command):
    _, err, code = piped(command, "true", tmp_path)  # `true` reads nothing: the pipe is closed at the first write
    assert "Traceback" not in err and "Exception" not in err and "Lỗi" not in err and "Error" not in err, err
    assert all(line.startswith("Chú ý: chưa có cơ sở dữ liệu") for line in err.splitlines()), err
    assert code in (0, 141), err


def test_debug_shows_the_real_error_not_a_masking_one(tmp_path):
    r = kehoach("--debug", "validate", "--plan", "khong-co", cwd=tmp_path)
    assert r.returncode == 1
    assert "Traceback" in r.stderr and "KehoachError: không tìm thấy thư mục kế hoạch" in r.stderr
    assert "AttributeError" not in r.stderr, r.stderr


# ------------------------------------------------------------------------------------------------- Ctrl+C

# The two entry points exactly as Python runs them (the `kehoach` script; `python -m generator`, whose sys.argv[0] is
# "-m" while the module is located), with one line more: once the `generator` package has been imported (the first
# line of kehoach's own code has run), a marker on stderr tells the test to start its clock.
ENTRIES = {
    "kehoach": "import sys; sys.argv[0] = '/usr/bin/kehoach'; import generator; sys.stderr.write('@\\n'); "
               "sys.stderr.flush(); from generator.cli import main; sys.exit(main())",
    "python -m generator": "import runpy, sys; sys.argv[0] = '-m'; import generator; sys.stderr.write('@\\n'); "
                           "sys.stderr.flush(); runpy.run_module('generator', run_name='__main__', alter_sys=True)",
}
DELAYS_MS = (0, 0, 0.5, 1, 3, 8, 20, 50, 100, 180, 260)  # imports take ~200 ms; validate runs ~0.5 s more


@pytest.mark.parametrize("entry", ENTRIES)
def test_ctrl_c_at_any_moment_is_the_sentence_and_exit_code_130(tmp_path, entry):
    env = {k: v for k, v in os.environ.items() if k != "KEHOACH_DB"}
    for delay in DELAYS_MS:
        proc = subprocess.Popen([sys.executable, "-c", ENTRIES[entry], "validate"], cwd=tmp_path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stderr.readline() == "@\n"
        time.sleep(delay / 1000)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert "Traceback" not in err, f"Ctrl+C after {delay} ms:\n{err}"
        assert proc.returncode == 130, f"Ctrl+C after {delay} ms: exit code {proc.returncode}\n{out}{err}"
        assert err.strip() == STOPPED, f"Ctrl+C after {delay} ms:\n{err}"


# ------------------------------------------------------------------------------------------------- Vietnamese help


def test_the_help_of_every_command_is_vietnamese():
    from typer.testing import CliRunner

    from generator.cli.commands import app, app_commands

    pages = {"kehoach": CliRunner().invoke(app, ["--help"], prog_name="kehoach")}
    pages |= {c: CliRunner().invoke(app, [c, "--help"], prog_name="kehoach") for c in app_commands()}
    assert len(pages) >= 11
    for command, result in pages.items():
        assert result.exit_code == 0, (command, result.output)
        assert english_in(result.output) == [], (command, result.output)
        assert "Cách dùng: kehoach" in result.output and "Tùy chọn:" in result.output, result.output
        assert "Hiện hướng dẫn này rồi thoát." in result.output
    assert "Lệnh:" in pages["kehoach"].output and "[TÙY_CHỌN] LỆNH [ĐỐI_SỐ]..." in pages["kehoach"].output
    assert "[mặc định: " in pages["pack"].output and "[từ 1 trở lên]" in pages["pack"].output
    ingest = pages["ingest"].output
    assert "Đối số:" in ingest and "kehoach ingest [TÙY_CHỌN] TỆP_HOẶC_THƯ_MỤC..." in ingest
    assert "[bắt buộc]" in " ".join(ingest.split())
    for command in ("review", "show"):
        assert f"kehoach {command} [TÙY_CHỌN] ĐƠN_VỊ" in pages[command].output, pages[command].output


def test_help_and_usage_errors_on_the_command_line_are_vietnamese(tmp_path):
    r = kehoach(cwd=tmp_path)  # no command: the help
    assert r.returncode == 2 and english_in(r.stdout + r.stderr) == [] and "Cách dùng: kehoach" in r.stdout
    cases = {
        ("pack", "--bogus"): 'lệnh kehoach pack không có tùy chọn "--bogus"',
        ("ingest",): "thiếu tệp hoặc thư mục cần nhận cho lệnh kehoach ingest",
        ("show",): "thiếu đơn vị (mã đơn vị hoặc tên tệp biểu mẫu) cho lệnh kehoach show",
        ("diff", "--from"): 'tùy chọn "--from" cần một giá trị',
        ("pack", "--year", "hai-nghin"): 'giá trị "hai-nghin" của --year không hợp lệ, cần số nguyên',
        ("--debug",): "thiếu tên lệnh sau kehoach; các lệnh là:",
        ("--debug=1", "validate"): 'tùy chọn "--debug" không nhận giá trị',
        ("pack", "2024"): 'thừa đối số "2024" cho lệnh kehoach pack',
    }
    for args, words in cases.items():
        r = kehoach(*args, cwd=tmp_path)
        assert r.returncode == 1 and "Traceback" not in r.stderr, (args, r.stderr)
        assert r.stderr.startswith("Lỗi: ") and len(r.stderr.splitlines()) == 1, (args, r.stderr)
        assert words in r.stderr, (args, r.stderr)
        assert english_in(r.stderr) == [], (args, r.stderr)
        assert "xem cách dùng bằng kehoach" in r.stderr or "(xem kehoach --help)" in r.stderr


# ------------------------------------------------------------------------------------------------- paths to ingest


def test_a_fifo_or_a_device_given_to_ingest_is_named_for_what_it_is(tmp_path):
    os.mkfifo(tmp_path / "ong.docx")  # nobody writes into it: reading it would block for ever
    (tmp_path / "zero.docx").symlink_to("/dev/zero")  # reading it never ends
    r = kehoach("ingest", "ong.docx", "zero.docx", "--db", "csdl.sqlite3", cwd=tmp_path, timeout=60)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert lines[0] == ("Lỗi: ong.docx: không phải tệp thông thường mà là một ống dẫn dữ liệu (FIFO); kehoach không "
                        "đọc nó, hãy chỉ ra tệp .docx đã nhận")
    assert lines[1] == ('Lỗi: zero.docx: liên kết tới "/dev/zero": không phải tệp thông thường mà là một thiết bị của '
                        "hệ thống; kehoach không đọc nó, hãy chỉ ra tệp .docx đã nhận")
    assert "không tìm thấy" not in r.stderr
    assert "Đã nhận 0 tệp mới, 0 tệp đã có, 2 lỗi" in r.stdout


def test_a_fifo_is_never_opened_for_a_blocking_read(tmp_path):
    """The reader's own check, for a file replaced by a FIFO after ingest looked at it."""
    from generator.errors import FormRejected
    from generator.returns.package import load_file

    def blocked(signum, frame):
        raise TimeoutError("load_file waits for a writer to open the FIFO")

    fifo = tmp_path / "x.docx"
    os.mkfifo(fifo)
    previous = signal.signal(signal.SIGALRM, blocked)
    signal.alarm(5)
    try:
        with pytest.raises(FormRejected, match="ống dẫn dữ liệu"):  # returns at once, does not wait for a writer
            load_file(fifo)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_links_out_of_a_folder_given_to_ingest_are_skipped_with_a_note(tmp_path, forms_2024):
    secret = tmp_path / "ngoai"
    secret.mkdir()
    (secret / "so-tai-chinh.docx").write_bytes(forms_2024["so-tai-chinh"])
    (secret / "sub").mkdir()
    (secret / "sub" / "so-y-te.docx").write_bytes(forms_2024["so-y-te"])
    inbox = tmp_path / "nhan"
    inbox.mkdir()
    (inbox / f"{SCT}.docx").write_bytes(fill_form(forms_2024[SCT], {"nv14": Fill(result=["Đã làm."])}))
    (inbox / "so-tai-chinh.docx").symlink_to(secret / "so-tai-chinh.docx")
    (inbox / "thu-muc").symlink_to(secret / "sub")
    (inbox / "ban-sao.docx").symlink_to(inbox / f"{SCT}.docx")  # a link inside the folder: the same file
    os.mkfifo(inbox / "ong.docx")
    r = kehoach("ingest", "nhan", "--db", "csdl.sqlite3", "--year", "2024", cwd=tmp_path, timeout=60)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    notes = r.stderr.splitlines()
    assert f'Chú ý: nhan/so-tai-chinh.docx: bỏ qua: liên kết tới "{secret}/so-tai-chinh.docx" nằm ngoài thư mục ' \
           '"nhan", không đọc' in notes
    assert f'Chú ý: nhan/thu-muc: bỏ qua: liên kết tới thư mục "{secret}/sub" nằm ngoài thư mục "nhan", không đọc' \
           in notes
    assert any(n.startswith("Chú ý: nhan/ong.docx: bỏ qua: không phải tệp thông thường") for n in notes), notes
    assert len(notes) == 3, notes
    assert "Đã nhận: nhan/ban-sao.docx — Sở Công Thương" in r.stdout or "Đã nhận: nhan/so-cong-thuong.docx" in r.stdout
    assert "Tài chính" not in r.stdout and "Y tế" not in r.stdout
    assert "Đã nhận 1 tệp mới, 0 tệp đã có, 0 lỗi" in r.stdout


# ------------------------------------------------------------------------------------------------- XML limits


def test_a_text_run_over_the_xml_readers_limit_says_which_limit(tmp_path, forms_2024):
    text = base64.b64encode(os.urandom(7_600_000)).decode()  # 10.1 million characters that hardly compress
    (tmp_path / f"{SCT}.docx").write_bytes(fill_form(forms_2024[SCT], {"nv14": Fill(result=[text])}))
    r = kehoach("ingest", f"{SCT}.docx", "--db", "csdl.sqlite3", "--year", "2024", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip() == (
        f'Lỗi: {SCT}.docx: phần "word/document.xml" có một đoạn văn bản liền (không xuống dòng, không đổi định dạng) '
        "dài quá 10 triệu byte, vượt giới hạn an toàn của trình đọc XML nên tệp không được nhận; hãy đề nghị đơn vị "
        "rút gọn nội dung (hoặc chia thành nhiều đoạn) rồi gửi lại")
    assert "Resource" not in r.stderr and "XML_PARSE_HUGE" not in r.stderr and "hỏng" not in r.stderr
