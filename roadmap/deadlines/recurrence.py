"""Recurrences of due dates: which days a rule names, and its RRULE text.

A :class:`Rec` is one recurrence as :mod:`dateutil.rrule` would state it
(yearly or monthly, by month, by day of the month, by weekday of the month).
:func:`dues` lists its due dates inside a span; days of the month are counted
directly, month by month, and only weekdays of a month go through rrule.
:func:`rule_text` writes the RRULE value calendars reuse.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from dateutil.rrule import MONTHLY, YEARLY, rrule, weekday

StartOf = Callable[[date], date | None]


def month_end(year: int, month: int) -> int:
    """The last day of ``month`` in ``year``."""
    if month == 2:
        return 29 if calendar.isleap(year) else 28
    return _MONTH_LENGTHS[month - 1]


def shift_months(day: date, back: int, first: int) -> date:
    """The day ``first`` (clamped) of the month ``back`` months before ``day``'s."""
    index = day.year * 12 + day.month - 1 - back
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(first, month_end(year, month)))


@dataclass
class Rec:
    """One recurrence: the rrule of due dates and how to find each start."""

    freq: int
    start_of: StartOf
    bymonth: tuple[int, ...] | None = None
    bymonthday: int | tuple[int, ...] | None = None
    byweekday: weekday | None = None
    bysetpos: int | None = None
    clip_end: bool = False  # whole years: cut the last one at the period end

    def rule(self, lo: date, hi: date) -> rrule:
        return make_rrule(self.freq, self.bymonth, self.bymonthday, self.byweekday,
                          self.bysetpos, lo, hi)


def make_rrule(
    freq: int,
    bymonth: tuple[int, ...] | None,
    bymonthday: int | tuple[int, ...] | None,
    byweekday: weekday | None,
    bysetpos: int | None,
    lo: date,
    hi: date,
) -> rrule:
    """The dateutil rule of one recurrence between ``lo`` and ``hi``."""
    return rrule(
        freq,
        # naive dates on both ends: rrule turns them into naive midnights
        dtstart=lo,
        until=hi,
        bymonth=bymonth,
        bymonthday=bymonthday,
        byweekday=byweekday,
        bysetpos=bysetpos,
        cache=False,
    )


def dues(
    freq: int,
    bymonth: tuple[int, ...] | None,
    bymonthday: int | tuple[int, ...] | None,
    byweekday: weekday | None,
    bysetpos: int | None,
    lo: date,
    hi: date,
) -> tuple[date, ...]:
    """The due dates of one recurrence, as :mod:`dateutil.rrule` generates
    them. Days of the month are counted directly (month by month): every plan
    has its own period, so a memo keyed by the period rarely hits."""
    if byweekday is not None or bymonthday is None or (bysetpos is not None and freq != MONTHLY):
        return _rrule_dues(freq, bymonth, bymonthday, byweekday, bysetpos, lo, hi)
    one = bymonthday if isinstance(bymonthday, int) else None
    days = () if isinstance(bymonthday, int) else bymonthday
    months = frozenset(bymonth) if bymonth is not None else None
    out: list[date] = []
    index, last = lo.year * 12 + lo.month - 1, hi.year * 12 + hi.month - 1
    while index <= last:
        year, month0 = divmod(index, 12)
        index += 1
        if months is not None and month0 + 1 not in months:
            continue
        length = month_end(year, month0 + 1)
        if one is not None:  # the usual rule: one day of the month
            day = one if one > 0 else length + 1 + one
            if 1 <= day <= length:
                due = date(year, month0 + 1, day)
                if lo <= due <= hi:
                    out.append(due)
            continue
        valid = sorted({d if d > 0 else length + 1 + d for d in days if -length <= d <= length})
        if bysetpos is not None:
            pos = bysetpos - 1 if bysetpos > 0 else bysetpos
            valid = [valid[pos]] if -len(valid) <= pos < len(valid) else []
        for day in valid:
            due = date(year, month0 + 1, day)
            if lo <= due <= hi:
                out.append(due)
    return tuple(out)


_MONTH_LENGTHS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@lru_cache(maxsize=1024)
def _rrule_dues(
    freq: int,
    bymonth: tuple[int, ...] | None,
    bymonthday: int | tuple[int, ...] | None,
    byweekday: weekday | None,
    bysetpos: int | None,
    lo: date,
    hi: date,
) -> tuple[date, ...]:
    """:func:`dues` for the weekdays of a month, through rrule itself."""
    rule = make_rrule(freq, bymonth, bymonthday, byweekday, bysetpos, lo, hi)
    return tuple(moment.date() for moment in rule)


def same_day(day: date) -> date | None:
    return day


def no_start(day: date) -> date | None:
    return None


def rule_text(rec: Rec, hi: date) -> str:
    """The RRULE value of ``rec`` until ``hi`` with a DATE-valued UNTIL
    (all-day deadlines), written as ``str(rrule)`` writes it."""
    parts = [f"FREQ={'YEARLY' if rec.freq == YEARLY else 'MONTHLY'}", f"UNTIL={hi:%Y%m%d}"]
    if rec.bysetpos is not None:
        parts.append(f"BYSETPOS={rec.bysetpos}")
    if rec.bymonth:
        parts.append("BYMONTH=" + ",".join(str(m) for m in sorted(set(rec.bymonth))))
    if rec.bymonthday is not None:
        days = {rec.bymonthday} if isinstance(rec.bymonthday, int) else set(rec.bymonthday)
        ordered = sorted(d for d in days if d > 0) + sorted(d for d in days if d < 0)
        parts.append("BYMONTHDAY=" + ",".join(str(d) for d in ordered))
    if rec.byweekday is not None:
        wday = repr(rec.byweekday)[0:2]
        parts.append(f"BYDAY={rec.byweekday.n:+d}{wday}" if rec.byweekday.n else f"BYDAY={wday}")
    return ";".join(parts)
