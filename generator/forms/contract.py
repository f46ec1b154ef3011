"""The form's contract with its reader, owned here and imported by both the template builder (`forms.template`) and
the reader (`returns`): the form identity, the task-table columns and their kinds, the statuses, the free-text
sections and the placeholder hints."""

from __future__ import annotations


FORM_ID = "bao-cao-don-vi"
# Task table columns (width in mm; the text width of A4 portrait with 30/15 mm margins is 165 mm). The product and
# the timeframe are printed under the task text ("Sản phẩm: ...", "Thời gian: ...") and the note under the status
# ("Ghi chú:"), each introduced by its label (LABELS, LAYOUTS): the result column has 40 % of
# the width, the task text 38 % (a blank form is as long as its task texts), and "Đang thực hiện" (24 mm in 11 pt)
# fits on one line.
COLUMNS = (("TT", 10), ("Nhiệm vụ", 62), ("Kết quả thực hiện", 67), ("Tình trạng", 26))

STATUSES = ("Hoàn thành", "Đang thực hiện", "Chưa thực hiện")
SECTIONS = {"kho-khan": "Khó khăn, vướng mắc", "kien-nghi": "Kiến nghị, đề xuất"}
PLACEHOLDERS = {
    "result": "Nhập kết quả thực hiện",
    "note": "…",
    "status": "Chọn",
    "kho-khan": "Nêu khó khăn, vướng mắc trong quá trình thực hiện.",
    "kien-nghi": "Nêu kiến nghị, đề xuất.",
}
# Every hint of a form starts with this unstyled character (see forms.template._hint): text typed over the hint in
# LibreOffice takes the formatting of the first character it replaces, so it prints plain, not grey and italic.
HINT_LEAD = "\u200b"  # zero width space
KINDS = ("code", "task", "deliverable", "timeframe", "result", "status", "note")
# The columns of a task row, by number of cells: which kinds each cell holds. Since the end of 2026 the product and
# the timeframe are printed in the task cell under the task text, and the note under the status, each introduced by
# its label (LABELS); forms sent out before that have a column for each. A cell holding several kinds is shared out
# by the labels (_split_cell); the layout itself is used when a row's controls are gone (see _task_rows).
LAYOUTS = {
    4: (("code",), ("task", "deliverable", "timeframe"), ("result",), ("status", "note")),
    7: tuple((kind,) for kind in KINDS),
}
# The label opening the paragraph of a kind that shares a cell: before the prefilled product and timeframe (in their
# controls), and alone in the paragraph above the note.
LABELS = {"deliverable": "Sản phẩm: ", "timeframe": "Thời gian: ", "note": "Ghi chú: "}

SECTION = "section"  # the owner part of a free-text section's tag: "section|kho-khan"
# the custom document properties that identify a form: form, plan, plan version, agency, year (`form_properties`)
IDENTITY = ("kehoach.form", "kehoach.plan", "kehoach.plan_version", "kehoach.agency", "kehoach.year")


def tag(owner: str, kind: str) -> str:
    """The content-control tag of a field: "<task id>|<kind>" (a column of KINDS), or "section|<name>"."""
    return f"{owner}|{kind}"


def parse_tag(text: str) -> tuple[str, str]:
    """(owner, kind) of a tag; kind "" when `text` is not a tag of ours."""
    owner, _bar, kind = text.partition("|")
    return owner, kind
