"""Types into a report form with LibreOffice itself, as a person does, through its UNO API.

Run by a Python that has LibreOffice's `uno` module (Debian: /usr/bin/python3 with python3-uno), not by the
project's virtualenv:

    /usr/bin/python3 tests/lo_uno.py SPEC.json

SPEC.json: {"input": form.docx, "output": saved.docx, "pdf": printed.pdf (optional), "profile": folder,
"steps": [...]}. Each step clicks one grey hint and types, with the dispatcher, the keys of the toolbar and keyboard:

    {"target": "result" | "status" | "note", "code": "II.11", "keys": [...]}   a fill-in cell of a task's row
    {"target": "section", "hint": "Nêu kiến nghị, đề xuất.", "keys": [...]}       a free section
    keys: ["type", "text"] (.uno:InsertText), ["enter"] (.uno:InsertPara), ["bullets"] (.uno:DefaultBullet)

Clicking a hint puts the view cursor into the control and selects the hint, as LibreOffice shows it to the person
(an input field or a content control); typing then replaces it. The document is saved as "Word 2007-365" (filter
"MS Word 2007 XML") and, when asked, printed to PDF. Printed on stdout as JSON: for each step, the paragraphs
LibreOffice shows where the person typed (list label, text with its line breaks) and the character formatting of
the typed text (style, italic, colour), i.e. what LibreOffice shows and prints.

LibreOffice runs headless with a private profile and a pipe of its own; it is always terminated at the end.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid

import uno  # noqa: F401 - LibreOffice's bridge (python3-uno)
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

COLUMNS = {"result": 2, "status": 3}  # fill-in columns of a task row (the note sits under the status, in its cell)
HEADING = re.compile(r"^[IVX]+\.\s")


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


class Office:
    def __init__(self, profile: str):
        self.pipe = f"kehoach-{uuid.uuid4().hex}"
        os.makedirs(profile, exist_ok=True)
        self.proc = subprocess.Popen(
            ["soffice", "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
             f"-env:UserInstallation=file://{os.path.abspath(profile)}", f"--accept=pipe,name={self.pipe};urp;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.ctx = resolver.resolve(f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext")
                break
            except NoConnectException:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.close()
                    raise SystemExit("LibreOffice did not start")
                time.sleep(0.2)
        smgr = self.ctx.ServiceManager
        self.desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)
        self.dispatcher = smgr.createInstanceWithContext("com.sun.star.frame.DispatchHelper", self.ctx)

    def close(self):
        try:
            self.desktop.terminate()
        except Exception:  # noqa: BLE001 - the bridge goes away with the office
            pass
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)  # its own session: soffice and soffice.bin
            self.proc.wait(10)


def portions(text):
    paragraphs = text.createEnumeration()
    while paragraphs.hasMoreElements():
        paragraph = paragraphs.nextElement()
        if paragraph.supportsService("com.sun.star.text.Paragraph"):
            items = paragraph.createEnumeration()
            while items.hasMoreElements():
                yield paragraph, items.nextElement()


class Form:
    def __init__(self, office: Office, path: str):
        self.office = office
        self.doc = office.desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(path)), "_blank", 0,
                                                       (prop("Hidden", True),))
        self.controller = self.doc.CurrentController
        self.cursor = self.controller.ViewCursor

    def do(self, command, **args):
        self.office.dispatcher.executeDispatch(self.controller.Frame, f".uno:{command}", "", 0,
                                               tuple(prop(k, v) for k, v in args.items()))

    def cell(self, code: str, column: int):
        tables = self.doc.TextTables
        for i in range(tables.Count):
            table = tables.getByIndex(i)
            for row in range(table.Rows.Count):
                try:
                    if table.getCellByPosition(0, row).String.strip() == code:
                        return table.getCellByPosition(column, row)
                except Exception:  # noqa: BLE001 - rows of other shapes (the letter head)
                    break
        raise SystemExit(f"no row {code}")

    def section_paragraph(self, hint: str):
        for paragraph, _ in portions(self.doc.Text):
            if paragraph.String.lstrip("\u200b").startswith(hint):  # (the hint's unstyled lead character)
                return paragraph
        raise SystemExit(f"no section {hint!r}")

    def click_hint(self, items) -> None:
        """Click the grey hint among the text portions `items` (of a cell or a paragraph): the view cursor goes
        into the control and the hint is selected, as LibreOffice does for a content control's placeholder."""
        for portion in items:
            kind = portion.TextPortionType
            if kind == "ContentControl":
                self.cursor.gotoRange(portion.ContentControl.Anchor, False)
                return
            if kind == "TextField" and portion.TextField.supportsService("com.sun.star.text.textfield.Input"):
                field = portion.TextField
                hint = field.Content.rstrip("\r\n")
                self.cursor.gotoRange(field.Anchor.Start, False)
                self.cursor.goRight(1, False)  # into the field
                self.cursor.goRight(len(hint), True)
                return
        raise SystemExit("no hint to click")

    def type(self, keys) -> None:
        for key in keys:
            if key[0] == "type":
                self.do("InsertText", Text=key[1])
            elif key[0] == "enter":
                self.do("InsertPara")
            elif key[0] == "bullets":
                self.do("DefaultBullet")
            else:
                raise SystemExit(f"unknown key {key!r}")

    def typed_format(self) -> dict:
        """The character formatting of the text just typed (the character before the view cursor)."""
        cursor = self.cursor.Text.createTextCursorByRange(self.cursor.Start)
        cursor.goLeft(1, True)
        return {"style": cursor.CharStyleName, "italic": cursor.CharPosture.value != "NONE",
                "color": cursor.CharColor, "char": cursor.String}

    def shown(self, paragraphs) -> list[dict]:
        return [{"label": label(p), "text": p.String} for p in paragraphs]


def label(paragraph) -> str:
    """The bullet or number LibreOffice shows before a paragraph ("" for none)."""
    if not paragraph.NumberingIsNumber or paragraph.NumberingRules is None:
        return ""
    level = {p.Name: p.Value for p in paragraph.NumberingRules.getByIndex(paragraph.NumberingLevel)}
    if level.get("NumberingType") == 6:  # CHAR_SPECIAL: a bullet
        return level.get("BulletChar", "")
    return paragraph.ListLabelString


def _each(paragraph):
    items = paragraph.createEnumeration()
    while items.hasMoreElements():
        yield items.nextElement()


def _cell_paragraphs(cell):
    out = []
    paragraphs = cell.Text.createEnumeration()
    while paragraphs.hasMoreElements():
        out.append(paragraphs.nextElement())
    return out


def _section_paragraphs(form: Form, hint_paragraph_start):
    """The paragraphs of a free section, from the one the person typed in to the next heading."""
    out, inside = [], False
    paragraphs = form.doc.Text.createEnumeration()
    while paragraphs.hasMoreElements():
        p = paragraphs.nextElement()
        if not p.supportsService("com.sun.star.text.Paragraph"):
            if inside:
                break
            continue
        if not inside and form.doc.Text.compareRegionStarts(p, hint_paragraph_start) == 0:
            inside = True
        elif inside and (HEADING.match(p.String) or p.String.startswith("Trên đây")):
            break
        if inside:
            out.append(p)
    return out


def main(spec_path: str) -> None:
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    office = Office(spec["profile"])
    report = []
    try:
        form = Form(office, spec["input"])
        for step in spec["steps"]:
            if step["target"] == "section":
                paragraph = form.section_paragraph(step["hint"])
                start = paragraph.Start
                form.click_hint(_each(paragraph))
                form.type(step["keys"])
                fmt = form.typed_format()
                shown = form.shown(_section_paragraphs(form, start))
            else:
                cell = form.cell(step["code"], COLUMNS[step["target"]])
                form.click_hint(p for _, p in portions(cell.Text))
                form.type(step["keys"])
                fmt = form.typed_format()
                shown = form.shown(_cell_paragraphs(cell))
            report.append({"step": step, "shown": shown, "format": fmt})
        form.doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(spec["output"])),
                            (prop("FilterName", "MS Word 2007 XML"),))
        if spec.get("pdf"):
            form.doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(spec["pdf"])),
                                (prop("FilterName", "writer_pdf_Export"),))
        form.doc.close(True)
    finally:
        office.close()
    json.dump(report, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
