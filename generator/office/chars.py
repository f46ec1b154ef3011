"""Which characters a text of the plan may hold: those every file kehoach writes can hold.

XML 1.0 (Word's document.xml, Excel's sheets) allows tab, line feed, carriage return and every character from
U+0020 on but the surrogates, U+FFFE and U+FFFF; Excel (openpyxl) refuses the same C0 controls. kehoach refuses DEL
and the C1 controls (U+007F-U+009F) too: they are invisible, XML 1.0 discourages them and YAML refuses them when typed
into a file. `not_allowed` is the one place this rule lives (`loader` refuses such plan data with file:line).
"""

from __future__ import annotations

import re


NOT_ALLOWED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def not_allowed(text: str) -> re.Match | None:
    """The first character of `text` that a form or the appendix cannot hold, or None."""
    return NOT_ALLOWED.search(text)


def code_point(c: str) -> str:
    """"U+0001"."""
    return f"U+{ord(c):04X}"
