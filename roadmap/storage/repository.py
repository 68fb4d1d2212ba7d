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

Loading is set-based, as a national catalogue is millions of occurrences:
the stored rows of a register or plan are read with one query per table
(plain rows, no ORM objects), new rows are inserted in one batch per table
(``COPY`` on PostgreSQL) and only rows that differ are updated, by primary
key. Nothing is flushed row by row.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from roadmap.deadlines.api import interpret
from roadmap.errors import NotFoundError, UsageError
from roadmap.evidence import Evidence
from roadmap.i18n import _
from roadmap.model import (
    Contact,
    Indicator,
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
    OccurrenceRowSpec,
    TaskWindows,
    fingerprint,
    occurrence_rows,
    plan_fingerprints,
    task_windows,
    to_plain,
)
from roadmap.storage.carrying import Carried, CarryOver, Undecided
from roadmap.storage.tables import (
    DONE,
    REOPEN,
    Base,
    CompletionRow,
    IndicatorRow,
    IndicatorTargetRow,
    OccurrenceRow,
    OrganisationRow,
    PartyRow,
    PlanRow,
    RegisterRow,
    StatusSnapshotRow,
    TaskRow,
)

if TYPE_CHECKING:
    from roadmap.plans import Stored

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
    carried: tuple[Carried, ...] = ()  # completions carried to a corrected deadline
    undecided: tuple[Undecided, ...] = ()  # done occurrences withdrawn, successor unsure

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

    @property
    def undecided(self) -> list[Undecided]:
        """Every plan's :attr:`PlanChanges.undecided`: the load must be
        refused (:func:`roadmap.storage.carrying.refuse_undecided`) unless
        the user says ``--carry`` or ``--no-carry``."""
        return [u for p in self.plans for u in p.undecided]


# ---------------------------------------------------------------- loading


def load_catalog(
    session: Session,
    catalog: CatalogLike,
    now: datetime,
    read: Interpreter = interpret,
    *,
    carry: bool | None = None,
) -> LoadReport:
    """Store every register and plan of ``catalog``; see the module doc.

    ``now`` (aware) stamps new and withdrawn rows. Registers are loaded
    first; a plan whose party names a register absent from the catalog uses
    the stored one. Nothing is written when nothing changed.

    A done occurrence that the load withdraws has its completion carried
    over to its successor (:mod:`roadmap.storage.carrying`); ``carry``
    decides where the successor is not certain (None: leave those
    undecided in the report — the caller refuses the load)."""
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
    organisations: dict[str, dict[str, int]] = {}  # ids by register and code, as needed
    plans = tuple(
        _load_plan(session, catalog.plans[code], known, now, read, organisations, carry)
        for code in sorted(catalog.plans)
    )
    # Occurrences may have been added, withdrawn or reinstated: the changed
    # plans' counts of the last sweep are recounted (roadmap.sweep). Only
    # theirs, so that loading unchanged files still writes nothing.
    changed = [p.plan for p in plans if p.changed]
    if changed:
        forget_counts(session, session.scalars(select(PlanRow.id).where(PlanRow.code.in_(changed))))
    return LoadReport(registers, plans)


def _table(entity: type[Base]) -> Table:
    return cast(Table, entity.__table__)


_REGISTERS = _table(RegisterRow)
_ORGANISATIONS = _table(OrganisationRow)
_PLANS = _table(PlanRow)
_PARTIES = _table(PartyRow)
_TASKS = _table(TaskRow)
_INDICATORS = _table(IndicatorRow)
_TARGETS = _table(IndicatorTargetRow)
_OCCURRENCES = _table(OccurrenceRow)


def _stored(session: Session, table: Table, *where: ColumnElement[bool]) -> dict[str, RowMapping]:
    """The rows of ``table`` by ``code``, every column, as plain mappings:
    no ORM objects, which cost more than the rows are worth when thousands
    of municipalities are loaded."""
    return {row["code"]: row for row in session.execute(select(table).where(*where)).mappings()}


def _changes(old: RowMapping, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values that differ from the stored row (so an unchanged row is
    never written)."""
    return {name: value for name, value in values.items() if old[name] != value}


def _insert_many(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows``, dicts with the same keys (see :func:`_insert_rows`)."""
    if rows:
        names = list(rows[0])
        _insert_rows(session, table, names, ([row[n] for n in names] for row in rows))


def _insert_rows(
    session: Session, table: Table, names: list[str], records: Iterable[Sequence[Any]]
) -> int:
    """Insert ``records`` (values in the order of ``names``); returns how many.

    SQLite: one executemany, sqlite3's own loop. PostgreSQL: ``COPY … FROM
    STDIN``, the values passed through the columns' bind processors first,
    as SQLAlchemy would. ``records`` is consumed while the rows are sent, so
    the server inserts while Python makes the next ones. psycopg's
    executemany costs a protocol message per row, and the multi-row
    ``VALUES`` of SQLAlchemy's «insertmanyvalues» are too long for psycopg's
    query cache, so each page is parsed again in Python: both took several
    times longer than COPY."""
    records = iter(records)
    first = next(records, None)
    if first is None:
        return 0
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        rows = [dict(zip(names, first, strict=True))]
        rows.extend(dict(zip(names, record, strict=True)) for record in records)
        session.execute(insert(table), rows)
        return len(rows)
    processors = [
        (n, process)
        for n, name in enumerate(names)
        if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    ]
    quote = dialect.identifier_preparer
    statement = "COPY {} ({}) FROM STDIN".format(
        quote.format_table(table), ", ".join(quote.format_column(table.c[n]) for n in names)
    )
    count = 0
    driver: Any = connection.connection.driver_connection  # psycopg, in this transaction
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for record in itertools.chain((first,), records):
            values = list(record)
            for n, process in processors:
                values[n] = process(values[n])
            copy.write_row(values)
            count += 1
    return count


def _update_many(session: Session, entity: type[Base], rows: list[dict[str, Any]]) -> None:
    """UPDATE by primary key (each dict holds ``id`` and the columns to set)."""
    # Bulk UPDATE by primary key needs the same keys in every dict per batch.
    for batch in _group_by_keys(rows):
        session.execute(update(entity), batch)


def _group_by_keys(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return list(groups.values())


def _load_register(session: Session, register: Register, now: datetime) -> RegisterChanges:
    row = (
        session.execute(select(_REGISTERS).where(_REGISTERS.c.code == register.id))
        .mappings()
        .one_or_none()
    )
    digest = fingerprint(register)
    if row is not None and row["content_hash"] == digest:
        return RegisterChanges(register.id)
    values = {
        "title": register.title,
        "example": register.example,
        "source": register.source,
        "content_hash": digest,
        "loaded_at": now,
    }
    new = row is None
    existing: dict[str, RowMapping] = {}
    if row is None:
        register_id: int = session.execute(
            insert(_REGISTERS).values(code=register.id, **values).returning(_REGISTERS.c.id)
        ).scalar_one()
        details = False
    else:
        register_id = row["id"]
        details = (row["title"], row["example"]) != (register.title, register.example)
        _update_many(session, RegisterRow, [{"id": register_id, **_changes(row, values)}])
        existing = _stored(session, _ORGANISATIONS, _ORGANISATIONS.c.register_id == register_id)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
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
            inserts.append({"register_id": register_id, "code": org.id, **org_values})
            added.append(org.id)
            continue
        if old["withdrawn_at"] is not None:
            added.append(org.id)
        elif old["content_hash"] != org_values["content_hash"]:
            changed.append(org.id)
        # else at most its position changed: not worth reporting
        differ = _changes(old, org_values)
        if differ:
            updates.append({"id": old["id"], **differ})
    present = {org.id for org in register.organisations}
    withdrawn = []
    for code, old in existing.items():
        if code not in present and old["withdrawn_at"] is None:
            updates.append({"id": old["id"], "withdrawn_at": now})
            withdrawn.append(code)
    _insert_many(session, _ORGANISATIONS, inserts)
    _update_many(session, OrganisationRow, updates)
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


def _task_values(
    task: Task, section: Any, position: int, found: TaskWindows, digest: str
) -> dict[str, Any]:
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
        "content_hash": digest,
        "withdrawn_at": None,
    }


def _load_plan(
    session: Session,
    plan: Plan,
    registers: Mapping[str, Register],
    now: datetime,
    read: Interpreter,
    organisations: dict[str, dict[str, int]],
    carry: bool | None = None,
) -> PlanChanges:
    # Read every phrase first: nothing is written for a plan that cannot expand.
    windows = {task.id: task_windows(plan, task, read) for task in plan.tasks()}
    digest, task_hashes = plan_fingerprints(plan)
    specs = occurrence_rows(plan, registers, read, windows, task_hashes)  # checked, lazy

    row = session.execute(select(_PLANS).where(_PLANS.c.code == plan.id)).mappings().one_or_none()
    new = row is None
    details = False  # plan-level fields, parties or indicators changed
    if row is None:
        plan_id: int = session.execute(
            insert(_PLANS)
            .values(code=plan.id, **_plan_values(plan, digest, now))
            .returning(_PLANS.c.id)
        ).scalar_one()
    else:
        plan_id = row["id"]
        if row["content_hash"] != digest:
            values = _plan_values(plan, digest, now)
            bookkeeping = ("content_hash", "loaded_at", "source")
            details = any(row[k] != v for k, v in values.items() if k not in bookkeeping)
            _update_many(session, PlanRow, [{"id": plan_id, **_changes(row, values)}])
            details = _replace_indicators(session, plan_id, plan) or details

    # Parties (a new plan has none stored: no need to ask).
    parties = {} if new else _stored(session, _PARTIES, _PARTIES.c.plan_id == plan_id)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for party in plan.parties:
        values = _party_values(party)
        old_party = parties.get(party.id)
        if old_party is None:
            inserts.append({"plan_id": plan_id, "code": party.id, **values})
            continue
        differ = _changes(old_party, values)
        if differ:
            updates.append({"id": old_party["id"], **differ})
            details = True
    present_parties = {p.id for p in plan.parties}
    for code, old_party in parties.items():
        if code not in present_parties and old_party["withdrawn_at"] is None:
            updates.append({"id": old_party["id"], "withdrawn_at": now})
            details = True
    _insert_many(session, _PARTIES, inserts)
    _update_many(session, PartyRow, updates)

    # Tasks.
    tasks = {} if new else _stored(session, _TASKS, _TASKS.c.plan_id == plan_id)
    inserts, updates = [], []
    added, changed = [], []
    position = 0
    for section in plan.sections:
        for task in section.tasks:
            values = _task_values(task, section, position, windows[task.id], task_hashes[task.id])
            position += 1
            old = tasks.get(task.id)
            if old is None:
                inserts.append({"plan_id": plan_id, "code": task.id, **values})
                added.append(task.id)
                continue
            if old["withdrawn_at"] is not None:
                added.append(task.id)
            elif old["content_hash"] != values["content_hash"] or (
                old["on_demand"],
                old["undated"],
            ) != (values["on_demand"], values["undated"]):
                changed.append(task.id)
            # else moved within the plan at most: not worth reporting
            differ = _changes(old, values)
            if differ:
                updates.append({"id": old["id"], **differ})
    present_tasks = {t.id for t in plan.tasks()}
    withdrawn_tasks = []
    for code, old in tasks.items():
        if code not in present_tasks and old["withdrawn_at"] is None:
            updates.append({"id": old["id"], "withdrawn_at": now})
            withdrawn_tasks.append(code)
    _insert_many(session, _TASKS, inserts)
    _update_many(session, TaskRow, updates)

    if new:
        _insert_indicators(session, plan_id, plan)

    # Only an edited plan can move a window; an unchanged one (the register
    # may have changed) has nothing to carry, and skips the look.
    edited = row is not None and row["content_hash"] != digest
    counts, carried, undecided = _sync_occurrences(
        session, plan_id, plan, specs, now, organisations, new=new, carry=carry,
        watch_carry=edited,
    )
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
        carried=tuple(carried),
        undecided=tuple(undecided),
    )


def _replace_indicators(session: Session, plan_id: int, plan: Plan) -> bool:
    """Indicators carry no history: replace them wholesale when they differ
    (True then)."""
    current = [
        tuple(row)
        for row in session.execute(
            select(*(_INDICATORS.c[name] for name in _INDICATOR_FIELDS)).where(
                _INDICATORS.c.plan_id == plan_id
            )
        )
    ]
    wanted = [
        tuple(_indicator_fields(plan_id, n, i).values())[1:] for n, i in enumerate(plan.indicators)
    ]
    targets_now = {
        (code, year): value
        for code, year, value in session.execute(
            select(_INDICATORS.c.code, _TARGETS.c.year, _TARGETS.c.value)
            .join(_TARGETS, _TARGETS.c.indicator_id == _INDICATORS.c.id)
            .where(_INDICATORS.c.plan_id == plan_id)
        )
    }
    targets_wanted = {(i.id, t.year): t.value for i in plan.indicators for t in i.targets}
    if sorted(current) == sorted(wanted) and targets_now == targets_wanted:
        return False
    ids = select(_INDICATORS.c.id).where(_INDICATORS.c.plan_id == plan_id)
    session.execute(delete(_TARGETS).where(_TARGETS.c.indicator_id.in_(ids)))
    session.execute(delete(_INDICATORS).where(_INDICATORS.c.plan_id == plan_id))
    _insert_indicators(session, plan_id, plan)
    return True


_INDICATOR_FIELDS = ("code", "name", "unit", "position", "kind", "who_reports", "activity")


def _indicator_fields(plan_id: int, position: int, ind: Indicator) -> dict[str, Any]:
    """The columns of an indicator row: ``plan_id``, then :data:`_INDICATOR_FIELDS`."""
    return {
        "plan_id": plan_id, "code": ind.id, "name": ind.name, "unit": ind.unit,
        "position": position, "kind": ind.kind, "who_reports": ind.who_reports,
        "activity": ind.activity,
    }


def _insert_indicators(session: Session, plan_id: int, plan: Plan) -> None:
    """Store the indicators of ``plan`` and their targets (none are stored)."""
    if not plan.indicators:
        return
    _insert_many(
        session,
        _INDICATORS,
        [_indicator_fields(plan_id, n, i) for n, i in enumerate(plan.indicators)],
    )
    ids = dict(
        session.execute(
            select(_INDICATORS.c.code, _INDICATORS.c.id).where(_INDICATORS.c.plan_id == plan_id)
        ).all()
    )
    _insert_many(
        session,
        _TARGETS,
        [
            {"indicator_id": ids[i.id], "year": t.year, "value": t.value}
            for i in plan.indicators
            for t in i.targets
        ],
    )


# The columns _sync_occurrences inserts, in the order of its tuples.
_OCCURRENCE_COLUMNS = [
    "key",
    "plan_id",
    "task_id",
    "party_id",
    "organisation_id",
    "kind",
    "start",
    "due",
    "content_hash",
    "sequence",
    "created_at",
    "withdrawn_at",
]


def _sync_occurrences(
    session: Session,
    plan_id: int,
    plan: Plan,
    specs: Iterable[OccurrenceRowSpec],
    now: datetime,
    organisations: dict[str, dict[str, int]],
    *,
    new: bool = False,
    carry: bool | None = None,
    watch_carry: bool = True,
) -> tuple[tuple[int, int, int, int], list[Carried], list[Undecided]]:
    """Insert, update, withdraw and revive occurrence rows in bulk (a
    regional plan fans out to hundreds of thousands); returns the counts
    (added, changed, withdrawn, revived) and the completions carried over
    (or left undecided, see :func:`load_catalog`). A ``new`` plan has none
    stored. ``organisations`` caches organisation ids by register and code
    for the plans of one load (registers are stored before any plan)."""
    task_ids = dict(
        session.execute(select(_TASKS.c.code, _TASKS.c.id).where(_TASKS.c.plan_id == plan_id)).all()
    )
    party_ids = dict(
        session.execute(
            select(_PARTIES.c.code, _PARTIES.c.id).where(_PARTIES.c.plan_id == plan_id)
        ).all()
    )
    register_of = {p.id: p.register for p in plan.parties if p.register}
    missing = set(register_of.values()) - set(organisations)
    if missing:
        for code in missing:
            organisations[code] = {}
        rows = session.execute(
            select(_REGISTERS.c.code, _ORGANISATIONS.c.code, _ORGANISATIONS.c.id)
            .join(_ORGANISATIONS, _ORGANISATIONS.c.register_id == _REGISTERS.c.id)
            .where(_REGISTERS.c.code.in_(missing))
        )
        for reg, org, oid in rows:
            organisations[reg][org] = oid

    existing: dict[str, tuple[int, str, datetime | None, int]] = {}
    if not new:
        existing = {
            key: (oid, digest, withdrawn, sequence)
            for key, oid, digest, withdrawn, sequence in session.execute(
                select(
                    _OCCURRENCES.c.key,
                    _OCCURRENCES.c.id,
                    _OCCURRENCES.c.content_hash,
                    _OCCURRENCES.c.withdrawn_at,
                    _OCCURRENCES.c.sequence,
                ).where(_OCCURRENCES.c.plan_id == plan_id)
            )
        }
    updates: list[dict[str, Any]] = []
    seen: set[str] = set()
    tally = {"changed": 0, "revived": 0}
    watch = CarryOver(
        session, plan_id, plan.school_year.start[0] if plan.school_years else None
    ) if watch_carry and not new else None
    if watch is not None and not watch.groups:
        watch = None

    def fresh() -> Iterator[tuple[Any, ...]]:
        """The rows to insert (in :data:`_OCCURRENCE_COLUMNS` order), while
        the changed and revived ones are gathered in ``updates``."""
        for spec in specs:
            key = spec.key
            if key in seen:
                continue  # a party named twice by one task: one occurrence
            seen.add(key)
            old = existing.get(key)
            org_id = None
            if old is None or watch is not None:
                register = register_of.get(spec.party)
                org_id = organisations[register][spec.org] if register and spec.org else None
            if watch is not None:
                watch.watch(
                    (task_ids[spec.task], party_ids[spec.party], org_id),
                    key, spec.start, spec.due, added=old is None,
                )
            if old is None:
                yield (
                    key,
                    plan_id,
                    task_ids[spec.task],
                    party_ids[spec.party],
                    org_id,
                    spec.kind,
                    spec.start,
                    spec.due,
                    spec.content_hash,
                    0,
                    now,
                    None,
                )
                continue
            oid, digest, withdrawn, sequence = old
            if withdrawn is None and digest == spec.content_hash:
                continue
            tally["changed" if withdrawn is None else "revived"] += 1
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

    added = _insert_rows(session, _OCCURRENCES, _OCCURRENCE_COLUMNS, fresh())
    withdrawn_count = 0
    for key, (oid, _digest, withdrawn, sequence) in existing.items():
        if key not in seen and withdrawn is None:
            withdrawn_count += 1
            updates.append({"id": oid, "withdrawn_at": now, "sequence": sequence + 1})
    _update_many(session, OccurrenceRow, updates)
    carried, undecided = watch.finish(seen, carry) if watch is not None else ([], [])
    return (added, tally["changed"], withdrawn_count, tally["revived"]), carried, undecided


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
    kind: str = "count"
    who_reports: str = "organisations"
    activity: str | None = None


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


def stored_names(session: Session) -> Stored:
    """The ids of the stored plans and registers (:func:`roadmap.plans.check_paths`
    accepts them as parents and registers of the files it reads)."""
    from roadmap.plans import Stored  # the YAML reader: only for commands that read files

    return Stored(
        frozenset(session.scalars(select(PlanRow.code))),
        frozenset(session.scalars(select(RegisterRow.code))),
    )


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
        indicators.append(IndicatorView(ind.code, ind.name, ind.unit, targets, ind.kind,
                                        ind.who_reports, ind.activity))
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


def forget_counts(session: Session, plan_ids: Iterable[int] | None = None) -> None:
    """Drop the status snapshots of ``plan_ids`` (None: of every plan): their
    occurrences changed otherwise than by the passing of days (a completion,
    a reopening, a reload), so the next sweep counts them afresh. Writers
    call it in their own unit of work (see :func:`roadmap.sweep.sweep_counts`)."""
    if plan_ids is None:
        session.execute(delete(StatusSnapshotRow))
        return
    ids = sorted(set(plan_ids))
    for i in range(0, len(ids), 500):
        session.execute(
            delete(StatusSnapshotRow).where(StatusSnapshotRow.plan_id.in_(ids[i:i + 500]))
        )


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
    carried_from_id: int | None = None,
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
        carried_from_id=carried_from_id,
    )
    session.add(row)
    # The current state on the occurrence, in this same unit of work (the
    # sweep reads it instead of the history).
    occurrence.done_at = at if action == DONE else None
    occurrence.done_by = by if action == DONE else None
    # The plan's counts of the last sweep no longer hold (roadmap.sweep).
    forget_counts(session, [occurrence.plan_id])
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
    "stored_names",
]
