"""Test helper: fill a generated report form the way Word (or a clerk in a hurry) does, and re-save it with LibreOffice.

Word, when a user types into a content control showing its placeholder, removes `w:showingPlcHdr` and replaces the
control's content with what was typed: paragraphs of runs (bold, italic...), list paragraphs (`w:numPr`), line breaks.
Picking a drop-down item leaves one run with the item's text. These helpers produce exactly that OOXML.
"""

from __future__ import annotations

import io
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from generator.office.ziputil import write_zip

from lo import SOFFICE

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NS}}}"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

Runs = str | list[tuple[str, str]]  # a paragraph: plain text, or runs [(text, "" | "b" | "i" | "bi"), ...]


@dataclass
class Fill:
    """What a clerk enters for one task."""

    result: list[Runs] = field(default_factory=list)  # paragraphs; "\n" inside a string becomes a w:br
    bullets: list[str] = field(default_factory=list)  # list paragraphs (w:numPr) after the result paragraphs
    status: str | None = None
    note: str | None = None
    outside: bool = False  # typed in the result cell *after* the control, the control still shows its placeholder
    status_typed: bool = False  # the drop-down deleted and the status typed as plain text in the cell

    def expected_result(self) -> str:
        paras = ["".join(t for t, _ in p) if isinstance(p, list) else p for p in self.result]
        return "\n".join(paras + [f"- {b}" for b in self.bullets])


def _w(tag: str, **attrs: str) -> etree._Element:
    el = etree.Element(W + tag)
    for k, v in attrs.items():
        el.set(W + k, v)
    return el


def _run(text: str, style: str = "") -> etree._Element:
    r = _w("r")
    if style:
        rpr = etree.SubElement(r, W + "rPr")
        if "b" in style:
            etree.SubElement(rpr, W + "b")
        if "i" in style:
            etree.SubElement(rpr, W + "i")
    for i, line in enumerate(text.split("\n")):
        if i:
            etree.SubElement(r, W + "br")
        t = etree.SubElement(r, W + "t")
        t.text = line
        t.set(XML_SPACE, "preserve")
    return r


def _para(runs: Runs, numbered: bool = False) -> etree._Element:
    p = _w("p")
    ppr = etree.SubElement(p, W + "pPr")
    if numbered:
        num = etree.SubElement(ppr, W + "numPr")
        num.append(_w("ilvl", val="0"))
        num.append(_w("numId", val="1"))
    for text, style in ([(runs, "")] if isinstance(runs, str) else runs):
        p.append(_run(text, style))
    return p


def _tag(sdt: etree._Element) -> str | None:
    pr = sdt.find(W + "sdtPr")
    tag = pr.find(W + "tag") if pr is not None else None
    return tag.get(W + "val") if tag is not None else None


def _typed_over(sdt: etree._Element, children: list[etree._Element]) -> None:
    """What Word does when the user types into a control showing its placeholder."""
    pr = sdt.find(W + "sdtPr")
    plc = pr.find(W + "showingPlcHdr")
    if plc is not None:
        pr.remove(plc)
    content = sdt.find(W + "sdtContent")
    for child in list(content):
        content.remove(child)
    for child in children:
        content.append(child)


def _cell(sdt: etree._Element) -> etree._Element:
    el = sdt.getparent()
    while el.tag != W + "tc":
        el = el.getparent()
    return el


def fill_document(root: etree._Element, tasks: dict[str, Fill], sections: dict[str, list[str]]) -> None:
    sdts = {}
    for sdt in root.iter(W + "sdt"):
        tag = _tag(sdt)
        if tag:
            sdts[tag] = sdt
    for task_id, fill in tasks.items():
        result = sdts[f"{task_id}|result"]
        paras = [_para(p) for p in fill.result] + [_para(b, numbered=True) for b in fill.bullets]
        if fill.outside:
            cell = _cell(result)
            for p in paras:
                cell.append(p)
        elif paras:
            _typed_over(result, paras)
        if fill.status is not None:
            status = sdts[f"{task_id}|status"]
            if fill.status_typed:
                p = status.getparent()
                p.replace(status, _run(fill.status))
            else:
                _typed_over(status, [_run(fill.status)])
        if fill.note is not None:
            _typed_over(sdts[f"{task_id}|note"], [_para(fill.note)])
    for name, paras in sections.items():
        _typed_over(sdts[f"section|{name}"], [_para(p) for p in paras])


def _rewrite(data: bytes, part: str, change) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        entries = [(i.filename, zf.read(i)) for i in zf.infolist()]
    out = []
    for name, content in entries:
        if name == part:
            root = etree.fromstring(content)
            change(root)
            content = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        out.append((name, content))
    return write_zip(out)


def fill_form(data: bytes, tasks: dict[str, Fill], sections: dict[str, list[str]] | None = None) -> bytes:
    """A copy of the form `data` with `tasks` (task id -> Fill) and the free `sections` ("kho-khan",
    "kien-nghi" -> paragraphs) filled in as Word writes them."""
    return _rewrite(data, "word/document.xml", lambda root: fill_document(root, tasks, sections or {}))


def set_property(data: bytes, name: str, value: str) -> bytes:
    """A copy of the form with one kehoach custom property changed (another year, plan, agency)."""

    def change(root):
        for prop in root:
            if prop.get("name") == name:
                prop[0].text = value

    return _rewrite(data, "docProps/custom.xml", change)


def lo_resave(data: bytes, workdir: Path, name: str = "form.docx") -> bytes:
    """Open the form in LibreOffice and save it again as .docx (`soffice --convert-to docx`)."""
    return lo_resave_many({name: data}, workdir)[name]


def lo_resave_many(files: dict[str, bytes], workdir: Path) -> dict[str, bytes]:
    """Re-save several forms in one LibreOffice run (much faster than one process per file)."""
    src = workdir / "src"
    dst = workdir / "dst"
    src.mkdir(parents=True, exist_ok=True)
    dst.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (src / name).write_bytes(data)
    profile = (workdir / "lo-profile").resolve()
    result = subprocess.run(
        [SOFFICE, "--headless", f"-env:UserInstallation={profile.as_uri()}", "--convert-to",
         'docx:MS Word 2007 XML', "--outdir", str(dst), *[str(src / n) for n in files]],
        capture_output=True, text=True, timeout=300,
    )
    missing = [n for n in files if not (dst / n).is_file()]
    if result.returncode != 0 or missing:
        raise AssertionError(f"soffice failed ({result.returncode}, missing {missing}):\n{result.stdout}\n{result.stderr}")
    return {n: (dst / n).read_bytes() for n in files}


def edit_document(data: bytes, change) -> bytes:
    """A copy of the form with word/document.xml changed by `change(root)` (any hand edit)."""
    return _rewrite(data, "word/document.xml", change)


def unwrap_controls(root: etree._Element, task_id: str) -> None:
    """Remove every content control of a task's row, keeping its content (a form whose controls were deleted)."""
    for sdt in list(root.iter(W + "sdt")):
        tag = _tag(sdt)
        if tag and tag.startswith(f"{task_id}|"):
            parent = sdt.getparent()
            index = parent.index(sdt)
            for child in reversed(list(sdt.find(W + "sdtContent"))):
                parent.insert(index, child)
            parent.remove(sdt)


def kehoach(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m generator ARGS` as a clerk runs it (fresh environment without KEHOACH_DB)."""
    import os
    import sys

    env = {k: v for k, v in os.environ.items() if k != "KEHOACH_DB"}
    env["COLUMNS"] = "200"  # rich tables on one line per row
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


def ok(r: subprocess.CompletedProcess) -> str:
    """A command that succeeded, with no traceback: its output."""
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    return r.stdout


def refused(r: subprocess.CompletedProcess) -> str:
    """A command refused with exit 1 and one sentence ("Lỗi: ..."), no traceback: the sentence on one line."""
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Lỗi: "), r.stderr
    return " ".join(r.stderr.split())


def write(folder: Path, name: str, data: bytes) -> Path:
    """`data` saved as `folder/name` (the folder made if missing), as a file the office received."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name
