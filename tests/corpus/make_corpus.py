"""Rebuild the seed files of this corpus (run from the repository root: .venv/bin/python tests/corpus/make_corpus.py).

The corpus is replayed by tests/test_fuzz.py::test_corpus: every file must end in a reading or a clear refusal, and
`expected.json` pins the outcome of each. Files are small (the whole folder stays under 200 KB). A crash or hang
found by the fuzzer is added here as a file of its own, with its expected outcome, once the reader is fixed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from formfill import Fill, edit_document, fill_form, unwrap_controls  # noqa: E402
from fuzzforms import entries, rezip  # noqa: E402

from generator.plan.assignments import report_date  # noqa: E402
from generator.forms.render import FormTemplate  # noqa: E402
from generator.plan.loader import load_plan  # noqa: E402
from generator.forms.pack import build_pack  # noqa: E402
from generator.paths import default_plan_dir, templates_dir  # noqa: E402

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def minimal(document: bytes, custom: bytes | None) -> bytes:
    """A tiny package: content types, the main part and (optionally) kehoach's identity properties."""
    ct = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
          b'wordprocessingml.document.main+xml"/></Types>')
    items = [("[Content_Types].xml", ct), ("word/document.xml", document)]
    if custom is not None:
        items.append(("docProps/custom.xml", custom))
    return rezip(items)


def main() -> None:
    plan = load_plan(default_plan_dir())
    plan = load_plan(default_plan_dir(), report_date(plan, 2024))
    forms = build_pack(plan, 2024, FormTemplate(templates_dir() / "bao-cao-don-vi.docx")).files
    seed = fill_form(forms["so-cong-thuong.docx"],
                     {"nv14": Fill(result=["Đã tổ chức 03 lớp tập huấn."], bullets=["Lớp 1"], status="Hoàn thành",
                                   note="Ghi chú")},
                     {"kho-khan": ["Thiếu kinh phí."]})
    custom = dict(entries(seed))["docProps/custom.xml"]
    files = {
        "seed-so-cong-thuong.docx": (seed, {"outcome": "ok", "nv14": "Đã tổ chức 03 lớp tập huấn.\n- Lớp 1"}),
        "controls-removed.docx": (edit_document(seed, lambda root: unwrap_controls(root, "nv14")),
                                  {"outcome": "ok", "nv14": "Đã tổ chức 03 lớp tập huấn.\n- Lớp 1"}),
        "doctype-in-document.docx": (
            rezip([(n, d.replace(b"<w:document", b"<!DOCTYPE w:document [<!ENTITY a 'b'>]><w:document", 1))
                   for n, d in entries(seed)]), {"outcome": "rejected", "contains": "DOCTYPE/ENTITY"}),
        "duplicate-document-part.docx": (
            rezip(entries(seed) + [("word/document.xml", b"<w:document xmlns:w='" + W.encode() + b"'/>")]),
            {"outcome": "rejected", "contains": "hai phần cùng tên"}),
        "truncated.docx": (seed[: len(seed) // 2], {"outcome": "rejected", "contains": "không phải .docx hợp lệ"}),
        "deep-nesting.docx": (minimal(b"<w:document xmlns:w='" + W.encode() + b"'><w:body>" + b"<w:sdt>" * 5000
                                      + b"</w:sdt>" * 5000 + b"</w:body></w:document>", custom),
                              {"outcome": "rejected", "contains": "lồng nhau quá 256 cấp"}),
        "huge-attribute.docx": (minimal(b"<w:document xmlns:w='" + W.encode() + b"'><w:body><w:p w:val='"
                                        + b"A" * 900_000 + b"'/></w:body></w:document>", custom),
                                {"outcome": "rejected", "contains": "không tìm thấy bảng nhiệm vụ"}),
        "no-identity.docx": (minimal(b"<w:document xmlns:w='" + W.encode() + b"'/>", None),
                             {"outcome": "rejected", "contains": "không phải biểu mẫu do kehoach tạo"}),
    }
    expected = {}
    for name, (data, outcome) in files.items():
        (HERE / name).write_bytes(data)
        expected[name] = outcome
    (HERE / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
