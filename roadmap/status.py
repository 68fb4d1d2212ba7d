"""The status of one occurrence on a plan-local «today» — pure rules, no I/O.

:func:`classify` is the single definition of what «overdue», «due soon» and
the rest mean. The rules are an ordered list of guards, the first that holds
wins, so they map one-to-one onto a SQL ``CASE`` expression (the same rules
will run over millions of rows in the database)::

    CASE
      WHEN withdrawn                           THEN 'withdrawn'   -- 1
      WHEN done                                THEN 'done'        -- 2
      WHEN kind = 'on_demand'                  THEN 'on_demand'   -- 3
      WHEN kind = 'undated' OR due IS NULL     THEN 'undated'     -- 4
      WHEN :today > due                        THEN 'overdue'     -- 5
      WHEN due - :today <= :due_soon_days      THEN 'due_soon'    -- 6
      ELSE                                          'upcoming'    -- 7
    END

«today» is the plan-local date (:meth:`roadmap.app.Clock.today` in the
plan's time zone), never a UTC date. Example::

    >>> from datetime import date
    >>> classify(kind="dated", start=None, due=date(2024, 3, 1), done=False,
    ...          withdrawn=False, today=date(2024, 3, 1))
    <Status.DUE_SOON: 'due_soon'>
    >>> days_overdue(date(2024, 3, 1), date(2024, 3, 4))
    3
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Date, SQLColumnExpression, case, literal, or_

from roadmap.i18n import N_, _

#: The kinds of occurrence (``OccurrenceRow.kind``).
DATED = "dated"
ON_DEMAND = "on_demand"
UNDATED = "undated"
KINDS = (DATED, ON_DEMAND, UNDATED)

#: Default look-ahead of «due soon», in days (the ``lookahead_days`` setting).
DUE_SOON_DAYS = 14


class Status(StrEnum):
    """What one occurrence looks like today. The values are stable: they are
    written to JSON and CSV output and compared in SQL."""

    DONE = "done"
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    UPCOMING = "upcoming"
    ON_DEMAND = "on_demand"
    UNDATED = "undated"
    WITHDRAWN = "withdrawn"


def classify(
    *,
    kind: str,
    start: date | None,
    due: date | None,
    done: bool,
    withdrawn: bool,
    today: date,
    due_soon_days: int = DUE_SOON_DAYS,
) -> Status:
    """The status of one occurrence on the plan-local date ``today``.

    Rules, first match wins (see the module docstring for the SQL form):

    1. ``withdrawn`` (the occurrence left the plan) → ``WITHDRAWN``;
    2. ``done`` (its latest completion is ``done``) → ``DONE``;
    3. ``kind == "on_demand"`` → ``ON_DEMAND``;
    4. ``kind == "undated"`` or no ``due`` → ``UNDATED``;
    5. ``today > due`` → ``OVERDUE`` (due *today* is not overdue yet);
    6. ``due - today <= due_soon_days`` → ``DUE_SOON`` (due today included);
    7. otherwise ``UPCOMING``.

    ``start`` does not change the status: a window that has not opened yet
    is still judged by its ``due``. It is taken so that callers pass the
    whole window and the rules can grow without changing every call. A
    negative ``due_soon_days`` means nothing is ever «due soon».

    ``kind`` must be one of :data:`KINDS` (anything else is a programming
    error: :class:`ValueError`).

    >>> classify(kind="dated", start=None, due=date(2024, 3, 1), done=True,
    ...          withdrawn=False, today=date(2024, 5, 1))
    <Status.DONE: 'done'>
    """
    if kind not in KINDS:
        raise ValueError(f"unknown occurrence kind {kind!r}; expected one of {', '.join(KINDS)}")
    if withdrawn:
        return Status.WITHDRAWN
    if done:
        return Status.DONE
    if kind == ON_DEMAND:
        return Status.ON_DEMAND
    if kind == UNDATED or due is None:
        return Status.UNDATED
    if today > due:
        return Status.OVERDUE
    if (due - today).days <= due_soon_days:
        return Status.DUE_SOON
    return Status.UPCOMING


def status_case(
    *,
    kind: SQLColumnExpression[Any],
    due: SQLColumnExpression[Any],
    done: SQLColumnExpression[bool],
    withdrawn: SQLColumnExpression[bool],
    today: date,
    due_soon_days: int = DUE_SOON_DAYS,
) -> ColumnElement[str]:
    """:func:`classify` as a SQL ``CASE`` giving the :class:`Status` values,
    for the same rules over millions of rows in the database (the order of
    the guards is the order of :func:`classify`; a test checks they agree).

    ``done`` and ``withdrawn`` are boolean expressions (e.g.
    ``OccurrenceRow.done_at.is_not(None)``). Rule 6 is written as ``due <=
    today + due_soon_days`` (computed here), so no dialect's date arithmetic
    is needed and an index on ``due`` stays usable. ``kind`` is not checked:
    the column only ever holds one of :data:`KINDS`."""
    try:
        soon_until = today + timedelta(days=due_soon_days)
    except OverflowError:
        soon_until = date.max if due_soon_days > 0 else date.min
    return case(
        (withdrawn, Status.WITHDRAWN.value),
        (done, Status.DONE.value),
        (kind == ON_DEMAND, Status.ON_DEMAND.value),
        (or_(kind == UNDATED, due.is_(None)), Status.UNDATED.value),
        (due < literal(today, Date), Status.OVERDUE.value),
        (due <= literal(soon_until, Date), Status.DUE_SOON.value),
        else_=Status.UPCOMING.value,
    )


def days_overdue(due: date | None, today: date) -> int:
    """Whole days ``today`` is past ``due``; 0 when not past it (or no due).

    It does not look at done or withdrawn: callers ask it for rows whose
    status is ``OVERDUE``.

    >>> days_overdue(date(2024, 3, 1), date(2024, 3, 1))
    0
    >>> days_overdue(date(2024, 2, 28), date(2024, 3, 1))
    2
    """
    if due is None:
        return 0
    return max(0, (today - due).days)


# Message ids only: translated by status_label() at call time, so the
# language chosen after import (--lang, LANG) is the one shown.
_LABELS: dict[Status, str] = {
    Status.DONE: N_("выполнено"),
    Status.OVERDUE: N_("просрочено"),
    Status.DUE_SOON: N_("скоро срок"),
    Status.UPCOMING: N_("предстоит"),
    Status.ON_DEMAND: N_("по запросу"),
    Status.UNDATED: N_("без срока"),
    Status.WITHDRAWN: N_("снято с плана"),
}


def status_label(status: Status) -> str:
    """The label of ``status`` in the current language.

    >>> status_label(Status.OVERDUE)
    'просрочено'
    """
    return _(_LABELS[status])


# How reports and pages show a status: a colour (CSS class ``st-done``,
# ``st-due-soon`` …) and a mark, so that a matrix reads without colour too.
COLOURS: dict[Status, str] = {
    Status.DONE: "#b7e1b5",
    Status.OVERDUE: "#f4a3a3",
    Status.DUE_SOON: "#ffd980",
    Status.UPCOMING: "#d6e6f5",
    Status.ON_DEMAND: "#e0d0ec",
    Status.UNDATED: "#e4e4e4",
}
MARKS: dict[Status, str] = {
    Status.DONE: "✓",
    Status.OVERDUE: "!",
    Status.DUE_SOON: "◔",
    Status.UPCOMING: "·",
    Status.ON_DEMAND: "↻",
    Status.UNDATED: "?",
}


def status_class(status: Status) -> str:
    """The CSS class of a status in the HTML matrix: ``st-done``, ``st-due-soon`` …"""
    return "st-" + status.value.replace("_", "-")


__all__ = [
    "COLOURS",
    "DATED",
    "DUE_SOON_DAYS",
    "KINDS",
    "MARKS",
    "ON_DEMAND",
    "UNDATED",
    "Status",
    "classify",
    "days_overdue",
    "status_case",
    "status_class",
    "status_label",
]
