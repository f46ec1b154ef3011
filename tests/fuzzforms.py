"""Test helper: mutations of returned forms for fuzzing the reader (tests/test_fuzz.py).

Each strategy draws a list of plain operations (positions as fractions, so one list applies to any form) and
`apply` turns a seed form into the mutated bytes: byte flips, truncation and splicing of the zip; XML mutations of
word/document.xml (delete, duplicate, move, deep nesting, huge attributes, odd text, changed content-control tags,
renamed elements, a DOCTYPE); changed identity properties; package mutations (entries removed, renamed, duplicated,
stored uncompressed, many entries).
"""

from __future__ import annotations

import copy
import io
import zipfile

from hypothesis import strategies as st
from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NS}}}"
FRACTION = st.floats(min_value=0, max_value=1, allow_nan=False)
ODD_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40) | st.sampled_from([
    "Hoàn thành", "HOAN THANH", "II.11", "I.1", "[nv14|result]", "nv14|result", "section|kho-khan", "{{ year }}",
    "\u0000\u0001", "\ufeff", "a" * 5000, "Trên đây", "II. KHÓ KHĂN, VƯỚNG MẮC", "=SUM(A1)",
])
W_NAMES = ["p", "r", "t", "tbl", "tr", "tc", "sdt", "sdtContent", "sdtPr", "tag", "body", "document", "br", "numPr",
           "showingPlcHdr", "dropDownList", "customXml", "ins", "del", "smartTag", "txbxContent"]


def entries(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(i.filename, zf.read(i)) for i in zf.infolist()]


def rezip(items: list[tuple[str, bytes]], stored: bool = False) -> bytes:
    buf = io.BytesIO()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are one of the mutations
        with zipfile.ZipFile(buf, "w") as zf:
            for name, data in items:
                info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
    return buf.getvalue()


def _at(seq_len: int, fraction: float) -> int:
    return min(int(fraction * seq_len), max(seq_len - 1, 0))


# ------------------------------------------------------------------------------------------------ operations

byte_ops = st.lists(st.tuples(st.sampled_from(["flip", "cut", "insert", "dup", "zero"]), FRACTION,
                              st.integers(1, 255), st.integers(1, 400)), min_size=1, max_size=8)

xml_ops = st.lists(st.one_of(
    st.tuples(st.just("delete"), FRACTION),
    st.tuples(st.just("duplicate"), FRACTION),
    st.tuples(st.just("move"), FRACTION, FRACTION),
    st.tuples(st.just("nest"), FRACTION, st.integers(1, 400), st.sampled_from(["sdt", "tbl", "p", "tc", "r"])),
    st.tuples(st.just("attr"), FRACTION, st.integers(1, 2_000_000)),
    st.tuples(st.just("text"), FRACTION, ODD_TEXT),
    st.tuples(st.just("retag"), FRACTION, ODD_TEXT),
    st.tuples(st.just("rename"), FRACTION, st.sampled_from(W_NAMES)),
    st.tuples(st.just("strip-sdt"), FRACTION),
    st.tuples(st.just("doctype"), st.sampled_from(["<!DOCTYPE x>", "<!DOCTYPE x [<!ENTITY a 'b'>]>",
                                                   "<!ENTITY a 'b'>"])),
), min_size=1, max_size=10)

prop_ops = st.lists(st.tuples(st.sampled_from(["kehoach.year", "kehoach.agency", "kehoach.plan", "kehoach.form",
                                               "kehoach.plan_version"]),
                              st.sampled_from(["delete", "set", "duplicate"]),
                              st.sampled_from(["2024", "2023", "1900", "99999999999999999999", "", "-1", " 2024 ",
                                               "so-cong-thuong", "ubnd-cap-xa", "cac-don-vi-lien-quan",
                                               "khanh-hoa-1627", "bao-cao-don-vi", "x" * 3000]) | ODD_TEXT),
                    min_size=1, max_size=4)

package_ops = st.lists(st.tuples(st.sampled_from(["remove", "rename", "duplicate", "empty", "stored", "many",
                                                  "garbage"]), FRACTION, st.integers(1, 2500)),
                       min_size=1, max_size=4)


# ------------------------------------------------------------------------------------------------ applying


def apply_bytes(data: bytes, ops) -> bytes:
    buf = bytearray(data)
    for op, where, value, length in ops:
        i = _at(len(buf), where)
        if op == "flip" and buf:
            buf[i] ^= value
        elif op == "cut":
            del buf[i:]
        elif op == "insert":
            buf[i:i] = bytes([value]) * length
        elif op == "dup":
            buf[i:i] = buf[i:i + length]
        elif op == "zero":
            buf[i:i + length] = bytes(len(buf[i:i + length]))
    return bytes(buf)


def _mutate_tree(root: etree._Element, ops) -> str:
    prefix = ""
    for op in ops:
        elements = list(root.iter())
        el = elements[_at(len(elements), op[1])] if op[0] != "doctype" else None
        parent = el.getparent() if el is not None else None
        if op[0] == "delete" and parent is not None:
            parent.remove(el)
        elif op[0] == "duplicate" and parent is not None:
            parent.insert(parent.index(el), copy.deepcopy(el))  # (re-parsing fails on deep trees)
        elif op[0] == "move" and parent is not None:
            target = elements[_at(len(elements), op[2])]
            if target is not el and el not in target.iterancestors():
                parent.remove(el)
                target.append(el)
        elif op[0] == "nest" and parent is not None:
            index = parent.index(el)
            outer = inner = etree.Element(W + op[3])
            for _ in range(op[2] - 1):
                inner = etree.SubElement(inner, W + op[3])
            parent.remove(el)
            inner.append(el)
            parent.insert(index, outer)
        elif op[0] == "attr":
            el.set(W + "val", "A" * op[2])
        elif op[0] == "text":
            try:
                el.text = op[2]
            except ValueError:  # not XML-compatible text: what Word could never write
                el.text = op[2].encode("ascii", "ignore").decode().translate({c: None for c in range(32)})
        elif op[0] == "retag":
            for tag in el.iter(W + "tag"):
                try:
                    tag.set(W + "val", op[2])
                except ValueError:
                    tag.set(W + "val", "nv14|" + str(len(op[2])))
                break
        elif op[0] == "rename" and parent is not None:
            el.tag = W + op[2]
        elif op[0] == "strip-sdt":
            for sdt in list(root.iter(W + "sdt"))[:3]:
                p = sdt.getparent()
                if p is None:
                    continue
                i = p.index(sdt)
                content = sdt.find(W + "sdtContent")
                for child in reversed(list(content) if content is not None else []):
                    p.insert(i, child)
                p.remove(sdt)
        elif op[0] == "doctype":
            prefix = op[1]
    body = etree.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + prefix + body


def apply_xml(data: bytes, ops) -> bytes:
    out = []
    for name, content in entries(data):
        if name == "word/document.xml":
            content = _mutate_tree(etree.fromstring(content), ops).encode("utf-8")
        out.append((name, content))
    return rezip(out)


def apply_props(data: bytes, ops) -> bytes:
    out = []
    for name, content in entries(data):
        if name == "docProps/custom.xml":
            root = etree.fromstring(content)
            for prop_name, action, value in ops:
                for prop in list(root):
                    if prop.get("name") != prop_name:
                        continue
                    if action == "delete":
                        root.remove(prop)
                    elif action == "duplicate":
                        root.append(etree.fromstring(etree.tostring(prop)))
                    else:
                        try:
                            prop[0].text = value
                        except ValueError:
                            prop[0].text = "?"
            content = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        out.append((name, content))
    return rezip(out)


def apply_package(data: bytes, ops) -> bytes:
    items = entries(data)
    stored = False
    for op, where, n in ops:
        if not items and op not in ("many", "garbage"):
            continue
        i = _at(len(items), where)
        if op == "remove":
            del items[i]
        elif op == "rename":
            items[i] = (items[i][0].upper() if n % 2 else items[i][0] + "x", items[i][1])
        elif op == "duplicate":
            items.insert(i, (items[i][0], items[i][1][: n] if n % 3 else b"<x/>"))
        elif op == "empty":
            items[i] = (items[i][0], b"")
        elif op == "stored":
            stored = True
        elif op == "many":
            items.extend((f"word/media/x{k}.bin", b"") for k in range(n))
        elif op == "garbage":
            items.append(("word/" + "a" * min(n, 200) + ".xml", bytes(range(256)) * 4))
    return rezip(items, stored)
