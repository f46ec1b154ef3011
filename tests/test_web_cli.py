"""The web app's commands as a clerk runs them: `kehoach user add/list/remove`, `kehoach links`, `kehoach serve`
(subprocesses: the exact sentences, exit codes, and what the database then holds); failed logins slowed down."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
from formfill import kehoach
from webkit import OFFICE_PASSWORD, OFFICE_USER, add_account, client_of, log_in

from generator.returns.store import Store

DB = "kehoach-data/bao-cao.sqlite3"
PLAN = "khanh-hoa-1627"


def with_input(args: list[str], text: str, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "KEHOACH_DB"}
    return subprocess.run([sys.executable, "-m", "generator", *args], input=text, cwd=cwd, capture_output=True,
                          text=True, timeout=60, env=env)


def one_error(r) -> str:
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Lỗi: "), r.stderr
    return lines[0]


# ------------------------------------------------------------------------------------------------ accounts


def test_user_add_list_remove(tmp_path):
    r = with_input(["user", "add", OFFICE_USER, "--password-stdin"], OFFICE_PASSWORD + "\n", tmp_path)
    assert r.returncode == 0 and f'Đã thêm tài khoản "{OFFICE_USER}"' in r.stdout, r.stderr
    with_input(["user", "add", "Trần Thị Bình", "--password-stdin"], "mat-khau-thu-hai\n", tmp_path)
    listed = kehoach("user", "list", cwd=tmp_path).stdout.splitlines()
    assert [line.split(" — ")[0] for line in listed] == [OFFICE_USER, "Trần Thị Bình"]
    again = with_input(["user", "add", OFFICE_USER, "--password-stdin"], "mat-khau-khac-1\n", tmp_path)
    assert f'đã có tài khoản "{OFFICE_USER}"' in one_error(again)
    r = kehoach("user", "remove", "Trần Thị Bình", cwd=tmp_path)
    assert r.returncode == 0 and "còn 1 tài khoản" in r.stdout
    r = kehoach("user", "remove", OFFICE_USER, cwd=tmp_path)
    assert r.returncode == 0 and "không còn tài khoản nào: không ai đăng nhập được" in r.stdout
    assert 'không có tài khoản "Ai Đó"' in one_error(kehoach("user", "remove", "Ai Đó", cwd=tmp_path))
    assert "Chưa có tài khoản nào" in kehoach("user", "list", cwd=tmp_path).stdout
    with Store(tmp_path / DB) as store:
        actions = [r[0] for r in store.conn.execute("SELECT action FROM events ORDER BY id")]
        assert actions == ["user-add", "user-add", "user-remove", "user-remove"]
        assert OFFICE_PASSWORD not in store.dump()


@pytest.mark.parametrize("name, password, sentence", [
    (OFFICE_USER, "ngan", "mật khẩu quá ngắn (4 ký tự); hãy dùng mật khẩu ít nhất 8 ký tự"),
    (OFFICE_USER, "", "mật khẩu quá ngắn (0 ký tự)"),
    ("   ", OFFICE_PASSWORD, "tên tài khoản không được để trống"),
    ("a" * 65, OFFICE_PASSWORD, "tên tài khoản dài 65 ký tự; hãy dùng tên tối đa 64 ký tự"),
    ("An\x1b[31m", OFFICE_PASSWORD, "tên tài khoản có ký tự điều khiển"),
])
def test_user_add_refuses_bad_names_and_passwords(tmp_path, name, password, sentence):
    r = with_input(["user", "add", name, "--password-stdin"], password + "\n", tmp_path)
    assert sentence in one_error(r)
    assert not (tmp_path / DB).exists() or "Chưa có tài khoản" in kehoach("user", "list", cwd=tmp_path).stdout


def _on_a_terminal(args: list[str], typed: list[str], cwd) -> tuple[int, str]:
    """Run kehoach with a pseudo-terminal as its controlling terminal (getpass reads /dev/tty), typing `typed`."""
    import fcntl
    import pty
    import termios

    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "KEHOACH_DB"}

    def controlling():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen([sys.executable, "-m", "generator", *args], stdin=slave, stdout=slave, stderr=slave,
                            cwd=cwd, env=env, start_new_session=True, preexec_fn=controlling)
    os.close(slave)
    output = b""

    def read_until(text: bytes) -> None:
        nonlocal output
        deadline = time.monotonic() + 30
        while text not in output and time.monotonic() < deadline:
            try:
                output += os.read(master, 4096)
            except OSError:
                break

    for answer, prompt in zip(typed, ("Mật khẩu: ", "Nhập lại mật khẩu: ")):
        read_until(prompt.encode())
        os.write(master, answer.encode() + b"\n")
    code = proc.wait(timeout=60)
    read_until(b"\x00never")
    os.close(master)
    return code, output.decode("utf-8", "replace")


def test_user_add_asks_twice_without_echo(tmp_path):
    code, shown = _on_a_terminal(["user", "add", OFFICE_USER], [OFFICE_PASSWORD, "mat-khau-khac-han"], tmp_path)
    assert code == 1 and "Lỗi: hai lần nhập mật khẩu không giống nhau" in shown and OFFICE_PASSWORD not in shown
    assert "Traceback" not in shown
    code, shown = _on_a_terminal(["user", "add", OFFICE_USER], [OFFICE_PASSWORD, OFFICE_PASSWORD], tmp_path)
    assert code == 0 and "Đã thêm tài khoản" in shown and OFFICE_PASSWORD not in shown
    with Store(tmp_path / DB) as store:
        from generator.returns.accounts import verify_password

        assert verify_password(store, OFFICE_USER, OFFICE_PASSWORD)


# ------------------------------------------------------------------------------------------------ failed logins


def test_the_sixth_failed_login_is_refused_even_with_the_right_password(anon_client, web_settings):
    add_account(web_settings)
    for _ in range(5):
        assert log_in(anon_client, password="sai-mat-khau").status_code == 400
    r = log_in(anon_client)
    assert r.status_code == 403 and "đã đăng nhập sai 5 lần trong 15 phút; hãy chờ" in r.text
    assert anon_client.get("/").status_code == 303  # not logged in


def test_failures_from_one_address_block_every_name(anon_client, web_settings):
    add_account(web_settings)
    for i in range(5):
        log_in(anon_client, name=f"Đoán Tên {i}", password="sai-mat-khau")
    assert log_in(anon_client).status_code == 403


def test_the_lockout_ends_a_minute_after_the_last_failure(tmp_path):
    from generator.errors import Refused
    from generator.returns.accounts import add_user, login

    start = dt.datetime(2025, 12, 1, 8, 0, tzinfo=dt.timezone.utc)
    with Store(tmp_path / "db.sqlite3") as store:
        add_user(store, OFFICE_USER, OFFICE_PASSWORD)
        for i in range(5):
            assert login(store, OFFICE_USER, "sai", "10.0.0.9", now=start + dt.timedelta(seconds=i)) is None
        with pytest.raises(Refused, match="hãy chờ 30 giây"):
            login(store, OFFICE_USER, OFFICE_PASSWORD, "10.0.0.7", now=start + dt.timedelta(seconds=34))
        assert login(store, OFFICE_USER, OFFICE_PASSWORD, "10.0.0.7", now=start + dt.timedelta(seconds=65)) \
            == OFFICE_USER
        later = start + dt.timedelta(minutes=16)  # the failures have left the window
        assert login(store, "Người Khác", "sai", "10.0.0.9", now=later) is None


def test_an_unknown_name_is_checked_against_a_hash_too(tmp_path, monkeypatch):
    from argon2 import PasswordHasher

    from generator.returns.accounts import verify_password

    calls = []
    real = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify", lambda self, h, p: calls.append(h) or real(self, h, p))
    with Store(tmp_path / "db.sqlite3") as store:
        add_account(type("Settings", (), {"db": tmp_path / "db.sqlite3"}))
        assert not verify_password(store, "Không Có Ai", OFFICE_PASSWORD)
        assert verify_password(store, OFFICE_USER, OFFICE_PASSWORD)
    assert len(calls) == 2 and all(h.startswith("$argon2id$") for h in calls)


# ------------------------------------------------------------------------------------------------ links


def _link_lines(r) -> dict[str, list[str]]:
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stdout + r.stderr
    return {line.split(" — ")[0]: line.split(" — ") for line in r.stdout.splitlines()}


def test_links_are_issued_once_reissued_and_revoked(tmp_path, plan):
    from generator.plan.assignments import assignments
    from generator.returns.links import resolve

    first = _link_lines(kehoach("links", "--year", "2025", cwd=tmp_path))
    reporting = [at.agency.id for at in assignments(plan, 2025)]
    assert list(first) == reporting
    tokens = {}
    for agency, (_, name, link) in first.items():
        assert re.fullmatch(r"/nop/[A-Za-z0-9_-]{43}", link), link
        tokens[agency] = link.removeprefix("/nop/")
    assert first["so-tai-chinh"][1] == "Sở Tài chính"
    again = _link_lines(kehoach("links", "--year", "2025", cwd=tmp_path))
    assert all(line[2].startswith("đã cấp lúc ") and f"--reissue {a}" in line[2] for a, line in again.items())
    new = _link_lines(kehoach("links", "--year", "2025", "--reissue", "so-tai-chinh.docx", "--base-url",
                              "https://baocao.example.vn/", cwd=tmp_path))
    assert new["so-tai-chinh"][2].startswith("https://baocao.example.vn/nop/")
    assert new["so-noi-vu"][2].startswith("đã cấp lúc ")
    with Store(tmp_path / DB) as store:
        assert resolve(store, tokens["so-tai-chinh"]) is None  # the re-issued link's old token
        fresh = new["so-tai-chinh"][2].rsplit("/", 1)[1]
        found = resolve(store, fresh)
        assert (found.plan, found.year, found.agency) == (PLAN, 2025, "so-tai-chinh")
        assert resolve(store, tokens["so-noi-vu"]).agency == "so-noi-vu"
        token = tokens["so-noi-vu"]
        assert resolve(store, token[:-1] + ("B" if token.endswith("A") else "A")) is None  # one character off
        assert resolve(store, token + "A") is None and resolve(store, "../../etc/passwd") is None
        assert not any(t in store.dump() for t in [*tokens.values(), fresh])  # only hashes are stored
    r = kehoach("links", "--year", "2025", "--revoke", "Sở Nội vụ", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == "so-noi-vu — Sở Nội vụ — đã thu hồi liên kết"
    assert "Sở Nội vụ chưa có liên kết nộp báo cáo năm 2025 nào còn dùng được" in one_error(
        kehoach("links", "--year", "2025", "--revoke", "so-noi-vu", cwd=tmp_path))
    with Store(tmp_path / DB) as store:
        assert resolve(store, tokens["so-noi-vu"]) is None
        actions = [r[0] for r in store.conn.execute("SELECT action FROM events WHERE agency = 'so-tai-chinh'")]
        assert actions == ["link-issue", "link-revoke", "link-issue"]
    after = _link_lines(kehoach("links", "--year", "2025", cwd=tmp_path))
    assert after["so-noi-vu"][2].startswith("/nop/")  # a revoked agency gets a new link the next time


def test_links_refuses_bad_input(tmp_path):
    assert 'không có đơn vị "so-khong-co"' in one_error(
        kehoach("links", "--year", "2025", "--reissue", "so-khong-co", cwd=tmp_path))
    assert '--base-url "baocao.vn" không phải địa chỉ web' in one_error(
        kehoach("links", "--year", "2025", "--base-url", "baocao.vn", cwd=tmp_path))
    assert "năm 1990 không hợp lệ" in one_error(kehoach("links", "--year", "1990", cwd=tmp_path))
    assert not (tmp_path / DB).exists()


# ------------------------------------------------------------------------------------------------ serve


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(tmp_path, *args: str) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "KEHOACH_DB"}
    proc = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--port", str(port), *args], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    assert "kehoach serve: mở http://" in line and f":{port}/" in line, (line, proc.stderr.read())
    return proc, port


@pytest.mark.server
def test_serve_answers_then_ctrl_c_exits_130(tmp_path):
    import httpx

    add_account(type("S", (), {"db": tmp_path / DB}))
    proc, port = _start(tmp_path)
    try:
        r = httpx.get(f"http://127.0.0.1:{port}/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/dang-nhap?next=%2F"
        page = httpx.get(f"http://127.0.0.1:{port}/dang-nhap")
        assert "Đăng nhập" in page.text and "server" not in {k.lower() for k in page.headers}
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "Đã dừng theo yêu cầu (Ctrl+C); các tệp và cơ sở dữ liệu đã có vẫn giữ nguyên."
    assert "Traceback" not in err and "INFO" not in err + out
    assert "không có lỗi" in kehoach("check-db", "--db", DB, cwd=tmp_path).stdout


@pytest.mark.server
def test_serve_warns_about_another_host_and_a_missing_account(tmp_path):
    proc, port = _start(tmp_path, "--host", "0.0.0.0")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert "Cảnh báo: ứng dụng nhận kết nối từ máy khác qua địa chỉ 0.0.0.0" in err
    assert "Chú ý: chưa có tài khoản nào để đăng nhập trang của văn phòng; hãy tạo một tài khoản bằng lệnh kehoach " \
           "user add TÊN" in err
    proc, port = _start(tmp_path)
    try:
        busy = kehoach("serve", "--port", str(port), cwd=tmp_path)
        assert f"cổng {port} đang được một chương trình khác dùng" in busy.stderr.strip().splitlines()[-1]
        assert busy.returncode == 1 and "Traceback" not in busy.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


def test_serve_refuses_a_database_inside_output(tmp_path):
    r = kehoach("serve", "--db", "output/bao-cao.sqlite3", cwd=tmp_path)
    assert r.returncode == 1 and "output" in one_error(r)
    assert not (tmp_path / "output").exists()


def test_serve_refuses_a_base_url_that_is_no_web_address(tmp_path):
    # the links the app shows would be "baocao.vn/nop/..." otherwise: the same sentence as `links` and `pack`
    for bad in ("baocao.vn", "https://bao cao.vn"):
        r = kehoach("serve", "--port", "1", "--base-url", bad, cwd=tmp_path, timeout=30)
        assert r.returncode == 1 and f'--base-url "{bad}" không phải địa chỉ web' in one_error(r)


def test_office_client_fixture_is_logged_in(office_client):
    assert "Tài khoản: Nguyễn Văn An" in office_client.get("/").text


def test_a_logged_in_client_and_another_browser(web_app, web_settings, office_client):
    with client_of(web_app) as other:
        assert other.get("/").status_code == 303
