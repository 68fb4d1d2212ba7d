"""Public types of the deadline language (the contract other modules use)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from roadmap.i18n import get_language
from roadmap.model import SchoolYear, Window


@dataclass(frozen=True)
class Context:
    """What a phrase is read against: the plan period (inclusive), whether the
    plan counts in school years, and the school-year boundaries."""

    period_start: date
    period_end: date
    school_years: bool = False
    school_year: SchoolYear = SchoolYear()  # noqa: RUF009  frozen, safe to share


@dataclass(frozen=True)
class Meaning:
    """What one phrase means in its context.

    ``occurrences`` are sorted by ``due`` then ``start``; ``rule`` is the
    iCalendar RRULE text when the occurrences come from one recurrence
    (calendars may reuse it; it generates the ``due`` dates), else None."""

    text: str
    occurrences: tuple[Window, ...]
    on_demand: bool
    parsed: bool
    warnings: tuple[str, ...] = ()
    rule: str | None = None
    #: the warnings that only report a rule applied as specified (a year
    #: repeated by rule 5, a time of day dropped): not doubts about the text
    notes: tuple[str, ...] = ()

    def doubts(self) -> tuple[str, ...]:
        """The warnings that question the reading of the text."""
        return tuple(w for w in self.warnings if w not in self.notes)


def interpret(text: str, context: Context) -> Meaning:
    """Read ``text`` in ``context``. Never raises.

    Example::

        >>> ctx = Context(date(2023, 1, 1), date(2026, 12, 31))
        >>> [(w.start, w.due) for w in interpret("Май 2023 года", ctx).occurrences]
        [(datetime.date(2023, 5, 1), datetime.date(2023, 5, 31))]
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    # The language is part of the key: warnings are translated text.
    return _interpret_cached(text, context, get_language())


@lru_cache(maxsize=4096)
def _interpret_cached(text: str, context: Context, language: str) -> Meaning:
    from roadmap.deadlines.engine import read

    return read(text, context)


def interpret_uncached(text: str, context: Context) -> Meaning:
    """:func:`interpret` without the memo (for benchmarks)."""
    from roadmap.deadlines.engine import read

    return read(text, context)


def meaning_to_json(meaning: Meaning) -> dict[str, Any]:
    """The JSON object of the ``roadmap deadline --json`` contract."""
    return {
        "text": meaning.text,
        "occurrences": [
            {"start": w.start.isoformat() if w.start else None, "due": w.due.isoformat()}
            for w in meaning.occurrences
        ],
        "on_demand": meaning.on_demand,
        "parsed": meaning.parsed,
        "warnings": list(meaning.warnings),
        "rule": meaning.rule,
    }
