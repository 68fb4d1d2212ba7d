"""Atoms read in a plan's context → dated windows.

Recurrences (yearly months, quarters, months, weekdays of a month, «до 10
числа каждого месяца») are :class:`~roadmap.deadlines.recurrence.Rec`: each
generates the ``due`` dates and a small function gives each window's start.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import SupportsIndex

from dateutil.rrule import MONTHLY, YEARLY, weekday

from roadmap.deadlines.atoms import Atom, Flag, Group, Item, Part, Unit
from roadmap.deadlines.recurrence import (
    Rec,
    StartOf,
    dues,
    month_end,
    no_start,
    same_day,
    shift_months,
)
from roadmap.i18n import _
from roadmap.model import SchoolYear


def _fmt(day: date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else "…"


WindowPair = tuple[date | None, date]


class Windows(list[WindowPair]):
    """The windows found so far, each once: a repeat is dropped as it is
    added, so memory follows the distinct windows, not the text's length
    times the period's."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[WindowPair] = set()

    def append(self, window: WindowPair) -> None:
        if window not in self._seen:
            self._seen.add(window)
            super().append(window)

    def __contains__(self, window: object) -> bool:
        return window in self._seen

    def pop(self, index: SupportsIndex = -1) -> WindowPair:
        window = super().pop(index)
        self._seen.discard(window)
        return window


@dataclass
class Result:
    windows: list[WindowPair] = field(default_factory=Windows)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # the informational ones
    #: each recurrence and the day it runs until; None where the windows are
    #: not its plain output (cut at the period end, framed by named years)
    rules: list[tuple[Rec, date] | None] = field(default_factory=list)
    sources: int = 0  # how many separate things produced windows
    on_demand: bool = False
    understood: bool = False

    def warn(self, message: str, note: bool = False) -> None:
        """Record a warning; ``note`` marks one that reports a rule applied
        as specified (year repeated, time of day dropped), not a doubt."""
        if message not in self.warnings:
            self.warnings.append(message)
            if note:
                self.notes.append(message)


class Expander:
    """Turns parsed parts into windows for one context."""

    def __init__(self, lo: date, hi: date, school_years: bool, school_year: SchoolYear) -> None:
        self.lo = lo
        self.hi = hi
        self.school_years = school_years
        self.sy = school_year
        self.out = Result()

    # -- output ----------------------------------------------------------
    def explicit(self, start: date | None, due: date) -> None:
        """A window the text names with its year: kept even outside the period."""
        if start is not None and start > due:
            start, due = due, start
        self.warn_outside(start, due)
        self.out.windows.append((start, due))

    def warn_outside(self, start: date | None, due: date) -> None:
        """A warning when the window is not inside the plan's period."""
        if due < self.lo or due > self.hi or (start is not None and start < self.lo):
            self.out.warn(
                _("Срок {start} – {due} выходит за период плана {lo} – {hi}").format(
                    start=_fmt(start), due=_fmt(due), lo=_fmt(self.lo), hi=_fmt(self.hi)
                )
            )

    def clipped(self, start: date, due: date) -> None:
        """A window that means «throughout»: cut to the period."""
        if due < self.lo or start > self.hi:
            self.explicit(start, due)
            return
        self.out.windows.append((max(start, self.lo), min(due, self.hi)))

    def recur(self, rec: Rec, lo: date | None = None, hi: date | None = None) -> None:
        lo = lo or self.lo
        hi = hi or self.hi
        if lo > hi:
            return
        until = hi.replace(year=hi.year + 1, day=min(hi.day, 28)) if rec.clip_end else hi
        exact = True
        count = 0
        for due in dues(
            rec.freq, rec.bymonth, rec.bymonthday, rec.byweekday, rec.bysetpos, lo, until
        ):
            start = rec.start_of(due)
            if due > hi:
                if start is None or start > hi:
                    break
                due = hi
                exact = False
            if start is not None and start < lo:
                start = lo
            self.out.windows.append((start, due))
            count += 1
        if count:
            self.out.sources += 1
            if exact:
                self.out.rules.append((rec, hi))
            else:
                self.out.rules.append(None)

    # -- school years ----------------------------------------------------
    def school_bounds(self, first_year: int) -> tuple[date, date]:
        (sm, sd), (em, ed) = self.sy.start, self.sy.end
        end_year = first_year if (em, ed) >= (sm, sd) else first_year + 1
        return date(first_year, sm, sd), date(end_year, em, min(ed, month_end(end_year, em)))

    def year_rec(self) -> Rec:
        """One window per year: calendar years, or school years running to the
        day before the next school year starts (1 Sep – 31 Aug)."""
        if not self.school_years:
            return Rec(YEARLY, lambda d: date(d.year, 1, 1), (12,), 31, clip_end=True)
        sm, sd = self.sy.start
        before = date(2001, sm, sd) - timedelta(days=1)
        return Rec(
            YEARLY,
            lambda d: d + timedelta(days=1) - _one_year(d + timedelta(days=1)),
            (before.month,),
            before.day,
            clip_end=True,
        )

    def school_year_rec(self) -> Rec:
        (sm, sd), (em, ed) = self.sy.start, self.sy.end
        back = (em - sm) % 12 or 12
        return Rec(YEARLY, lambda d: shift_months(d, back, sd), (em,), ed)

    def half_rec(self) -> Rec:
        if not self.school_years:
            return Rec(YEARLY, lambda d: shift_months(d, 5, 1), (6, 12), -1)
        (sm, sd), (em, _ed) = self.sy.start, self.sy.end
        first_back = (12 - sm) % 12

        def start_of(d: date) -> date:
            return shift_months(d, first_back, sd) if d.month == 12 else date(d.year, 1, 1)

        return Rec(YEARLY, start_of, (12, em), -1)

    # -- atoms -----------------------------------------------------------
    def frames(self, atoms: list[Atom]) -> tuple[list[Atom], list[tuple[date, date]]]:
        """Rules 30 and 31: years that qualify the rest of a part («2025–2026
        ежемесячно», «Май, ежегодно с 2024») → the other atoms, with yearless
        dated groups bound to those years, and the spans the rhythms run in."""
        years = [
            a
            for a in atoms
            if isinstance(a, Group)
            and not a.items
            and a.years
            and a.school is None
            and not a.deadline
            and not a.within
        ]
        if not years:  # the usual case
            return atoms, []
        yearly = any(isinstance(a, Flag) and a.kind == "yearly" for a in atoms)
        rhythms = [a for a in atoms if isinstance(a, Unit) and a.kind != "period"]
        frames = [a for a in years if rhythms or (yearly and (a.open_from or a.yearly))]
        if not frames:
            return atoms, []
        spans: list[tuple[int, int]] = []
        for frame in frames:
            for first, last in frame.years:
                if frame.open_from:  # «с 2024»: to the end of the plan period
                    first, last = max(first, self.lo.year), max(last, self.hi.year)
                spans.append((first, last))
        out: list[Atom] = []
        bound = False
        for atom in atoms:
            if atom in frames or (isinstance(atom, Flag) and atom.kind == "yearly"):
                continue  # the years (and «ежегодно») are consumed by the frame
            if (
                isinstance(atom, Group)
                and atom.items
                and not atom.years
                and atom.school is None
                and all(it.sy is None and it.ey is None for it in atom.items)
            ):
                atom = replace(atom, years=spans, open_from=False)
                bound = True
            out.append(atom)
        if not rhythms and not bound:
            return atoms, []
        return out, [(date(a, 1, 1), date(b, 12, 31)) for a, b in spans]

    def part(self, part: Part, prior: bool) -> None:
        atoms, frames = self.frames(part.atoms)
        groups = [a for a in atoms if isinstance(a, Group)]
        scope: tuple[date, date] | None = None
        named = [g for g in groups if g.school is not None and not g.items and not g.years]
        if named and len(groups) > len(named):
            # «в 2022-2023 учебном году в срок до …»: the school year only frames the rest
            first = named[0].school
            assert first is not None
            start, _end = self.school_bounds(first)
            scope = (start, shift_months(start, -12, 1) - timedelta(days=1))
        for index, atom in enumerate(atoms):
            if isinstance(atom, Group):
                if scope is not None and atom in named:
                    continue
                self.group(atom, scope)
                self.out.understood = True
            elif isinstance(atom, Unit):
                units = [a for a in atoms if isinstance(a, Unit)]
                if frames and atom.kind != "period":
                    for lo, hi in frames:
                        self.framed(atom, units, lo, hi)
                else:
                    self.unit(atom, units)
                self.out.understood = True
            elif atom.kind == "yearly":
                self.out.understood = True
                if any(isinstance(a, Group | Unit) for a in atoms[index + 1 :]):
                    continue  # «ежегодно в мае»: what follows says when
                if prior or self.out.windows:
                    self.repeat_yearly()
                else:
                    self.recur(self.year_rec())
            elif atom.kind == "standing":
                self.out.understood = True
                self.standing()
            elif atom.kind == "rhythm":
                self.out.understood = True
                self.out.warn(
                    _(
                        "Ритм «{rhythm}» не разбит на отдельные дни: срок показан одним окном"
                    ).format(rhythm=atom.text),
                    note=True,
                )

    def framed(self, unit: Unit, units: list[Unit], lo: date, hi: date) -> None:
        """A rhythm in the named years only (rule 30), inside the plan period."""
        outer = self.lo, self.hi
        rules = len(self.out.rules)
        self.lo, self.hi = max(lo, self.lo), min(hi, self.hi)
        try:
            if self.lo <= self.hi:
                self.unit(unit, units)
        finally:
            self.lo, self.hi = outer
        # an RRULE read from the plan's first day would add the other years
        self.out.rules[rules:] = [None] * (len(self.out.rules) - rules)

    def standing(self) -> None:
        """«постоянно»: the whole period, or after what came before («далее постоянно»)."""
        if self.out.windows:
            last = max(due for _start, due in self.out.windows)
            if last < self.hi:
                self.out.windows.append((last + timedelta(days=1), self.hi))
                self.out.sources += 1
        else:
            self.out.windows.append((self.lo, self.hi))
            self.out.sources += 1

    def repeat_yearly(self) -> None:
        """«с ежегодной корректировкой»: what came before, again every later year."""
        for start, due in list(self.out.windows):
            step = 1
            while True:
                try:
                    new_due = due.replace(year=due.year + step)
                except ValueError:
                    new_due = due.replace(year=due.year + step, day=28)
                if new_due > self.hi:
                    break
                new_start = None
                if start is not None:
                    try:
                        new_start = start.replace(year=start.year + step)
                    except ValueError:
                        new_start = start.replace(year=start.year + step, day=28)
                if (new_start, new_due) not in self.out.windows:
                    self.out.windows.append((new_start, new_due))
                step += 1
        self.out.sources += 1

    def unit(self, unit: Unit, units: list[Unit]) -> None:
        kind = unit.kind
        if kind == "period":
            self.out.windows.append((self.lo, self.hi))
            self.out.sources += 1
        elif kind == "year":
            self.recur(self.year_rec())
        elif kind == "school_year":
            self.recur(self.school_year_rec())
        elif kind == "report":
            self.report(unit, units)
        elif kind == "quarter":
            if any(u.kind == "report" for u in units):
                return  # «ежеквартально, до 5 числа месяца, следующего за отчётным»
            self.recur(Rec(YEARLY, lambda d: shift_months(d, 2, 1), (3, 6, 9, 12), -1))
        elif kind == "month":
            if any(u.kind in ("monthday", "wdmonth", "report", "monthspan") for u in units):
                return  # «ежемесячно до 10 числа»: the day says it all
            self.recur(Rec(MONTHLY, lambda d: date(d.year, d.month, 1), None, -1))
        elif kind == "half":
            if any(u.kind == "report" for u in units):
                return
            self.recur(self.half_rec())
        elif kind == "term":
            backs = {10: 1, 12: 1, 3: 2, 5: 1}
            self.recur(
                Rec(YEARLY, lambda d: shift_months(d, backs[d.month], 1), (10, 12, 3, 5), -1)
            )
        elif kind == "trimester":
            self.recur(Rec(YEARLY, lambda d: shift_months(d, 2, 1), (11, 2, 5), -1))
        elif kind == "monthday":
            day = unit.a
            start_of: StartOf = no_start if unit.deadline else same_day
            if day <= 28:
                self.recur(Rec(MONTHLY, start_of, None, day))
            else:
                # «до 30 числа»: the 30th, or the month's last day when it is shorter
                self.recur(Rec(MONTHLY, start_of, None, tuple(range(28, day + 1)), bysetpos=-1))
        elif kind == "monthspan":
            # days a..b of every month (b 0: its last day); a fifth week that
            # a short month lacks (29 – last of February) is skipped
            first, last = unit.a, unit.b
            from_day: StartOf = lambda d: d.replace(day=first)  # noqa: E731
            if last:
                self.recur(Rec(MONTHLY, from_day, None, last))
            elif first <= 28:
                self.recur(Rec(MONTHLY, from_day, None, -1))
            else:
                self.recur(Rec(MONTHLY, from_day, None, tuple(range(first, 32)), bysetpos=-1))
        elif kind == "wdmonth":
            nth, wd, month = unit.a, unit.b, unit.c
            byweekday = weekday(wd, nth)
            if month:
                self.recur(Rec(YEARLY, same_day, (month,), None, byweekday))
            else:
                self.recur(Rec(MONTHLY, same_day, None, None, byweekday))

    def report(self, unit: Unit, units: list[Unit]) -> None:
        """Rule 25: one due date after each reporting period of the plan
        period — day ``a`` of the month after it, or of month ``b`` next."""
        months = unit.c or next(
            (_RHYTHM_MONTHS[u.kind] for u in units if u.kind in _RHYTHM_MONTHS), 1
        )
        index = (self.lo.year * 12 + self.lo.month - 1) // months * months
        last = self.hi.year * 12 + self.hi.month - 1
        while index <= last:
            end_year, end_month0 = divmod(index + months - 1, 12)
            if unit.b:
                year = end_year if unit.b > end_month0 + 1 else end_year + 1
                month = unit.b
            else:
                year, month0 = divmod(index + months, 12)
                month = month0 + 1
            self.explicit(None, date(year, month, min(unit.a, month_end(year, month))))
            index += months
        self.out.sources += 1

    # -- groups ----------------------------------------------------------
    def group(self, group: Group, scope: tuple[date, date] | None) -> None:
        years = [y for a, b in group.years for y in range(a, b + 1)]
        if not group.items:
            self.years_only(group)
            return
        if group.school is not None and not years and scope is None:
            # «2 полугодие 2023-2024 учебного года», «сентябрь 2023/24 уч. г.»:
            # the named school year is the group's own year.
            first, _end = self.school_bounds(group.school)
            scope = (first, shift_months(first, -12, 1) - timedelta(days=1))
        templates: list[Item] = []
        for item in group.items:
            if item.half:
                item = self.half_item(
                    item,
                    calendar_year=bool(years) and group.school is None,
                    school=group.school is not None,
                )
            if years:
                for year in years:
                    self.dated(item, group, year)
            elif item.sy is not None or item.ey is not None:
                self.dated(item, group, None)
            else:
                templates.append(item)
        if not templates:
            self.out.sources += 1
            return
        if group.open_from and not any(t.ranged for t in templates):
            for item in templates:
                self.open_yearless(item, scope)
            return
        if not group.yearly and scope is None:
            self.out.warn(
                _("Год не указан: срок повторяется в каждом году периода плана"), note=True
            )
        lo, hi = scope if scope else (self.lo, self.hi)
        whole = [
            t for t in templates if t.sm == t.em and t.sd == 1 and t.ed == 0 and not group.deadline
        ]
        if len(whole) == len(templates):
            months = tuple(sorted({t.em for t in whole}))
            rec = Rec(YEARLY, lambda d: date(d.year, d.month, 1), months, -1)
            self.recur_scoped(rec, lo, hi, scope)
            return
        for item in templates:
            self.recur_scoped(self.template_rec(item, group.deadline), lo, hi, scope)

    def recur_scoped(self, rec: Rec, lo: date, hi: date, scope: tuple[date, date] | None) -> None:
        before = len(self.out.windows)
        self.recur(rec, lo, hi)
        if scope is not None:
            for start, due in self.out.windows[before:]:
                if due < self.lo or due > self.hi:
                    self.warn_outside(start, due)

    def half_item(self, item: Item, calendar_year: bool, school: bool = False) -> Item:
        """A half-year item as calendar or school half (Sep–Dec / Jan–May)."""
        if calendar_year or not (self.school_years or school):
            return item
        (sm, sd), (em, ed) = self.sy.start, self.sy.end
        if item.half == 1:
            return Item(sm, sd, 12, 0)
        return Item(1, 1, em, ed)

    def template_rec(self, item: Item, deadline: str | None) -> Rec:
        due_month, due_day = item.em, item.ed or -1
        if deadline == "start" and not item.single_day:
            due_month, due_day = item.sm, item.sd
        if item.single_day or (deadline and due_day > 0 and item.sd == item.ed):
            start_of: StartOf = same_day
        else:
            back = (item.em - item.sm) % 12
            if back == 0 and item.ed and item.sd > item.ed:
                back = 12
            sd = item.sd
            start_of = lambda d: shift_months(d, back, sd)  # noqa: E731
        if deadline:
            start_of = no_start
        return Rec(YEARLY, start_of, (due_month,), due_day)

    def dated(self, item: Item, group: Group, year: int | None) -> None:
        crosses = (item.sm, item.sd) > (item.em, item.ed or 32)
        if item.ey is not None:
            ey = item.ey
        elif year is not None:
            ey = year
        else:
            assert item.sy is not None
            ey = item.sy + 1 if crosses else item.sy
        sy = item.sy if item.sy is not None else (ey - 1 if crosses else ey)
        try:
            start = date(sy, item.sm, min(item.sd, month_end(sy, item.sm)))
            if item.ed > month_end(ey, item.em) or item.sd > month_end(sy, item.sm):
                raise ValueError
            due = date(ey, item.em, item.ed or month_end(ey, item.em))
        except ValueError:
            self.out.warn(_("Несуществующая дата: «{text}»").format(text=group.text))
            return
        if group.open_from and not item.ranged:
            self.explicit(start, max(self.hi, start))
        elif group.deadline:
            if group.deadline == "start" and not item.single_day:
                due = start
            self.explicit(None, due)
        else:
            self.explicit(start, due)

    def open_yearless(self, item: Item, scope: tuple[date, date] | None) -> None:
        lo, hi = scope if scope else (self.lo, self.hi)
        for year in (lo.year, lo.year + 1):
            day = min(item.sd, month_end(year, item.sm))
            start = date(year, item.sm, day)
            if start >= lo:
                if start <= hi:
                    self.out.windows.append((start, hi))
                    self.out.sources += 1
                return

    def years_only(self, group: Group) -> None:
        if group.school is not None:
            start, due = self.school_bounds(group.school)
            if group.within:
                self.clipped(start, due)
            elif group.deadline:
                self.explicit(None, due if group.deadline == "end" else start)
            else:
                self.explicit(start, due)
            self.out.sources += 1
            return
        for first, last in group.years:
            if group.yearly and group.open_from:  # «ежегодно с 2024» (rule 31)
                first, last = max(first, self.lo.year), max(last, self.hi.year)
            if group.yearly:
                rec = Rec(YEARLY, lambda d: date(d.year, 1, 1), (12,), 31, clip_end=True)
                lo, hi = date(first, 1, 1), date(last, 12, 31)
                inside_lo, inside_hi = max(lo, self.lo), min(hi, self.hi)
                for year in range(first, last + 1):
                    if date(year, 12, 31) < self.lo or date(year, 1, 1) > self.hi:
                        self.explicit(date(year, 1, 1), date(year, 12, 31))
                if inside_lo <= inside_hi:
                    self.recur(rec, inside_lo, inside_hi)
                    # the first year may start before the period: the rrule saw only its end
                continue
            start, due = date(first, 1, 1), date(last, 12, 31)
            if group.within:
                self.clipped(start, due)
            elif group.deadline:
                self.explicit(None, due if group.deadline == "end" else start)
            elif group.open_from:
                self.explicit(start, max(self.hi, start))
            else:
                self.explicit(start, due)
            self.out.sources += 1


#: the reporting period of a phrase's rhythm («ежеквартально, до 5 числа …»)
_RHYTHM_MONTHS = {"month": 1, "quarter": 3, "half": 6}


def _one_year(day: date) -> timedelta:
    try:
        return day - day.replace(year=day.year - 1)
    except ValueError:
        return day - day.replace(year=day.year - 1, day=28)
