"""Renders the Word report form: the template is compiled once, then each form is one Jinja render per part.

Tags split across runs by Word are repaired with docxtpl's `patch_xml` (the same clean-up docxtpl applies before
every render); we run it once per template instead of once per form. Static parts are copied byte for byte.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import jinja2
from docxtpl import DocxTemplate

from . import ooxml
from .errors import KehoachError
from .ziputil import write_zip

_RENDERED = re.compile(r"word/(document|header\d*|footer\d*)\.xml")


class TemplateInvalid(KehoachError):
    pass


def _environment() -> jinja2.Environment:
    # autoescape: task texts with & < > " ' must give valid XML; StrictUndefined: a misspelt variable is an error.
    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


class FormTemplate:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.name = self.path.name
        try:
            with zipfile.ZipFile(self.path) as zf:
                entries = [(i.filename, zf.read(i)) for i in zf.infolist() if i.filename != ooxml.CUSTOM_PART]
        except (OSError, zipfile.BadZipFile) as e:
            raise TemplateInvalid(f'không đọc được mẫu "{self.path}": tệp không phải .docx hợp lệ ({e})') from e
        env = _environment()
        self._parts: list[tuple[str, bytes | jinja2.Template]] = []
        names = [n for n, _ in entries]
        if "word/document.xml" not in names:
            raise TemplateInvalid(f'mẫu "{self.path}" không có phần nội dung word/document.xml')
        data = dict(entries)
        ct, rels = ooxml.declare_custom_part(data["[Content_Types].xml"], data["_rels/.rels"])
        data["[Content_Types].xml"], data["_rels/.rels"] = ct, rels
        for name in names:
            if _RENDERED.fullmatch(name):
                xml = DocxTemplate.patch_xml(None, data[name].decode("utf-8"))
                try:
                    self._parts.append((name, env.from_string(xml)))
                except jinja2.TemplateSyntaxError as e:
                    raise TemplateInvalid(
                        f'mẫu "{self.name}" ({name}) có thẻ Jinja sai: {e.message}; '
                        "hãy sửa thẻ {{ ... }} hoặc {% ... %} trong Word"
                    ) from e
            else:
                self._parts.append((name, data[name]))

    def render(self, context: dict, properties: dict[str, str]) -> bytes:
        out: list[tuple[str, bytes]] = []
        for name, part in self._parts:
            if isinstance(part, jinja2.Template):
                try:
                    out.append((name, part.render(context).encode("utf-8")))
                except jinja2.UndefinedError as e:
                    raise TemplateInvalid(
                        f'mẫu "{self.name}" dùng biến không tồn tại ({e.message}); xem danh sách biến trong README'
                    ) from e
            else:
                out.append((name, part))
        out.append((ooxml.CUSTOM_PART, ooxml.custom_properties_xml(properties)))
        return write_zip(out)


def read_properties(docx: bytes) -> dict[str, str]:
    """The kehoach identity stored in a form's custom properties."""
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        try:
            return ooxml.read_custom_properties(zf.read(ooxml.CUSTOM_PART))
        except KeyError:
            return {}
