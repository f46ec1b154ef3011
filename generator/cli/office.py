"""The commands of the office's web app: serve, user (add, list, remove), links. Each parses its options, calls a use
case and prints; `serve` is the only command that imports `web`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ..errors import KehoachError
from ..office.display import shown
from ..plan.loader import plan_of_year
from . import text as cli_text
from .common import _friendly, _plan_option, _registry_option, app, err, out
from .returns import _db_option, _os_user

users = typer.Typer(cls=cli_text.VietnameseGroup, help="Tài khoản đăng nhập trang của văn phòng (kehoach serve): thêm, xem, xóa.",
                    no_args_is_help=True, rich_markup_mode=None)
app.add_typer(users, name="user")

PASSWORD_MISMATCH = "hai lần nhập mật khẩu không giống nhau; chưa tạo tài khoản, hãy chạy lại lệnh và nhập lại"
NO_TERMINAL = ("không có cửa sổ lệnh để nhập mật khẩu (không hiện chữ khi gõ); hãy chạy lệnh trong cửa sổ lệnh, hoặc "
               "đưa mật khẩu qua đầu vào chuẩn bằng --password-stdin")


def _asked_password() -> str:
    """The password typed twice without echo, on the terminal."""
    import getpass

    try:
        with open("/dev/tty"):
            pass
    except OSError:
        raise KehoachError(NO_TERMINAL) from None
    first = getpass.getpass("Mật khẩu: ")
    if getpass.getpass("Nhập lại mật khẩu: ") != first:
        raise KehoachError(PASSWORD_MISMATCH)
    return first


@users.command("add", help="Thêm tài khoản: hỏi mật khẩu hai lần (không hiện chữ khi gõ).")
@_friendly
def user_add(
    name: str = typer.Argument(..., help="Tên tài khoản (1 đến 64 ký tự, ví dụ họ tên người dùng).",
                               show_default=False, metavar="TÊN"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Đọc mật khẩu từ dòng đầu của đầu vào chuẩn "
                                        "(cho tập lệnh), không hỏi."),
    db: Path | None = _db_option(),
):
    from ..returns.accounts import add_user, check_name, check_password
    from ..returns.store import open_store

    name = check_name(name)
    if password_stdin:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    else:
        password = _asked_password()
    check_password(password)
    with open_store(db, create=True) as store:
        account = add_user(store, name, password, by=_os_user())
    out.print(f'Đã thêm tài khoản "{shown(account.name)}"; đăng nhập tại trang /dang-nhap của kehoach serve.',
              markup=False)


@users.command("list", help="Liệt kê các tài khoản và ngày tạo.")
@_friendly
def user_list(db: Path | None = _db_option()):
    from ..returns.accounts import list_users
    from ..returns.status import local_time
    from ..returns.store import open_store

    with open_store(db, create=False) as store:
        accounts = list_users(store)
    if not accounts:
        out.print("Chưa có tài khoản nào; thêm bằng: kehoach user add TÊN", markup=False)
    for a in accounts:
        out.print(f"{shown(a.name)} — tạo lúc {local_time(a.created_at):%H:%M ngày %d/%m/%Y}", markup=False)


@users.command("remove", help="Xóa một tài khoản (kể cả tài khoản cuối cùng); người đó bị đăng xuất ngay.")
@_friendly
def user_remove(
    name: str = typer.Argument(..., help="Tên tài khoản cần xóa.", show_default=False, metavar="TÊN"),
    db: Path | None = _db_option(),
):
    from ..returns.accounts import remove_user
    from ..returns.store import open_store

    with open_store(db, create=False) as store:
        left = remove_user(store, name, by=_os_user())
    tail = (f"còn {left} tài khoản" if left else "không còn tài khoản nào: không ai đăng nhập được trang của văn "
            "phòng cho tới khi thêm tài khoản bằng kehoach user add TÊN")
    out.print(f'Đã xóa tài khoản "{shown(name.strip())}"; {tail}.', markup=False)


@app.command(help="In liên kết nộp báo cáo của mỗi đơn vị phải báo cáo năm đó (mã đơn vị, tên, liên kết); cấp liên "
                  "kết cho đơn vị chưa có, thu hồi (--revoke) hoặc cấp lại (--reissue).")
@_friendly
def links(
    year: int = typer.Option(..., "--year", help="Năm báo cáo.", show_default=False),
    plan: Path | None = _plan_option(),
    registry: Path | None = _registry_option(),
    db: Path | None = _db_option(),
    base_url: str | None = typer.Option(None, "--base-url", help="Địa chỉ các đơn vị dùng để mở kehoach serve (ví "
                                        "dụ https://baocao.example.gov.vn): in liên kết đầy đủ thay vì /nop/....",
                                        show_default=False),
    revoke: list[str] | None = typer.Option(None, "--revoke", help="Thu hồi liên kết của đơn vị này (lặp lại được); "
                                            "không cấp liên kết nào khác.", show_default=False, metavar="ĐƠN_VỊ"),
    reissue: list[str] | None = typer.Option(None, "--reissue", help="Cấp liên kết mới cho đơn vị này (lặp lại được); "
                                             "liên kết cũ không dùng được nữa.", show_default=False, metavar="ĐƠN_VỊ"),
):
    from ..returns.links import checked_base_url, hand_out, link_path, reporting_agencies, revoke as revoke_link
    from ..returns.review import agency_name, resolve_agency
    from ..returns.status import local_time
    from ..returns.store import open_store
    from ..web.settings import WebSettings

    p = plan_of_year(plan, year, registry)
    settings = WebSettings(db=Path("."), base_url=checked_base_url(base_url) if base_url else None)
    revoked = [resolve_agency(p, text) for text in revoke or ()]  # every name checked before anything is written
    reissued = tuple(resolve_agency(p, text) for text in reissue or ())
    reporting_agencies(p, year, reissued)
    with open_store(db, create=not revoked) as store:
        if revoked:
            for agency in revoked:
                name = agency_name(p, year, agency)
                revoke_link(store, p.id, year, agency, by=_os_user(), name=name)
                out.print(f"{agency} — {name} — đã thu hồi liên kết", markup=False)
            return
        lines = hand_out(store, p, year, reissue=reissued, by=_os_user())
    for line in lines:
        shown_link = (settings.link(link_path(line.token)) if line.token else
                      f"đã cấp lúc {local_time(line.issued_at):%H:%M ngày %d/%m/%Y} (liên kết chỉ hiện khi cấp; cấp "
                      f"lại bằng --reissue {line.agency})")
        out.print(f"{line.agency} — {line.name} — {shown_link}", markup=False)
    if not lines:
        err.print(f"Chú ý: không có đơn vị nào phải báo cáo năm {year}.", markup=False)


@app.command(help="Chạy ứng dụng web của văn phòng (mặc định chỉ trên máy này: http://127.0.0.1:8000); dừng bằng "
                  "Ctrl+C.")
@_friendly
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Địa chỉ nhận kết nối (0.0.0.0: mọi máy trong mạng; có cảnh "
                             "báo)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Cổng."),
    db: Path | None = _db_option(),
    plan: Path | None = _plan_option(),
    registry: Path | None = _registry_option(),
    base_url: str | None = typer.Option(None, "--base-url", help="Địa chỉ các đơn vị dùng để mở ứng dụng (ví dụ "
                                        "https://baocao.example.gov.vn); với https://, cookie chỉ gửi qua HTTPS.",
                                        show_default=False),
):
    from ..plan.loader import load_folder
    from ..returns.links import checked_base_url
    from ..returns.store import db_path
    from ..web.server import bind, notices, serve as run
    from ..web.settings import WebSettings

    base_url = checked_base_url(base_url) if base_url else None  # before anything else: the links would be wrong
    load_folder(plan, registry=registry)  # an invalid plan stops here, as every command does
    settings = WebSettings(db=db_path(db), plan_dir=plan, registry=registry, base_url=base_url)
    for line in notices(settings, host):
        err.print(line, markup=False)
    sock = bind(host, port)
    shown_host = f"[{host}]" if ":" in host else host
    out.print(f"kehoach serve: mở http://{shown_host}:{port}/ trong trình duyệt (cơ sở dữ liệu {settings.db}); dừng "
              "bằng Ctrl+C.", markup=False)
    run(settings, sock)
