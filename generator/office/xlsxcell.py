"""Writing a value from the data (plan, returned forms) into an Excel cell: the one way kehoach does it.

openpyxl takes a text starting with "=" as a formula; Excel and LibreOffice may also read "+", "-" and "@" as the
start of one. A task, a deliverable or a result typed by an agency must never become a live formula (issue 12): a
text is stored as a text (`data_type` "s", an inline string), and one that starts like a formula also gets Excel's
quote prefix, so editing the cell in Excel keeps it a text. Numbers and empty cells are written as they are.
"""

from __future__ import annotations


FORMULA_START = ("=", "+", "-", "@")


def set_value(cell, value) -> None:
    """Put `value` in `cell` (an openpyxl cell or write-only cell); a str is always a text, never a formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
