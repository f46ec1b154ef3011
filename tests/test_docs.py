"""The README documents what a user can meet: every command and option of `kehoach` (read from the typer app itself),
every variable a form template can use (the form context), every fault point of KEHOACH_FAULT and every limit kehoach
enforces. A new option, variable, fault point or limit without its line in the README fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import typer.main

from generator.cli.commands import app
from generator.forms.context import form_context
from generator.paths import default_plan_dir
from generator.plan.assignments import assignments
from generator.plan.loader import load_plan

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PACKAGE = ROOT / "generator"
MB = 1024 * 1024


def _sections(text: str) -> list[tuple[str, str]]:
    """(heading, body) of every heading of the README."""
    parts = re.split(r"^(#{1,6} .*)$", text, flags=re.MULTILINE)
    return [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def _commands():
    group = typer.main.get_command(app)
    return group, {name: cmd for name, cmd in group.commands.items() if not cmd.hidden}


def _options(command) -> list[str]:
    return [opt for p in command.params if not getattr(p, "hidden", False) and p.param_type_name == "option"
            for opt in p.opts if opt != "--help"]


def test_every_command_has_a_section():
    _group, commands = _commands()
    headings = [h for h, _ in _sections(README)]
    missing = [name for name in commands if not any(f"`kehoach {name}" in h for h in headings)]
    assert len(commands) >= 10 and missing == []


def _shared_options() -> set[str]:
    """Options most commands take (--plan, --registry, --db, ...): documented once, where the README explains them."""
    counts: dict[str, int] = {}
    for command in _commands()[1].values():
        for opt in set(_options(command)):
            counts[opt] = counts.get(opt, 0) + 1
    return {opt for opt, n in counts.items() if n >= 5}


def _mentioned(opt: str, text: str) -> bool:
    return re.search(rf"{re.escape(opt)}(?![\w-])", text) is not None


@pytest.mark.parametrize("name", sorted(_commands()[1]))
def test_every_option_of_a_command_is_in_its_section(name):
    """An option of a command is in the command's section; one most commands share, in a backticked mention."""
    command = _commands()[1][name]
    text = "".join(h + body for h, body in _sections(README) if f"`kehoach {name}" in h)
    shared = _shared_options()
    missing = [opt for opt in _options(command)
               if not _mentioned(opt, text) and not (opt in shared and _mentioned(f"`{opt}", README))]
    assert missing == [], f"kehoach {name}: options not in its README section"


def test_the_global_options_are_documented():
    options = _options(_commands()[0])
    assert "--debug" in options
    assert [opt for opt in options if opt not in README] == []


def test_every_form_template_variable_is_documented():
    plan = load_plan(default_plan_dir(), report_year=2024)
    at = next(at for at in assignments(plan, 2024) if at.lead and at.partner)
    context = form_context(plan, at, 2024)
    table = README[README.index("Biến dùng được trong mẫu"):]
    table = table[: table.index("\n\n", table.index("| biến"))]
    variables = set(context)
    fields = {f"t.{key}" for key in context["lead"][0]}
    missing = [v for v in sorted(variables | fields) if f"`{v}`" not in table]
    assert missing == []


def _fault_points() -> set[str]:
    """The points named in `fault("...")` calls of the package."""
    points = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "fault" \
                    and node.args and isinstance(node.args[0], ast.Constant):
                points.add(node.args[0].value)
    return points


def test_every_fault_point_is_documented():
    points = _fault_points()
    assert {"after-file", "in-transaction"} <= points
    text = README[README.index("`KEHOACH_FAULT`"):]
    text = text[: text.index("\n\n")]
    assert [p for p in sorted(points) if f"`kill:{p}" not in text] == []


def _limits() -> dict[str, float]:
    """Every public limit constant of the package (MAX_*, *_MAX_*, TIME_BUDGET_S, RATIO_MIN_BYTES) and its value."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ast.parse(path.read_text(encoding="utf-8"))
        for node in module.body:
            if not isinstance(node, ast.Assign) or len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
                continue
            name = node.targets[0].id
            if re.fullmatch(r"(MAX_\w+|\w+_MAX_\w+|TIME_BUDGET_S|RATIO_MIN_BYTES)", name):
                value = eval(compile(ast.Expression(node.value), str(path), "eval"), {"MB": MB})
                found[f"{path.relative_to(PACKAGE)}:{name}"] = value
    return found


def _spellings(value: float) -> list[str]:
    """How the README writes a value: 20 MB, 2.000, 10 triệu byte, 30 giây, 4.300, 408,75 pt."""
    out = []
    if isinstance(value, float):
        out += [f"{value:g} giây", f"{value:g} pt".replace(".", ",")]
    else:
        if value >= MB and value % MB == 0:
            out.append(f"{value // MB} MB")
        if value >= 1_000_000 and value % 1_000_000 == 0:
            out.append(f"{value // 1_000_000} triệu")
        out.append(f"{value:,}".replace(",", "."))
    return out


def test_every_limit_is_documented():
    """Each limit's value is in a row of one of the README's tables (of limits)."""
    limits = _limits()
    assert len(limits) >= 15
    rows = "\n".join(line for line in README.splitlines() if line.startswith("|"))
    missing = [f"{name} = {value}" for name, value in limits.items()
               if not any(re.search(rf"(?<![\d.,]){re.escape(s)}(?![\d.,])", rows) for s in _spellings(value))]
    assert missing == []
