"""Which new occurrence succeeds a withdrawn one that was done (pure).

A coordinator who corrects a deadline («до 1 сентября 2024 г.» → «до 15
сентября 2024 г.») withdraws the old occurrence and adds a new one; a
school that had already marked the old one done must stay done. Within one
sequence — the windows of one task for one party and organisation — a
withdrawn done window is paired with an added window when

- both are the n-th window of the same year (school year, for a plan
  counted in school years) and that year has as many windows before the
  edit as after; or
- their dates overlap (``start or due`` … ``due``).

One candidate, taken by no other withdrawn window: a sure pair. Several
candidates, or added windows but no candidate: ambiguous — the caller asks
the user (``roadmap load --carry`` / ``--no-carry``). No added window in the
sequence at all: a plain withdrawal, nothing to carry.

Example::

    old = [Slot(1, None, date(2024, 9, 1))]
    new = [Slot(2, None, date(2024, 9, 15))]
    found = pair(old, new, withdrawn_done={1}, added={2})
    assert found.sure == {1: 2}
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Slot:
    """A window of a sequence; ``ref`` identifies it to the caller."""

    ref: Hashable
    start: date | None
    due: date | None


@dataclass
class Pairing:
    """``sure``: withdrawn ref → successor ref; ``ambiguous``: withdrawn ref →
    the possible successors (when none fits: the added windows of its year,
    else every added window)."""

    sure: dict[Hashable, Hashable] = field(default_factory=dict)
    ambiguous: dict[Hashable, list[Hashable]] = field(default_factory=dict)


def _year(day: date | None, school_year_month: int | None) -> int | None:
    """The (school) year a window belongs to: a school year starting in
    September counts 2024-09-01 … 2025-08-31 as 2024."""
    if day is None:
        return None
    if school_year_month is not None and day.month < school_year_month:
        return day.year - 1
    return day.year


def _positions(slots: Sequence[Slot], school_year_month: int | None) -> dict[Hashable, tuple]:
    """Each slot's (year, index within the year, windows in that year)."""
    order = sorted(slots, key=lambda s: (s.due is None, s.due or date.min, s.start or date.min))
    by_year: dict[int | None, list[Slot]] = {}
    for slot in order:
        by_year.setdefault(_year(slot.due, school_year_month), []).append(slot)
    return {
        slot.ref: (year, n, len(group))
        for year, group in by_year.items()
        for n, slot in enumerate(group)
    }


def _overlap(a: Slot, b: Slot) -> bool:
    if a.due is None or b.due is None:
        return False
    return (a.start or a.due) <= b.due and (b.start or b.due) <= a.due


def pair(
    old: Sequence[Slot],
    new: Sequence[Slot],
    *,
    withdrawn_done: set[Hashable],
    added: set[Hashable],
    school_year_month: int | None = None,
) -> Pairing:
    """Pair the ``withdrawn_done`` slots of ``old`` (the sequence before the
    load) with ``added`` slots of ``new`` (the sequence after it)."""
    result = Pairing()
    fresh = [s for s in new if s.ref in added]
    if not fresh:
        return result
    before = _positions(old, school_year_month)
    after = _positions(new, school_year_month)
    slot_at = {position[:2]: ref for ref, position in after.items()}
    candidates: dict[Hashable, list[Hashable]] = {}
    for slot in old:
        if slot.ref not in withdrawn_done:
            continue
        year, n, count = before[slot.ref]
        found: list[Hashable] = []
        same = slot_at.get((year, n))
        if same in added and after[same][2] == count:
            found.append(same)
        found.extend(f.ref for f in fresh if _overlap(slot, f) and f.ref not in found)
        candidates[slot.ref] = found
    taken: dict[Hashable, int] = {}
    for found in candidates.values():
        if len(found) == 1:
            taken[found[0]] = taken.get(found[0], 0) + 1
    for ref, found in candidates.items():
        if len(found) == 1 and taken[found[0]] == 1:
            result.sure[ref] = found[0]
        else:
            year = before[ref][0]
            same_year = [f.ref for f in fresh if after[f.ref][0] == year]
            result.ambiguous[ref] = found or same_year or [f.ref for f in fresh]
    return result


def nearest(slot: Slot, choices: Sequence[Slot]) -> Slot:
    """The choice whose due date is closest to ``slot``'s (``--carry`` on
    an ambiguous pairing): overlapping windows first, then the nearest."""

    def distance(choice: Slot) -> tuple[int, int]:
        if slot.due is None or choice.due is None:
            return (1, 1 << 30)
        return (0 if _overlap(slot, choice) else 1, abs((choice.due - slot.due).days))

    return min(choices, key=distance)
