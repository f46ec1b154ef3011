"""The form's contract with its reader has one owner, `generator.forms.contract`: the template shipped in templates/
carries every content-control tag, placeholder hint and status the reader expects, and no other module spells the
contract again."""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path

from lxml import etree

from generator.forms import contract
from generator.paths import templates_dir

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
PACKAGE = Path(__file__).resolve().parents[1] / "generator"
TEMPLATE = templates_dir() / "bao-cao-don-vi.docx"


def _document() -> etree._Element:
    with zipfile.ZipFile(TEMPLATE) as zf:
        return etree.fromstring(zf.read("word/document.xml"))


def _paragraph_texts(root: etree._Element) -> list[str]:
    return ["".join(t.text or "" for t in p.iter(W + "t")) for p in root.iter(W + "p")]


def test_the_template_has_a_tagged_control_for_every_column_and_section():
    tags = {el.get(W + "val") for el in _document().iter(W + "tag")}
    expected = {contract.tag("{{ t.id }}", kind) for kind in contract.KINDS}
    expected |= {contract.tag(contract.SECTION, name) for name in contract.SECTIONS}
    assert expected - tags == set()


def test_the_template_shows_every_hint_the_reader_leaves_out():
    texts = _paragraph_texts(_document())
    missing = [hint for hint in contract.PLACEHOLDERS.values()
               if not any(contract.HINT_LEAD + hint in text for text in texts)]
    assert missing == []


def test_the_status_list_of_the_template_is_the_readers():
    items = [el.get(W + "value") for el in _document().iter(W + "listItem")]
    assert items and set(items) == set(contract.STATUSES)


def test_the_task_table_has_the_contracts_columns_in_order():
    tables = [tbl for tbl in _document().iter(W + "tbl")
              if any((el.get(W + "val") or "").endswith("|code") for el in tbl.iter(W + "tag"))]
    header = next(tables[0].iter(W + "tr"))
    titles = ["".join(t.text or "" for t in tc.iter(W + "t")) for tc in header.iter(W + "tc")]
    assert titles == [title for title, _width in contract.COLUMNS]


def test_a_tag_reads_back_as_its_task_and_kind():
    assert contract.parse_tag(contract.tag("II.11-x", "result")) == ("II.11-x", "result")
    assert contract.parse_tag("no tag") == ("no tag", "")


def test_no_other_module_spells_the_contract():
    names = {"STATUSES", "SECTIONS", "PLACEHOLDERS", "HINT_LEAD", "KINDS", "COLUMNS", "FORM_ID"}
    elsewhere = []
    for path in PACKAGE.rglob("*.py"):
        if path == PACKAGE / "forms" / "contract.py":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
                if isinstance(node, ast.AnnAssign) else []
            elsewhere += [f"{path.relative_to(PACKAGE)}: {t.id}" for t in targets
                          if isinstance(t, ast.Name) and t.id in names]
    assert elsewhere == []


def test_a_rendered_form_carries_the_contracts_identity():
    from generator.forms.context import form_properties
    from generator.paths import default_plan_dir
    from generator.plan.assignments import assignments
    from generator.plan.loader import load_plan

    plan = load_plan(default_plan_dir(), report_year=2024)
    at = assignments(plan, 2024)[0]
    props = form_properties(plan, at, 2024)
    assert tuple(props) == contract.IDENTITY
    assert props["kehoach.form"] == contract.FORM_ID and props["kehoach.year"] == "2024"
