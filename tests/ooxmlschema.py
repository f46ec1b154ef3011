"""Test helper: validate every XML part of a .docx or .xlsx against the ECMA-376 transitional schemas.

The schemas are the standard's own XSD files in ../shared/reference/ooxml-schemas/xsd (beside the checkout, see its
README), compiled once per process into one lxml XMLSchema that knows every namespace they define; a part is then
validated against the global declaration of its root element. Two kinds of schema the set refers to but does not hold
are stood in for here: the xml: attributes (xml:space, xml:lang) and the Dublin Core elements of docProps/core.xml,
each as the smallest declaration that accepts what the real schema accepts for these files.

The schemas know nothing of markup compatibility (ECMA-376 Part 3), so before validating a part is read as a reader
that understands only these namespaces would read it: `mc:AlternateContent` is replaced by its first `mc:Choice`
whose `Requires` namespaces are all understood (else its `mc:Fallback`), elements and attributes of the namespaces
listed in `mc:Ignorable` are dropped (the content of `mc:ProcessContent` elements kept), and the mc: attributes go.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "ooxml-schemas"
XSD = SCHEMAS / "xsd"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
XML_NS = "http://www.w3.org/XML/1998/namespace"
_DC = "http://purl.org/dc/elements/1.1/"
_DCTERMS = "http://purl.org/dc/terms/"

# Stand-ins for schemas the set imports without holding them (see the module docstring).
_STUBS = {
    "stub:xml.xsd": f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{XML_NS}">
  <xs:attribute name="space"><xs:simpleType><xs:restriction base="xs:NCName">
    <xs:enumeration value="default"/><xs:enumeration value="preserve"/></xs:restriction></xs:simpleType></xs:attribute>
  <xs:attribute name="lang" type="xs:language"/>
</xs:schema>""",
    # Dublin Core elements: any text, optionally with xml:lang (the real SimpleLiteral also allows xsi:type).
    "http://dublincore.org/schemas/xmls/qdc/2003/04/02/dc.xsd": f"""<xs:schema
  xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:dc="{_DC}" targetNamespace="{_DC}" elementFormDefault="qualified">
  <xs:import namespace="{XML_NS}" schemaLocation="stub:xml.xsd"/>
  <xs:complexType name="SimpleLiteral"><xs:simpleContent><xs:extension base="xs:string">
    <xs:attribute ref="xml:lang"/></xs:extension></xs:simpleContent></xs:complexType>
  {"".join(f'<xs:element name="{n}" type="dc:SimpleLiteral"/>' for n in (
      "title", "creator", "subject", "description", "publisher", "contributor", "date", "type", "format",
      "identifier", "source", "language", "relation", "coverage", "rights"))}
</xs:schema>""",
    # dcterms:created / modified carry xsi:type="dcterms:W3CDTF", a date or date-time of W3C-DTF.
    "http://dublincore.org/schemas/xmls/qdc/2003/04/02/dcterms.xsd": f"""<xs:schema
  xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:dc="{_DC}" xmlns:dcterms="{_DCTERMS}"
  targetNamespace="{_DCTERMS}" elementFormDefault="qualified">
  <xs:import namespace="{_DC}" schemaLocation="http://dublincore.org/schemas/xmls/qdc/2003/04/02/dc.xsd"/>
  <xs:complexType name="W3CDTF"><xs:simpleContent><xs:restriction base="dc:SimpleLiteral">
    <xs:pattern value="\\d{{4}}(-\\d{{2}}(-\\d{{2}}(T\\d{{2}}:\\d{{2}}(:\\d{{2}}(\\.\\d+)?)?(Z|[+\\-]\\d{{2}}:\\d{{2}}))?)?)?"/>
  </xs:restriction></xs:simpleContent></xs:complexType>
  <xs:element name="created" type="dc:SimpleLiteral"/>
  <xs:element name="modified" type="dc:SimpleLiteral"/>
</xs:schema>""",
}


class _Stubs(etree.Resolver):
    def resolve(self, url, pubid, context):
        if url in _STUBS:
            return self.resolve_string(_STUBS[url], context)
        if url.startswith(("http:", "https:")):  # never fetch a schema from the network
            raise ValueError(f"schema {url} is neither in {XSD} nor stood in for")
        return None


def _target_namespace(path: Path) -> str:
    return etree.parse(str(path)).getroot().get("targetNamespace")


@functools.cache
def schema() -> tuple[etree.XMLSchema, frozenset[str]]:
    """The compiled schema of every namespace of the set, and those namespaces (what a reader "understands")."""
    files = sorted(XSD.glob("*.xsd")) + sorted((XSD / "opc-xsd").glob("*.xsd"))
    by_ns = {_target_namespace(f): f for f in files}
    # The xml: stand-in first: the set's own imports of that namespace give no location, and the first import of a
    # namespace is the one that counts.
    imports = [f'<xs:import namespace="{XML_NS}" schemaLocation="stub:xml.xsd"/>']
    imports += [f'<xs:import namespace="{ns}" schemaLocation="{path.as_uri()}"/>' for ns, path in sorted(by_ns.items())]
    driver = ('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:kehoach:all-ooxml">'
              + "".join(imports) + "</xs:schema>")
    parser = etree.XMLParser()
    parser.resolvers.add(_Stubs())
    doc = etree.parse(io.BytesIO(driver.encode()), parser, base_url=(XSD / "all.xsd").as_uri())
    return etree.XMLSchema(doc), frozenset(by_ns) | {XML_NS, _DC, _DCTERMS}


def _namespaces(el: etree._Element, prefixes: str | None) -> list[str | None]:
    return [el.nsmap.get(p) for p in (prefixes or "").split()]


def resolve_markup_compatibility(root: etree._Element, understood: frozenset[str]) -> list[tuple[int, str, str]]:
    """Apply ECMA-376 Part 3 to `root` in place as a reader understanding `understood` would; returns the problems
    (line, path, message: an mc:MustUnderstand namespace the reader does not understand)."""
    problems = []
    for ac in list(root.iter(f"{{{MC}}}AlternateContent")):
        chosen = None
        for branch in ac:
            if branch.tag == f"{{{MC}}}Choice":
                if all(ns in understood for ns in _namespaces(branch, branch.get("Requires"))):
                    chosen = branch
                    break
            elif branch.tag == f"{{{MC}}}Fallback":
                chosen = branch
                break
        _replace_with_children(ac, chosen)
    ignorable: set[str] = set()
    process: set[tuple[str | None, str]] = set()
    for el in root.iter(etree.Element):
        for ns in _namespaces(el, el.get(f"{{{MC}}}Ignorable")):
            if ns not in understood:
                ignorable.add(ns)
        for name in (el.get(f"{{{MC}}}ProcessContent") or "").split():
            prefix, _, local = name.rpartition(":")
            process.add((el.nsmap.get(prefix or None), local))
        for ns in _namespaces(el, el.get(f"{{{MC}}}MustUnderstand")):
            if ns not in understood:
                problems.append((el.sourceline, root.getroottree().getpath(el),
                                 f"mc:MustUnderstand of {ns}, which no schema defines"))
    for el in list(root.iter(etree.Element)):
        if el is root or el.getparent() is None:
            continue
        q = etree.QName(el)
        if q.namespace in ignorable:
            kept = (q.namespace, q.localname) in process or (q.namespace, "*") in process
            _replace_with_children(el, el if kept else None)
    for el in root.iter(etree.Element):
        for name in list(el.attrib):
            ns = etree.QName(name).namespace
            if ns == MC or ns in ignorable:
                del el.attrib[name]
    return problems


def _replace_with_children(el: etree._Element, source: etree._Element | None) -> None:
    parent = el.getparent()
    index = parent.index(el)
    parent.remove(el)
    for child in reversed(list(source) if source is not None else []):
        parent.insert(index, child)


# Short names for the namespaces in messages ("{http://...wordprocessingml/2006/main}pBdr" -> "w:pBdr").
_PREFIXES = {
    W_NS: "w", "http://schemas.openxmlformats.org/spreadsheetml/2006/main": "x", XML_NS: "xml",
    "http://schemas.openxmlformats.org/drawingml/2006/main": "a",
    "http://schemas.openxmlformats.org/drawingml/2006/chart": "c",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships": "r",
}


@dataclass(frozen=True)
class Violation:
    part: str
    line: int
    path: str  # XPath of the element (the line alone says little: python-docx writes a part on one or two lines)
    message: str

    def __str__(self) -> str:
        return f"{self.part}:{self.line}: {self.message} (at {self.path})"


def _short(text: str) -> str:
    return re.sub(r"\{([^}]*)\}", lambda m: f"{_PREFIXES[m.group(1)]}:" if m.group(1) in _PREFIXES else m.group(0),
                  text)


def part_errors(name: str, data: bytes) -> list[Violation]:
    """Schema violations of one XML part."""
    compiled, understood = schema()
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    problems = [Violation(name, line, path, message)
                for line, path, message in resolve_markup_compatibility(root, understood)]
    if not compiled.validate(root):
        problems += [Violation(name, e.line, _path(root, e.path), _short(e.message)) for e in compiled.error_log]
    return problems


def _path(root: etree._Element, xpath: str | None) -> str:
    """libxml2's path of an element ("/*/*[5]/*" where the namespace is the default one) with prefixes and
    positions: "/x:worksheet/x:sheetData/x:row[3]/x:c[2]"."""
    if not xpath:
        return ""
    prefixes = {k: v for el in root.iter(etree.Element) for k, v in el.nsmap.items() if k}
    try:
        found = root.getroottree().xpath(xpath, namespaces=prefixes)
    except etree.XPathError:
        return xpath
    if not found or not isinstance(found[0], etree._Element):
        return xpath
    steps = []
    el = found[0]
    while el is not None:
        q = etree.QName(el)
        step = _short(f"{{{q.namespace}}}{q.localname}") if q.namespace else q.localname
        parent = el.getparent()
        if parent is not None and len(same := parent.findall(el.tag)) > 1:
            step += f"[{same.index(el) + 1}]"
        steps.append(step)
        el = parent
    return "/" + "/".join(reversed(steps))


def xml_parts(data: bytes) -> dict[str, bytes]:
    """The XML parts of a package (.xml and .rels entries), by name."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist() if re.search(r"\.(xml|rels)$", i.filename)}


def package_errors(data: bytes) -> list[Violation]:
    """Schema violations of every XML part of a .docx / .xlsx."""
    return [e for name, part in xml_parts(data).items() for e in part_errors(name, part)]
