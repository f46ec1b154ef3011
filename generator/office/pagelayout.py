"""The decree's header columns, in millimetres: shared by the document builder (`decree.header_block`) and the check
that a header line fits its column (`plan.headers`); no imports, so checking a plan loads no Word library."""

from __future__ import annotations


HEADER_LEFT_MM, HEADER_RIGHT_MM = 79, 93  # decree.header_block's columns (the table starts 5 mm left of the margin)
HEADER_CELL_MARGIN_MM = 0.5  # left and right, inside each column
