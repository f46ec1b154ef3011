"""How kehoach prints a name it did not choose: a file name found in a folder, a path or a text that came from a
returned file. Such a name may hold bytes that are not UTF-8 (Python keeps them as lone surrogates), line breaks,
carriage returns, terminal escape sequences or bidirectional overrides: printed as they are, they would crash the
output (UnicodeEncodeError) or forge an output line ("Đã nhận: ..."). `shown` is the one function that prints such
a name: every character of that kind is written as a visible escape (\\xff, \\n, \\x1b, \\u202e); every other
character, Vietnamese included, is left as it is.
"""

from __future__ import annotations

import re


# C0 and C1 controls, DEL, Unicode line and paragraph separators, bidirectional marks and overrides, and lone
# surrogates (undecodable bytes of a file name, or text that cannot be encoded at all).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m: re.Match) -> str:
    c = m.group()
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, kept by the file system decoder (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return _NAMED.get(c) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def shown(name: object) -> str:
    """`name` (a str or a path) as one printable line, safe to print and to store as text."""
    text = str(name)
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text
