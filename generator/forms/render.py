"""Renders the Word report form: the template is compiled once, then each form is one Jinja render per part.

Tags split across runs by Word are repaired with docxtpl's `patch_xml` (the same clean-up docxtpl applies before
every render); we run it once per template instead of once per form. Static parts are copied byte for byte.

A template edited by the office is validated before any form is written (`FormTemplate(...)` then `check`, used by
`kehoach validate` and `kehoach pack`); every refusal names the template and the tag:

* as the clerk sees it in Word (the text of each paragraph): a tag without its closing "}}"/"%}" in the same
  paragraph, a closing mark without an opening one (a tag Word split in a way docxtpl cannot repair, or a typo);
* after docxtpl's clean-up: a delimiter still outside a tag (split by something other than formatting runs);
* Jinja: a block without its end tag or an end tag without its block, any other syntax error, a variable that the
  form context does not have (checked statically, so a misspelt name inside an empty loop is caught too);
* a trial render against sample agencies covering lead, partner and expired tasks and "Giao chung" notes (a
  misspelt field such as `t.cod`), and the rendered parts must be well-formed XML.

Templates are untrusted: they are compiled and rendered in `templatesandbox` (no code, only the form's variables
and the listed filters, bounded cost); what it forbids is refused here with the tag, before anything is rendered.
"""

from __future__ import annotations

import pyexpat
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import jinja2.meta
from docxtpl import DocxTemplate
from lxml import etree

from ..errors import KehoachError
from ..office import wml as ooxml
from ..office.ns import W
from ..office.ziputil import write_zip
from .sandbox import FILTERS, Limits, SandboxEnvironment, TemplateLimit, compile_part, forbidden


_RENDERED = re.compile(r"word/(document|header\d*|footer\d*)\.xml")


class TemplateInvalid(KehoachError):
    pass


def _environment() -> SandboxEnvironment:
    return SandboxEnvironment()


class FormTemplate:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.name = self.path.name
        try:
            with zipfile.ZipFile(self.path) as zf:
                entries = [(i.filename, zf.read(i)) for i in zf.infolist() if i.filename != ooxml.CUSTOM_PART]
        except FileNotFoundError:
            raise TemplateInvalid(f'không tìm thấy mẫu "{self.path}"; hãy kiểm tra đường dẫn --template') from None
        except IsADirectoryError:
            raise TemplateInvalid(f'"{self.path}" là một thư mục; hãy ghi --template là đường dẫn tới tệp mẫu '
                                  ".docx") from None
        except (OSError, zipfile.BadZipFile, EOFError, ValueError) as e:
            raise TemplateInvalid(f'không đọc được mẫu "{self.path}": tệp không phải .docx hợp lệ '
                                  f"({type(e).__name__}); hãy mở bằng Word và lưu lại dưới dạng .docx") from e
        env = self._env = _environment()
        self._parts: list[tuple[str, bytes | jinja2.Template]] = []
        names = [n for n, _ in entries]
        missing = [n for n in ("word/document.xml", "[Content_Types].xml", "_rels/.rels") if n not in names]
        if missing:
            raise TemplateInvalid(f'mẫu "{self.path}" không phải văn bản Word đầy đủ (thiếu {missing[0]}); hãy mở mẫu '
                                  "bằng Word và lưu lại dưới dạng .docx")
        data = dict(entries)
        ct, rels = ooxml.declare_custom_part(data["[Content_Types].xml"], data["_rels/.rels"])
        data["[Content_Types].xml"], data["_rels/.rels"] = ct, rels
        self.tags: list[str] = []  # every tag as the clerk sees it in Word, in document order
        self._globals = set(env.globals)
        self._undeclared: dict[str, set[str]] = {}  # part -> the variables it looks up in the form context
        self._part_tags: dict[str, list[str]] = {}
        for name in names:
            if _RENDERED.fullmatch(name):
                try:
                    original = data[name].decode("utf-8")
                except UnicodeDecodeError:
                    raise TemplateInvalid(f'mẫu "{self.name}": phần {name} không phải văn bản UTF-8; hãy lưu lại mẫu '
                                          "bằng Word dưới dạng .docx") from None
                tags = self._visible_tags(original, name)
                xml = DocxTemplate.patch_xml(None, original)
                self._check_residue(xml, name)
                try:
                    # parsed once: the same syntax tree gives the variables it uses and the compiled template
                    ast = env.parse(xml)
                    self._refuse_forbidden(ast, tags)
                    self._undeclared[name] = jinja2.meta.find_undeclared_variables(ast)
                    template = compile_part(env, ast)
                except jinja2.TemplateSyntaxError as e:
                    raise self._syntax_error(tags, name, e, env) from e
                except RecursionError:
                    raise TemplateInvalid(f"mẫu {self.name}: phần {name} có các thẻ lồng nhau quá nhiều tầng (dấu "
                                          "ngoặc hoặc khối {% if %}/{% for %}); hãy bớt các tầng lồng nhau trong Word "
                                          "rồi chạy lại kehoach validate") from None
                self._parts.append((name, template))
                self._part_tags[name] = tags
                self.tags.extend(tags)
            else:
                self._parts.append((name, data[name]))

    # ------------------------------------------------------------------------------------------ validation

    def _refuse(self, tag: str, problem: str, action: str) -> TemplateInvalid:
        shown = " ".join(tag.split())
        if len(shown) > 80:
            shown = shown[:77] + "..."
        return TemplateInvalid(f'mẫu {self.name}: thẻ "{shown}" {problem}; {action}')

    def _refuse_forbidden(self, ast, tags: list[str]) -> None:
        """What a form template may not do (templatesandbox.forbidden: private names, calls, other statements)."""
        found = forbidden(ast, " ".join(_plain(t) for t in tags))
        if found is not None:
            tag = next((t for t in tags if re.search(found.needle, _plain(t))), None)
            raise self._refuse(tag or found.shown, found.problem,
                               "mẫu chỉ được dùng các biến, trường và bộ lọc liệt kê trong README; hãy xóa hoặc sửa "
                               "thẻ này trong Word rồi chạy lại kehoach validate")

    def _limit_error(self, e: TemplateLimit, part: str, agency: str) -> TemplateInvalid:
        """A bound of the sandbox exceeded while rendering `agency`'s form: name the tag when only one can be it."""
        tags = sorted({t for t in self._part_tags.get(part, []) if e.hint and re.search(e.hint, _plain(t))})
        if len(tags) == 1:
            shown = " ".join(tags[0].split())
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            return TemplateInvalid(f'mẫu {self.name}: khi tạo biểu mẫu của {agency}, thẻ "{shown}" {e.problem}; hãy '
                                   "sửa hoặc xóa thẻ này trong Word rồi chạy lại kehoach validate")
        return TemplateInvalid(f"mẫu {self.name}: khi tạo biểu mẫu của {agency}, mẫu {e.problem}; hãy kiểm tra các "
                               "thẻ có phép tính, vòng lặp hoặc bộ lọc trong Word rồi chạy lại kehoach validate")

    def _visible_tags(self, xml: str, part: str) -> list[str]:
        """The tags of a part as seen in Word (text of each paragraph, runs joined); refuse unbalanced ones."""
        try:
            root = etree.fromstring(xml.encode("utf-8"), _PARSER)
        except etree.XMLSyntaxError as e:
            raise TemplateInvalid(f"mẫu {self.name}: phần {part} không phải XML hợp lệ ({e.msg}); hãy mở mẫu bằng Word "
                                  "và lưu lại dưới dạng .docx") from None
        tags: list[str] = []
        for p in root.iter(_P):
            text = "".join(t.text or "" for t in p.iter(_T) if _paragraph_of(t) is p)
            tags.extend(self._scan(text))
        return tags

    def _scan(self, text: str) -> list[str]:
        tags, pos = [], 0
        fix = "hãy mở mẫu bằng Word, xóa thẻ và gõ lại liền một lần trên cùng một dòng, rồi chạy lại kehoach validate"
        while True:
            m = _OPEN.search(text, pos)
            end = m.start() if m else len(text)
            stray = _CLOSE.search(text, pos, end)
            if stray:
                start = text.find("{", max(pos, stray.start() - 40), stray.start())
                fragment = text[start if start >= 0 else max(pos, stray.start() - 40):stray.end()]
                opening = {"}}": "{{", "%}": "{%", "#}": "{#"}[stray.group()]
                raise self._refuse(fragment, f'thiếu dấu mở "{opening}" (Word đã tách thẻ hoặc thẻ gõ thiếu)', fix)
            if m is None:
                return tags
            closer = {"{{": "}}", "{%": "%}", "{#": "#}"}[m.group()]
            close = text.find(closer, m.end())
            following = _OPEN.search(text, m.end())
            if close < 0 or (following and following.start() < close):
                stop = following.start() if following else min(len(text), m.start() + 60)
                raise self._refuse(text[m.start():stop], f'chưa có dấu đóng "{closer}" trong cùng đoạn văn', fix)
            tags.append(text[m.start():close + 2])
            pos = close + 2

    def _check_residue(self, xml: str, part: str) -> None:
        """A delimiter left outside a tag after docxtpl's clean-up: a split it could not repair."""
        rest = _TAG.sub("", xml)
        try:
            root = etree.fromstring(rest.encode("utf-8"), _PARSER)
        except etree.XMLSyntaxError:
            return  # Jinja reports it below
        for p in root.iter(_P):
            text = "".join(t.text or "" for t in p.iter(_T) if _paragraph_of(t) is p)
            if m := _ANY_DELIMITER.search(text):
                raise self._refuse(text[max(0, m.start() - 40):m.end() + 40].strip(),
                                   "bị Word tách ra nên không được nhận là thẻ",
                                   "hãy mở mẫu bằng Word, xóa thẻ và gõ lại liền một lần (không định dạng riêng từng "
                                   "phần), rồi chạy lại kehoach validate")

    def _syntax_error(self, tags: list[str], part: str, e: jinja2.TemplateSyntaxError,
                      env: jinja2.Environment) -> TemplateInvalid:
        fix = "hãy sửa thẻ trong Word rồi chạy lại kehoach validate"
        stack: list[tuple[str, str]] = []
        for tag in tags:
            if not tag.startswith("{%"):
                continue
            words = _plain(tag)[2:-2].strip("-+ \t\n").split()
            keyword = words[0] if words else ""
            if keyword in _BLOCKS and not (keyword == "set" and "=" in tag):
                stack.append((keyword, tag))
            elif keyword.startswith("end") and keyword[3:] in _BLOCKS:
                if stack and stack[-1][0] != keyword[3:] and any(k == keyword[3:] for k, _ in stack):
                    opened, opening = stack[-1]  # this block was left open: its end tag is missing
                    return self._refuse(opening, f'không có thẻ đóng "{{% end{opened} %}}" (gặp "{tag}" trước)', fix)
                if not stack or stack[-1][0] != keyword[3:]:
                    return self._refuse(tag, "không khớp với thẻ mở nào", fix)
                stack.pop()
            elif keyword in ("else", "elif") and (not stack or stack[-1][0] not in ("if", "for")):
                return self._refuse(tag, "nằm ngoài khối {% if %} hoặc {% for %}", fix)
        if stack:
            keyword, tag = stack[-1]
            return self._refuse(tag, f'không có thẻ đóng "{{% end{keyword} %}}" tương ứng', fix)
        for tag in tags:
            plain = _plain(tag)
            if plain.startswith("{%"):
                words = plain[2:-2].strip("-+ ").split()
                if words and words[0] in _BLOCKS and not (words[0] == "set" and "=" in plain):
                    plain += f"{{% end{words[0]} %}}"
                elif words and words[0] in ("else", "elif"):
                    plain = "{% if x %}" + plain + "{% endif %}"
                elif words and words[0].startswith("end"):
                    continue
            try:
                env.from_string(plain)
            except jinja2.TemplateSyntaxError as te:
                unknown = re.fullmatch(r"No filter named '(.+?)'\.?", te.message or "")
                if unknown:
                    return self._refuse(tag, f'sai cú pháp (không có bộ lọc "{unknown[1]}"; các bộ lọc dùng được: '
                                             f'{", ".join(FILTERS)})', fix)
                return self._refuse(tag, f"sai cú pháp ({te.message})", fix)
        return TemplateInvalid(f"mẫu {self.name}: phần {part} có thẻ Jinja sai ({e.message}); {fix}")

    def _tag_using(self, name: str, attribute: bool = False) -> str:
        pattern = re.compile(rf"\.{re.escape(name)}\b" if attribute else rf"(?<![\w.]){re.escape(name)}\b")
        return next((t for t in self.tags if pattern.search(_plain(t)[2:-2])), name)

    def check(self, plan, year: int) -> list[str]:
        """Refuse a template that uses variables the form does not have, or that fails to render for sample
        agencies of `year` (covering lead, partner and expired tasks and "Giao chung" notes). Returns the sample
        agencies' names."""
        from ..plan.assignments import assignments
        from .context import form_context, form_properties

        samples, covered = [], set()
        for at in assignments(plan, year):
            context = form_context(plan, at, year)
            features = {k for k in ("lead", "partner", "expired") if context[k]}
            features |= {"via"} if any(r["via"] for k in ("lead", "partner", "expired") for r in context[k]) else set()
            if features - covered or not samples:
                samples.append((at, context))
                covered |= features
            if covered == {"lead", "partner", "expired", "via"}:
                break
        if not samples:
            return []
        known = set(samples[0][1]) | self._globals
        for part, names in self._undeclared.items():
            unknown = sorted(names - known)
            if unknown:
                raise self._refuse(self._tag_using(unknown[0]), f'dùng biến "{unknown[0]}" không có trong biểu mẫu',
                                   f"các biến dùng được: {', '.join(sorted(samples[0][1]))} (xem README); hãy sửa "
                                   "thẻ trong Word rồi chạy lại kehoach validate")
        fields = ", ".join(next((r for _, c in samples for k in ("lead", "partner", "expired") for r in c[k]), {}))
        for at, context in samples:
            rendered: dict[str, bytes] = {}
            limits = Limits()
            for part, template in self._parts:
                if not isinstance(template, jinja2.Template):
                    continue
                try:
                    rendered[part] = self._env.render_part(template, context, limits)
                except TemplateLimit as e:
                    raise self._limit_error(e, part, at.agency.name) from None
                except jinja2.UndefinedError as e:
                    attr = re.search(r"has no attribute '(.+?)'", e.message or "")
                    name = attr[1] if attr else (re.search(r"'(.+?)' is undefined", e.message or "") or [None, ""])[1]
                    raise self._refuse(self._tag_using(name, attribute=bool(attr)),
                                       f'dùng trường "{name}" không có' if attr else f'dùng biến "{name}" không có',
                                       (f"mỗi nhiệm vụ t có: {fields}" if attr else "xem danh sách biến trong README")
                                       + "; hãy sửa thẻ trong Word rồi chạy lại kehoach validate") from e
                except Exception as e:  # noqa: BLE001 - any template expression may fail on real data
                    raise TemplateInvalid(f"mẫu {self.name}: không tạo được biểu mẫu của {at.agency.name} "
                                          f"({type(e).__name__}: {e}); hãy kiểm tra các thẻ có phép tính hoặc bộ lọc "
                                          "trong Word") from e
                try:
                    etree.fromstring(rendered[part], _PARSER)
                except etree.XMLSyntaxError as e:
                    raise TemplateInvalid(f"mẫu {self.name}: sau khi thay các thẻ, phần {part} không còn là văn bản "
                                          f"Word hợp lệ ({e.msg}); thường do thẻ {{%p ...%}} hoặc {{%tr ...%}} đặt sai "
                                          "chỗ, hãy đặt mỗi thẻ này trên một dòng (hoặc một dòng bảng) riêng") from None
            self._package(rendered, form_properties(plan, at, year))  # the whole package, as pack writes it
        return [at.agency.name for at, _ in samples]

    def render(self, context: dict, properties: dict[str, str]) -> bytes:
        rendered: dict[str, bytes] = {}
        limits = Limits()
        for name, part in self._parts:
            if isinstance(part, jinja2.Template):
                try:
                    rendered[name] = self._env.render_part(part, context, limits)
                except TemplateLimit as e:
                    raise self._limit_error(e, name, context.get("agency_name", "?")) from None
                except jinja2.UndefinedError as e:
                    raise TemplateInvalid(
                        f'mẫu "{self.name}" dùng biến không tồn tại ({e.message}); xem danh sách biến trong README'
                    ) from e
                self._well_formed(rendered[name], name, context)
        return self._package(rendered, properties)

    def _well_formed(self, xml: bytes, part: str, context: dict) -> None:
        """Refuse a rendered part that is not well-formed XML (Word would not open the form): `check` renders only
        sample agencies, and a block of the template may enclose part of a table for some agencies only. expat,
        without building a tree, checks a form's document.xml in well under a millisecond."""
        parser = pyexpat.ParserCreate()
        try:
            parser.Parse(xml, True)
        except pyexpat.ExpatError:
            raise TemplateInvalid(
                f"mẫu {self.name}: biểu mẫu của {context.get('agency_name', '')} sau khi thay các thẻ không còn là văn "
                f"bản Word hợp lệ (phần {part}), nên không biểu mẫu nào được ghi; thường do khối {{%p if %}}, "
                "{%p for %} hoặc {%tr ...%} bao một phần bảng, hãy đặt thẻ mở và thẻ đóng của mỗi khối trong cùng "
                "một ô hoặc cùng bên ngoài bảng rồi chạy lại kehoach validate") from None

    def _package(self, rendered: dict[str, bytes], properties: dict[str, str]) -> bytes:
        """The .docx: every part in the template's order (the `rendered` ones replaced), then the properties."""
        out = [(name, rendered[name] if isinstance(part, jinja2.Template) else part) for name, part in self._parts]
        out.append((ooxml.CUSTOM_PART, ooxml.custom_properties_xml(properties)))
        return write_zip(out)


_P, _T = W + "p", W + "t"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
_OPEN = re.compile(r"\{[{%#]")
_CLOSE = re.compile(r"[}%#]\}")
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_ANY_DELIMITER = re.compile(r"\{[{%#]|[}%#]\}")
_BLOCKS = ("for", "if", "macro", "call", "filter", "set", "with", "block", "raw", "autoescape")


def _paragraph_of(el: etree._Element) -> etree._Element | None:
    el = el.getparent()
    while el is not None and el.tag != _P:
        el = el.getparent()
    return el


def _plain(tag: str) -> str:
    """A docxtpl tag as plain Jinja: "{%tr for t in lead %}" -> "{% for t in lead %}"."""
    return re.sub(r"^(\{[{%#]-?)(?:tr|tc|p|r) ", r"\1 ", tag)


@dataclass(frozen=True)
class CheckedTemplate:
    name: str
    tags: int
    samples: list[str]


def check_template(path: str | Path, plan, year: int) -> CheckedTemplate:
    """`kehoach validate`: compile the template and render it for sample agencies of `year`; TemplateInvalid names
    the template and the tag."""
    template = FormTemplate(path)
    samples = template.check(plan, year)
    return CheckedTemplate(template.name, len(template.tags), samples)
