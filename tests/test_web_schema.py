"""Schema 3 (the web app's accounts, links, log and keys): a new database has it, a schema 2 database is upgraded
keeping everything, check-db reads schemas 2 and 3, and a backup carries the log but no account, link or key."""

from __future__ import annotations

import json
import sqlite3
import zipfile

import pytest
from formfill import kehoach
from webkit import add_account

from generator.returns import dbschema
from generator.returns.roundlog import app_key, log_event, round_log
from generator.returns.store import Store


def ok(r) -> str:
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stdout + r.stderr
    return " ".join(r.stdout.split())


def schema2_database(path) -> None:
    """A database as kehoach wrote it before the web app (schema 2), with no submission."""
    c = sqlite3.connect(path, isolation_level=None)
    for statement in dbschema._SCHEMA.split(";"):
        if statement.strip():
            c.execute(statement)
    for statement in dbschema._MIGRATIONS[2]:
        c.execute(statement)
    c.execute("PRAGMA user_version = 2")
    c.close()


def test_a_new_database_has_the_web_tables_and_the_log_is_append_only(tmp_path):
    with Store(tmp_path / "db.sqlite3") as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == 3
        log_event(store, "user-add", "test", detail="An")
        for statement in ("UPDATE events SET detail = 'x'", "DELETE FROM events"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                store.conn.execute(statement)
        assert [(e.action, e.detail) for e in round_log(store)] == [("user-add", "An")]
        with pytest.raises(ValueError):
            log_event(store, "xoa-het", "test")
        store.conn.execute("INSERT INTO links (plan, year, agency, token_hash, created_at) VALUES "
                           "('p', 2025, 'a', 'h1', 'now')")
        with pytest.raises(sqlite3.IntegrityError):  # one live link per plan, year and agency
            store.conn.execute("INSERT INTO links (plan, year, agency, token_hash, created_at) VALUES "
                               "('p', 2025, 'a', 'h2', 'now')")
    assert "không có lỗi" in ok(kehoach("check-db", "--db", "db.sqlite3", cwd=tmp_path))


def test_the_signing_key_is_made_once_and_kept(tmp_path):
    with Store(tmp_path / "db.sqlite3") as store:
        key = app_key(store, "session")
        assert len(key) == 32 and app_key(store, "session") == key and app_key(store, "csrf") != key
    with Store(tmp_path / "db.sqlite3") as store:
        assert app_key(store, "session") == key


def test_a_schema_2_database_is_read_then_upgraded(tmp_path):
    schema2_database(tmp_path / "cu.sqlite3")
    before = (tmp_path / "cu.sqlite3").read_bytes()
    checked = ok(kehoach("check-db", "--db", "cu.sqlite3", cwd=tmp_path))
    assert "không có lỗi" in checked
    assert "Chú ý: cơ sở dữ liệu có cấu trúc cũ (phiên bản 2, chưa có tài khoản, liên kết và nhật ký của ứng dụng " \
           "web)" in checked
    assert (tmp_path / "cu.sqlite3").read_bytes() == before  # check-db changes nothing
    with Store(tmp_path / "cu.sqlite3") as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == 3
        log_event(store, "link-issue", "An", plan="khanh-hoa-1627", year=2025, agency="so-tai-chinh")
    assert "không có lỗi" in ok(kehoach("check-db", "--db", "cu.sqlite3", cwd=tmp_path))
    assert "cấu trúc cũ" not in ok(kehoach("check-db", "--db", "cu.sqlite3", cwd=tmp_path))


def test_check_db_finds_an_unknown_action_and_a_removed_trigger(tmp_path):
    with Store(tmp_path / "db.sqlite3") as store:
        store.conn.execute("DROP TRIGGER events_no_update")
        store.conn.execute("INSERT INTO events (at, action) VALUES ('2025-12-01T00:00:00Z', 'xoa-het')")
    r = kehoach("check-db", "--db", "db.sqlite3", cwd=tmp_path)
    assert r.returncode == 1
    assert "nhật ký của đợt báo cáo không còn được bảo vệ khỏi sửa, xóa" in r.stderr
    assert 'dòng 1 của nhật ký: việc "xoa-het"' in r.stderr


def test_backup_keeps_the_log_but_no_account_link_or_key(tmp_path):
    from generator.web.settings import WebSettings

    settings = WebSettings(db=tmp_path / "bc.sqlite3")
    add_account(settings)
    with Store(settings.db) as store:
        app_key(store, "session")
        store.conn.execute("INSERT INTO links (plan, year, agency, token_hash, created_at) VALUES "
                           "('khanh-hoa-1627', 2025, 'so-tai-chinh', 'h1', '2025-12-01T00:00:00Z')")
        log_event(store, "generate-pack", "Nguyễn Văn An", plan="khanh-hoa-1627", year=2025)
        logged = round_log(store)
    ok(kehoach("export", "--db", "bc.sqlite3", "--out", "sao-luu.zip", cwd=tmp_path))
    with zipfile.ZipFile(tmp_path / "sao-luu.zip") as zf:
        manifest = zf.read("kehoach-sao-luu.json").decode()
    assert "argon2" not in manifest and "h1" not in manifest and json.loads(manifest)["format_version"] == 3
    ok(kehoach("import", "sao-luu.zip", "--db", "moi.sqlite3", cwd=tmp_path))
    with Store(tmp_path / "moi.sqlite3") as store:
        assert round_log(store) == logged
        for table in ("users", "links", "secrets"):
            assert store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0, table
    assert "không có lỗi" in ok(kehoach("check-db", "--db", "moi.sqlite3", cwd=tmp_path))


def test_a_backup_with_a_forged_log_line_is_refused(tmp_path):
    with Store(tmp_path / "bc.sqlite3") as store:
        log_event(store, "generate-pack", "An", plan="khanh-hoa-1627", year=2025)
    ok(kehoach("export", "--db", "bc.sqlite3", "--out", "a.zip", cwd=tmp_path))
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        entries = [(i, zf.read(i)) for i in zf.infolist()]
    manifest = json.loads(dict((i.filename, d) for i, d in entries)["kehoach-sao-luu.json"])
    manifest["events"][0]["action"] = "xoa-het"
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as zf:
        for info, data in entries:
            zf.writestr(info, json.dumps(manifest).encode() if info.filename.endswith(".json") else data)
    r = kehoach("import", "b.zip", "--db", "moi.sqlite3", cwd=tmp_path)
    assert r.returncode == 1 and "dòng 1 của nhật ký không hợp lệ" in r.stderr, r.stderr
    assert not (tmp_path / "moi.sqlite3").exists()
