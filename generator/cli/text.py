"""The fixed wording of the command line's help in Vietnamese.

typer (and the click it carries) write their help in English: "Usage:", "Options", "Show this message and exit.",
"[default: 2026]", "<int>". Every help page of kehoach is formatted by HelpFormatter below, which owns the translation
of those words; kehoach's own help texts are Vietnamese already. Usage errors are turned into sentences by
`cli._usage_sentence`.
"""

from __future__ import annotations

import re

from typer._click.core import Context
from typer._click.formatting import HelpFormatter
from typer.core import TyperGroup


HEADINGS = {"Usage": "Cách dùng", "Options": "Tùy chọn", "Arguments": "Đối số", "Commands": "Lệnh"}
# the value a typer option or argument takes, as typer names it in help ("--year <int>")
TYPES = {"int": "số", "int range": "số", "float": "số", "float range": "số", "str": "chữ", "text": "chữ",
         "path": "đường_dẫn", "file": "tệp", "directory": "thư_mục", "list[Path]": "đường_dẫn",
         "list[str]": "chữ", "bool": "có/không", "datetime": "ngày"}
HELP_OPTION = {"Show this message and exit.": "Hiện hướng dẫn này rồi thoát."}
USAGE_WORDS = {"[OPTIONS]": "[TÙY_CHỌN]", "COMMAND [ARGS]...": "LỆNH [ĐỐI_SỐ]..."}


def _extra(piece: str) -> str:
    """One item of typer's bracket after an option's help: "default: 2026", "required", "x>=1", "env var: X"."""
    piece = piece.strip()
    if piece.startswith("default: "):
        return "mặc định: " + piece[len("default: "):].replace("(dynamic)", "(tự tính)")
    if piece.startswith("env var: "):
        return "biến môi trường: " + piece[len("env var: "):]
    if piece == "required":
        return "bắt buộc"
    if m := re.fullmatch(r"(-?[\d.]+)<=x<=(-?[\d.]+)", piece):
        return f"từ {m[1]} đến {m[2]}"
    if m := re.fullmatch(r"x>=(-?[\d.]+)", piece):
        return f"từ {m[1]} trở lên"
    if m := re.fullmatch(r"x<=(-?[\d.]+)", piece):
        return f"tối đa {m[1]}"
    return piece


def help_text(text: str) -> str:
    """An option's help as written in the help page: typer's own words in it translated."""
    text = HELP_OPTION.get(text, text)
    m = re.search(r"\[([^\[\]]*)\]$", text)
    if m:
        text = text[: m.start()] + "[" + "; ".join(_extra(p) for p in m[1].split("; ")) + "]"
    return text


def term(text: str) -> str:
    """An option or argument as written in the help page ("--year <int>", "paths... <list[Path]>")."""
    text = re.sub(r"<([^<>]+)>", lambda m: f"<{TYPES.get(m[1], m[1])}>", text)
    words = text.split(" ")
    if len(words) == 2 and words[0] == words[1]:  # an argument with a metavar: typer writes it twice
        return words[0]
    return text


def usage_args(args: str) -> str:
    for english, vietnamese in USAGE_WORDS.items():
        args = args.replace(english, vietnamese)
    return re.sub(r"\{([^{}]+)\}", r"\1", args)  # typer's {NAME} for a required argument: the name alone


class VietnameseHelpFormatter(HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, usage_args(args), f"{HEADINGS['Usage']}: " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading(HEADINGS.get(heading, heading))

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(term(first), help_text(second)) for first, second in rows], col_max, col_spacing)


class VietnameseContext(Context):
    formatter_class = VietnameseHelpFormatter


class VietnameseGroup(TyperGroup):
    """kehoach's command group: its help, and the help of every command it runs, is formatted in Vietnamese."""

    context_class = VietnameseContext

    def get_command(self, ctx, cmd_name):
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            command.context_class = VietnameseContext
        return command
