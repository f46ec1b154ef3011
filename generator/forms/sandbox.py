"""The sandbox the office's form templates are compiled and rendered in (used only by docxform).

A template is a document the office receives and edits, so it is untrusted: it must never run code, and what one
form can cost is bounded. This module owns those rules:

* `forbidden(ast)`, at validation time, on the template's text (so a branch no sample takes is checked too): no
  access to a private or internal name (`x._y`, `x.__globals__`, `x['__class__']`, `x|attr('__class__')`,
  `attribute='__class__'`), no call except `loop.cycle(...)`/`loop.changed(...)`, only the statements a form needs
  (`if`, `for`, `set x = ...`, `with`): no macro, call, filter or set blocks, include, import, extends, block,
  autoescape.
* `SandboxEnvironment`: Jinja's immutable sandbox with no globals at all (no `range`, `lipsum`, `cycler`,
  `joiner`, `namespace`, `dict`), only the filters in FILTERS, and every call refused at run time unless it is a
  loop method (the same rules again, should anything get past the text check).
* `Limits`, one per form: every value the template computes (operators, `~`, list literals, slices, filters) is
  charged by its size before it is made, against MAX_COMPUTED characters; integers have at most MAX_INT_DIGITS
  digits; loops run at most MAX_ITERATIONS times in all; each rendered part has at most MAX_PART_BYTES (the
  reader's limit, so every form written can be read back); and the render stops after MAX_SECONDS. Counting makes
  no signal or thread necessary, so the same bounds hold in the single-process path and in forked workers.

A legitimate template renders exactly as with a plain Jinja environment (byte-identical output)."""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS as _JINJA_FILTERS
from jinja2.runtime import LoopContext, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.tests import TESTS as _JINJA_TESTS
from jinja2.utils import _PassArg


MAX_COMPUTED = 10_000_000  # characters of values computed while rendering one form (task texts are a few KB)
MAX_INT_DIGITS = 4_300  # Python's own limit for printing an integer
MAX_ITERATIONS = 1_000_000  # loop iterations while rendering one form (a form has a few hundred rows at most)
MAX_PART_BYTES = 20 * 1024 * 1024  # one rendered part; = formreader.MAX_XML_PART, so the form can be read back
MAX_SECONDS = 5  # rendering one form (a real form takes milliseconds)

# The filters a template may use (README, "Kiểm tra mẫu biểu mẫu"): text, numbers, lists of tasks. Filters that
# take a size (center, indent, wordwrap, batch, slice, format), bypass escaping (safe) or produce code (tojson,
# xmlattr, urlize, pprint) are left out.
FILTERS = (
    "abs", "attr", "capitalize", "count", "d", "default", "first", "float", "int", "join", "last", "length",
    "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse", "round", "select",
    "selectattr", "sort", "string", "title", "trim", "truncate", "unique", "upper", "wordcount",
)
LOOP_FILTER = "kehoach_loop"  # wraps every `for` loop's sequence (not usable in a template: refused by name)
_LOOP_METHODS = ("cycle", "changed")
_ATTRIBUTE_FILTERS = {"attr", "selectattr", "rejectattr"}  # first argument: an attribute name
_FILTER_APPLYING = {"map", "select", "reject"}  # first argument: a filter or test applied to each item


def _number(n: float) -> str:
    return f"{n:,}".replace(",", ".")


class TemplateLimit(Exception):
    """A form's render exceeded a bound. `problem`: Vietnamese words ("tạo ra giá trị quá lớn (...)"); `hint`: a
    pattern that finds the tag in the clerk's text, when the operation is recognisable."""

    def __init__(self, problem: str, hint: str | None = None):
        super().__init__(problem)
        self.problem = problem
        self.hint = hint


class _NotRendering(Exception):
    """A filter or test called while compiling (constant folding): Jinja leaves the expression for the render."""


class Limits:
    """The bounds of one form's render (see the module docstring)."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_SECONDS
        self.computed = 0
        self.iterations = 0
        self._sizes: dict[int, tuple[object, int]] = {}  # id -> (container, size); holding it keeps the id unique

    def checkpoint(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateLimit(f"chạy quá lâu (vượt giới hạn {_number(MAX_SECONDS)} giây cho mỗi biểu mẫu)")

    def size(self, value, limit: int = MAX_COMPUTED) -> int:
        """The size of `value` once written out, in characters (a list counts its items in full, however often the
        same item occurs); stops counting past `limit`."""
        if isinstance(value, str):
            return len(value)
        if isinstance(value, bool) or value is None or isinstance(value, float):
            return 1
        if isinstance(value, int):
            return value.bit_length() * 30103 // 100000 + 1
        if isinstance(value, (list, tuple, dict)):
            known = self._sizes.get(id(value))
            if known is not None and known[0] is value:
                return known[1]
            total = len(value)
            for item in (x for kv in value.items() for x in kv) if isinstance(value, dict) else value:
                total += self.size(item, limit - total)
                if total > limit:
                    return total
            self._sizes[id(value)] = (value, total)
            return total
        return 1  # loop, undefined, a bound method: written out as a short text or not at all

    def need(self, size: int, hint: str | None) -> None:
        """Refuse to make a value of `size` characters when the form's budget does not allow it."""
        self.checkpoint()
        if self.computed + size > MAX_COMPUTED:
            raise TemplateLimit(f"tạo ra giá trị quá lớn (vượt giới hạn {_number(MAX_COMPUTED)} ký tự cho mỗi biểu "
                                "mẫu)", hint)

    def charge(self, value, hint: str | None):
        size = self.size(value, MAX_COMPUTED - self.computed + 1)
        self.need(size, hint)
        self.computed += size
        return value

    def digits(self, n: int, hint: str | None) -> None:
        if n > MAX_INT_DIGITS:
            raise TemplateLimit(f"tạo ra số quá lớn (vượt giới hạn {_number(MAX_INT_DIGITS)} chữ số)", hint)

    def iteration(self) -> None:
        self.iterations += 1
        if self.iterations > MAX_ITERATIONS:
            raise TemplateLimit(f"lặp quá nhiều lần (vượt giới hạn {_number(MAX_ITERATIONS)} lần lặp cho mỗi biểu "
                                "mẫu)", r"\{%-?\s*for\b")
        if not self.iterations & 255:
            self.checkpoint()


class _Counted:
    """A loop's sequence: each item counts against the form's iterations."""

    __slots__ = ("_value", "_limits")

    def __init__(self, value, limits: Limits):
        self._value, self._limits = value, limits

    def __iter__(self) -> Iterator:
        for item in self._value:
            self._limits.iteration()
            yield item

    def __len__(self) -> int:
        return len(self._value)


def _hint(symbol: str) -> str:
    return re.escape(symbol)


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")


class SandboxEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def __init__(self) -> None:
        # autoescape: task texts with & < > " ' must give valid XML; StrictUndefined: a misspelt variable is an
        # error; no globals: a template sees only the form's variables
        super().__init__(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
        self.code_generator_class = _CodeGenerator
        self.globals.clear()
        self.filters = {name: self._bounded_filter(name, _JINJA_FILTERS[name]) for name in FILTERS}
        self.filters[LOOP_FILTER] = self._loop
        self.tests = {name: self._checked_test(test) for name, test in _JINJA_TESTS.items()}
        self.limits: Limits | None = None  # the form being rendered

    # ------------------------------------------------------------------------------------------ the render

    def render_part(self, template: jinja2.Template, context: dict, limits: Limits) -> bytes:
        """One part of one form (UTF-8), within `limits` (shared by the form's parts) and MAX_PART_BYTES."""
        self.limits = limits
        pieces: list[str] = []
        append, length = pieces.append, 0
        try:
            # as Template.render, counting: no piece is longer than what the budget allows, so the total is checked
            # before it can grow far
            for piece in template.root_render_func(template.new_context(context)):
                length += len(piece)
                if length > MAX_PART_BYTES:
                    raise self._too_long()
                append(piece)
        except Exception:  # noqa: BLE001 - as Template.render: Jinja rewrites the traceback, then re-raises
            self.handle_exception()
        finally:
            self.limits = None
        data = "".join(pieces).encode("utf-8")
        if len(data) > MAX_PART_BYTES:
            raise self._too_long()
        return data

    @staticmethod
    def _too_long() -> TemplateLimit:
        return TemplateLimit(f"làm biểu mẫu quá lớn (vượt giới hạn {MAX_PART_BYTES // (1024 * 1024)} MB cho mỗi "
                             "phần của văn bản Word)")

    def _active(self) -> Limits:
        if self.limits is None:
            raise _NotRendering
        return self.limits

    # ------------------------------------------------------------------------------------------ interception

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - the sandbox's signature
        if not (isinstance(getattr(__obj, "__self__", None), LoopContext)
                and getattr(__obj, "__name__", None) in _LOOP_METHODS):
            raise SecurityError("a form template may not call functions")
        if __self.limits is not None:
            __self.limits.checkpoint()
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context, operator, left, right):
        limits = self._active()
        hint = _hint(operator)
        ints = isinstance(left, int) and isinstance(right, int)
        if operator == "**" and ints and abs(left) > 1 and right > 0:
            limits.digits(right * (left.bit_length() - 1) * 30103 // 100000, hint)
        elif operator == "*" and ints:
            limits.digits(limits.size(left) + limits.size(right) - 1, hint)
        elif operator == "*" and (isinstance(left, int) or isinstance(right, int)):
            count, sequence = (left, right) if isinstance(left, int) else (right, left)
            limits.need(max(count, 0) * limits.size(sequence), hint)
        elif operator == "%" and isinstance(left, str):
            specs = _PERCENT_SPEC.findall(left)
            if any(w == "*" or p == "*" or len(w) > 3 or len(p) > 3 for w, p in specs):
                raise TemplateLimit("tạo ra giá trị quá lớn (độ rộng trong phép % vượt giới hạn 999 ký tự)", hint)
            limits.need(len(left) + 6 * limits.size(right) + 1000 * len(specs), hint)
        elif operator == "+" and not (isinstance(left, (int, float)) and isinstance(right, (int, float))):
            limits.need(6 * (limits.size(left) + limits.size(right)), hint)
        result = self.binop_table[operator](left, right)
        if isinstance(result, int) and not isinstance(result, bool):
            limits.digits(limits.size(result), hint)
        return limits.charge(result, hint)

    def sandbox_concat(self, autoescape: bool, parts: tuple):
        """`a ~ b`."""
        limits = self._active()
        limits.need(6 * sum(limits.size(p) for p in parts), _hint("~"))
        return limits.charge(markup_join(parts) if autoescape else str_join(parts), _hint("~"))

    def sandbox_new(self, value):
        """A list, tuple or dict literal, or a slice."""
        return self._active().charge(value, None)

    def sandbox_checkpoint(self, value):
        if self.limits is not None:
            self.limits.checkpoint()
        return value

    def _loop(self, value):
        return _Counted(value, self._active())

    def _bounded_filter(self, name: str, func):
        skip = 1 if _PassArg.from_obj(func) is not None else 0
        estimate = _ESTIMATES.get(name, _linear)
        hint = rf"\|\s*{name}\b"

        @functools.wraps(func)
        def bounded(*args, **kwargs):
            limits = self._active()
            limits.need(estimate(limits, args[skip:], kwargs), hint)
            result = func(*args, **kwargs)
            if isinstance(result, Iterator):  # map, select, unique, reverse...: the items, made now and counted
                result = list(result)
            return limits.charge(result, hint)

        return bounded

    def _checked_test(self, func):
        @functools.wraps(func)
        def checked(*args, **kwargs):
            self._active().checkpoint()
            return func(*args, **kwargs)

        return checked


def _linear(limits: Limits, args: tuple, kwargs: dict) -> int:
    # a filter writes out its arguments at most once, escaped (x6 for "&" -> "&amp;") or changed in case (x3)
    return 6 * (sum(limits.size(a) for a in args) + sum(limits.size(v) for v in kwargs.values()))


def _join(limits: Limits, args: tuple, kwargs: dict) -> int:
    value = args[0] if args else None
    separator = args[1] if len(args) > 1 else kwargs.get("d", "")
    try:
        count = len(value)
    except TypeError:
        count = limits.size(value)
    return 6 * (limits.size(value) + count * limits.size(separator))


def _replace(limits: Limits, args: tuple, kwargs: dict) -> int:
    text = args[0] if args else ""
    text = text if isinstance(text, str) else ""
    old = args[1] if len(args) > 1 else kwargs.get("old", "")
    new = args[2] if len(args) > 2 else kwargs.get("new", "")
    count = args[3] if len(args) > 3 else kwargs.get("count")
    occurrences = (text.count(old) if old else len(text) + 1) if isinstance(old, str) else 0
    if isinstance(count, int) and count >= 0:
        occurrences = min(occurrences, count)
    return 6 * (limits.size(args[0] if args else "") + occurrences * limits.size(new))


_ESTIMATES = {"join": _join, "replace": _replace}


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator, with the operations that make values (or can take long) going through the
    environment: `~`, list/tuple/dict literals, slices and comparisons."""

    def visit_Concat(self, node, frame):
        autoescape = "context.eval_ctx.volatile" if frame.eval_ctx.volatile else repr(bool(frame.eval_ctx.autoescape))
        self.write(f"environment.sandbox_concat({autoescape}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def _wrapped(self, method: str, visit, node, frame):
        self.write(f"environment.{method}(")
        visit(node, frame)
        self.write(")")

    def visit_List(self, node, frame):
        self._wrapped("sandbox_new", super().visit_List, node, frame)

    def visit_Dict(self, node, frame):
        self._wrapped("sandbox_new", super().visit_Dict, node, frame)

    def visit_Tuple(self, node, frame):
        if node.ctx == "load":
            self._wrapped("sandbox_new", super().visit_Tuple, node, frame)
        else:  # a loop or `set` target: `for a, b in ...`
            super().visit_Tuple(node, frame)

    def visit_Getitem(self, node, frame):
        if isinstance(node.arg, nodes.Slice):
            self._wrapped("sandbox_new", super().visit_Getitem, node, frame)
        else:
            super().visit_Getitem(node, frame)

    def visit_Compare(self, node, frame):
        self._wrapped("sandbox_checkpoint", super().visit_Compare, node, frame)


# ---------------------------------------------------------------------------------------------- the text check

@dataclass(frozen=True)
class Forbidden:
    """What a template may not do: `problem` in Vietnamese words, `needle` finds the tag in the clerk's text."""

    problem: str
    needle: str
    shown: str  # what to show when no tag matches the needle


_ALLOWED = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.If, nodes.For, nodes.Assign, nodes.With, nodes.Name,
    nodes.Const, nodes.Tuple, nodes.List, nodes.Dict, nodes.Pair, nodes.Keyword, nodes.CondExpr, nodes.Filter,
    nodes.Test, nodes.Getattr, nodes.Getitem, nodes.Slice, nodes.Concat, nodes.Compare, nodes.Operand, nodes.And,
    nodes.Or, nodes.Not, nodes.Neg, nodes.Pos, nodes.Add, nodes.Sub, nodes.Mul, nodes.Div, nodes.FloorDiv,
    nodes.Pow, nodes.Mod, nodes.Call,
)
_STATEMENTS = {
    nodes.Macro: "macro", nodes.CallBlock: "call", nodes.FilterBlock: "filter", nodes.AssignBlock: "set",
    nodes.Block: "block", nodes.Extends: "extends", nodes.Include: "include", nodes.Import: "import",
    nodes.FromImport: "from", nodes.ScopedEvalContextModifier: "autoescape",
    nodes.EvalContextModifier: "autoescape", nodes.ExprStmt: "do", nodes.Continue: "continue",
    nodes.Break: "break", nodes.NSRef: "set", nodes.Scope: "autoescape",
}


def _private(name) -> bool:
    return isinstance(name, str) and any(part.startswith("_") for part in name.split("."))


def _private_names(ast: nodes.Template) -> list[str]:
    names = []
    for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.NSRef)):
        if isinstance(node, (nodes.Getattr, nodes.NSRef)):
            candidates = [node.attr]
        elif isinstance(node, nodes.Getitem):
            candidates = [node.arg.value] if isinstance(node.arg, nodes.Const) else []
        else:
            candidates = [k.value.value for k in node.kwargs
                          if k.key == "attribute" and isinstance(k.value, nodes.Const)]
            args = node.args
            if node.name in _FILTER_APPLYING and args and isinstance(args[0], nodes.Const) and args[0].value == "attr":
                args = args[1:]  # lead|map('attr', '__class__')
            if (node.name in _ATTRIBUTE_FILTERS or args is not node.args) and args and isinstance(args[0], nodes.Const):
                candidates.append(args[0].value)
        names += [c for c in candidates if _private(c)]
    return names


def _callee(node: nodes.Call) -> str | None:
    if isinstance(node.node, nodes.Name):
        return node.node.name
    if isinstance(node.node, nodes.Getattr):
        return node.node.attr
    return None


def forbidden(ast: nodes.Template, text: str) -> Forbidden | None:
    """The first thing in `ast` a form template may not do (see the module docstring), else None. `text`: the
    template's tags as the clerk sees them, to report the private name that comes first there."""
    private = _private_names(ast)
    if private:
        name = min(private, key=lambda n: (text.find(n) if n in text else len(text), n))
        return Forbidden(f'truy cập thuộc tính "{name}" (phần bên trong của Python, mẫu biểu mẫu không được dùng)',
                         re.escape(name), name)
    for node in ast.find_all(nodes.Node):
        if isinstance(node, nodes.Call):
            loop_method = (isinstance(node.node, nodes.Getattr) and isinstance(node.node.node, nodes.Name)
                           and node.node.node.name == "loop" and node.node.attr in _LOOP_METHODS)
            if not loop_method:
                name = _callee(node)
                return Forbidden(f'gọi hàm "{name or "(...)"}" (mẫu biểu mẫu không được gọi hàm hay phương thức; '
                                 "hãy dùng bộ lọc, ví dụ {{ agency_name|upper }})",
                                 rf"\b{re.escape(name)}\s*\(" if name else r"\(", f"{name or ''}(...)")
        elif isinstance(node, nodes.Filter) and node.name == LOOP_FILTER:
            return Forbidden(f'dùng bộ lọc "{node.name}" không có', rf"\b{node.name}\b", node.name)
        elif not isinstance(node, _ALLOWED):
            keyword = _STATEMENTS.get(type(node), type(node).__name__.lower())
            needle = r"\{%[-+]?\s*set\b[^=]*%\}$" if keyword == "set" else rf"\{{%[-+]?\s*{keyword}\b"
            return Forbidden(f'dùng câu lệnh "{keyword}" (mẫu biểu mẫu chỉ dùng các câu lệnh if, for, set biến = '
                             "... và with)", needle, f"{{% {keyword} %}}")
    return None


def compile_part(env: SandboxEnvironment, ast: nodes.Template) -> jinja2.Template:
    """The compiled part: every `for` loop's sequence goes through LOOP_FILTER (iterations are counted)."""
    for loop in ast.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, LOOP_FILTER, [], [], None, None, lineno=loop.iter.lineno)
    ast.set_environment(env)
    return env.from_string(ast)
