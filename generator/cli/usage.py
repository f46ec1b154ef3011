"""Command-line usage errors (typer/click, English) as Vietnamese sentences."""

from __future__ import annotations

import re

from .common import app


def _usage_context(e: Exception):
    """The command a usage error belongs to: click's parser raises some errors (an option without its value)
    without one, then the context of the innermost command being parsed is the one."""
    ctx = getattr(e, "ctx", None)
    found, tb = None, e.__traceback__
    while tb is not None:
        candidate = tb.tb_frame.f_locals.get("ctx")
        if hasattr(candidate, "command_path"):
            found = candidate
        tb = tb.tb_next
    return ctx or found


def usage_sentence(e: Exception) -> str:
    """A command-line usage error (typer/click, English) as one Vietnamese sentence; no English word of click's
    reaches the clerk (`--debug` shows the original)."""
    from typer._click import exceptions as ce

    ctx = _usage_context(e)
    command = ctx.command_path if ctx is not None else "kehoach"
    help_hint = f"xem cách dùng bằng {command} --help"
    message = getattr(e, "message", "") or str(e)
    if isinstance(e, ce.NoSuchOption):
        maybe = getattr(e, "possibilities", None)
        guess = f" (có phải là {', '.join(sorted(maybe))}?)" if maybe else ""
        return f'lệnh {command} không có tùy chọn "{e.option_name}"{guess}; {help_hint}'
    param = getattr(e, "param", None)
    name = "/".join(getattr(param, "opts", None) or []) or getattr(param, "name", None) or ""
    if isinstance(e, ce.MissingParameter):
        what = {"paths": "tệp hoặc thư mục cần nhận", "archive": "tệp sao lưu cần khôi phục",
                "agency": "đơn vị (mã đơn vị hoặc tên tệp biểu mẫu)"}.get(getattr(param, "name", ""), name)
        return f"thiếu {what or 'một giá trị bắt buộc'} cho lệnh {command}; {help_hint}"
    if isinstance(e, ce.BadParameter):
        value = re.search(r"['\"](.*?)['\"] (?:is not|does not)|input_value=['\"]?([^'\",)]*)", message)
        shown = next((g for g in value.groups() if g), None) if value else None
        if shown is None and hasattr(e.__cause__, "errors"):  # typer checks values with pydantic
            shown = next((str(x["input"]) for x in e.__cause__.errors() if isinstance(x.get("input"), str)), None)
        kind = "số nguyên" if "integer" in message else "giá trị hợp lệ"
        limit = re.search(r"(greater|less) than or equal to (-?\d+)", message)
        if limit:
            kind = f"số nguyên {'từ' if limit[1] == 'greater' else 'tối đa'} {limit[2]}"
        if choices := re.search(r"is not one of (.+?)\.?$", message):
            kind = f"một trong các giá trị {choices[1]}"
        if "does not exist" in message:
            kind = "đường dẫn tới tệp hoặc thư mục đã có"
        got = f' "{shown}"' if shown else ""
        return f"giá trị{got} của {name or 'tham số'} không hợp lệ, cần {kind}; {help_hint}"
    if m := re.match(r"No such command '(.+?)'", message):
        commands = ", ".join(sorted(app_commands()))
        return f'không có lệnh "{m[1]}"; các lệnh là: {commands} (xem kehoach --help)'
    if message.startswith("Missing command"):
        commands = ", ".join(sorted(app_commands()))
        return f"thiếu tên lệnh sau {command}; các lệnh là: {commands} (xem kehoach --help)"
    if m := re.match(r"Got unexpected extra arguments?(?:\(s\))? \((.+)\)", message):
        return f'thừa đối số "{m[1]}" cho lệnh {command}; {help_hint}'
    if m := re.match(r"Option '(.+?)' requires (an argument|\d+ arguments)", message):
        count = "một giá trị" if m[2] == "an argument" else f"{m[2].split()[0]} giá trị"
        return f'tùy chọn "{m[1]}" cần {count} ghi ngay sau nó; {help_hint}'
    if m := re.match(r"Option '(.+?)' does not take a value", message):
        return f'tùy chọn "{m[1]}" không nhận giá trị (chỉ ghi "{m[1]}"); {help_hint}'
    if m := re.match(r"Argument '(.+?)' takes (\d+) values", message):
        return f'đối số "{m[1]}" cần {m[2]} giá trị; {help_hint}'
    return f"cách gọi lệnh {command} không đúng; {help_hint}"


def app_commands() -> list[str]:
    import typer.main

    return list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
