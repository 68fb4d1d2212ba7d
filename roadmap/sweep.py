"""The morning sweep, set-based: what a national installation runs each day.

Two questions, both answered in the database, never by loading every
occurrence into Python:

1. :func:`status_counts` — how many occurrences of each plan are in each
   :class:`~roadmap.status.Status` on the plan-local «today»: one ``GROUP BY``
   over a SQL ``CASE`` built by :func:`roadmap.status.status_case` (the same
   rules as :func:`~roadmap.status.classify`); only (plan, status, count)
   tuples come back.
2. :func:`open_items` — what the day's digests are made of: the *open*
   occurrences (not done, not withdrawn) that are overdue, due within the
   look-ahead, or on demand. The query reads the partial index
   ``ix_occurrences_open_plan_id_due`` (migration 0004), so done and
   withdrawn history is never visited: the work follows the open items.
   Rows are streamed (``yield_per``) and classified one by one with
   :func:`~roadmap.status.classify` itself.

The core knows nothing of mail: the outbox (:mod:`notifications.outbox`)
reads :func:`open_items` and :func:`route_items`, and the daily job
(:mod:`scheduler.jobs`) composes :func:`run_sweep` with it; the imports run
one way, from ``notifications`` to ``roadmap``.

«Today» is plan-local: plans are grouped by the date ``today_for(zone)``
gives for their time zone, one query per distinct date (at most two around
midnight)::

    counts = status_counts(session, app.clock.today)
    overdue = sum(c.get(Status.OVERDUE, 0) for c in counts.values())
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CompoundSelect,
    Date,
    Select,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from roadmap.status import DUE_SOON_DAYS, ON_DEMAND, Status, classify, days_overdue, status_case
from roadmap.storage.db import write_session
from roadmap.storage.repository import forget_counts
from roadmap.storage.tables import OccurrenceRow, PlanRow, StatusSnapshotRow
from roadmap.tracking import StatusRow, occurrence_select

if TYPE_CHECKING:
    from roadmap.app import App

# «today» for a plan time zone: ``app.clock.today``
TodayFor = Callable[[str], date]

#: The partial index of open occurrences (migration 0004).
OPEN_INDEX = "ix_occurrences_open_plan_id_due"

#: Rows fetched per round trip when streaming open items.
BATCH = 5_000


def plan_days(
    session: Session, today_for: TodayFor, zone: str | None, plan: str | None
) -> dict[date, list[str]]:
    """The zones of the selected plans, grouped by their plan-local today."""
    query = select(PlanRow.timezone).distinct()
    if zone is not None:
        query = query.where(PlanRow.timezone == zone)
    if plan is not None:
        query = query.where(PlanRow.code == plan)
    days: dict[date, list[str]] = defaultdict(list)
    for tz in session.scalars(query):
        days[today_for(tz)].append(tz)
    return dict(days)


def plans_in(zones: list[str], plan: str | None) -> Any:
    """Subquery: ids of the plans of ``zones`` (and the plan ``plan``)."""
    query = select(PlanRow.id).where(PlanRow.timezone.in_(zones))
    if plan is not None:
        query = query.where(PlanRow.code == plan)
    return query


def status_query(
    today: date, due_soon_days: int = DUE_SOON_DAYS, plans: Any = None
) -> Select[*tuple[Any, ...]]:
    """``SELECT plan_id, <status CASE>, count(*) … GROUP BY plan_id, status``
    (all plans, or those whose ids ``plans`` selects)."""
    state = status_case(
        kind=OccurrenceRow.kind,
        due=OccurrenceRow.due,
        done=OccurrenceRow.done_at.is_not(None),
        withdrawn=OccurrenceRow.withdrawn_at.is_not(None),
        today=today,
        due_soon_days=due_soon_days,
    ).label("status")
    query: Select[*tuple[Any, ...]] = select(
        OccurrenceRow.plan_id, state, func.count().label("n")
    ).group_by(
        OccurrenceRow.plan_id, state
    )
    if plans is not None:
        query = query.where(OccurrenceRow.plan_id.in_(plans))
    return query


def status_counts(
    session: Session,
    today_for: TodayFor,
    *,
    zone: str | None = None,
    plan: str | None = None,
    due_soon_days: int = DUE_SOON_DAYS,
) -> dict[str, dict[Status, int]]:
    """Plan code → status → number of occurrences (withdrawn ones included,
    as :data:`Status.WITHDRAWN`), for each plan's own «today»; statuses with
    no occurrence are left out. Plans without occurrences are absent."""
    codes = {plan_id: code for plan_id, code in session.execute(select(PlanRow.id, PlanRow.code))}
    found: dict[str, dict[Status, int]] = {}
    days = plan_days(session, today_for, zone, plan)
    for today, zones in days.items():
        every = zone is None and plan is None and len(days) == 1
        query = status_query(today, due_soon_days, None if every else plans_in(zones, plan))
        for plan_id, state, n in session.execute(query):
            found.setdefault(codes[plan_id], {})[Status(state)] = n
    return found


# ---------------------------------------------------------------- incremental


def _chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


@dataclass
class CountCost:
    """What a :func:`sweep_counts` had to read: plans counted from their
    snapshot (and the occurrences whose status the days changed), plans
    counted afresh (and their occurrences)."""

    carried: int = 0
    moved: int = 0
    recounted: int = 0
    read: int = 0


def shift_query(
    ids: list[int], before: date, after: date, due_soon_days: int
) -> Select[*tuple[Any, ...]]:
    """Open dated occurrences of the plans ``ids`` whose status differs
    between the dates ``before`` and ``after``, grouped by (plan, status on
    ``before``, status on ``after``). Only two due ranges can change: the
    days that became (or stopped being) past, and those that entered (or
    left) the look-ahead."""
    lo, hi = min(before, after), max(before, after)
    soon_lo, soon_hi = lo + timedelta(days=due_soon_days), hi + timedelta(days=due_soon_days)

    def case_on(day: date) -> Any:
        return status_case(
            kind=OccurrenceRow.kind,
            due=OccurrenceRow.due,
            done=literal(False),
            withdrawn=literal(False),
            today=day,
            due_soon_days=due_soon_days,
        )

    old, new = case_on(before).label("old"), case_on(after).label("new")
    return (
        select(OccurrenceRow.plan_id, old, new, func.count().label("n"))
        .where(
            OccurrenceRow.plan_id.in_(ids),
            # The predicate of the partial index of open occurrences.
            OccurrenceRow.done_at.is_(None),
            OccurrenceRow.withdrawn_at.is_(None),
            or_(
                and_(OccurrenceRow.due >= lo, OccurrenceRow.due < hi),
                and_(OccurrenceRow.due > soon_lo, OccurrenceRow.due <= soon_hi),
            ),
        )
        .group_by(OccurrenceRow.plan_id, old, new)
    )


def sweep_counts(
    session: Session,
    today_for: TodayFor,
    *,
    zone: str | None = None,
    plan: str | None = None,
    due_soon_days: int = DUE_SOON_DAYS,
) -> tuple[dict[str, dict[Status, int]], CountCost]:
    """:func:`status_counts`, starting from each plan's snapshot, and the
    snapshots moved to today — run it in a write session.

    A plan whose snapshot has the same look-ahead is carried to its «today»
    by :func:`shift_query` (the occurrences whose due date the days
    crossed); a plan without one (new, changed since, or another
    look-ahead) is counted afresh with :func:`status_query`. So a day's cost
    follows the plans and the occurrences that changed state, not the whole
    history. The result equals :func:`status_counts` (a test checks it over
    days, completions and reloads)."""
    cost = CountCost()
    codes = {plan_id: code for plan_id, code in session.execute(select(PlanRow.id, PlanRow.code))}
    found: dict[int, dict[Status, int]] = {}
    snapshots = {
        row.plan_id: row
        for row in session.scalars(
            select(StatusSnapshotRow).where(StatusSnapshotRow.lookahead == due_soon_days)
        )
    }
    for today, zones in plan_days(session, today_for, zone, plan).items():
        ids = sorted(session.scalars(plans_in(zones, plan)))
        fresh = [i for i in ids if i not in snapshots]
        by_date: dict[date, list[int]] = defaultdict(list)
        for i in ids:
            if i in snapshots:
                by_date[snapshots[i].local_date].append(i)
        for before, carried in by_date.items():
            cost.carried += len(carried)
            for i in carried:
                found[i] = {Status(k): n for k, n in snapshots[i].counts.items()}
            if before == today:
                continue
            for chunk in _chunks(carried):
                for plan_id, old, new, n in session.execute(
                    shift_query(chunk, before, today, due_soon_days)
                ):
                    if old != new:
                        counts = found[plan_id]
                        counts[Status(old)] = counts.get(Status(old), 0) - n
                        counts[Status(new)] = counts.get(Status(new), 0) + n
                        cost.moved += n
        cost.recounted += len(fresh)
        for chunk in _chunks(fresh):
            for plan_id, state, n in session.execute(status_query(today, due_soon_days, chunk)):
                found.setdefault(plan_id, {})[Status(state)] = n
                cost.read += n
        _remember(session, {i: found.get(i, {}) for i in ids}, today, due_soon_days)
    result = {
        codes[i]: {s: n for s, n in counts.items() if n} for i, counts in found.items() if counts
    }
    return {code: counts for code, counts in result.items() if counts}, cost


def _remember(
    session: Session, counts: dict[int, dict[Status, int]], today: date, due_soon_days: int
) -> None:
    ids = sorted(counts)
    for chunk in _chunks(ids):
        session.execute(delete(StatusSnapshotRow).where(StatusSnapshotRow.plan_id.in_(chunk)))
    rows = [
        {
            "plan_id": i,
            "local_date": today,
            "lookahead": due_soon_days,
            "counts": {s.value: n for s, n in counts[i].items() if n},
        }
        for i in ids
    ]
    for i in range(0, len(rows), 1000):
        session.execute(insert(StatusSnapshotRow), rows[i : i + 1000])


def open_items_query(
    today: date, lookahead_days: int = DUE_SOON_DAYS, plans: Any = None
) -> Select[*tuple[Any, ...]]:
    """The open occurrences a digest of ``today`` may show: overdue, due
    within ``lookahead_days``, or on demand — with what a
    :class:`~roadmap.tracking.StatusRow` needs, and the calendar sequence."""
    query = _open_items(literal(today + timedelta(days=max(lookahead_days, 0)), Date()))
    if plans is not None:
        query = query.where(OccurrenceRow.plan_id.in_(plans))
    return query


def _open_items(horizon: Any) -> Select[*tuple[Any, ...]]:
    return (
        occurrence_select(OccurrenceRow.sequence)
        # The predicate of the partial index, spelled the same way, so that
        # SQLite and PostgreSQL both see the index applies.
        .where(OccurrenceRow.done_at.is_(None), OccurrenceRow.withdrawn_at.is_(None))
        .where(
            or_(
                OccurrenceRow.due <= horizon,
                and_(OccurrenceRow.due.is_(None), OccurrenceRow.kind == ON_DEMAND),
            )
        )
    )


def open_items(
    session: Session,
    today_for: TodayFor,
    *,
    zone: str | None = None,
    plan: str | None = None,
    lookahead_days: int = DUE_SOON_DAYS,
    batch: int = BATCH,
) -> Iterator[tuple[StatusRow, int]]:
    """Stream ``(status row, calendar sequence)`` for each open occurrence a
    digest may show (see :func:`open_items_query`), in no particular order.

    The status is :func:`~roadmap.status.classify`'s, with «due soon»
    meaning within ``lookahead_days``; done and withdrawn occurrences never
    come back (their ``done_at``/``done_by`` are None)."""
    days = plan_days(session, today_for, zone, plan)
    for today, zones in days.items():
        every = zone is None and plan is None and len(days) == 1
        query = open_items_query(today, lookahead_days, None if every else plans_in(zones, plan))
        yield from _classified(session, query, today, lookahead_days, batch)


Routes = list[tuple[int, int | None]]


def _routes(routes: Iterable[tuple[int, int | None]]) -> Routes:
    return sorted(set(routes), key=lambda r: (r[0], -1 if r[1] is None else r[1]))


@functools.lru_cache(maxsize=256)
def _route_template(
    shape: tuple[bool, ...],
) -> Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]:
    """The query of :func:`route_items_query` for routes of this shape
    (whether each has no organisation), with bound parameters ``horizon``,
    ``p<i>`` and ``o<i>``: built once, so a sender's thousands of messages
    reuse one statement and its compiled form."""
    horizon = bindparam("horizon", type_=Date())
    branches = [
        _open_items(horizon).where(
            OccurrenceRow.party_id == bindparam(f"p{i}"),
            OccurrenceRow.organisation_id.is_(None) if no_org
            else OccurrenceRow.organisation_id == bindparam(f"o{i}"),
        )
        for i, no_org in enumerate(shape)
    ]
    return branches[0] if len(branches) == 1 else union_all(*branches)


def _route_params(wanted: Routes, today: date, lookahead_days: int) -> dict[str, Any]:
    params: dict[str, Any] = {"horizon": today + timedelta(days=max(lookahead_days, 0))}
    for i, (party, org) in enumerate(wanted):
        params[f"p{i}"] = party
        if org is not None:
            params[f"o{i}"] = org
    return params


def route_items_query(
    routes: Iterable[tuple[int, int | None]], today: date, lookahead_days: int = DUE_SOON_DAYS
) -> Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]] | None:
    """The open items of some routes — (party id, organisation id or None)
    pairs — on the plan-local date ``today`` (None: no routes).

    One branch per route, in one ``UNION ALL``: each branch is an index
    range of its route in ``ix_occurrences_open_route_due``. (The routes
    OR-ed together in one ``WHERE`` let SQLite's planner walk the open
    items of every plan instead: 17 ms for a curator's three routes on the
    small benchmark country, against 2 ms.) A route's occurrences are its
    own, so nothing comes twice."""
    wanted = _routes(routes)
    if not wanted:
        return None
    template = _route_template(tuple(org is None for _party, org in wanted))
    return template.params(_route_params(wanted, today, lookahead_days))


def route_items(
    session: Session,
    routes: Iterable[tuple[int, int | None]],
    today: date,
    *,
    lookahead_days: int = DUE_SOON_DAYS,
) -> Iterator[tuple[StatusRow, int]]:
    """Like :func:`open_items`, for the occurrences of some routes on the
    plan-local date ``today`` (:func:`route_items_query`): one recipient's
    items. One message's worth of rows is read in one go: a server-side
    cursor (``yield_per``) would cost PostgreSQL more round trips than the
    rows take. The statement is shared by every message of the same shape
    and runs on the session's connection (no ORM work per message)."""
    wanted = _routes(routes)
    if not wanted:
        return
    template = _route_template(tuple(org is None for _party, org in wanted))
    result = session.connection().execute(
        template, _route_params(wanted, today, lookahead_days)
    )
    yield from _rows(result, today, lookahead_days)


def _classified(
    session: Session, query: Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]],
    today: date, lookahead_days: int, batch: int | None,
) -> Iterator[tuple[StatusRow, int]]:
    """``query``'s rows classified; streamed ``batch`` rows at a time (None:
    read at once)."""
    if batch is not None:
        query = query.execution_options(yield_per=batch)
    yield from _rows(session.execute(query), today, lookahead_days)


def _rows(
    result: Iterable[Any], today: date, lookahead_days: int
) -> Iterator[tuple[StatusRow, int]]:
    for r in result:
        (plan_code, task, number, section, activity, deadline, result_text, party,
         party_name, org, org_name, occ_id, key, kind, start, due, sequence) = r
        state = classify(kind=kind, start=start, due=due, done=False, withdrawn=False,
                         today=today, due_soon_days=lookahead_days)
        yield (
            StatusRow(
                plan_code, task, number, section, activity, deadline, result_text, party,
                party_name, org, org_name, occ_id, key, kind, start, due, state,
                days_overdue(due, today) if state is Status.OVERDUE else 0,
                today, None, None,
            ),
            sequence,
        )


@dataclass
class SweepReport:
    """One morning's sweep: the counts, and what reading them cost."""

    counts: dict[str, dict[Status, int]] = field(default_factory=dict)
    cost: CountCost = field(default_factory=lambda: CountCost())

    def totals(self) -> dict[Status, int]:
        """Occurrences in each status over every plan swept."""
        total: dict[Status, int] = {s: 0 for s in Status}
        for by_status in self.counts.values():
            for state, n in by_status.items():
                total[state] += n
        return {s: n for s, n in total.items() if n}


def run_sweep(app: App, *, zone: str | None = None, today: date | None = None) -> SweepReport:
    """The daily sweep for the plans of ``zone`` (or all): the status counts
    of every plan, carried from their snapshots. ``today`` pins the
    plan-local date. (The daily job then fills the outbox.)"""
    today_for: TodayFor = (lambda _zone: today) if today is not None else app.clock.today
    with write_session(app.sessions) as session:
        lookahead = int(app.settings["lookahead_days"])
        counts, cost = sweep_counts(session, today_for, zone=zone, due_soon_days=lookahead)
    return SweepReport(counts, cost)


__all__ = [
    "CountCost",
    "SweepReport",
    "forget_counts",
    "open_items",
    "open_items_query",
    "plan_days",
    "plans_in",
    "route_items",
    "route_items_query",
    "run_sweep",
    "shift_query",
    "status_counts",
    "status_query",
    "sweep_counts",
]
