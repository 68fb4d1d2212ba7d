"""Tracking: the status of every occurrence for a plan-local «today», and
the curator's side: mark done, reopen, history, evidence checks.

An occurrence is done when its latest completion row says ``done`` (a later
``reopen`` row undoes it; rows are never changed). «Today» is the date in
each plan's own time zone, from the injected :class:`~roadmap.app.Clock`.

Every function takes a session and never commits: a command runs one unit
of work (:func:`roadmap.storage.db.write_session`). Nothing here prints;
mistakes raise :class:`~roadmap.errors.RoadmapError` subclasses whose
message says what would have been accepted.

Example::

    with app.sessions() as session:
        rows = status_rows(session, app.clock.today, StatusFilter(plan="irkutsk-city-2023-2026"))
        overdue = [r for r in rows if r.status is Status.OVERDUE]

    with write_session(app.sessions) as session:
        done = mark_done(session, app.clock.today, Selector("irkutsk-city-2023-2026", "1.1",
                         org="school-1"), by="ivanova", at=app.clock.now(), url="https://…")
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from roadmap.directory import resolve_org, resolve_party
from roadmap.errors import NotFoundError, RoadmapError, UsageError
from roadmap.evidence import Evidence, EvidenceStore, check_url
from roadmap.i18n import _
from roadmap.status import ON_DEMAND, Status, classify, days_overdue
from roadmap.storage.repository import record_completion
from roadmap.storage.tables import (
    DONE,
    REOPEN,
    CompletionRow,
    OccurrenceRow,
    OrganisationRow,
    PartyRow,
    PlanRow,
    TaskRow,
)

# «today» for a plan time zone: ``app.clock.today``
TodayFor = Callable[[str], date]


@dataclass(frozen=True)
class StatusFilter:
    """Which occurrences a listing wants (None: any)."""

    plan: str | None = None
    party: str | None = None
    org: str | None = None
    task: str | None = None
    overdue_only: bool = False
    due_within: int | None = None  # due in the next N days (or overdue)
    include_withdrawn: bool = False
    due_soon_days: int = 14
    occurrence: int | None = None  # one occurrence, by id


@dataclass(frozen=True)
class StatusRow:
    plan: str
    task: str
    number: str | None
    section: str
    activity: str
    deadline: str | None
    result: str | None
    party: str
    party_name: str
    org: str | None
    org_name: str | None
    occurrence_id: int
    occurrence_key: str
    kind: str
    start: date | None
    due: date | None
    status: Status
    days_overdue: int
    today: date
    done_at: datetime | None
    done_by: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "task": self.task,
            "number": self.number,
            "activity": self.activity,
            "deadline": self.deadline,
            "result": self.result,
            "party": self.party,
            "party_name": self.party_name,
            "org": self.org,
            "org_name": self.org_name,
            "start": self.start.isoformat() if self.start else None,
            "due": self.due.isoformat() if self.due else None,
            "status": self.status.value,
            "days_overdue": self.days_overdue,
            "done_at": self.done_at.isoformat() if self.done_at else None,
            "done_by": self.done_by,
        }


def latest_completion() -> Any:
    """Subquery: the id of the newest completion row of each occurrence."""
    return (
        select(
            CompletionRow.occurrence_id.label("occurrence_id"),
            func.max(CompletionRow.id).label("completion_id"),
        )
        .group_by(CompletionRow.occurrence_id)
        .subquery("latest")
    )


def occurrence_select(*extra: Any) -> Select[*tuple[Any, ...]]:
    """Occurrences joined to their plan, task, party and organisation, with
    the columns of a :class:`StatusRow` (plan … due, in its field order)
    followed by ``extra`` columns. Shared by listings and the sweep."""
    return (
        select(
            PlanRow.code,
            TaskRow.code,
            TaskRow.number,
            TaskRow.section_title,
            TaskRow.activity,
            TaskRow.deadline,
            TaskRow.result,
            PartyRow.code,
            PartyRow.name,
            OrganisationRow.code,
            OrganisationRow.name,
            OccurrenceRow.id,
            OccurrenceRow.key,
            OccurrenceRow.kind,
            OccurrenceRow.start,
            OccurrenceRow.due,
            *extra,
        )
        .join(PlanRow, PlanRow.id == OccurrenceRow.plan_id)
        .join(TaskRow, TaskRow.id == OccurrenceRow.task_id)
        .join(PartyRow, PartyRow.id == OccurrenceRow.party_id)
        .outerjoin(OrganisationRow, OrganisationRow.id == OccurrenceRow.organisation_id)
    )


def _status_query(flt: StatusFilter) -> Select[*tuple[Any, ...]]:
    # The current completion state is a column of the occurrence (kept by
    # record_completion), not a subquery over the completion history.
    query = (
        occurrence_select(
            PlanRow.timezone,
            OccurrenceRow.withdrawn_at,
            OccurrenceRow.done_at,
            OccurrenceRow.done_by,
        )
        .order_by(
            OccurrenceRow.due.is_(None),
            OccurrenceRow.due,
            PlanRow.code,
            TaskRow.position,
            PartyRow.code,
            OrganisationRow.position,
        )
    )
    if flt.plan is not None:
        query = query.where(PlanRow.code == flt.plan)
    if flt.party is not None:
        query = query.where(PartyRow.code == flt.party)
    if flt.org is not None:
        query = query.where(OrganisationRow.code == flt.org)
    if flt.task is not None:
        query = query.where(TaskRow.code == flt.task)
    if flt.occurrence is not None:
        query = query.where(OccurrenceRow.id == flt.occurrence)
    if not flt.include_withdrawn:
        query = query.where(OccurrenceRow.withdrawn_at.is_(None))
    return query


def status_rows(session: Session, today_for: TodayFor, flt: StatusFilter) -> list[StatusRow]:
    """Every matching occurrence with its status for its plan's «today»."""
    rows: list[StatusRow] = []
    todays: dict[str, date] = {}
    for r in session.execute(_status_query(flt)):
        (plan, task, number, section, activity, deadline, result, party, party_name,
         org, org_name, occ_id, key, kind, start, due, zone, withdrawn_at, at, by) = r
        today = todays.get(zone) or todays.setdefault(zone, today_for(zone))
        done = at is not None
        status = classify(
            kind=kind,
            start=start,
            due=due,
            done=done,
            withdrawn=withdrawn_at is not None,
            today=today,
            due_soon_days=flt.due_soon_days,
        )
        if flt.overdue_only and status is not Status.OVERDUE:
            continue
        if flt.due_within is not None and not (
            status is Status.OVERDUE
            or (status in (Status.DUE_SOON, Status.UPCOMING) and due is not None
                and (due - today).days <= flt.due_within)
        ):
            continue
        rows.append(
            StatusRow(
                plan, task, number, section, activity, deadline, result, party, party_name,
                org, org_name, occ_id, key, kind, start, due, status,
                days_overdue(due, today) if status is Status.OVERDUE else 0,
                today, at if done else None, by if done else None,
            )
        )
    return rows


def plans_loaded(session: Session) -> bool:
    """Whether any plan is loaded (an empty listing may mean «load first»)."""
    return session.scalar(select(PlanRow.id).limit(1)) is not None


def count_by_status(rows: Iterable[StatusRow]) -> dict[Status, int]:
    """How many rows are in each status (only statuses that occur, in
    :class:`Status` order)."""
    found = Counter(r.status for r in rows)
    return {s: found[s] for s in Status if found[s]}


# ---------------------------------------------------------------- names


class AmbiguousOccurrenceError(UsageError):
    """Several occurrences match a ``done``/``reopen`` call; the message
    lists the options (``--org``, ``--party``, ``--due``) that pick one."""


class AlreadyDoneError(RoadmapError):
    """The occurrence is done already (``--again`` records a new completion)."""


class NotDoneError(RoadmapError):
    """Nothing to reopen, or nothing open to mark done."""


_LISTED = 20  # valid choices named in a message, at most


def _choices(values: Sequence[str]) -> str:
    shown = ", ".join(values[:_LISTED])
    return shown + (", …" if len(values) > _LISTED else "")


def _unknown(message: str, value: str, valid: Sequence[str]) -> NotFoundError:
    """``message`` plus a «did you mean» and the valid choices."""
    close = difflib.get_close_matches(value, list(valid), n=3, cutoff=0.5)
    hint = ""
    if close:
        hint += _(" (может быть, {ids}?)").format(ids=", ".join(f"«{c}»" for c in close))
    if valid:
        hint += _("; есть: {ids}").format(ids=_choices(valid))
    return NotFoundError(message + hint)


def plan_row(session: Session, code: str) -> PlanRow:
    row = session.scalars(select(PlanRow).where(PlanRow.code == code)).one_or_none()
    if row is not None:
        return row
    known = list(session.scalars(select(PlanRow.code).order_by(PlanRow.code)))
    if not known:
        raise NotFoundError(
            _("Нет плана «{id}»; планы не загружены (roadmap load)").format(id=code)
        )
    raise _unknown(_("Нет плана «{id}»").format(id=code), code, known)


def _task_row(session: Session, plan: PlanRow, code: str, *, withdrawn: bool = False) -> TaskRow:
    query = select(TaskRow).where(TaskRow.plan_id == plan.id).order_by(TaskRow.position)
    if not withdrawn:
        query = query.where(TaskRow.withdrawn_at.is_(None))
    tasks = list(session.scalars(query))
    for task in tasks:
        if task.code == code:
            return task
    # The number as printed («3.1)»), then without its punctuation («3.1»,
    # what a shell lets through), then the id the same way («order-3.1»).
    wanted = task_number_key(code)
    for match in (
        lambda t: t.number == code,
        lambda t: bool(wanted) and task_number_key(t.number or "") == wanted,
        lambda t: bool(wanted) and task_number_key(t.code) == wanted,
    ):
        found = [t for t in tasks if match(t)]
        if len(found) == 1:
            return found[0]
    raise _unknown(
        _("Нет задачи «{task}» в плане {plan}").format(task=code, plan=plan.code),
        code,
        [t.code for t in tasks],
    )


def task_number_key(text: str) -> str:
    """A task number or id without punctuation around its digits: «3.1)»,
    «3.1.», «п. 3.1» and «order-3.1» all give «3.1»."""
    found = re.findall(r"\d+(?:\.\d+)*", text)
    return found[-1] if found else text.strip().casefold()


def check_filter(session: Session, flt: StatusFilter) -> StatusFilter:
    """The filter with its organisation and party as ids; refuses one
    naming an unknown plan, task, party or organisation
    (:class:`NotFoundError` with «did you mean» and the valid choices), so
    that a typo is not mistaken for «nothing to do», and an organisation
    that is ambiguous without ``plan`` (:mod:`roadmap.directory`)."""
    if flt.plan is not None:
        plan = plan_row(session, flt.plan)
        if flt.task is not None:
            flt = replace(flt, task=_task_row(session, plan, flt.task).code)
    if flt.party is not None:
        flt = replace(flt, party=resolve_party(session, flt.party, flt.plan, need_plan=False))
    if flt.org is not None:
        flt = replace(flt, org=resolve_org(session, flt.org, flt.plan))
    return flt


def status(session: Session, today_for: TodayFor, flt: StatusFilter) -> list[StatusRow]:
    """:func:`status_rows` after :func:`check_filter`: what ``roadmap status`` lists."""
    return status_rows(session, today_for, check_filter(session, flt))


# ---------------------------------------------------------------- done / reopen


@dataclass(frozen=True)
class Selector:
    """Which occurrence a ``done``/``reopen`` call means: a plan's task,
    narrowed by organisation, party and due date when more than one match."""

    plan: str
    task: str
    org: str | None = None
    party: str | None = None
    due: date | None = None
    occurrence: int | None = None  # the web page names the occurrence itself


@dataclass(frozen=True)
class Target:
    """An occurrence picked by a :class:`Selector`, with its latest completion."""

    id: int
    plan: str
    timezone: str
    task: str
    number: str | None
    activity: str
    party: str
    org: str | None
    kind: str
    start: date | None
    due: date | None
    last_id: int | None = None
    last_action: str | None = None
    last_at: datetime | None = None
    last_by: str | None = None

    @property
    def done(self) -> bool:
        return self.last_action == DONE

    @property
    def unit(self) -> str:
        """Who answers for it: ``party`` or ``party/org``."""
        return f"{self.party}/{self.org}" if self.org else self.party

    def describe(self) -> str:
        """«1.1 (oo/school-1), срок 2024-01-31» — for messages."""
        return _("{task} ({unit}), срок {due}").format(
            task=self.number or self.task, unit=self.unit, due=_due_text(self.kind, self.due)
        )


def _due_text(kind: str, due: date | None) -> str:
    if due is not None:
        return due.isoformat()
    return _("по запросу") if kind == ON_DEMAND else _("не указан")


@dataclass(frozen=True)
class Recorded:
    """What :func:`mark_done` or :func:`reopen` appended."""

    completion_id: int
    action: str
    occurrence: Target
    at: datetime
    by: str
    note: str | None = None
    url: str | None = None
    evidence: Evidence | None = None
    supersedes_id: int | None = None


def _targets(session: Session, sel: Selector) -> list[Target]:
    """The active occurrences of the selector's task, party and organisation,
    by unit then due date (unknown names raise :class:`NotFoundError`)."""
    plan = plan_row(session, sel.plan)
    task = _task_row(session, plan, sel.task)
    latest = latest_completion()
    last = aliased(CompletionRow, name="last")
    query = (
        select(
            OccurrenceRow.id,
            PartyRow.code,
            OrganisationRow.code,
            OccurrenceRow.kind,
            OccurrenceRow.start,
            OccurrenceRow.due,
            last.id,
            last.action,
            last.at,
            last.by,
        )
        .join(PartyRow, PartyRow.id == OccurrenceRow.party_id)
        .outerjoin(OrganisationRow, OrganisationRow.id == OccurrenceRow.organisation_id)
        .outerjoin(latest, latest.c.occurrence_id == OccurrenceRow.id)
        .outerjoin(last, last.id == latest.c.completion_id)
        .where(OccurrenceRow.task_id == task.id, OccurrenceRow.withdrawn_at.is_(None))
        .order_by(
            PartyRow.code,
            OrganisationRow.position,
            OccurrenceRow.due.is_(None),
            OccurrenceRow.due,
        )
    )
    found = [
        Target(oid, plan.code, plan.timezone, task.code, task.number, task.activity,
               party, org, kind, start, due, last_id, action, at, by)
        for oid, party, org, kind, start, due, last_id, action, at, by in session.execute(query)
    ]
    if not found:
        raise NotFoundError(
            _("У задачи {task} плана {plan} нет действующих сроков").format(
                task=task.code, plan=plan.code
            )
        )
    if sel.party is not None:
        parties = sorted({t.party for t in found})
        if sel.party not in parties:
            raise _unknown(
                _("Задача {task} не поручена стороне «{party}»").format(
                    task=task.code, party=sel.party
                ),
                sel.party,
                parties,
            )
        found = [t for t in found if t.party == sel.party]
    if sel.org is not None:
        org = resolve_org(session, sel.org, plan.code)
        orgs = sorted({t.org for t in found if t.org})
        if org not in orgs:
            raise _unknown(
                _("Задача {task} не поручена организации «{org}»").format(
                    task=task.code, org=org
                ),
                org,
                orgs,
            )
        found = [t for t in found if t.org == org]
    if sel.occurrence is not None:
        found = [t for t in found if t.id == sel.occurrence]
        if not found:
            raise NotFoundError(
                _("У задачи {task} плана {plan} нет такого действующего срока").format(
                    task=task.code, plan=plan.code
                )
            )
    return found


def _one_unit(found: list[Target]) -> list[Target]:
    """The occurrences of the one party/organisation the call means; with
    several, an error naming ``--org`` (or ``--party``) and the choices."""
    units = list(dict.fromkeys(t.unit for t in found))
    if len(units) == 1:
        return found
    first = found[0]
    orgs = list(dict.fromkeys(t.org for t in found if t.org))
    if len(orgs) > 1:
        message = _(
            "Задачу {task} выполняет каждая организация: укажите --org ({orgs})"
        ).format(task=first.number or first.task, orgs=_choices(orgs))
        own = list(dict.fromkeys(t.party for t in found if not t.org))
        if own:
            message += _("; или --party ({parties})").format(parties=", ".join(own))
        raise AmbiguousOccurrenceError(message)
    raise AmbiguousOccurrenceError(
        _("Задача {task} поручена нескольким сторонам: укажите --party ({parties})").format(
            task=first.number or first.task,
            parties=", ".join(dict.fromkeys(t.party for t in found)),
        )
    )


def _with_due(found: list[Target], due: date) -> Target:
    for target in found:
        if target.due == due:
            return target
    dues = [t.due.isoformat() for t in found if t.due]
    raise _unknown(
        _("У задачи {task} ({unit}) нет срока {due}").format(
            task=found[0].number or found[0].task, unit=found[0].unit, due=due.isoformat()
        ),
        due.isoformat(),
        dues,
    )


def _begun(found: list[Target], today: date) -> dict[int, bool]:
    """Whether each occurrence (of one unit, by due date) has begun.

    A window without a start («ежегодно до 1 марта») opens when the previous
    window's due date has passed; the first one is open from the beginning."""
    begun: dict[int, bool] = {}
    previous_due: date | None = None
    for target in found:
        if target.start is not None:
            begun[target.id] = target.start <= today
        elif target.due is None:
            begun[target.id] = True
        else:
            begun[target.id] = previous_due is None or previous_due < today
        if target.due is not None:
            previous_due = target.due
    return begun


def _dues_hint(targets: Iterable[Target]) -> str:
    return ", ".join(f"--due {t.due.isoformat()}" for t in targets if t.due)


def _already_done(target: Target) -> AlreadyDoneError:
    return AlreadyDoneError(
        _(
            "{what}: уже отмечено выполненным ({at}, {by}); "
            "чтобы отметить заново, добавьте --again"
        ).format(
            what=target.describe(),
            at=_local(target.last_at, target.timezone) if target.last_at else "?",
            by=target.last_by,
        )
    )


def choose_for_done(
    session: Session, today_for: TodayFor, sel: Selector, *, again: bool = False
) -> Target:
    """The one occurrence a ``done`` call means (see :func:`mark_done`)."""
    found = _one_unit(_targets(session, sel))
    if sel.due is not None or sel.occurrence is not None:
        target = _with_due(found, sel.due) if sel.due is not None else found[0]
        if target.done and not again:
            raise _already_done(target)
        return target
    today = today_for(found[0].timezone)
    begun = _begun(found, today)
    open_ = [t for t in found if not t.done and begun[t.id]]
    if len(open_) == 1:
        return open_[0]
    if len(open_) > 1:
        raise AmbiguousOccurrenceError(
            _("Открыто несколько сроков задачи {task} ({unit}); выберите один: {dues}").format(
                task=open_[0].number or open_[0].task, unit=open_[0].unit, dues=_dues_hint(open_)
            )
        )
    done = [t for t in found if t.done and begun[t.id]]
    future = [t for t in found if not t.done and not begun[t.id]]
    if again and len(done) == 1:
        return done[0]
    if again and len(done) > 1:
        raise AmbiguousOccurrenceError(
            _("Выполнено несколько сроков задачи {task} ({unit}); выберите один: {dues}").format(
                task=done[0].number or done[0].task, unit=done[0].unit, dues=_dues_hint(done)
            )
        )
    if done:
        err = _already_done(done[-1])
        if future:
            err = AlreadyDoneError(
                str(err)
                + _("; следующий срок {due}: --due {due}").format(due=_due_text("", future[0].due))
            )
        raise err
    # Nothing begun is left undone: only future windows remain.
    nxt = future[0]
    raise NotDoneError(
        _(
            "Задача {task} ({unit}): открытых сроков нет; ближайший срок {due} "
            "(начало {start}) — чтобы отметить его, укажите --due {due}"
        ).format(
            task=nxt.number or nxt.task,
            unit=nxt.unit,
            due=_due_text(nxt.kind, nxt.due),
            start=nxt.start.isoformat() if nxt.start else "—",
        )
    )


def mark_done(
    session: Session,
    today_for: TodayFor,
    sel: Selector,
    *,
    by: str,
    at: datetime,
    evidence: Evidence | None = None,
    url: str | None = None,
    note: str | None = None,
    again: bool = False,
) -> Recorded:
    """Record that the occurrence ``sel`` means is done, with its evidence
    (a file already put in the :class:`~roadmap.evidence.EvidenceStore`, or
    an http(s) URL: exactly one).

    Which occurrence: an active one of the plan's task (and ``org``,
    ``party``), the one that is *open* — not done and begun by today (its
    start passed, or overdue). Several open → :class:`AmbiguousOccurrenceError`
    listing their ``--due`` values; none open but later ones exist → an error
    naming the next due date; ``sel.due`` picks that window. A done one is
    refused (:class:`AlreadyDoneError`) unless ``again``: then a new ``done``
    row supersedes the previous one."""
    if (evidence is None) == (url is None):
        raise UsageError(_("Нужно одно из двух: файл-доказательство или ссылка"))
    if url is not None:
        url = check_url(url)
    target = choose_for_done(session, today_for, sel, again=again)
    supersedes = target.last_id if target.done else None
    row_id = record_completion(
        session, target.id, by, at, note, url, evidence, action=DONE, supersedes_id=supersedes
    )
    return Recorded(row_id, DONE, target, at, by, note, url, evidence, supersedes)


def reopen(
    session: Session, today_for: TodayFor, sel: Selector, *, by: str, at: datetime, reason: str
) -> Recorded:
    """Undo the current ``done`` of an occurrence: append a ``reopen`` row that
    supersedes it (:class:`NotDoneError` when it is not done). With several
    done windows, ``sel.due`` picks one."""
    if not reason.strip():
        raise UsageError(_("Укажите причину (--reason)"))
    found = _one_unit(_targets(session, sel))
    if sel.due is not None or sel.occurrence is not None:
        target = _with_due(found, sel.due) if sel.due is not None else found[0]
        if not target.done:
            raise NotDoneError(_("{what}: не отмечено выполненным").format(what=target.describe()))
    else:
        done = [t for t in found if t.done]
        if not done:
            raise NotDoneError(
                _("Задача {task} ({unit}): нет сроков, отмеченных выполненными").format(
                    task=found[0].number or found[0].task, unit=found[0].unit
                )
            )
        if len(done) > 1:
            raise AmbiguousOccurrenceError(
                _("Выполнено несколько сроков задачи {task} ({unit}); выберите один: {dues}").format(
                    task=done[0].number or done[0].task, unit=done[0].unit, dues=_dues_hint(done)
                )
            )
        target = done[0]
    row_id = record_completion(
        session, target.id, by, at, reason, action=REOPEN, supersedes_id=target.last_id
    )
    return Recorded(row_id, REOPEN, target, at, by, reason, None, None, target.last_id)


# ---------------------------------------------------------------- history


def _local(at: datetime, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class HistoryEntry:
    """One row of the append-only completion log."""

    id: int
    at: datetime  # aware, UTC
    timezone: str  # the plan's
    by: str
    action: str
    plan: str
    task: str
    number: str | None
    party: str
    org: str | None
    start: date | None
    due: date | None
    note: str | None
    url: str | None
    evidence: Evidence | None
    supersedes_id: int | None
    carried_from_id: int | None = None  # carried over by a load from this completion
    occurrence_id: int = 0

    @property
    def local_at(self) -> datetime:
        return self.at.astimezone(ZoneInfo(self.timezone))

    def as_json(self) -> dict[str, Any]:
        ev = self.evidence
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "local_at": self.local_at.isoformat(),
            "timezone": self.timezone,
            "by": self.by,
            "action": self.action,
            "plan": self.plan,
            "task": self.task,
            "number": self.number,
            "party": self.party,
            "org": self.org,
            "start": self.start.isoformat() if self.start else None,
            "due": self.due.isoformat() if self.due else None,
            "note": self.note,
            "url": self.url,
            "evidence": {
                "sha256": ev.sha256, "name": ev.name, "size": ev.size, "media_type": ev.media_type
            }
            if ev
            else None,
            "supersedes": self.supersedes_id,
            "carried_from": self.carried_from_id,
        }


def _history_query() -> Select[*tuple[Any, ...]]:
    return (
        select(
            CompletionRow,
            PlanRow.code,
            PlanRow.timezone,
            TaskRow.code,
            TaskRow.number,
            PartyRow.code,
            OrganisationRow.code,
            OccurrenceRow.start,
            OccurrenceRow.due,
        )
        .join(OccurrenceRow, OccurrenceRow.id == CompletionRow.occurrence_id)
        .join(PlanRow, PlanRow.id == OccurrenceRow.plan_id)
        .join(TaskRow, TaskRow.id == OccurrenceRow.task_id)
        .join(PartyRow, PartyRow.id == OccurrenceRow.party_id)
        .outerjoin(OrganisationRow, OrganisationRow.id == OccurrenceRow.organisation_id)
        .order_by(CompletionRow.id)
    )


def _history_entries(session: Session, query: Select[*tuple[Any, ...]]) -> list[HistoryEntry]:
    entries = []
    for (row, plan, zone, task_code, number, party_code, org_code, start,
         due) in session.execute(query):
        evidence = (
            Evidence(
                row.evidence_sha256,
                row.evidence_name or "",
                row.evidence_size or 0,
                row.evidence_media_type,
            )
            if row.evidence_sha256
            else None
        )
        entries.append(
            HistoryEntry(
                row.id, row.at, zone, row.by, row.action, plan, task_code,
                number, party_code, org_code, start, due, row.note, row.url, evidence,
                row.supersedes_id, row.carried_from_id, row.occurrence_id,
            )
        )
    return entries


def history(
    session: Session,
    plan: str,
    task: str | None = None,
    *,
    org: str | None = None,
    party: str | None = None,
    current: bool = False,
) -> list[HistoryEntry]:
    """Every completion and reopen of a plan (a task, an organisation),
    oldest first — superseded rows and withdrawn occurrences included.

    ``current``: only the «done» that makes each occurrence done now (who,
    when, with what), for the active occurrences that are done — what a
    report lists."""
    found_plan = plan_row(session, plan)
    flt = check_filter(session, StatusFilter(plan=plan, org=org, party=party))
    org, party = flt.org, flt.party
    query = _history_query().where(OccurrenceRow.plan_id == found_plan.id)
    if task is not None:
        # A withdrawn task keeps its history.
        query = query.where(TaskRow.id == _task_row(session, found_plan, task, withdrawn=True).id)
    if org is not None:
        query = query.where(OrganisationRow.code == org)
    if party is not None:
        query = query.where(PartyRow.code == party)
    if current:
        latest = latest_completion()
        query = query.join(latest, latest.c.completion_id == CompletionRow.id).where(
            CompletionRow.action == DONE,
            OccurrenceRow.done_at.is_not(None),
            OccurrenceRow.withdrawn_at.is_(None),
        )
    return _history_entries(session, query)


def occurrence_history(session: Session, ids: Iterable[int]) -> dict[int, list[HistoryEntry]]:
    """The completion log of each of these occurrences, oldest first (the
    web pages show it beside every item)."""
    wanted = sorted(set(ids))
    found: dict[int, list[HistoryEntry]] = {i: [] for i in wanted}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        query = _history_query().where(CompletionRow.occurrence_id.in_(chunk))
        for entry in _history_entries(session, query):
            found[entry.occurrence_id].append(entry)
    return found


def completion_evidence(session: Session, completion_id: int) -> Evidence | None:
    """The evidence file a completion row names (None: no row, or a URL)."""
    row = session.get(CompletionRow, completion_id)
    if row is None or not row.evidence_sha256:
        return None
    return Evidence(
        row.evidence_sha256, row.evidence_name or "", row.evidence_size or 0,
        row.evidence_media_type,
    )


# ---------------------------------------------------------------- evidence


def expected_evidence(session: Session) -> list[tuple[str, int]]:
    """Every (sha256, size) the completions name, each once: what the
    evidence store must hold."""
    rows = session.execute(
        select(CompletionRow.evidence_sha256, CompletionRow.evidence_size)
        .where(CompletionRow.evidence_sha256.is_not(None))
        .distinct()
        .order_by(CompletionRow.evidence_sha256)
    )
    return [(sha, size or 0) for sha, size in rows if sha]


def unhashed_evidence(session: Session) -> list[tuple[int, str]]:
    """(completion id, file name) of every completion that names an
    evidence file but has no hash for it: the append-only guard was
    bypassed and the row edited. ``evidence verify`` reports them."""
    rows = session.execute(
        select(CompletionRow.id, CompletionRow.evidence_name)
        .where(CompletionRow.evidence_sha256.is_(None))
        .where(CompletionRow.evidence_name.is_not(None) | CompletionRow.evidence_size.is_not(None))
        .order_by(CompletionRow.id)
    )
    return [(row_id, name or "") for row_id, name in rows]


@contextmanager
def stored_evidence(
    store: EvidenceStore, sessions: sessionmaker[Session], file: Path | None,
    name: str | None = None,
) -> Iterator[Evidence | None]:
    """``file`` put in ``store`` for the completion recorded in the block
    (None when there is no file), under ``name`` when given (a web upload's
    original name). If the block fails — a ``done`` race
    lost, a refusal — the copy it made is taken back unless a completion
    names that content by then: no stray file is left behind.

    Example::

        with stored_evidence(store, app.sessions, path) as evidence:
            with write_session(app.sessions) as session:
                mark_done(session, today_for, sel, by=by, at=now, evidence=evidence)
    """
    evidence = store.put(file, name) if file is not None else None
    try:
        yield evidence
    except BaseException:
        if evidence is not None:
            store.discard(evidence, referenced=lambda sha256: _named(sessions, sha256))
        raise


def _named(sessions: sessionmaker[Session], sha256: str) -> bool:
    with sessions() as session:
        found = session.execute(
            select(CompletionRow.id).where(CompletionRow.evidence_sha256 == sha256).limit(1)
        ).first()
    return found is not None


_HEX = frozenset("0123456789abcdef")


def find_evidence(session: Session, ref: str) -> Evidence:
    """The evidence file a completion names: ``ref`` is the completion's
    number (as ``history`` shows it) or the file's SHA-256 (or its first 8+
    hex digits). :class:`NotFoundError` when nothing matches,
    :class:`UsageError` for a prefix that several files share."""
    ref = ref.strip().lower()
    query = select(
        CompletionRow.evidence_sha256, CompletionRow.evidence_name,
        CompletionRow.evidence_size, CompletionRow.evidence_media_type,
    ).where(CompletionRow.evidence_sha256.is_not(None))
    if ref.isdigit():
        row = session.execute(query.where(CompletionRow.id == int(ref))).first()
        if row is None:
            exists = session.get(CompletionRow, int(ref)) is not None
            raise NotFoundError(
                _("У отметки № {id} нет файла-доказательства (только ссылка)").format(id=ref)
                if exists
                else _("Нет отметки № {id} (номера — в roadmap history)").format(id=ref)
            )
        rows = [row]
    elif len(ref) >= 8 and set(ref) <= _HEX:
        rows = list(session.execute(
            query.where(CompletionRow.evidence_sha256.startswith(ref))
            .order_by(CompletionRow.id.desc())
        ))
        if len({r[0] for r in rows}) > 1:
            raise UsageError(
                _("Начало «{ref}» у нескольких файлов: {shas}; укажите больше цифр").format(
                    ref=ref, shas=", ".join(sorted({str(r[0])[:16] for r in rows}))
                )
            )
        if not rows:
            raise NotFoundError(_("Нет файла-доказательства с SHA-256 «{ref}»").format(ref=ref))
    else:
        raise UsageError(
            _("«{ref}»: ожидается номер отметки (roadmap history) или SHA-256 файла").format(
                ref=ref
            )
        )
    sha, name, size, media = rows[0]
    return Evidence(str(sha), name or str(sha), size or 0, media)
