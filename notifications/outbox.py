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
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from notifications.digest import (
    Contact,
    DigestBatch,
    DigestOptions,
    Directory,
    InvalidAddress,
    OutgoingMessage,
    PartyContacts,
    PlanContacts,
    Skipped,
    build_digests,
    parse_sender,
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
from roadmap.app import App
from roadmap.errors import ConfigError, NotFoundError, UsageError
from roadmap.i18n import _
from roadmap.status import Status
from roadmap.storage.db import write_session
from roadmap.storage.tables import (
    OUTBOX_FAILED,
    OUTBOX_PENDING,
    OUTBOX_SENDING,
    OUTBOX_SENT,
    OrganisationRow,
    OutboxRow,
    PartyRow,
    PlanRow,
    RegisterRow,
)
from roadmap.sweep import open_items
from roadmap.tracking import StatusRow

T = TypeVar("T")
STATUSES = (OUTBOX_PENDING, OUTBOX_SENDING, OUTBOX_SENT, OUTBOX_FAILED)
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
    for reg_code, org_code, name, email in session.execute(
        select(RegisterRow.code, OrganisationRow.code, OrganisationRow.curator_name,
               OrganisationRow.curator_email)
        .join(RegisterRow, RegisterRow.id == OrganisationRow.register_id)
        .where(OrganisationRow.withdrawn_at.is_(None))
    ):
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
    )


def collect_digests(
    session: Session,
    app: App,
    *,
    zone: str | None = None,
    plan: str | None = None,
    today: date | None = None,
    skip_existing: bool = True,
) -> DigestBatch:
    """Render the digests of today (plan-local, or ``today``) for the plans
    of ``zone`` / the plan ``plan`` / every plan; keys already in the outbox
    are skipped unless ``skip_existing`` is false. Reads only."""
    directory = load_directory(session, [plan] if plan is not None else None)
    if plan is not None and plan not in directory.plans:
        raise NotFoundError(_("План «{plan}» не загружен").format(plan=plan))
    options = digest_options(app)
    today_for = (lambda _zone: today) if today is not None else app.clock.today
    # Only the open items a digest can show, streamed from the partial index
    # (roadmap.sweep): done and withdrawn history is never read.
    rows: list[StatusRow] = []
    sequences: dict[int, int] = {}
    for row, sequence in open_items(
        session, today_for, zone=zone, plan=plan, lookahead_days=options.lookahead_days
    ):
        rows.append(row)
        sequences[row.occurrence_id] = sequence
    directory = replace(directory, sequences=sequences)
    existing: set[str] = set()
    if skip_existing and rows:
        days = {r.today for r in rows}
        existing = set(session.scalars(select(OutboxRow.key).where(OutboxRow.local_date.in_(days))))
    return build_digests(rows, directory, options, app.clock.now(), skip_keys=existing)


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(OutboxRow)
    if dialect == "sqlite":
        return sqlite.insert(OutboxRow)
    raise NotImplementedError(f"outbox: no idempotent insert for {dialect}")


def enqueue(
    session: Session, batch: DigestBatch, now: datetime
) -> tuple[list[OutgoingMessage], list[Skipped]]:
    """Store rendered messages (``pending``) and invalid recipients
    (``failed``, with the reason) — each key at most once. Returns what was
    new; rows whose key exists are left exactly as they are."""
    added: list[OutgoingMessage] = []
    recorded: list[Skipped] = []
    insert = _insert(session)
    for m in batch.messages:
        result = session.execute(
            insert.values(
                key=m.key, recipient=m.recipient, kind=m.kind, local_date=m.local_date,
                zone=m.zone, subject=m.subject, message=m.message, status=OUTBOX_PENDING,
                attempts=0, next_attempt_at=now, created_at=now,
            ).on_conflict_do_nothing(index_elements=["key"])
        )
        if result.rowcount:  # type: ignore[attr-defined]
            added.append(m)
    for s in batch.skipped:
        if s.address is None:  # nobody to write to: reported, not stored
            continue
        result = session.execute(
            insert.values(
                key=s.key, recipient=s.address.encode("unicode_escape").decode("ascii"),
                kind=s.kind, local_date=s.local_date, zone=s.zone,
                subject=_("не отправлено: {who}").format(who=s.who), message=b"",
                status=OUTBOX_FAILED, attempts=0, next_attempt_at=now, created_at=now,
                last_error=s.reason,
            ).on_conflict_do_nothing(index_elements=["key"])
        )
        if result.rowcount:  # type: ignore[attr-defined]
            recorded.append(s)
    return added, recorded


@dataclass
class BuildReport:
    added: list[OutgoingMessage] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # all, this run
    recorded: list[Skipped] = field(default_factory=list)  # newly stored as failed


def build_outbox(
    app: App, *, zone: str | None = None, plan: str | None = None, today: date | None = None
) -> BuildReport:
    """Render today's digests, then store the new ones in one unit of work.

    Rendering (seconds for thousands of digests) happens outside the write
    transaction, so other writers are not kept waiting; a concurrent run
    that rendered the same digests simply inserts nothing."""
    with app.sessions() as session:
        batch = collect_digests(session, app, zone=zone, plan=plan, today=today)
    with write_session(app.sessions) as session:
        added, recorded = enqueue(session, batch, app.clock.now())
    return BuildReport(added, batch.skipped, recorded)


# ---------------------------------------------------------------- claiming


@dataclass(frozen=True)
class Claimed:
    id: int
    recipient: str
    message: bytes
    attempts: int


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
        claimed.append(Claimed(row.id, row.recipient, row.message, row.attempts))
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

    def stopping() -> bool:
        return (stop is not None and stop.is_set()) or report.connection_error is not None

    async def worker() -> None:
        transport = factory()
        try:
            while not stopping():
                batch = await _db(app, claim, owner, app.clock.now(), policy.batch, lease)
                if not batch:
                    return
                todo = list(batch)
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
    digests and the rows already pending. Writes nothing to the database."""
    written: list[Path] = []
    with app.sessions() as session:
        batch = collect_digests(session, app, zone=zone, plan=plan, today=today)
        pending = session.scalars(
            select(OutboxRow).where(OutboxRow.status == OUTBOX_PENDING).order_by(OutboxRow.id)
        ).all()
        for row in pending:
            name = eml_name(row.id, row.kind, row.local_date.isoformat(), row.recipient)
            written.append(write_eml(out_dir, name, row.message))
    for m in batch.messages:
        name = eml_name("new", m.kind, m.local_date.isoformat(), m.recipient)
        written.append(write_eml(out_dir, name, m.message))
    return RemindReport(BuildReport(list(batch.messages), batch.skipped, []), None, written)


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
    if not row.message:
        raise UsageError(
            _("Письмо {id} не было составлено ({err}): исправьте адрес в плане или реестре, "
              "загрузите его заново и запустите roadmap remind").format(
                id=row_id, err=row.last_error or "—")
        )
    if row.status == OUTBOX_FAILED:
        row.attempts = 0
    row.status, row.next_attempt_at, row.claimed_by = OUTBOX_PENDING, now, None
    return _view(row)
