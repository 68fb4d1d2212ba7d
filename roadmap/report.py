"""The coordinator's report: where a plan stands, per task, per organisation
and per child plan, for a plan-local «today».

Built on :func:`roadmap.tracking.status_rows` (one status query per plan);
this module only groups and counts, it never prints.

Units and cells
    A *unit* is who answers for a task: an organisation of a register when
    the task's party fans out («ОО»), otherwise the party itself (МКУ ИМЦРО,
    the department …). A *cell* is one task × one unit; the HTML matrix, the
    CSV rows and all counts are over cells.

What «current» means
    For each cell the report looks at the *current* occurrences: every
    occurrence due up to and including today, plus the next one (the
    earliest window due after today — the one that is open now or comes
    next), plus any on-demand or undated occurrence (they have no date and
    are never hidden). Later windows are not yet anyone's business. The cell
    status is the first that applies of:

    1. ``overdue``  — some current occurrence is overdue;
    2. ``due_soon`` — some current occurrence is due within the look-ahead;
    3. ``done``     — some current occurrence is done (and, by 1–2, nothing
       due by today is outstanding: the unit is up to date);
    4. otherwise the status of what is left: ``upcoming`` (nothing due yet),
       ``on_demand``, ``undated`` (shown as «срок не указан»).

    A task's ``counts`` are how many *units* are in each status; an
    organisation's ``counts`` are how many *tasks* are in each status for it;
    a child plan's ``counts`` are over all its cells (its own tasks only,
    not its children's). ``occurrence_counts`` of a task count the current
    occurrences themselves, each by its own status.

Example::

    with app.sessions() as session:
        report = build_report(session, app.clock.today, "irkutsk-city-2023-2026", 14)
    for task in report.tasks:
        print(task.number, task.counts[Status.OVERDUE], [u.name for u in task.overdue])
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roadmap.indicators import IndicatorLine, indicator_rows
from roadmap.status import Status
from roadmap.storage.repository import get_plan_view
from roadmap.storage.tables import (
    CompletionRow,
    IndicatorValueRow,
    OrganisationRow,
    PartyRow,
    PlanRow,
    RegisterRow,
)
from roadmap.tracking import (
    HistoryEntry,
    StatusFilter,
    StatusRow,
    TodayFor,
    history,
    status_rows,
)

# The statuses a cell can have, in the order reports show them.
REPORT_STATUSES: tuple[Status, ...] = (
    Status.DONE,
    Status.OVERDUE,
    Status.DUE_SOON,
    Status.UPCOMING,
    Status.ON_DEMAND,
    Status.UNDATED,
)
# Which status a cell takes when its current occurrences differ (most urgent first).
_PRECEDENCE: tuple[Status, ...] = (
    Status.OVERDUE,
    Status.DUE_SOON,
    Status.DONE,
    Status.UPCOMING,
    Status.ON_DEMAND,
    Status.UNDATED,
)
_RANK = defaultdict(lambda: len(_PRECEDENCE), {s: n for n, s in enumerate(_PRECEDENCE)})

Counts = Mapping[Status, int]


def _zero_counts(found: Iterable[Status] = ()) -> dict[Status, int]:
    counts = dict.fromkeys(REPORT_STATUSES, 0)
    for status in found:
        counts[status] = counts.get(status, 0) + 1
    return counts


@dataclass(frozen=True, order=True, slots=True)
class Unit:
    """Who answers for a cell: ``org`` set for an organisation of a
    fanned-out party, else the party itself."""

    party: str
    org: str | None
    name: str

    @property
    def code(self) -> str:
        """The organisation code, or the party code for a party."""
        return self.org if self.org is not None else self.party

    @property
    def is_org(self) -> bool:
        return self.org is not None


@dataclass(frozen=True, slots=True)
class Cell:
    """One task for one unit, over its current occurrences."""

    task: str
    unit: Unit
    status: Status
    occurrences: int  # current occurrences counted
    overdue: int  # of which overdue
    due: date | None  # the due date that decided the status (oldest overdue, next due …)
    days_overdue: int  # the largest, 0 unless overdue


@dataclass(frozen=True)
class TaskSummary:
    task: str
    number: str | None
    section: str
    activity: str
    deadline: str | None
    on_demand: bool
    undated: bool
    counts: Counts  # units per status
    occurrence_counts: Counts  # current occurrences per status
    overdue: tuple[Unit, ...]  # units with the task overdue, in unit order


@dataclass(frozen=True)
class UnitSummary:
    unit: Unit
    counts: Counts  # tasks per status
    overdue_tasks: tuple[str, ...]  # task codes, in plan order


@dataclass(frozen=True)
class ChildSummary:
    """A child plan's totals (cells of its own tasks)."""

    plan: str
    title: str
    today: date
    tasks: int
    units: int
    counts: Counts


@dataclass(frozen=True)
class Report:
    plan: str
    title: str
    timezone: str
    today: date  # plan-local
    due_soon_days: int
    tasks: tuple[TaskSummary, ...]  # plan order
    units: tuple[Unit, ...]  # parties in plan order, then organisations in register order
    organisations: tuple[UnitSummary, ...]  # same order as ``units``
    children: tuple[ChildSummary, ...]
    cells: Mapping[tuple[str, Unit], Cell]
    counts: Counts  # the plan's totals: cells per status
    occurrences: int  # current occurrences counted (own plan)
    rows: int  # occurrences read (own plan, not withdrawn)
    # Targets against reported values, per indicator and year, with the
    # child plans' parts (:func:`roadmap.indicators.indicator_rows`).
    indicators: tuple[IndicatorLine, ...] = ()
    # The «done» behind each done occurrence: who, when, note, evidence.
    done: tuple[HistoryEntry, ...] = ()

    def cell(self, task: str, unit: Unit) -> Cell | None:
        """The cell of ``task`` × ``unit``, or None when the unit has no part in it."""
        return self.cells.get((task, unit))


# ---------------------------------------------------------------- building


def build_report(
    session: Session, today_for: TodayFor, plan_code: str, due_soon_days: int = 14
) -> Report:
    """The report of ``plan_code`` (:class:`~roadmap.errors.NotFoundError`
    with a «did you mean» for an unknown plan); see the module doc."""
    view = get_plan_view(session, plan_code)
    today = today_for(view.timezone)
    rows = status_rows(
        session, today_for, StatusFilter(plan=plan_code, due_soon_days=due_soon_days)
    )
    cells, current = _cells(rows, today)
    active = {t.id for t in view.tasks}  # a withdrawn task's rows are history, not status
    cells = {key: cell for key, cell in cells.items() if key[0] in active}

    order = _unit_order(session, plan_code)
    units = tuple(sorted({u for _task, u in cells}, key=lambda u: _unit_sort_key(u, order)))

    by_task: dict[str, list[Cell]] = defaultdict(list)
    by_unit: dict[Unit, list[Cell]] = defaultdict(list)
    for cell in cells.values():
        by_task[cell.task].append(cell)
        by_unit[cell.unit].append(cell)
    position = {u: n for n, u in enumerate(units)}

    tasks = []
    for t in view.tasks:
        task_cells = by_task.get(t.id, [])
        tasks.append(
            TaskSummary(
                t.id,
                t.number,
                t.section,
                t.activity,
                t.deadline,
                t.on_demand,
                t.undated,
                _zero_counts(c.status for c in task_cells),
                _zero_counts(current.get(t.id, ())),
                tuple(
                    sorted(
                        (c.unit for c in task_cells if c.status is Status.OVERDUE),
                        key=position.__getitem__,
                    )
                ),
            )
        )
    task_position = {t.id: n for n, t in enumerate(view.tasks)}
    organisations = tuple(
        UnitSummary(
            unit,
            _zero_counts(c.status for c in by_unit[unit]),
            tuple(
                sorted(
                    (c.task for c in by_unit[unit] if c.status is Status.OVERDUE),
                    key=lambda code: task_position.get(code, len(task_position)),
                )
            ),
        )
        for unit in units
    )
    return Report(
        plan=view.id,
        title=view.title,
        timezone=view.timezone,
        today=today,
        due_soon_days=due_soon_days,
        tasks=tuple(tasks),
        units=units,
        organisations=organisations,
        children=tuple(_children(session, today_for, plan_code, due_soon_days)),
        cells=cells,
        counts=_zero_counts(c.status for c in cells.values()),
        occurrences=sum(c.occurrences for c in cells.values()),
        rows=len(rows),
        indicators=tuple(indicator_rows(session, plan_code)),
        done=tuple(e for e in history(session, plan_code, current=True) if e.task in active),
    )


def change_marker(session: Session) -> tuple[object, ...]:
    """A cheap value that changes whenever a report may: a completion is
    recorded (or reopened), a plan or a register is loaded with changes, or
    a plan appears, an indicator value is reported. Index lookups and two small aggregates, so a cache
    of built reports (and calendar feeds) can be checked on every request;
    one statement, one round trip."""
    return tuple(session.execute(select(*change_marker_columns())).one())


def change_marker_columns() -> list[Any]:
    """The columns of :func:`change_marker`, to add to another query (one
    round trip for both)."""
    return [
        select(func.max(CompletionRow.id)).scalar_subquery(),
        select(func.max(IndicatorValueRow.id)).scalar_subquery(),
        select(func.max(PlanRow.loaded_at)).scalar_subquery(),
        select(func.count(PlanRow.id)).scalar_subquery(),
        select(func.max(RegisterRow.loaded_at)).scalar_subquery(),
    ]


def _children(
    session: Session, today_for: TodayFor, plan_code: str, due_soon_days: int
) -> Iterable[ChildSummary]:
    for code, title, zone in session.execute(
        select(PlanRow.code, PlanRow.title, PlanRow.timezone)
        .where(PlanRow.parent == plan_code)
        .order_by(PlanRow.code)
    ).all():
        rows = status_rows(session, today_for, StatusFilter(plan=code, due_soon_days=due_soon_days))
        cells, _current = _cells(rows, today_for(zone))
        yield ChildSummary(
            code,
            title,
            today_for(zone),
            len({task for task, _unit in cells}),
            len({unit for _task, unit in cells}),
            _zero_counts(c.status for c in cells.values()),
        )


def _cells(
    rows: Sequence[StatusRow], today: date
) -> tuple[dict[tuple[str, Unit], Cell], dict[str, list[Status]]]:
    """Cells of ``rows`` and, per task, the statuses of the current occurrences."""
    # Group on plain tuples and make each Unit once: plans fan out to
    # thousands of rows, and building and hashing dataclasses per row shows.
    groups: dict[tuple[str, str, str | None], list[StatusRow]] = defaultdict(list)
    names: dict[tuple[str, str | None], str] = {}
    for row in rows:
        if row.status is Status.WITHDRAWN:
            continue
        groups[(row.task, row.party, row.org)].append(row)
        if (row.party, row.org) not in names:
            names[(row.party, row.org)] = (
                (row.org_name or row.org) if row.org is not None else row.party_name
            )
    units = {key: Unit(key[0], key[1], name) for key, name in names.items()}
    cells: dict[tuple[str, Unit], Cell] = {}
    current_by_task: dict[str, list[Status]] = defaultdict(list)
    for (task, party, org), group in groups.items():
        unit = units[(party, org)]
        current = current_occurrences(group, today)
        current_by_task[task].extend(r.status for r in current)
        cells[(task, unit)] = _cell(task, unit, current)
    return cells, current_by_task


def current_occurrences(rows: Iterable[StatusRow], today: date) -> list[StatusRow]:
    """The occurrences of one cell that count today: all due up to today,
    the next one due after today, and those without a date."""
    current: list[StatusRow] = []
    following: StatusRow | None = None
    for row in rows:
        if row.due is None or row.due <= today:
            current.append(row)
        elif following is None or row.due < following.due:  # type: ignore[operator]
            following = row
    if following is not None:
        current.append(following)
    return current


def _cell(task: str, unit: Unit, current: Sequence[StatusRow]) -> Cell:
    status = min((r.status for r in current), key=_RANK.__getitem__, default=Status.UNDATED)
    deciding = [r for r in current if r.status is status]
    overdue = [r for r in current if r.status is Status.OVERDUE]
    dated = [r for r in deciding if r.due is not None]
    due: date | None = None
    if dated:
        # the oldest overdue, the nearest due soon or upcoming, the latest done
        pick = max if status is Status.DONE else min
        due = pick(r.due for r in dated if r.due is not None)
    return Cell(
        task,
        unit,
        status,
        len(current),
        len(overdue),
        due,
        max((r.days_overdue for r in overdue), default=0),
    )


def _unit_order(session: Session, plan_code: str) -> dict[tuple[str, str | None], int]:
    """Parties in plan order (by id), each followed by its register's
    organisations in register order."""
    order: dict[tuple[str, str | None], int] = {}
    parties = session.execute(
        select(PartyRow.code, PartyRow.register)
        .join(PlanRow, PlanRow.id == PartyRow.plan_id)
        .where(PlanRow.code == plan_code)
        .order_by(PartyRow.id)
    ).all()
    for code, _register in parties:
        order[(code, None)] = len(order)
    registers = {reg for _code, reg in parties if reg}
    if registers:
        positions = {
            (reg, org): pos
            for reg, org, pos in session.execute(
                select(RegisterRow.code, OrganisationRow.code, OrganisationRow.position)
                .join(OrganisationRow, OrganisationRow.register_id == RegisterRow.id)
                .where(RegisterRow.code.in_(registers))
                .order_by(OrganisationRow.position)
            )
        }
        base = len(order)
        for n, (code, register) in enumerate(parties):
            if register:
                for (reg, org), pos in positions.items():
                    if reg == register:
                        order[(code, org)] = base + n * 1_000_000 + pos
    return order


def _unit_sort_key(unit: Unit, order: Mapping[tuple[str, str | None], int]) -> tuple[int, str]:
    return (order.get((unit.party, unit.org), 1 << 62), unit.name)


__all__ = [
    "REPORT_STATUSES",
    "Cell",
    "ChildSummary",
    "Report",
    "TaskSummary",
    "Unit",
    "UnitSummary",
    "build_report",
    "change_marker",
    "current_occurrences",
]
