"""Reading generated forms back as raw OOXML, table by table (shared by the form tests)."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from generator.forms.contract import LABELS

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HEADINGS = {
    "1. Nhiệm vụ chủ trì": "lead",
    "2. Nhiệm vụ phối hợp": "partner",
    "3. Nhiệm vụ đã hết thời hạn theo Kế hoạch: báo cáo nếu chưa hoàn thành": "expired",
}
ROLES = ("lead", "partner", "expired")


def ptext(el) -> str:
    return "".join(t.text or "" for t in el.iter(W + "t"))


def xml(data: bytes):
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


@dataclass
class Row:
    tr: object
    task_id: str
    sdts: dict[str, object]  # kind -> w:sdt

    def text(self, kind: str) -> str:
        return "\n".join(self.paragraphs(kind))

    def paragraphs(self, kind: str) -> list[str]:
        """The paragraphs of a kind's control, without the label that introduces the product and the timeframe
        ("Sản phẩm: ..."); no paragraph for a product the plan leaves empty (the form prints no line for it)."""
        if kind not in self.sdts:
            return []
        content = self.sdts[kind].find(W + "sdtContent")
        paras = content.findall(W + "p")
        texts = [ptext(p) for p in paras] if paras else [ptext(content)]
        label = LABELS.get(kind) if kind != "note" else None
        if label:
            assert texts and texts[0].startswith(label), (self.task_id, kind, texts)
            texts[0] = texts[0][len(label):]
        return texts


@dataclass
class Form:
    path: Path
    parts: dict[str, bytes]
    doc: object  # root of word/document.xml
    tables: dict[str, object] = field(default_factory=dict)  # role -> w:tbl, by the heading above it
    headings: list[str] = field(default_factory=list)

    @property
    def body(self):
        return self.doc.find(W + "body")

    def rows(self, role: str) -> list[Row]:
        tbl = self.tables.get(role)
        if tbl is None:
            return []
        out = []
        for tr in tbl.findall(W + "tr")[1:]:
            sdts = {}
            ids = set()
            for sdt in tr.iter(W + "sdt"):
                tag = sdt.find(f"{W}sdtPr/{W}tag").get(W + "val")
                task_id, kind = tag.split("|")
                assert kind not in sdts, f"{self.path.name}: two '{kind}' controls in the row of {task_id}"
                sdts[kind] = sdt
                ids.add(task_id)
            assert len(ids) == 1, f"{self.path.name}: a task row mixes task ids {ids}"
            out.append(Row(tr, ids.pop(), sdts))
        return out

    def codes(self, role: str) -> list[str]:
        return [r.text("code") for r in self.rows(role)]

    def all_rows(self) -> list[Row]:
        return [r for role in ROLES for r in self.rows(role)]

    def paragraph_texts(self) -> list[str]:
        return [ptext(p) for p in self.body.iter(W + "p")]

    def sdt_tags(self) -> list[str]:
        return [t.get(W + "val") for t in self.body.iter(W + "tag")]


def read_form(path: Path) -> Form:
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        parts = {n: zf.read(n) for n in zf.namelist()}
    form = Form(path, parts, xml(parts["word/document.xml"]))
    role = None
    for child in form.body:
        if child.tag == W + "p" and ptext(child) in HEADINGS:
            role = HEADINGS[ptext(child)]
            form.headings.append(role)
        elif child.tag == W + "tbl":
            tags = [t.get(W + "val") for t in child.iter(W + "tag")]
            if any(t.endswith("|code") for t in tags):
                assert role is not None, f"{path.name}: a task table before any section heading"
                assert role not in form.tables, f"{path.name}: two task tables under the '{role}' heading"
                form.tables[role] = child
    return form


