"""Low-level OOXML: content controls, table and paragraph properties, page fields, custom properties.

The rest of the code speaks in documents, tables and fields; only this module touches WordprocessingML by hand.
Every property element it adds goes through `put`, which places it where the schema's sequence wants it (Word
repairs or ignores children out of order; LibreOffice accepts any order, so only tests/test_ooxml_schema.py sees it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape

from lxml import etree

from .ns import W_NS


CUSTOM_PART = "docProps/custom.xml"
_CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
_CUSTOM_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"


def _el(tag: str, **attrs: str) -> etree._Element:
    # python-docx is imported here, not at the top: reading returned forms needs this module but not python-docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement(tag)
    for k, v in attrs.items():
        el.set(qn(k), v)
    return el


# --------------------------------------------------------------------------- schema order

# The order of the children of the property elements we add to, as ECMA-376 Part 1 (transitional) gives it in wml.xsd
# (CT_PPr: CT_PPrBase then rPr, sectPr, pPrChange; CT_TblPr: CT_TblPrBase then tblPrChange; ...). Where the schema
# has a choice (the children of w:rPr and w:trPr; the kind of a content control at the end of w:sdtPr), any order is
# valid and this one is the order listed, which Word writes. tests/test_ooxml_schema.py checks the table against
# wml.xsd.
_SEQUENCES: dict[str, tuple[str, ...]] = {
    "pPr": ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
            "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
            "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid",
            "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
            "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange"),
    "rPr": ("rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline", "shadow",
            "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing", "w", "kern",
            "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs",
            "em", "lang", "eastAsianLayout", "specVanish", "oMath", "rPrChange"),
    "tblPr": ("tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize", "tblW",
              "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook",
              "tblCaption", "tblDescription", "tblPrChange"),
    "trPr": ("cnfStyle", "divId", "gridBefore", "gridAfter", "wBefore", "wAfter", "cantSplit", "trHeight", "tblHeader",
             "tblCellSpacing", "jc", "hidden", "ins", "del", "trPrChange"),
    "tcPr": ("cnfStyle", "tcW", "gridSpan", "hMerge", "vMerge", "tcBorders", "shd", "noWrap", "tcMar", "textDirection",
             "tcFitText", "vAlign", "hideMark", "headers", "cellIns", "cellDel", "cellMerge", "tcPrChange"),
    "sectPr": ("headerReference", "footerReference", "footnotePr", "endnotePr", "type", "pgSz", "pgMar", "paperSrc",
               "pgBorders", "lnNumType", "pgNumType", "cols", "formProt", "vAlign", "noEndnote", "titlePg",
               "textDirection", "bidi", "rtlGutter", "docGrid", "printerSettings", "sectPrChange"),
    "tblBorders": ("top", "start", "left", "bottom", "end", "right", "insideH", "insideV"),
    "tcBorders": ("top", "start", "left", "bottom", "end", "right", "insideH", "insideV", "tl2br", "tr2bl"),
    "tblCellMar": ("top", "start", "left", "bottom", "end", "right"),
    "pBdr": ("top", "left", "bottom", "right", "between", "bar"),
    "sdtPr": ("rPr", "alias", "tag", "id", "lock", "placeholder", "temporary", "showingPlcHdr", "dataBinding", "label",
              "tabIndex", "equation", "comboBox", "date", "docPartObj", "docPartList", "dropDownList", "picture",
              "richText", "text", "citation", "group", "bibliography"),
}
# Children that may repeat (every other child of these elements occurs at most once: `put` replaces it).
_REPEATING = {("sectPr", "headerReference"), ("sectPr", "footerReference")}


def put(parent: etree._Element, child: etree._Element) -> etree._Element:
    """Insert `child` into the WordprocessingML property element `parent` (w:pPr, w:tblPr, ... : see _SEQUENCES) at the
    position its schema sequence requires, replacing a child of the same name (except those that may repeat).
    Returns `child`. Children the table does not know (an extension of another namespace) are left where they are."""
    kind, name = etree.QName(parent).localname, etree.QName(child).localname
    order = _SEQUENCES[kind]
    rank = order.index(name)
    if (kind, name) not in _REPEATING:
        for old in parent.findall(child.tag):
            parent.remove(old)
    for existing in parent:
        q = etree.QName(existing)
        if q.namespace == W_NS and q.localname in order and order.index(q.localname) > rank:
            existing.addprevious(child)
            return child
    parent.append(child)
    return child


# --------------------------------------------------------------------------- content controls (w:sdt)


def _sdt_pr(tag: str, title: str, lock: str | None, placeholder: bool) -> etree._Element:
    pr = _el("w:sdtPr")
    # The tag is repeated in the title ("Kết quả thực hiện [nv14|result]"): LibreOffice 7 drops w:tag on save
    # but keeps w:alias, so a form re-saved by LibreOffice can still be read back.
    put(pr, _el("w:alias", **{"w:val": f"{title} [{tag}]"}))
    put(pr, _el("w:tag", **{"w:val": tag}))
    if lock:
        put(pr, _el("w:lock", **{"w:val": lock}))
    if placeholder:
        put(pr, _el("w:showingPlcHdr"))
    return pr


def wrap_block_sdt(children: list[etree._Element], tag: str, title: str, *, lock: str | None = None,
                   placeholder: bool = False) -> etree._Element:
    """Wrap block content (paragraphs) in a rich-text content control; return the w:sdt to insert in its place.

    lock: "sdtContentLocked" protects prefilled text; "sdtLocked" keeps a fill-in control from being deleted.
    """
    sdt = _el("w:sdt")
    sdt.append(_sdt_pr(tag, title, lock, placeholder))
    content = _el("w:sdtContent")
    for child in children:
        content.append(child)
    sdt.append(content)
    return sdt


def dropdown_sdt(runs: list[etree._Element], tag: str, title: str, items: Iterable[str]) -> etree._Element:
    """An inline drop-down list content control showing `runs` as its placeholder."""
    sdt = _el("w:sdt")
    pr = _sdt_pr(tag, title, "sdtLocked", True)
    dd = _el("w:dropDownList")
    for item in items:
        dd.append(_el("w:listItem", **{"w:displayText": item, "w:value": item}))
    put(pr, dd)
    sdt.append(pr)
    content = _el("w:sdtContent")
    for r in runs:
        content.append(r)
    sdt.append(content)
    return sdt


# --------------------------------------------------------------------------- tables and paragraphs


def set_table_borders(tbl: etree._Element, val: str = "single", size: int = 4) -> None:
    """All borders of a table: val "single" (thin) or "nil" (none)."""
    borders = _el("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        attrs = {"w:val": val} if val == "nil" else {"w:val": val, "w:sz": str(size), "w:space": "0", "w:color": "000000"}
        put(borders, _el(f"w:{side}", **attrs))
    put(tbl.tblPr, borders)


def set_table_layout_fixed(tbl: etree._Element) -> None:
    put(tbl.tblPr, _el("w:tblLayout", **{"w:type": "fixed"}))


def set_table_cell_margins(tbl: etree._Element, left_twips: int, right_twips: int) -> None:
    """The default left and right margins of every cell of a table."""
    mar = _el("w:tblCellMar")
    put(mar, _el("w:left", **{"w:w": str(left_twips), "w:type": "dxa"}))
    put(mar, _el("w:right", **{"w:w": str(right_twips), "w:type": "dxa"}))
    put(tbl.tblPr, mar)


def set_table_indent(tbl: etree._Element, twips: int) -> None:
    put(tbl.tblPr, _el("w:tblInd", **{"w:w": str(twips), "w:type": "dxa"}))


def mark_header_row(tr: etree._Element) -> None:
    """Repeat this row at the top of every page the table runs onto."""
    put(tr.get_or_add_trPr(), _el("w:tblHeader"))


def forbid_row_split(tr: etree._Element) -> None:
    """Keep a table row on one page (the signature block: "Nơi nhận" and the signer)."""
    put(tr.get_or_add_trPr(), _el("w:cantSplit"))


def set_cell_shading(tc: etree._Element, fill: str) -> None:
    put(tc.get_or_add_tcPr(), _el("w:shd", **{"w:val": "clear", "w:color": "auto", "w:fill": fill}))


def bottom_border(p: etree._Element, size: int = 6) -> None:
    """A solid line under a paragraph (its width follows the paragraph's indents)."""
    bdr = _el("w:pBdr")
    put(bdr, _el("w:bottom", **{"w:val": "single", "w:sz": str(size), "w:space": "1", "w:color": "000000"}))
    put(p.get_or_add_pPr(), bdr)


def complete_zoom(settings: etree._Element) -> None:
    """Give the document settings' w:zoom the w:percent the schema requires (python-docx's default settings have
    only w:val="bestFit"; Word writes both). 100 % is what Word shows when it does not fit the page."""
    zoom = settings.find(f"{{{W_NS}}}zoom")
    if zoom is not None and zoom.get(f"{{{W_NS}}}percent") is None:
        zoom.set(f"{{{W_NS}}}percent", "100")


def page_number_field(p: etree._Element) -> None:
    """Append a PAGE field to a paragraph."""
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        r = _el("w:r")
        if kind:
            r.append(_el("w:fldChar", **{"w:fldCharType": kind}))
        elif text == " PAGE ":
            it = _el("w:instrText")
            it.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            it.text = text
            r.append(it)
        else:
            t = _el("w:t")
            t.text = text
            r.append(t)
        p.append(r)


# --------------------------------------------------------------------------- custom document properties


def custom_properties_xml(props: dict[str, str]) -> bytes:
    items = "".join(
        f'<property fmtid="{_FMTID}" pid="{pid}" name="{escape(name)}"><vt:lpwstr>{escape(value)}</vt:lpwstr></property>'
        for pid, (name, value) in enumerate(props.items(), start=2)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f"{items}</Properties>"
    ).encode()


def declare_custom_part(content_types: bytes, root_rels: bytes) -> tuple[bytes, bytes]:
    """[Content_Types].xml and _rels/.rels declaring docProps/custom.xml (unchanged if already declared)."""
    ct = content_types.decode()
    if "/docProps/custom.xml" not in ct:
        ct = ct.replace("</Types>", f'<Override PartName="/docProps/custom.xml" ContentType="{_CUSTOM_CT}"/></Types>')
    rels = root_rels.decode()
    if _CUSTOM_REL not in rels:
        ids = [int(i) for i in re.findall(r'Id="rId(\d+)"', rels)] or [0]
        rels = rels.replace(
            "</Relationships>",
            f'<Relationship Id="rId{max(ids) + 1}" Type="{_CUSTOM_REL}" Target="docProps/custom.xml"/></Relationships>',
        )
    return ct.encode(), rels.encode()


_SDT_PR, _TAG, _ALIAS, _VAL = (f"{{{W_NS}}}{n}" for n in ("sdtPr", "tag", "alias", "val"))
_TITLE_TAG = re.compile(r"\[([^\[\]]+)\]$")


_SDT = f"{{{W_NS}}}sdt"


def sdt_tags(root: etree._Element) -> dict[etree._Element, str]:
    """The tag of every content control of a document that has one, by control: its first non-empty w:tag, else
    the "[tag]" ending its title (LibreOffice drops w:tag; see _sdt_pr). lxml's filtered `iter` runs in C, so
    Python only visits the controls' w:tag and w:alias elements."""
    tags: dict[etree._Element, str] = {}
    for el in root.iter(_TAG):  # (inlined _control_of: this runs for every control of every form read)
        pr = el.getparent()
        if pr is None or pr.tag != _SDT_PR:
            continue
        sdt = pr.getparent()
        if sdt is not None and sdt.tag == _SDT and sdt not in tags and (value := el.get(_VAL)):
            tags[sdt] = value
    if any(sdt not in tags for sdt in root.iter(_SDT)):  # LibreOffice drops w:tag: the title keeps it
        for el in root.iter(_ALIAS):
            sdt = _control_of(el)
            if sdt is not None and sdt not in tags and (m := _TITLE_TAG.search(el.get(_VAL, ""))):
                tags[sdt] = m.group(1)
    return tags


def _control_of(prop: etree._Element) -> etree._Element | None:
    """The content control (w:sdt) whose properties (w:sdtPr) hold `prop`."""
    pr = prop.getparent()
    sdt = pr.getparent() if pr is not None and pr.tag == _SDT_PR else None
    return sdt if sdt is not None and sdt.tag == _SDT else None
