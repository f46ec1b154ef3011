"""A returned .docx opened defensively: the size and time limits, the hardened zip reading (central directory checked
first, parts read with a cap) and the XML parser without DTDs or entities, all in `office.safezip` (shared with the
plan importer). Here every refusal becomes a `FormRejected` sentence."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from ..errors import FormRejected
from ..office import safezip
from ..office.safezip import (  # noqa: F401 - the limits and checks, as this module has always named them
    MAX_ENTRIES, MAX_FILE_BYTES, MAX_RATIO, MAX_TOTAL_UNCOMPRESSED, MAX_XML_PART, MB, RATIO_MIN_BYTES, TIME_BUDGET_S,
    XML_ERR_NAME_TOO_LONG, XML_ERR_RESOURCE_LIMIT, XML_MAX_DEPTH, XML_MAX_TEXT, duplicate_name, not_a_file,
)


@contextlib.contextmanager
def _rejected() -> Iterator[None]:
    try:
        yield
    except safezip.Refused as e:
        raise FormRejected(str(e)) from None


class _Budget(safezip.Budget):
    def check(self) -> None:
        with _rejected():
            super().check()


class _Package(safezip.Package):
    """A .docx package opened defensively: entries checked from the central directory, parts read with a cap."""

    def __init__(self, data: bytes, budget: _Budget):
        with _rejected():
            super().__init__(data, budget)

    def read(self, name: str, cap: int = MAX_XML_PART) -> bytes:
        with _rejected():
            return super().read(name, cap)

    def xml(self, name: str) -> etree._Element:
        return parse_xml(self.read(name), name)


def check_size(size: int) -> None:
    """Refuse a returned file of `size` bytes when it is larger than MAX_FILE_BYTES (an upload, before it is read)."""
    with _rejected():
        safezip.check_size(size)


def load_file(path: str | Path) -> bytes:
    """The bytes of a returned file, refusing it before reading when it is larger than MAX_FILE_BYTES, or when it is
    not a regular file (a FIFO would block, a device never ends): opened without blocking and checked first."""
    with _rejected():
        return safezip.load_file(path)


def parse_xml(data: bytes, name: str = "XML") -> etree._Element:
    """Parse an XML part safely: no DTD, no entities, no network, no huge trees."""
    with _rejected():
        return safezip.parse_xml(data, name)
