"""The outbox: digests are stored first and sent later, each exactly once
— with one unavoidable exception, documented below.

How a day's mail flows::

    status rows ──build_digests──▶ outbox rows (pending) ──deliver_pending──▶ relay
                                   unique key: kind/date/zone/recipient

1. :func:`build_outbox` renders today's digests (plan-local «today») and
   inserts them with ``INSERT … ON CONFLICT (key) DO NOTHING`` (SQLite and
   PostgreSQL dialects) in one unit of work, *before* anything is sent. A
   second run the same day — the daemon's catch-up after a restart, a manual
   ``roadmap remind``, two hosts — adds nothing.
2. :func:`deliver_pending` claims due rows in small batches (one short
   ``BEGIN IMMEDIATE`` transaction: ``pending`` → ``sending``, ``attempts``
   + 1, ``claimed_by`` = this process, ``next_attempt_at`` = end of a lease),
   sends them over one reused SMTP connection per worker, and right after
   the relay's answer records the outcome of *that* message in its own small
   unit of work: ``sent``; ``pending`` again with exponential back-off (4xx,
   dropped connection, time-out); ``failed`` with the relay's reply (5xx, or
   the retry limit reached).
3. A sender that dies (SIGKILL, power loss) leaves its claimed rows in
   ``sending``. They are taken over by the next sender at once when the
   owner was a process on this host that no longer exists, otherwise when
   the lease runs out. Unsent rows of a stopped sender (SIGTERM) are given
   back to ``pending`` straight away.

The unavoidable window: between the relay's «250 OK» for a message and the
commit that marks the row ``sent`` (a few milliseconds), a crash loses the
knowledge that the message went out. The row is then sent again by the next
run: that one message may arrive twice. No protocol between an SMTP client
and a relay closes this gap (SMTP has no two-phase commit); we keep it to
one message per crash by committing after every message, and the copy
carries the same bytes and ``Message-ID``, so mail clients that de-duplicate
show it once. The other way round never happens: a row is marked ``sent``
only after the relay accepted it, so no digest is lost.

Example::

    report = build_outbox(app, zone="Asia/Irkutsk")
    sent = asyncio.run(deliver_pending(app))
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Table, and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from notifications.digest import (
    Contact,
    DigestOptions,
    Directory,
    Envelope,
    InvalidAddress,
    OutgoingMessage,
    PartyContacts,
    PlanContacts,
    Skipped,
    is_due_soon,
    parse_sender,
    render_envelope,
)
from notifications.mailer import (
    ConnectionFailed,
    Delivery,
    Outcome,
    SmtpConfig,
    SmtpTransport,
    Transport,
    eml_name,
    write_eml,
)
from notifications.recipients import plan_mail
from roadmap.app import App
from roadmap.errors import ConfigError, NotFoundError, UsageError
from roadmap.i18n import _
from roadmap.indicators import missing_by_occurrence
from roadmap.status import Status
from roadmap.storage.db import write_session
from roadmap.storage.tables import (
    OUTBOX_DROPPED,
    OUTBOX_FAILED,
    OUTBOX_PENDING,
    OUTBOX_SENDING,
    OUTBOX_SENT,
    OUTBOX_STATUSES,
    Base,
    DailyRunRow,
    OrganisationRow,
    OutboxRow,
    PartyRow,
    PlanRow,
    RegisterRow,
)
from roadmap.sweep import route_items
from roadmap.tracking import StatusRow

T = TypeVar("T")
STATUSES = OUTBOX_STATUSES
# Statuses a digest can show (the rest — done, withdrawn, undated — never).
MAILED = frozenset({Status.OVERDUE, Status.DUE_SOON, Status.UPCOMING, Status.ON_DEMAND})


@dataclass(frozen=True)
class RetryPolicy:
    """Back-off ``base × factor^(attempts−1)``, at most ``cap``; after
    ``max_attempts`` tries a row is ``failed``. ``batch`` rows are claimed at
    a time by each of ``concurrency`` workers (one connection each)."""

    base: timedelta = timedelta(minutes=1)
    factor: float = 2.0
    cap: timedelta = timedelta(hours=2)
    max_attempts: int = 12
    batch: int = 20
    concurrency: int = 1

    def delay(self, attempts: int) -> timedelta:
        seconds = self.base.total_seconds() * self.factor ** max(attempts - 1, 0)
        return timedelta(seconds=min(seconds, self.cap.total_seconds()))


DEFAULT_POLICY = RetryPolicy()


# ---------------------------------------------------------------- building


def load_directory(session: Session, plan_codes: Iterable[str] | None = None) -> Directory:
    """Contacts of the loaded plans (all, or those named) and curators."""
    query = select(PlanRow)
    if plan_codes is not None:
        query = query.where(PlanRow.code.in_(list(plan_codes)))
    plans = {p.id: p for p in session.scalars(query)}
    parties: dict[int, dict[str, PartyContacts]] = {pid: {} for pid in plans}
    if plans:
        for party in session.scalars(
            select(PartyRow).where(PartyRow.plan_id.in_(list(plans)), PartyRow.withdrawn_at.is_(None))
        ):
            contacts = tuple(
                c for c in (Contact.from_json(x) for x in party.contacts or []) if c is not None
            )
            parties[party.plan_id][party.code] = PartyContacts(
                party.name, contacts, Contact.from_json(party.escalation), party.register
            )
    curators: dict[tuple[str, str], Contact] = {}
    curator_query = (
        select(RegisterRow.code, OrganisationRow.code, OrganisationRow.curator_name,
               OrganisationRow.curator_email)
        .join(RegisterRow, RegisterRow.id == OrganisationRow.register_id)
        .where(OrganisationRow.withdrawn_at.is_(None))
    )
    if plan_codes is not None:  # only the registers these plans' parties stand for
        registers = {p.register for ps in parties.values() for p in ps.values() if p.register}
        curator_query = curator_query.where(RegisterRow.code.in_(sorted(registers)))
    for reg_code, org_code, name, email in session.execute(curator_query):
        if name or email:
            curators[(reg_code, org_code)] = Contact(name, email)
    return Directory(
        plans={
            p.code: PlanContacts(p.code, p.title, p.timezone, Contact.from_json(p.escalation),
                                 parties[pid])
            for pid, p in plans.items()
        },
        curators=curators,
    )


def plan_zones(session: Session) -> list[str]:
    """The distinct time zones of the loaded plans (one daily job each)."""
    return sorted(set(session.scalars(select(PlanRow.timezone).distinct())))


def digest_options(app: App) -> DigestOptions:
    s = app.settings
    try:
        sender = parse_sender(str(s["smtp.from"]), _("Дорожная карта"))
        reply_to = parse_sender(str(s["smtp.reply_to"]), "") if s["smtp.reply_to"] else None
    except InvalidAddress as err:
        raise ConfigError(_("smtp.from / smtp.reply_to: {err}").format(err=err)) from err
    return DigestOptions(
        sender=sender,
        reply_to=reply_to,
        lookahead_days=int(s["lookahead_days"]),
        escalate_after_days=int(s["escalate_after_days"]),
        base_url=None if s.is_default("feed_base_url") else str(s["feed_base_url"]),
    )


def _insert(session: Session, table: type[Base] | Table = OutboxRow) -> Any:
    """An INSERT into ``table`` that can be told ``on_conflict_do_nothing``."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"outbox: no idempotent insert for {dialect}")


def _recipe(envelope: Envelope) -> dict[str, Any]:
    routes = sorted(envelope.routes, key=lambda r: (r[0], -1 if r[1] is None else r[1]))
    return {"name": envelope.name, "routes": [list(r) for r in routes]}


def envelope_of(row: OutboxRow) -> Envelope:
    """The envelope an outbox row with a recipe was made from."""
    recipe = row.recipe or {}
    return Envelope(
        row.kind, row.local_date, row.zone, row.recipient, name=recipe.get("name"), counts=True,
        routes={(int(p), None if o is None else int(o)) for p, o in recipe.get("routes", [])},
    )


def enqueue(
    session: Session, envelopes: Sequence[Envelope], skipped: Sequence[Skipped], now: datetime
) -> tuple[list[Envelope], list[Skipped]]:
    """Store today's messages as ``pending`` rows with their recipe (rendered
    when first claimed) and invalid recipients as ``failed`` rows (with the
    reason) — each key at most once. Returns what was new; rows whose key
    exists are left exactly as they are.

    Writers are serialised (:func:`~roadmap.storage.db.write_session`), so the
    keys read here cannot appear before the insert commits; ``ON CONFLICT DO
    NOTHING`` stays as the guard of the unique key."""
    days = sorted({e.local_date for e in envelopes} | {s.local_date for s in skipped})
    existing: set[str] = set()
    if days:
        # Read from the index (local_date, key) alone: the cost follows the
        # day's rows, not the history (migration 0011).
        existing = set(session.scalars(select(OutboxRow.key).where(OutboxRow.local_date.in_(days))))
    added = [e for e in envelopes if e.key not in existing]
    recorded = [s for s in skipped if s.address is not None and s.key not in existing]
    rows = [
        dict(key=e.key, recipient=e.address, kind=e.kind, local_date=e.local_date, zone=e.zone,
             subject="", message=b"", status=OUTBOX_PENDING, attempts=0, next_attempt_at=now,
             created_at=now, last_error=None, recipe=_recipe(e))
        for e in added
    ] + [
        # Nobody to write to (no address at all) is reported, not stored.
        dict(key=s.key, recipient=(s.address or "").encode("unicode_escape").decode("ascii"),
             kind=s.kind, local_date=s.local_date, zone=s.zone,
             subject=_("не отправлено: {who}").format(who=s.who), message=b"",
             status=OUTBOX_FAILED, attempts=0, next_attempt_at=now, created_at=now,
             last_error=s.reason, recipe=None)
        for s in recorded
    ]
    # A Core insert into the table (not the ORM entity): the ORM's bulk
    # parameter processing cost more than the database's work.
    for i in range(0, len(rows), 1000):
        session.execute(
            _insert(session, OutboxRow.metadata.tables[OutboxRow.__tablename__]).on_conflict_do_nothing(index_elements=["key"]),
            rows[i:i + 1000],
        )
    return added, recorded


@dataclass
class BuildReport:
    added: list[Envelope] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # all, this run
    recorded: list[Skipped] = field(default_factory=list)  # newly stored as failed


def plan_today(
    session: Session, app: App, *, zone: str | None = None, plan: str | None = None,
    today: date | None = None,
) -> tuple[list[Envelope], list[Skipped]]:
    """Who gets mail today (plan-local, or ``today``) for the plans of
    ``zone`` / the plan ``plan`` / every plan (see
    :mod:`notifications.recipients`). Reads only."""
    if plan is not None and session.scalar(select(PlanRow.id).where(PlanRow.code == plan)) is None:
        raise NotFoundError(_("План «{plan}» не загружен").format(plan=plan))
    today_for = (lambda _zone: today) if today is not None else app.clock.today
    return plan_mail(session, digest_options(app), today_for, zone=zone, plan=plan)


def build_outbox(
    app: App, *, zone: str | None = None, plan: str | None = None, today: date | None = None
) -> BuildReport:
    """Decide today's messages, then store the new ones in one unit of work.

    Nothing is rendered here (see :func:`render_claimed`): deciding is a few
    set-based queries, so the write transaction is short."""
    with app.sessions() as session:
        envelopes, skipped = plan_today(session, app, zone=zone, plan=plan, today=today)
        # A build for whole zones is their daily run (one plan's is not).
        zones = [] if plan is not None else [zone] if zone is not None else plan_zones(session)
    now = app.clock.now()
    with write_session(app.sessions) as session:
        added, recorded = enqueue(session, envelopes, skipped, now)
        mark_daily_runs(session, {z: today or app.clock.today(z) for z in zones}, now)
    return BuildReport(added, skipped, recorded)


def mark_daily_runs(session: Session, days: dict[str, date], now: datetime) -> None:
    """Record that the daily build of each zone of ``days`` stored its
    messages for that zone's date (in the build's own transaction)."""
    if days:
        session.execute(
            _insert(session, DailyRunRow).on_conflict_do_nothing(),
            [dict(zone=z, local_date=d, finished_at=now) for z, d in sorted(days.items())],
        )


def missed_daily_runs(app: App, zones: Sequence[str] | None = None) -> list[str]:
    """The zones (of the loaded plans, or of ``zones``) whose daily run was
    due today (plan-local date, at the ``reminder_time``) and has not stored
    its messages: the daemon was down past the misfire grace, or the
    process running it died mid-build while the scheduler had already moved
    on. Reads only."""
    at: time = app.settings["reminder_time"]
    now = app.clock.now()
    with app.sessions() as session:
        if zones is None:
            zones = plan_zones(session)
        days = {z: app.clock.today(z) for z in zones}
        done = {(z, d) for z, d in session.execute(
            select(DailyRunRow.zone, DailyRunRow.local_date)
            .where(DailyRunRow.local_date.in_(set(days.values())))
        )}
    return [
        z for z, day in days.items()
        if (z, day) not in done and now >= datetime.combine(day, at, tzinfo=ZoneInfo(z))
    ]


# ---------------------------------------------------------------- rendering


def render_for(
    session: Session, envelope: Envelope, options: DigestOptions, now: datetime,
    directories: dict[frozenset[str], Directory] | None = None,
) -> OutgoingMessage | None:
    """The message of ``envelope``, made of its routes' open items on its day
    as they are now; None when nothing is left to report. ``directories``
    keeps the contacts read for each set of plans, for the other messages
    of the same batch (one session: the same snapshot)."""
    rows: list[StatusRow] = []
    sequences: dict[int, int] = {}
    for row, sequence in route_items(
        session, envelope.routes, envelope.local_date, lookahead_days=options.lookahead_days
    ):
        rows.append(row)
        sequences[row.occurrence_id] = sequence
    if not rows:
        return None
    directory = directory_for(session, rows, sequences, options, directories)
    return render_envelope(envelope, rows, directory, options, now)


def directory_for(
    session: Session, rows: Sequence[StatusRow], sequences: dict[int, int],
    options: DigestOptions, cache: dict[frozenset[str], Directory] | None = None,
) -> Directory:
    """The directory a message of ``rows`` is rendered with: contacts (read
    once per set of plans when ``cache`` is given), the calendar sequences,
    and the indicator values the monitoring tasks among the rows that count
    still wait for."""
    plans = frozenset(r.plan for r in rows)
    cache = {} if cache is None else cache
    if plans not in cache:
        cache[plans] = load_directory(session, plans)
    counted = [r for r in rows
               if r.status is Status.OVERDUE or is_due_soon(r, options.lookahead_days)]
    return replace(cache[plans], sequences=sequences,
                   missing=missing_by_occurrence(session, counted))


@dataclass(frozen=True)
class Rendered:
    id: int
    message: OutgoingMessage | None  # None: nothing left to report


def render_claimed(app: App, claimed: Sequence[Claimed]) -> list[Rendered]:
    """Render the claimed rows that have a recipe and no message yet (reads only)."""
    todo = [c for c in claimed if c.envelope is not None and not c.message]
    if not todo:
        return []
    options = digest_options(app)
    directories: dict[frozenset[str], Directory] = {}
    with app.sessions() as session:
        return [
            Rendered(c.id, render_for(session, c.envelope, options, app.clock.now(), directories))
            for c in todo
            if c.envelope is not None
        ]


def store_rendered(
    session: Session, owner: str, rendered: Sequence[Rendered], now: datetime
) -> dict[int, bytes]:
    """Keep the rendered bytes of rows this sender holds (so a retry sends
    the same message); rows with nothing left become ``dropped``. Returns
    the messages stored, by row id."""
    stored: dict[int, bytes] = {}
    for item in rendered:
        row = session.get(OutboxRow, item.id)
        if row is None or row.status != OUTBOX_SENDING or row.claimed_by != owner:
            continue
        if item.message is None:
            row.status, row.claimed_by = OUTBOX_DROPPED, None
            row.last_error = _("нечего сообщать: всё выполнено до отправки")
            continue
        row.subject, row.message = item.message.subject, item.message.message
        stored[row.id] = row.message
    return stored


# ---------------------------------------------------------------- claiming


@dataclass(frozen=True)
class Claimed:
    id: int
    recipient: str
    message: bytes  # empty until rendered, for a row with a recipe
    attempts: int
    envelope: Envelope | None = None  # for a row with a recipe


_ACTIVE_OWNERS: set[str] = set()
_HOST = socket.gethostname()


def new_owner() -> str:
    """``host:pid:token`` — who holds a row in ``sending``."""
    return f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _orphaned(owner: str) -> bool:
    """True when ``owner`` certainly no longer runs: a process of this host
    that is gone, or this very process with a sender that has finished."""
    host, _sep, rest = owner.partition(":")
    pid_text, _sep, _token = rest.partition(":")
    if host != _HOST or not pid_text.isdigit():
        return False  # another host: wait for the lease
    pid = int(pid_text)
    if pid == os.getpid():
        return owner not in _ACTIVE_OWNERS
    return not _pid_alive(pid)


def claim(
    session: Session, owner: str, now: datetime, limit: int, lease: timedelta
) -> list[Claimed]:
    """Take up to ``limit`` rows that are due: ``pending`` ones whose next
    attempt has come, and ``sending`` ones whose sender is gone or whose
    lease ran out. Counts the attempt now, so a crash still counts."""
    holders = session.scalars(
        select(OutboxRow.claimed_by).where(OutboxRow.status == OUTBOX_SENDING).distinct()
    ).all()
    orphans = [h for h in holders if h and _orphaned(h)]
    query = (
        select(OutboxRow)
        .where(
            or_(
                and_(OutboxRow.status == OUTBOX_PENDING, OutboxRow.next_attempt_at <= now),
                and_(
                    OutboxRow.status == OUTBOX_SENDING,
                    or_(OutboxRow.next_attempt_at <= now, OutboxRow.claimed_by.in_(orphans)),
                ),
            )
        )
        .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = []
    for row in session.scalars(query):
        row.status = OUTBOX_SENDING
        row.claimed_by = owner
        row.attempts += 1
        row.next_attempt_at = now + lease
        envelope = envelope_of(row) if row.recipe is not None else None
        claimed.append(Claimed(row.id, row.recipient, row.message, row.attempts, envelope))
    return claimed


def record(
    session: Session,
    row_id: int,
    owner: str,
    delivery: Delivery,
    now: datetime,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> str:
    """Write the outcome of one send; returns the row's new status."""
    row = session.get(OutboxRow, row_id)
    if row is None:
        return OUTBOX_FAILED
    if row.status == OUTBOX_SENT:
        return OUTBOX_SENT
    if delivery.outcome is Outcome.SENT:
        row.status, row.sent_at = OUTBOX_SENT, now
        row.last_error = delivery.reply if "; " in delivery.reply else None
    elif delivery.outcome is Outcome.FAILED:
        row.status, row.last_error = OUTBOX_FAILED, delivery.reply
    else:
        _defer(row, delivery.reply, now, policy)
    row.claimed_by = None
    return row.status


def _defer(row: OutboxRow, error: str, now: datetime, policy: RetryPolicy) -> None:
    if row.attempts >= policy.max_attempts:
        row.status = OUTBOX_FAILED
        row.last_error = _("отказ после {n} попыток: {err}").format(n=row.attempts, err=error)
    else:
        row.status = OUTBOX_PENDING
        row.last_error = error
        row.next_attempt_at = now + policy.delay(row.attempts)
    row.claimed_by = None


def defer_all(
    session: Session,
    owner: str,
    claimed_ids: Sequence[int],
    error: str,
    now: datetime,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> int:
    """The relay cannot be reached: every row this sender holds, and every
    other due ``pending`` row, gets an attempt recorded and its back-off."""
    rows = session.scalars(
        select(OutboxRow).where(
            or_(
                and_(OutboxRow.id.in_(list(claimed_ids)), OutboxRow.claimed_by == owner,
                     OutboxRow.status == OUTBOX_SENDING),
                and_(OutboxRow.status == OUTBOX_PENDING, OutboxRow.next_attempt_at <= now),
            )
        )
    ).all()
    for row in rows:
        if row.status == OUTBOX_PENDING:
            row.attempts += 1
        _defer(row, error, now, policy)
    return len(rows)


def release(session: Session, owner: str, ids: Sequence[int], now: datetime) -> None:
    """Give back rows claimed but not sent (the sender is stopping)."""
    for row in session.scalars(
        select(OutboxRow).where(OutboxRow.id.in_(list(ids)), OutboxRow.claimed_by == owner,
                                OutboxRow.status == OUTBOX_SENDING)
    ):
        row.status, row.claimed_by = OUTBOX_PENDING, None
        row.attempts = max(row.attempts - 1, 0)
        row.next_attempt_at = now


# ---------------------------------------------------------------- sending


@dataclass
class SendReport:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    deferred: int = 0  # rows deferred because the relay could not be reached
    dropped: int = 0  # rendered with nothing left to report (all done since)
    connection_error: str | None = None
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row id, reply)


def _unit(factory: sessionmaker[Session], fn: Callable[..., T], *args: Any) -> T:
    with write_session(factory) as session:
        return fn(session, *args)


async def _db(app: App, fn: Callable[..., T], *args: Any) -> T:
    # Short synchronous transactions, off the event loop (the daemon also
    # serves calendar feeds on it).
    return await asyncio.to_thread(_unit, app.sessions, fn, *args)


async def deliver_pending(
    app: App,
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    transport_factory: Callable[[], Transport] | None = None,
    stop: asyncio.Event | None = None,
) -> SendReport:
    """Send every due row; see the module doc. Never raises for a relay
    problem: the outcome of each row is in the database and the report."""
    settings = app.settings
    envelope_from = digest_options(app).sender.addr_spec
    config = SmtpConfig.from_settings(settings)
    factory = transport_factory or (lambda: SmtpTransport(config))
    lease = timedelta(seconds=config.timeout * (policy.batch + 1) + 60)
    owner = new_owner()
    report = SendReport()
    _ACTIVE_OWNERS.add(owner)

    async def _render(batch: list[Claimed]) -> list[Claimed]:
        # Rows with a recipe are rendered now, outside any write transaction,
        # and their bytes stored before the first attempt to send them.
        rendered = await asyncio.to_thread(render_claimed, app, batch)
        stored = await _db(app, store_rendered, owner, rendered, app.clock.now()) if rendered else {}
        report.dropped += sum(1 for r in rendered if r.message is None)
        ready = []
        for item in batch:
            if item.message:
                ready.append(item)
            elif item.id in stored:
                ready.append(replace(item, message=stored[item.id]))
        return ready

    def stopping() -> bool:
        return (stop is not None and stop.is_set()) or report.connection_error is not None

    async def worker() -> None:
        transport = factory()
        try:
            while not stopping():
                batch = await _db(app, claim, owner, app.clock.now(), policy.batch, lease)
                if not batch:
                    return
                todo = await _render(batch)
                try:
                    while todo and not stopping():
                        item = todo[0]
                        try:
                            delivery = await transport.send(
                                envelope_from, [item.recipient], item.message
                            )
                        except ConnectionFailed as err:
                            report.connection_error = str(err)
                            report.deferred += await _db(
                                app, defer_all, owner, [c.id for c in todo], str(err),
                                app.clock.now(), policy,
                            )
                            todo = []
                            return
                        status = await _db(app, record, item.id, owner, delivery,
                                           app.clock.now(), policy)
                        todo.pop(0)
                        if status == OUTBOX_SENT:
                            report.sent += 1
                        elif status == OUTBOX_FAILED:
                            report.failed += 1
                            report.errors.append((item.id, delivery.reply))
                        else:
                            report.retry += 1
                            report.errors.append((item.id, delivery.reply))
                finally:
                    if todo:
                        await _db(app, release, owner, [c.id for c in todo], app.clock.now())
        finally:
            await transport.close()

    try:
        await asyncio.gather(*(worker() for _i in range(max(policy.concurrency, 1))))
    finally:
        _ACTIVE_OWNERS.discard(owner)
    return report


# ---------------------------------------------------------------- the daily run


@dataclass
class RemindReport:
    build: BuildReport
    send: SendReport | None = None
    written: list[Path] = field(default_factory=list)  # dry run


async def run_reminders(
    app: App,
    *,
    zone: str | None = None,
    plan: str | None = None,
    today: date | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
    stop: asyncio.Event | None = None,
) -> RemindReport:
    """The daily job: store today's digests, then send what is due.

    Idempotent: run it as often as you like; each digest goes out once."""
    build = await asyncio.to_thread(build_outbox, app, zone=zone, plan=plan, today=today)
    send = await deliver_pending(app, policy=policy, stop=stop)
    return RemindReport(build, send)


def dry_run(
    app: App,
    out_dir: Path,
    *,
    zone: str | None = None,
    plan: str | None = None,
    today: date | None = None,
) -> RemindReport:
    """What a run would send, as ``.eml`` files in ``out_dir``: today's new
    digests and the rows already pending (rendered as the sender would, now).
    Writes nothing to the database."""
    written: list[Path] = []
    options = digest_options(app)
    now = app.clock.now()
    with app.sessions() as session:
        envelopes, skipped = plan_today(session, app, zone=zone, plan=plan, today=today)
        existing = set(session.scalars(
            select(OutboxRow.key).where(OutboxRow.local_date.in_({e.local_date for e in envelopes}))
        )) if envelopes else set()
        pending = session.scalars(
            select(OutboxRow).where(OutboxRow.status == OUTBOX_PENDING).order_by(OutboxRow.id)
        ).all()
        for row in pending:
            message = row.message
            if not message and row.recipe is not None:
                made = render_for(session, envelope_of(row), options, now)
                message = made.message if made is not None else b""
            if message:
                name = eml_name(row.id, row.kind, row.local_date.isoformat(), row.recipient)
                written.append(write_eml(out_dir, name, message))
        new = [e for e in envelopes if e.key not in existing]
        for envelope in new:
            made = render_for(session, envelope, options, now)
            if made is not None:
                name = eml_name("new", made.kind, made.local_date.isoformat(), made.recipient)
                written.append(write_eml(out_dir, name, made.message))
    return RemindReport(BuildReport(new, skipped, []), None, written)


# ---------------------------------------------------------------- listing


@dataclass(frozen=True)
class OutboxView:
    id: int
    key: str
    recipient: str
    kind: str
    local_date: date
    zone: str
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    size: int

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "recipient": self.recipient,
            "kind": self.kind,
            "local_date": self.local_date.isoformat(),
            "zone": self.zone,
            "subject": self.subject,
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at.isoformat(),
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "size": self.size,
        }


def _view(row: OutboxRow) -> OutboxView:
    return OutboxView(
        row.id, row.key, row.recipient, row.kind, row.local_date, row.zone, row.subject,
        row.status, row.attempts, row.next_attempt_at, row.last_error, row.created_at,
        row.sent_at, len(row.message),
    )


def list_outbox(session: Session, status: str | None = None) -> list[OutboxView]:
    query = select(OutboxRow).order_by(OutboxRow.id)
    if status is not None:
        query = query.where(OutboxRow.status == status)
    return [_view(r) for r in session.scalars(query)]


def retry_row(session: Session, row_id: int, now: datetime) -> OutboxView:
    """A ``failed`` row back to ``pending`` (attempts start again); a
    ``pending`` one becomes due now."""
    row = session.get(OutboxRow, row_id)
    if row is None:
        raise NotFoundError(_("В очереди писем нет записи {id}").format(id=row_id))
    if row.status == OUTBOX_SENT:
        raise UsageError(_("Письмо {id} уже отправлено").format(id=row_id))
    if row.status == OUTBOX_SENDING:
        raise UsageError(_("Письмо {id} сейчас отправляется").format(id=row_id))
    if not row.message and row.recipe is None:
        raise UsageError(
            _("Письмо {id} не было составлено ({err}): исправьте адрес в плане или реестре, "
              "загрузите его заново и запустите roadmap remind").format(
                id=row_id, err=row.last_error or "—")
        )
    if row.status == OUTBOX_FAILED:
        row.attempts = 0
    row.status, row.next_attempt_at, row.claimed_by = OUTBOX_PENDING, now, None
    return _view(row)
