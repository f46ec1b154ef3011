"""The reminders page, `/ke-hoach/{plan}/{year}/don-doc` (to come)."""

from __future__ import annotations

ROUTES: list = []
