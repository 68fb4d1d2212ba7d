"""The deadline language: a Russian deadline phrase → dated occurrences.

Pure: no I/O, no clock. :func:`interpret` never raises on any string and never
drops a phrase; what it did not understand goes into ``warnings``. The rules
are ``shared/deadlines/CONVENTIONS.md``.

Example::

    from datetime import date
    from roadmap.deadlines import Context, interpret

    ctx = Context(date(2023, 1, 1), date(2026, 12, 31))
    meaning = interpret("Ежегодно (май)", ctx)
    [(w.start, w.due) for w in meaning.occurrences]   # May of 2023 … 2026
"""

from __future__ import annotations

from roadmap.deadlines.api import Context, Meaning, interpret, meaning_to_json

__all__ = ["Context", "Meaning", "interpret", "meaning_to_json"]
