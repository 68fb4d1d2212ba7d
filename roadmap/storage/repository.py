"""The core storage API: load plans, list and show them, record completions.

Used by the command line and the daemon alike. Functions take a
:class:`~sqlalchemy.orm.Session` and never commit: the caller owns the unit
of work, normally :func:`roadmap.storage.db.write_session` (one ``BEGIN
IMMEDIATE`` transaction, all or nothing)::

    with write_session(app.sessions) as session:
        report = load_catalog(session, read_catalog([Path("plans")]), app.clock.now())

Loading is idempotent. Occurrences are matched on their natural key
(:mod:`roadmap.occurrences`): an unchanged one keeps its row and so its
completions; one whose content changed keeps its row and gets its
``sequence`` bumped; one that vanished is marked withdrawn (its history
stays); a withdrawn one that comes back is revived. Loading the same files
twice writes nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, cast

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from roadmap.deadlines.api import interpret
from roadmap.errors import NotFoundError, UsageError
from roadmap.evidence import Evidence
from roadmap.i18n import _
from roadmap.model import (
    Contact,
    Organisation,
    Party,
    Plan,
    Register,
    Task,
    Window,
)
from roadmap.occurrences import (
    DATED,
    ON_DEMAND,
    UNDATED,
    Interpreter,
    OccurrenceSpec,
    TaskWindows,
    expand_plan,
    fingerprint,
    task_windows,
    to_plain,
)
from roadmap.storage.tables import (
    DONE,
    REOPEN,
    CompletionRow,
    IndicatorRow,
    IndicatorTargetRow,
    OccurrenceRow,
    OrganisationRow,
    PartyRow,
    PlanRow,
    RegisterRow,
    TaskRow,
)

# ---------------------------------------------------------------- reports


class CatalogLike(Protocol):
    """What :func:`load_catalog` needs of :class:`roadmap.plans.Catalog`."""

    @property
    def plans(self) -> Mapping[str, Plan]: ...

    @property
    def registers(self) -> Mapping[str, Register]: ...


@dataclass(frozen=True)
class PlanChanges:
    """What one load did to one plan; task lists hold task ids."""

    plan: str
    new: bool = False
    details_changed: bool = False  # title, period, parties, indicators …
    tasks_added: tuple[str, ...] = ()
    tasks_changed: tuple[str, ...] = ()
    tasks_withdrawn: tuple[str, ...] = ()
    occurrences_added: int = 0
    occurrences_changed: int = 0
    occurrences_withdrawn: int = 0
    occurrences_revived: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.new
            or self.details_changed
            or self.tasks_added
            or self.tasks_changed
            or self.tasks_withdrawn
            or self.occurrences_added
            or self.occurrences_changed
            or self.occurrences_withdrawn
            or self.occurrences_revived
        )


@dataclass(frozen=True)
class RegisterChanges:
    """What one load did to one register; lists hold organisation ids."""

    register: str
    new: bool = False
    details_changed: bool = False
    organisations_added: tuple[str, ...] = ()
    organisations_changed: tuple[str, ...] = ()
    organisations_withdrawn: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(
            self.new
            or self.details_changed
            or self.organisations_added
            or self.organisations_changed
            or self.organisations_withdrawn
        )


@dataclass(frozen=True)
class LoadReport:
    registers: tuple[RegisterChanges, ...] = ()
    plans: tuple[PlanChanges, ...] = ()

    @property
    def changed(self) -> bool:
        return any(r.changed for r in self.registers) or any(p.changed for p in self.plans)


# ---------------------------------------------------------------- loading


def load_catalog(
    session: Session, catalog: CatalogLike, now: datetime, read: Interpreter = interpret
) -> LoadReport:
    """Store every register and plan of ``catalog``; see the module doc.

    ``now`` (aware) stamps new and withdrawn rows. Registers are loaded
    first; a plan whose party names a register absent from the catalog uses
    the stored one. Nothing is written when nothing changed."""
    registers = tuple(
        _load_register(session, catalog.registers[code], now) for code in sorted(catalog.registers)
    )
    known: dict[str, Register] = dict(catalog.registers)
    missing = {
        party.register
        for plan in catalog.plans.values()
        for party in plan.parties
        if party.register and party.register not in known
    }
    known.update(_stored_registers(session, missing))
    plans = tuple(
        _load_plan(session, catalog.plans[code], known, now, read) for code in sorted(catalog.plans)
    )
    return LoadReport(registers, plans)


def _apply(row: Any, values: Mapping[str, Any]) -> bool:
    """Set the attributes that differ; True when any did (so an unchanged
    row is never written)."""
    dirty = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            dirty = True
    return dirty


def _load_register(session: Session, register: Register, now: datetime) -> RegisterChanges:
    row = session.scalars(select(RegisterRow).where(RegisterRow.code == register.id)).one_or_none()
    digest = fingerprint(register)
    if row is not None and row.content_hash == digest:
        return RegisterChanges(register.id)
    values = {
        "title": register.title,
        "example": register.example,
        "source": register.source,
        "content_hash": digest,
        "loaded_at": now,
    }
    new = row is None
    if row is None:
        row = RegisterRow(code=register.id, **values)
        session.add(row)
        session.flush()
        details = False
    else:
        details = (row.title, row.example) != (register.title, register.example)
        _apply(row, values)
    existing = {
        org.code: org
        for org in session.scalars(
            select(OrganisationRow).where(OrganisationRow.register_id == row.id)
        )
    }
    added, changed = [], []
    for position, org in enumerate(register.organisations):
        org_values = {
            "name": org.name,
            "address": org.address,
            "website": org.website,
            "curator_name": org.curator.name if org.curator else None,
            "curator_email": org.curator.email if org.curator else None,
            "position": position,
            "content_hash": fingerprint(org),
            "withdrawn_at": None,
        }
        old = existing.get(org.id)
        if old is None:
            session.add(OrganisationRow(register_id=row.id, code=org.id, **org_values))
            added.append(org.id)
        elif old.withdrawn_at is not None:
            _apply(old, org_values)
            added.append(org.id)
        elif old.content_hash != org_values["content_hash"]:
            _apply(old, org_values)
            changed.append(org.id)
        else:
            _apply(old, org_values)  # position only: not worth reporting
    present = {org.id for org in register.organisations}
    withdrawn = []
    for code, old in existing.items():
        if code not in present and old.withdrawn_at is None:
            old.withdrawn_at = now
            withdrawn.append(code)
    session.flush()
    return RegisterChanges(
        register.id, new, details, tuple(added), tuple(changed), tuple(withdrawn)
    )


def _stored_registers(session: Session, codes: Iterable[str]) -> dict[str, Register]:
    """Registers as stored (active organisations only), for plans loaded
    without their register files."""
    found: dict[str, Register] = {}
    for row in session.scalars(select(RegisterRow).where(RegisterRow.code.in_(list(codes)))):
        orgs = session.scalars(
            select(OrganisationRow)
            .where(OrganisationRow.register_id == row.id, OrganisationRow.withdrawn_at.is_(None))
            .order_by(OrganisationRow.position)
        )
        found[row.code] = Register(
            row.code,
            row.title,
            tuple(
                Organisation(
                    o.code,
                    o.name,
                    o.address,
                    o.website,
                    Contact(o.curator_name, o.curator_email)
                    if o.curator_name or o.curator_email
                    else None,
                )
                for o in orgs
            ),
            row.example,
            row.source,
        )
    return found


def _plan_values(plan: Plan, digest: str, now: datetime) -> dict[str, Any]:
    return {
        "title": plan.title,
        "authority": plan.authority,
        "document": to_plain(plan.document),
        "period_start": plan.period.start,
        "period_end": plan.period.end,
        "timezone": plan.timezone,
        "school_years": plan.school_years,
        "school_year_start": "{:02d}-{:02d}".format(*plan.school_year.start),
        "school_year_end": "{:02d}-{:02d}".format(*plan.school_year.end),
        "parent": plan.parent,
        "escalation": to_plain(plan.escalation),
        "source": plan.source,
        "content_hash": digest,
        "loaded_at": now,
    }


def _party_values(party: Party) -> dict[str, Any]:
    return {
        "name": party.name,
        "aliases": list(party.aliases),
        "contacts": to_plain(party.contacts),
        "register": party.register,
        "escalation": to_plain(party.escalation),
        "content_hash": fingerprint(party),
        "withdrawn_at": None,
    }


def _task_values(task: Task, section: Any, position: int, found: TaskWindows) -> dict[str, Any]:
    return {
        "number": task.number,
        "section_code": section.id,
        "section_number": section.number,
        "section_title": section.title,
        "activity": task.activity,
        "deadline": task.deadline,
        "schedule": to_plain(task.schedule),
        "result": task.result,
        "responsible": task.responsible.text,
        "co_responsible": task.co_responsible.text if task.co_responsible else None,
        "parties": list(task.parties()),
        "targets": {str(t.year): t.value for t in task.targets} or None,
        "target_unit": task.target_unit,
        "note": task.note,
        "on_demand": found.on_demand or found.kind == ON_DEMAND,
        "undated": found.kind == UNDATED,
        "position": position,
        "content_hash": fingerprint(task),
        "withdrawn_at": None,
    }


def _load_plan(
    session: Session,
    plan: Plan,
    registers: Mapping[str, Register],
    now: datetime,
    read: Interpreter,
) -> PlanChanges:
    # Read every phrase first: nothing is written for a plan that cannot expand.
    windows = {task.id: task_windows(plan, task, read) for task in plan.tasks()}
    specs = list(expand_plan(plan, registers, read, windows))

    digest = fingerprint(plan)
    row = session.scalars(select(PlanRow).where(PlanRow.code == plan.id)).one_or_none()
    new = row is None
    details = False  # plan-level fields, parties or indicators changed
    if row is None:
        row = PlanRow(code=plan.id, **_plan_values(plan, digest, now))
        session.add(row)
        session.flush()
    elif row.content_hash != digest:
        values = _plan_values(plan, digest, now)
        bookkeeping = ("content_hash", "loaded_at", "source")
        details = any(getattr(row, k) != v for k, v in values.items() if k not in bookkeeping)
        _apply(row, values)
        details = _replace_indicators(session, row.id, plan) or details

    # Parties.
    parties = {
        p.code: p for p in session.scalars(select(PartyRow).where(PartyRow.plan_id == row.id))
    }
    for party in plan.parties:
        old_party = parties.get(party.id)
        if old_party is None:
            session.add(PartyRow(plan_id=row.id, code=party.id, **_party_values(party)))
        elif _apply(old_party, _party_values(party)):
            details = True
    present_parties = {p.id for p in plan.parties}
    for code, old_party in parties.items():
        if code not in present_parties and old_party.withdrawn_at is None:
            old_party.withdrawn_at = now
            details = True

    # Tasks.
    tasks = {t.code: t for t in session.scalars(select(TaskRow).where(TaskRow.plan_id == row.id))}
    added, changed = [], []
    position = 0
    for section in plan.sections:
        for task in section.tasks:
            values = _task_values(task, section, position, windows[task.id])
            position += 1
            old = tasks.get(task.id)
            if old is None:
                session.add(TaskRow(plan_id=row.id, code=task.id, **values))
                added.append(task.id)
            elif old.withdrawn_at is not None:
                _apply(old, values)
                added.append(task.id)
            elif old.content_hash != values["content_hash"] or (old.on_demand, old.undated) != (
                values["on_demand"],
                values["undated"],
            ):
                _apply(old, values)
                changed.append(task.id)
            else:
                _apply(old, values)  # moved within the plan: not worth reporting
    present_tasks = {t.id for t in plan.tasks()}
    withdrawn_tasks = []
    for code, old in tasks.items():
        if code not in present_tasks and old.withdrawn_at is None:
            old.withdrawn_at = now
            withdrawn_tasks.append(code)

    if new:
        _replace_indicators(session, row.id, plan)
    session.flush()

    counts = _sync_occurrences(session, row.id, plan, specs, now)
    return PlanChanges(
        plan.id,
        new=new,
        details_changed=details and not new,
        tasks_added=() if new else tuple(added),
        tasks_changed=tuple(changed),
        tasks_withdrawn=tuple(withdrawn_tasks),
        occurrences_added=counts[0],
        occurrences_changed=counts[1],
        occurrences_withdrawn=counts[2],
        occurrences_revived=counts[3],
    )


def _replace_indicators(session: Session, plan_id: int, plan: Plan) -> bool:
    """Indicators carry no history: replace them wholesale when they differ
    (True then)."""
    current = [
        (i.code, i.name, i.unit, i.position)
        for i in session.scalars(select(IndicatorRow).where(IndicatorRow.plan_id == plan_id))
    ]
    wanted = [(i.id, i.name, i.unit, n) for n, i in enumerate(plan.indicators)]
    targets_now = {
        (code, year): value
        for code, year, value in session.execute(
            select(IndicatorRow.code, IndicatorTargetRow.year, IndicatorTargetRow.value)
            .join(IndicatorTargetRow, IndicatorTargetRow.indicator_id == IndicatorRow.id)
            .where(IndicatorRow.plan_id == plan_id)
        )
    }
    targets_wanted = {(i.id, t.year): t.value for i in plan.indicators for t in i.targets}
    if sorted(current) == sorted(wanted) and targets_now == targets_wanted:
        return False
    ids = select(IndicatorRow.id).where(IndicatorRow.plan_id == plan_id)
    session.execute(delete(IndicatorTargetRow).where(IndicatorTargetRow.indicator_id.in_(ids)))
    session.execute(delete(IndicatorRow).where(IndicatorRow.plan_id == plan_id))
    for n, indicator in enumerate(plan.indicators):
        ind = IndicatorRow(
            plan_id=plan_id, code=indicator.id, name=indicator.name, unit=indicator.unit, position=n
        )
        session.add(ind)
        session.flush()
        for target in indicator.targets:
            session.add(
                IndicatorTargetRow(indicator_id=ind.id, year=target.year, value=target.value)
            )
    return True


def _sync_occurrences(
    session: Session, plan_id: int, plan: Plan, specs: list[OccurrenceSpec], now: datetime
) -> tuple[int, int, int, int]:
    """Insert, update, withdraw and revive occurrence rows in bulk (a
    regional plan fans out to hundreds of thousands); returns the counts
    (added, changed, withdrawn, revived)."""
    task_ids = {
        code: tid
        for code, tid in session.execute(
            select(TaskRow.code, TaskRow.id).where(TaskRow.plan_id == plan_id)
        )
    }
    party_ids = {
        code: pid
        for code, pid in session.execute(
            select(PartyRow.code, PartyRow.id).where(PartyRow.plan_id == plan_id)
        )
    }
    register_of = {p.id: p.register for p in plan.parties if p.register}
    org_ids: dict[tuple[str, str], int] = {}
    if register_of:
        rows = session.execute(
            select(RegisterRow.code, OrganisationRow.code, OrganisationRow.id)
            .join(OrganisationRow, OrganisationRow.register_id == RegisterRow.id)
            .where(RegisterRow.code.in_(set(register_of.values())))
        )
        org_ids = {(reg, org): oid for reg, org, oid in rows}

    existing = {
        key: (oid, digest, withdrawn, sequence)
        for key, oid, digest, withdrawn, sequence in session.execute(
            select(
                OccurrenceRow.key,
                OccurrenceRow.id,
                OccurrenceRow.content_hash,
                OccurrenceRow.withdrawn_at,
                OccurrenceRow.sequence,
            ).where(OccurrenceRow.plan_id == plan_id)
        )
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    changed = revived = 0
    seen: set[str] = set()
    for spec in specs:
        key = spec.key
        if key in seen:
            continue  # a party named twice by one task: one occurrence
        seen.add(key)
        old = existing.get(key)
        if old is None:
            register = register_of.get(spec.party)
            inserts.append(
                {
                    "key": key,
                    "plan_id": plan_id,
                    "task_id": task_ids[spec.task],
                    "party_id": party_ids[spec.party],
                    "organisation_id": org_ids[(register, spec.org)]
                    if register and spec.org
                    else None,
                    "kind": spec.kind,
                    "start": spec.start,
                    "due": spec.due,
                    "content_hash": spec.content_hash,
                    "sequence": 0,
                    "created_at": now,
                    "withdrawn_at": None,
                }
            )
            continue
        oid, digest, withdrawn, sequence = old
        if withdrawn is None and digest == spec.content_hash:
            continue
        if withdrawn is not None:
            revived += 1
        else:
            changed += 1
        # A calendar client only takes an update with a higher SEQUENCE.
        updates.append(
            {
                "id": oid,
                "kind": spec.kind,
                "start": spec.start,
                "due": spec.due,
                "content_hash": spec.content_hash,
                "sequence": sequence + 1,
                "withdrawn_at": None,
            }
        )
    withdrawn_count = 0
    for key, (oid, _digest, withdrawn, sequence) in existing.items():
        if key not in seen and withdrawn is None:
            withdrawn_count += 1
            updates.append({"id": oid, "withdrawn_at": now, "sequence": sequence + 1})
    if inserts:
        session.execute(insert(OccurrenceRow), inserts)
    # Bulk UPDATE by primary key needs the same keys in every dict per batch.
    for batch in _group_by_keys(updates):
        session.execute(update(OccurrenceRow), batch)
    return len(inserts), changed, withdrawn_count, revived


def _group_by_keys(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return list(groups.values())


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class PlanSummary:
    """One line of ``roadmap plans``: counts are of active (not withdrawn) rows."""

    id: str
    title: str
    period_start: date
    period_end: date
    timezone: str
    tasks: int
    occurrences: int


@dataclass(frozen=True)
class TaskView:
    id: str
    number: str | None
    section: str
    section_title: str
    activity: str
    deadline: str | None
    responsible: str
    co_responsible: str | None
    parties: tuple[str, ...]
    result: str | None
    occurrences: tuple[Window, ...]  # distinct windows, not multiplied by organisations
    on_demand: bool
    undated: bool
    note: str | None = None


@dataclass(frozen=True)
class IndicatorView:
    id: str
    name: str
    unit: str | None
    targets: dict[int, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PlanView:
    """A stored plan as ``roadmap show`` prints it."""

    id: str
    title: str
    authority: str
    period_start: date
    period_end: date
    timezone: str
    school_years: bool
    parent: str | None
    parties: dict[str, str]  # id → name
    tasks: tuple[TaskView, ...]
    indicators: tuple[IndicatorView, ...]
    loaded_at: datetime


def list_plans(session: Session) -> list[PlanSummary]:
    """Every stored plan, by id, with its task and occurrence counts."""
    tasks = (
        select(TaskRow.plan_id, func.count().label("n"))
        .where(TaskRow.withdrawn_at.is_(None))
        .group_by(TaskRow.plan_id)
        .subquery()
    )
    occurrences = (
        select(OccurrenceRow.plan_id, func.count().label("n"))
        .where(OccurrenceRow.withdrawn_at.is_(None))
        .group_by(OccurrenceRow.plan_id)
        .subquery()
    )
    rows = session.execute(
        select(
            PlanRow.code,
            PlanRow.title,
            PlanRow.period_start,
            PlanRow.period_end,
            PlanRow.timezone,
            func.coalesce(tasks.c.n, 0),
            func.coalesce(occurrences.c.n, 0),
        )
        .outerjoin(tasks, tasks.c.plan_id == PlanRow.id)
        .outerjoin(occurrences, occurrences.c.plan_id == PlanRow.id)
        .order_by(PlanRow.code)
    )
    return [PlanSummary(*r) for r in rows]


def _plan_row(session: Session, plan_code: str) -> PlanRow:
    row = session.scalars(select(PlanRow).where(PlanRow.code == plan_code)).one_or_none()
    if row is not None:
        return row
    known = list(session.scalars(select(PlanRow.code).order_by(PlanRow.code)))
    close = difflib.get_close_matches(plan_code, known, n=1, cutoff=0.5)
    if close:
        hint = _(" (может быть, «{id}»?)").format(id=close[0])
    elif known:
        hint = _("; загружены: {ids}").format(ids=", ".join(known))
    else:
        hint = _("; планы не загружены (roadmap load)")
    raise NotFoundError(_("Нет плана «{id}»{hint}").format(id=plan_code, hint=hint))


def get_plan_view(session: Session, plan_code: str) -> PlanView:
    """A stored plan with its active tasks in plan order (:class:`NotFoundError`
    with a «did you mean» for an unknown id)."""
    row = _plan_row(session, plan_code)
    windows: dict[int, list[Window]] = {}
    for task_id, start, due in session.execute(
        select(OccurrenceRow.task_id, OccurrenceRow.start, OccurrenceRow.due)
        .where(
            OccurrenceRow.plan_id == row.id,
            OccurrenceRow.withdrawn_at.is_(None),
            OccurrenceRow.kind == DATED,
        )
        .distinct()
        .order_by(OccurrenceRow.task_id, OccurrenceRow.due, OccurrenceRow.start)
    ):
        if due is not None:  # always set for dated rows
            windows.setdefault(task_id, []).append(Window(start, due))
    tasks = tuple(
        TaskView(
            t.code,
            t.number,
            t.section_code,
            t.section_title,
            t.activity,
            t.deadline,
            t.responsible,
            t.co_responsible,
            tuple(t.parties),
            t.result,
            tuple(windows.get(t.id, ())),
            t.on_demand,
            t.undated,
            t.note,
        )
        for t in session.scalars(
            select(TaskRow)
            .where(TaskRow.plan_id == row.id, TaskRow.withdrawn_at.is_(None))
            .order_by(TaskRow.position)
        )
    )
    indicators: list[IndicatorView] = []
    for ind in session.scalars(
        select(IndicatorRow).where(IndicatorRow.plan_id == row.id).order_by(IndicatorRow.position)
    ):
        targets: dict[int, Any] = {
            year: value
            for year, value in session.execute(
                select(IndicatorTargetRow.year, IndicatorTargetRow.value)
                .where(IndicatorTargetRow.indicator_id == ind.id)
                .order_by(IndicatorTargetRow.year)
            )
        }
        indicators.append(IndicatorView(ind.code, ind.name, ind.unit, targets))
    parties = {
        p.code: p.name
        for p in session.scalars(
            select(PartyRow)
            .where(PartyRow.plan_id == row.id, PartyRow.withdrawn_at.is_(None))
            .order_by(PartyRow.id)
        )
    }
    return PlanView(
        row.code,
        row.title,
        row.authority,
        row.period_start,
        row.period_end,
        row.timezone,
        row.school_years,
        row.parent,
        parties,
        tasks,
        tuple(indicators),
        row.loaded_at,
    )


@dataclass(frozen=True)
class OccurrenceRef:
    """An occurrence by its keys, for lookups by tracking and calendars."""

    id: int
    key: str
    task: str
    party: str
    org: str | None
    kind: str
    start: date | None
    due: date | None
    sequence: int
    withdrawn: bool


def occurrences_of(
    session: Session, plan_code: str, *, withdrawn: bool = False
) -> list[OccurrenceRef]:
    """The occurrences of a plan, in (due, key) order; withdrawn ones only
    when asked."""
    row = _plan_row(session, plan_code)
    query = (
        select(
            OccurrenceRow.id,
            OccurrenceRow.key,
            TaskRow.code,
            PartyRow.code,
            OrganisationRow.code,
            OccurrenceRow.kind,
            OccurrenceRow.start,
            OccurrenceRow.due,
            OccurrenceRow.sequence,
            OccurrenceRow.withdrawn_at.is_not(None),
        )
        .join(TaskRow, TaskRow.id == OccurrenceRow.task_id)
        .join(PartyRow, PartyRow.id == OccurrenceRow.party_id)
        .outerjoin(OrganisationRow, OrganisationRow.id == OccurrenceRow.organisation_id)
        .where(OccurrenceRow.plan_id == row.id)
        .order_by(OccurrenceRow.due, OccurrenceRow.key)
    )
    if not withdrawn:
        query = query.where(OccurrenceRow.withdrawn_at.is_(None))
    return [OccurrenceRef(*cast(tuple[Any, ...], r)) for r in session.execute(query)]


# ---------------------------------------------------------------- completions


@dataclass(frozen=True)
class CompletionView:
    id: int
    occurrence_id: int
    action: str
    at: datetime
    by: str
    note: str | None
    url: str | None
    evidence: Evidence | None
    supersedes_id: int | None


def record_completion(
    session: Session,
    occurrence_id: int,
    by: str,
    at: datetime,
    note: str | None = None,
    url: str | None = None,
    evidence: Evidence | None = None,
    *,
    action: str = DONE,
    supersedes_id: int | None = None,
) -> int:
    """Append a completion (or a ``reopen``) of an occurrence; returns its id.

    Completions are never changed: to correct one, record a new one with
    ``supersedes_id`` naming it. ``at`` must be aware."""
    if action not in (DONE, REOPEN):
        raise UsageError(_("Неизвестное действие «{action}»").format(action=action))
    if at.tzinfo is None:
        raise ValueError("at must be an aware datetime")
    occurrence = session.get(OccurrenceRow, occurrence_id)
    if occurrence is None:
        raise NotFoundError(_("Нет срока с номером {id}").format(id=occurrence_id))
    if occurrence.withdrawn_at is not None:
        raise UsageError(_("Срок {id} снят с плана").format(id=occurrence_id))
    if supersedes_id is not None:
        previous = session.get(CompletionRow, supersedes_id)
        if previous is None or previous.occurrence_id != occurrence_id:
            raise NotFoundError(
                _("Нет отметки {id} у срока {occurrence}").format(
                    id=supersedes_id, occurrence=occurrence_id
                )
            )
    row = CompletionRow(
        occurrence_id=occurrence_id,
        action=action,
        at=at,
        by=by,
        note=note,
        url=url,
        evidence_sha256=evidence.sha256 if evidence else None,
        evidence_name=evidence.name if evidence else None,
        evidence_size=evidence.size if evidence else None,
        evidence_media_type=evidence.media_type if evidence else None,
        supersedes_id=supersedes_id,
    )
    session.add(row)
    # The current state on the occurrence, in this same unit of work (the
    # sweep reads it instead of the history).
    occurrence.done_at = at if action == DONE else None
    occurrence.done_by = by if action == DONE else None
    session.flush()
    return row.id


def completions_for(session: Session, occurrence_id: int) -> list[CompletionView]:
    """Every completion of an occurrence, oldest first (superseded ones too)."""
    rows = session.scalars(
        select(CompletionRow)
        .where(CompletionRow.occurrence_id == occurrence_id)
        .order_by(CompletionRow.id)
    )
    return [
        CompletionView(
            r.id,
            r.occurrence_id,
            r.action,
            r.at,
            r.by,
            r.note,
            r.url,
            Evidence(
                r.evidence_sha256,
                r.evidence_name or "",
                r.evidence_size or 0,
                r.evidence_media_type,
            )
            if r.evidence_sha256
            else None,
            r.supersedes_id,
        )
        for r in rows
    ]


__all__ = [
    "CatalogLike",
    "CompletionView",
    "Evidence",
    "IndicatorView",
    "LoadReport",
    "OccurrenceRef",
    "PlanChanges",
    "PlanSummary",
    "PlanView",
    "RegisterChanges",
    "TaskView",
    "completions_for",
    "get_plan_view",
    "list_plans",
    "load_catalog",
    "occurrences_of",
    "record_completion",
]
