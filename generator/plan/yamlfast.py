"""A fast YAML reader for plan files: libyaml events turned into plain values, every scalar located by file and line,
and Vietnamese text checked as it is read."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem
from ..office.chars import code_point, not_allowed
from ..office.display import shown
from . import schema


class _Source:
    """One YAML file: its parsed data and the problems found in it.

    Parsing uses libyaml (fast); the round-trip parse that knows every node's line is only done when a problem has
    to be located, so a valid plan loads quickly and an invalid one still gets file:line messages.
    """

    def __init__(self, path: Path, problems: list[Problem]):
        self.path = path
        self.name = str(path)
        self.problems = problems
        self.warnings: list[Problem] = []  # what `validate` points out without refusing the plan
        self.raw = b""
        self.data: Any = None
        self._tree: Any = None
        try:
            self.raw = path.read_bytes()
        except FileNotFoundError:
            self.error(0, f'không tìm thấy tệp "{path.name}" trong thư mục kế hoạch')
            return
        try:
            text = self.raw.decode("utf-8")
        except UnicodeDecodeError as e:
            line = self.raw[: e.start].count(b"\n") + 1
            self.error(line, "tệp không phải văn bản UTF-8; hãy lưu lại tệp với bảng mã UTF-8")
            return
        if not_allowed(text):  # typed into the file: YAML would refuse it in English, without a line
            self._refuse_chars(text)
            return
        try:
            self.data, all_nfc = _parse(text)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
            line = mark.line + 1 if mark else 0
            problem = getattr(e, "problem", None) or str(e)
            self.error(line, f"lỗi cú pháp YAML ({problem}); kiểm tra thụt lề, dấu hai chấm và dấu ngoặc kép")
            return
        if not all_nfc:  # rare: walk the data once more, to report each offending text with its path
            self._check_nfc(self.data, ())
        if "\\" in text:  # a double-quoted YAML text can write any character as an escape ("\x01", "\u0001")
            self._check_chars(self.data, ())

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.name, line, message))

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(Problem(self.name, line, message))

    def line(self, *loc: str | int) -> int:
        """The line of the deepest existing node on the path `loc` (1-based)."""
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        if self._tree is None:
            from ruamel.yaml import YAML

            self._tree = YAML(typ="rt", pure=True).load(self.raw.decode("utf-8"))
        node, line = self._tree, 1
        for part in loc:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                line = node.lc.item(part)[0] + 1
            elif isinstance(part, str):
                continue  # a name pydantic adds (such as a union's tag), not a key of the file
            else:
                break
            node = node[part]
        return line

    def validate(self, model: type[schema.BaseModel]) -> Any:
        if self.data is None:
            return None
        try:
            return model.model_validate(self.data)
        except schema.ValidationError as e:
            for err in e.errors():
                self.error(self.line(*err["loc"]), schema.describe(err))
            return None
        finally:
            self.data = None  # the validated model is all that is needed from here on

    def _refuse_chars(self, text: str) -> None:
        """One problem per line holding a character the forms and the appendix cannot hold (see `chars`)."""
        for number, line in enumerate(text.split("\n"), start=1):
            if m := not_allowed(line):
                self.error(number, _char_problem(m.group(), line))

    def _check_chars(self, node: Any, loc: tuple) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                self._check_chars(k, loc)
                self._check_chars(v, (*loc, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                self._check_chars(v, (*loc, i))
        elif isinstance(node, str) and (m := not_allowed(node)):
            self.error(self.line(*loc), _char_problem(m.group(), node))

    def _check_nfc(self, node: Any, loc: tuple) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                self._check_nfc(v, (*loc, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                self._check_nfc(v, (*loc, i))
        elif isinstance(node, str) and not unicodedata.is_normalized("NFC", node):
            self.error(
                self.line(*loc),
                f'văn bản "{shown(node[:60])}" không ở dạng Unicode dựng sẵn (NFC); hãy gõ lại bằng bảng mã Unicode dựng sẵn',
            )


def _char_problem(c: str, text: str) -> str:
    snippet = shown(text.strip()[:60])
    kind = "ký tự điều khiển" if ord(c) < 0xA0 else "ký tự không hợp lệ"
    return (f'văn bản "{snippet}" có {kind} {code_point(c)} (không nhìn thấy được), ký tự mà biểu mẫu Word và phụ lục '
            "Excel không chứa được (Word không mở được tệp có ký tự này); hãy xóa ký tự đó")


def _parse(text: str) -> tuple[Any, bool]:
    """YAML text -> (plain data, whether every text in it is already NFC), straight from libyaml's event stream.

    PyYAML's own `load` first builds a node graph of the whole file (about 25 times the file's size in memory);
    building the data from the events, with PyYAML's resolver and constructors for each scalar, keeps a
    national-scale plan (thousands of tasks) flat in memory. Mapping keys come out as strings (YAML allows `1:` or
    `true:` as keys; the schema names fields by string).

    The NFC check rides along (one test per text, no second walk of the data): only whether some text is not NFC
    is recorded, and the caller walks the data again to locate it in that rare case. This loop runs for every
    event of the file, hence the inlined steps.
    """
    loader = _Loader(text)
    scalar = _ScalarBuilder(loader)
    quoted_is_text = scalar.quoted_is_text
    stack: list[Any] = []  # the open containers, innermost last
    keys: list[Any] = []  # per open container: the mapping key waiting for its value (_NO_KEY if none)
    mixed: list[bool] = []  # per open container: a mapping with some key that is not a string
    result: Any = None
    all_nfc = True
    try:
        while (event := loader.get_event()) is not None:
            kind = type(event)
            if kind is yaml.ScalarEvent:
                if quoted_is_text and event.tag is None and not event.implicit[0]:
                    value = event.value  # quoted or block style: a string, as written (most texts of a plan)
                else:
                    value = scalar(event)
                # ASCII text is always NFC, and isascii() is much cheaper than the normalization check.
                if all_nfc and type(value) is str and not value.isascii():
                    all_nfc = unicodedata.is_normalized("NFC", value)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                stack.append({} if kind is yaml.MappingStartEvent else [])
                keys.append(_NO_KEY)
                mixed.append(False)
                continue
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                keys.pop()
                value = stack.pop()
                if mixed.pop():
                    # Keys made strings only now, once the mapping is complete: duplicate keys (`1:` then `true:`)
                    # collapse exactly as in the mapping PyYAML builds.
                    value = {str(k): v for k, v in value.items()}
            elif kind is yaml.AliasEvent:
                raise yaml.MarkedYAMLError(problem="không dùng được bí danh (*alias) trong dữ liệu kế hoạch",
                                           problem_mark=event.start_mark)
            else:
                continue  # stream and document start and end
            # `value` is complete: it goes into the innermost open container, or is the document.
            if not stack:
                result = value
            elif type(top := stack[-1]) is list:
                top.append(value)
            elif (key := keys[-1]) is _NO_KEY:
                keys[-1] = value
                if type(value) is not str:
                    if isinstance(value, (dict, list)):
                        raise yaml.MarkedYAMLError(problem="khóa phải là một chữ, không phải danh sách hay bảng",
                                                   problem_mark=event.start_mark)
                    mixed[-1] = True
                elif value in top:
                    raise yaml.MarkedYAMLError(problem=f'khóa "{value}" ghi hai lần trong cùng một mục',
                                               problem_mark=event.start_mark)
            else:
                top[key] = value
                keys[-1] = _NO_KEY
    finally:
        loader.dispose()
    return result, all_nfc


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CONSTRUCTOR = yaml.SafeLoader("")
_NO_KEY = object()


class _ScalarBuilder:
    """Scalar events -> values, exactly as PyYAML's resolver and SafeLoader's constructors make them.

    Nearly every scalar of a plan is a string, for which the constructor just returns the scalar's text; so for a
    string the ScalarNode and the constructor call are skipped. Plain scalars (`id`, `task`, `2025`) repeat a lot:
    the resolver is asked once per distinct text. Every other scalar (numbers, dates, booleans, null, explicit
    tags) still goes through PyYAML's constructor.
    """

    def __init__(self, loader: Any):
        self._loader = loader
        self._constructors = yaml.SafeLoader.yaml_constructors
        self._tags: dict[tuple[str, tuple[bool, bool]], str] = {}
        self._str_tag = loader.DEFAULT_SCALAR_TAG
        # The shortcuts hold while PyYAML's defaults do: no path resolvers (so a quoted or block scalar always
        # resolves to str), and the stock str constructor (which returns the text as is).
        self._quoted_is_str = not loader.yaml_path_resolvers
        self._str_is_text = (self._constructors.get(self._str_tag)
                             is yaml.constructor.SafeConstructor.construct_yaml_str)
        # Whether an untagged quoted or block scalar is its text as is (`_parse` takes that shortcut itself).
        self.quoted_is_text = self._quoted_is_str and self._str_is_text

    def __call__(self, event: yaml.ScalarEvent) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            implicit = event.implicit
            if not implicit[0] and self._quoted_is_str:
                tag = self._str_tag  # quoted or block style: the resolver's implicit types do not apply
            elif (tag := self._tags.get((event.value, implicit))) is None:
                tag = self._tags[event.value, implicit] = self._loader.resolve(yaml.ScalarNode, event.value, implicit)
        if tag == self._str_tag and self._str_is_text:
            return event.value
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        return self._constructors.get(tag, self._constructors[None])(_CONSTRUCTOR, node)
