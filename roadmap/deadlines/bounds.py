"""How much one deadline may cost: the bounds checked before a phrase is read.

A phrase is expanded over its plan's period, so the work grows with the
period's length and the text's: a plan from 0001 to 9999 with «Ежемесячно»
is 120,000 windows per task and organisation. These bounds are checked where
a phrase meets a period — plan validation (:mod:`roadmap.plans`) and
``roadmap deadline`` — never inside the grammar, which trusts them.

Example::

    problem = period_problem(date(2023, 1, 1), date(2026, 12, 31))   # None
    problem = text_problem("Ежегодно (май)")                          # None
"""

from __future__ import annotations

from datetime import date

from roadmap.i18n import _

#: Longest plan period, in years (a road map runs a few years).
MAX_PERIOD_YEARS = 25
#: Longest deadline phrase, in characters (a table cell, not a document).
MAX_TEXT_CHARS = 1000
#: Most dated windows one task's deadline may give (monthly for 25 years is
#: 300; each window is then stored once per party and organisation).
MAX_WINDOWS = 1000


def period_problem(start: date, end: date) -> str | None:
    """Why ``start..end`` is not a plan period, or None."""
    if end < start:
        return _("конец периода {end} раньше начала {start}").format(end=end, start=start)
    try:
        limit = start.replace(year=start.year + MAX_PERIOD_YEARS)
    except ValueError:  # 29 February, or past year 9999
        limit = date.max if start.year + MAX_PERIOD_YEARS > date.max.year else date(
            start.year + MAX_PERIOD_YEARS, 3, 1
        )
    if end >= limit:
        return _("период {start} — {end} длиннее {years} лет; допустим период до {years} лет").format(
            start=start, end=end, years=MAX_PERIOD_YEARS
        )
    return None


def text_problem(text: str) -> str | None:
    """Why ``text`` is not a deadline phrase that can be read, or None."""
    if len(text) > MAX_TEXT_CHARS:
        return _("текст срока длиннее {limit} символов ({n})").format(
            limit=MAX_TEXT_CHARS, n=len(text)
        )
    return None


def windows_problem(count: int) -> str | None:
    """Why ``count`` windows of one task are too many, or None."""
    if count > MAX_WINDOWS:
        return _("срок даёт {n} дат — больше предела {limit} на одну задачу").format(
            n=count, limit=MAX_WINDOWS
        )
    return None
