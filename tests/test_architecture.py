"""The package's layout rules (README "For developers"), checked on the source with `ast`: no import cycles, no import
below the first definition of a module, no private name imported from another subpackage, no module longer than
MAX_LINES, `generator/office/` (file formats) importing nothing else of kehoach, and importing the command line
changing nothing for a program that uses kehoach as a library."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "generator"
MAX_LINES = 450


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _tree(name: str) -> ast.Module:
    return ast.parse(MODULES[name].read_text(encoding="utf-8"), filename=str(MODULES[name]))


def _type_checking_only(tree: ast.Module) -> set[int]:
    """The import nodes under `if TYPE_CHECKING:` (never executed)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            out.update(id(n) for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom)))
    return out


def _imports(name: str) -> list[tuple[ast.stmt, str, str | None]]:
    """(node, imported module, imported name or None) for every import of kehoach's own code in module `name`,
    at any depth (imports inside functions too), except those under TYPE_CHECKING."""
    tree = _tree(name)
    skip = _type_checking_only(tree)
    is_package = MODULES[name].name == "__init__.py"
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(node, a.name, None) for a in node.names if a.name.split(".")[0] == "generator"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "generator":
                continue
            for a in node.names:
                out.append((node, module, a.name))
    return out


def _target(module: str, name: str | None) -> str:
    """The module an import loads: `from generator.office import wml` loads generator.office.wml."""
    if name is not None and f"{module}.{name}" in MODULES:
        return f"{module}.{name}"
    return module


def _graph() -> dict[str, set[str]]:
    return {m: {_target(mod, n) for _, mod, n in _imports(m)} - {m} for m in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _subpackage(module: str) -> str:
    """generator.returns.store -> generator.returns; generator.errors -> generator."""
    parts = module.split(".")
    if len(parts) > 2 or (module in MODULES and MODULES[module].name == "__init__.py" and len(parts) == 2):
        return ".".join(parts[:2])
    return "generator"


def test_the_package_is_laid_out_in_subpackages():
    subpackages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert {"plan", "office", "forms", "returns", "cli"} <= subpackages


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_the_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_below_the_first_definition():
    late = []
    for name in MODULES:
        seen_definition = False
        for node in _tree(name).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                seen_definition = True
            elif seen_definition and (isinstance(node, (ast.Import, ast.ImportFrom)) or (
                    isinstance(node, ast.If) and any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in node.body)
                    and ast.unparse(node.test) != "__name__ == '__main__'")):
                late.append(f"{MODULES[name].relative_to(PACKAGE.parent)}:{node.lineno}")
    assert late == []


def test_no_private_name_imported_from_another_subpackage():
    private = []
    for name in MODULES:
        for node, module, imported in _imports(name):
            if imported is None or not imported.startswith("_") or imported.startswith("__"):
                continue
            if f"{module}.{imported}" in MODULES:  # a module, not a name
                continue
            if _subpackage(module) != _subpackage(name):
                private.append(f"{name} imports {imported} from {module}")
    assert private == []


def test_no_module_is_too_long():
    long = {str(p.relative_to(PACKAGE.parent)): n for p in MODULES.values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_office_imports_nothing_else_of_kehoach():
    foreign = [f"{name} imports {_target(module, n)}" for name in MODULES if name.startswith("generator.office")
               for _, module, n in _imports(name) if not _target(module, n).startswith("generator.office")]
    assert foreign == []


def test_importing_the_command_line_changes_nothing_for_a_library_user():
    """A program importing the CLI's commands (a web app, a test) keeps its collector thresholds and its Ctrl+C."""
    code = ("import gc, signal; before = (gc.get_threshold(), signal.getsignal(signal.SIGINT)); "
            "import generator.cli.commands; "
            "print(before == (gc.get_threshold(), signal.getsignal(signal.SIGINT)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "True", result.stdout + result.stderr
