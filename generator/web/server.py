"""Running the web app (`kehoach serve`): the listening socket bound by us (a port in use is one sentence), then
uvicorn's server on it, quiet (its English log lines are not for the clerk)."""

from __future__ import annotations

import errno
import socket

from ..errors import KehoachError
from ..returns.accounts import list_users
from ..returns.store import Store
from .app import create_app
from .settings import WebSettings

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def notices(settings: WebSettings, host: str) -> list[str]:
    """What the clerk should know before the app serves: another host than this machine, no account yet."""
    out = []
    if host not in LOOPBACK:
        out.append(f"Cảnh báo: ứng dụng nhận kết nối từ máy khác qua địa chỉ {host}; chỉ dùng trong mạng nội bộ tin "
                   "cậy, và nên đặt sau HTTPS (--base-url https://...) khi các đơn vị truy cập từ xa.")
    with Store(settings.db) as store:
        if not list_users(store):
            out.append("Chú ý: chưa có tài khoản nào để đăng nhập trang của văn phòng; hãy tạo một tài khoản bằng lệnh "
                       "kehoach user add TÊN")
    return out


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise KehoachError(f"cổng {port} đang được một chương trình khác dùng (có thể là một kehoach serve khác); "
                               "hãy dừng chương trình đó hoặc chọn cổng khác bằng --port") from None
        if e.errno in (errno.EACCES, errno.EPERM):
            raise KehoachError(f"không được phép mở cổng {port} (cổng dưới 1024 cần quyền quản trị); hãy chọn cổng từ "
                               "1024 trở lên bằng --port") from None
        raise KehoachError(f'không mở được địa chỉ "{host}" cổng {port} ({e.strerror}); hãy kiểm tra --host') from None
    except (socket.gaierror, UnicodeError):
        sock.close()
        raise KehoachError(f'không hiểu địa chỉ "{host}"; hãy ghi --host là một địa chỉ IP của máy này, ví dụ '
                           "127.0.0.1 hoặc 0.0.0.0") from None
    sock.listen(2048)  # from now on connections wait in the queue until the server takes them
    sock.set_inheritable(True)
    return sock


def serve(settings: WebSettings, sock: socket.socket) -> None:
    """Serve until Ctrl+C (SIGINT) or SIGTERM; uvicorn finishes the requests in progress, then this returns and the
    signal is raised again in the caller (Ctrl+C: KeyboardInterrupt)."""
    import uvicorn

    config = uvicorn.Config(create_app(settings), log_level="warning", access_log=False, lifespan="off",
                            server_header=False)
    uvicorn.Server(config).run(sockets=[sock])
