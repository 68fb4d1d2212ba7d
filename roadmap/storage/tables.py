"""The database schema as SQLAlchemy 2 typed ORM classes.

Conventions:

- every table has an integer surrogate key ``id`` (occurrences may reach
  millions of rows: integer foreign keys keep rows and indexes small); the
  id a plan file gives a plan, party, task or organisation is ``code``;
- rows that users' history points at (tasks, parties, organisations,
  occurrences) are never deleted: a vanished one gets ``withdrawn_at``;
- :class:`Completion` is append-only (a correction is a new row that
  ``supersedes`` the old one); the migration installs triggers that refuse
  UPDATE and DELETE;
- dates of the plan calendar are ``Date``; timestamps are
  :class:`~roadmap.storage.types.UtcDateTime` (aware, stored as UTC).

The schema itself is created and upgraded only by the Alembic migrations in
:mod:`roadmap.storage.migrations`; these classes must match them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from roadmap.storage.types import UtcDateTime

# Deterministic constraint names, so that migrations can refer to them.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Occurrence kinds.
DATED = "dated"
ON_DEMAND = "on_demand"
UNDATED = "undated"

# Completion actions.
DONE = "done"
REOPEN = "reopen"

# An occurrence nobody has to act on any more is done or withdrawn; the rest
# are open (the predicate of the partial index ix_occurrences_open_plan_id_due).
OPEN_OCCURRENCE = "done_at IS NULL AND withdrawn_at IS NULL"
#: The predicate of the partial index of outbox rows that still hold a
#: message body (migration 0011); queries spell it the same way.
OUTBOX_WITH_BODY = "length(message) > 0"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class PlanRow(Base):
    """A loaded road map (the plan-level fields of its YAML file)."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(Text)
    authority: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64))
    school_years: Mapped[bool] = mapped_column(Boolean)
    school_year_start: Mapped[str] = mapped_column(String(5))  # "09-01"
    school_year_end: Mapped[str] = mapped_column(String(5))  # "05-31"
    parent: Mapped[str | None] = mapped_column(String(100))  # code; the parent may not be loaded
    escalation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PartyRow(Base):
    """A responsible party of a plan; ``register`` makes it fan out."""

    __tablename__ = "parties"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(Text)
    aliases: Mapped[list[str]] = mapped_column(JSON)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    register: Mapped[str | None] = mapped_column(String(100))  # register code
    escalation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RegisterRow(Base):
    """A register of organisations (a municipality's schools)."""

    __tablename__ = "registers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(Text)
    example: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OrganisationRow(Base):
    """One organisation of a register."""

    __tablename__ = "organisations"
    __table_args__ = (UniqueConstraint("register_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("registers.id"))
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(Text)
    curator_name: Mapped[str | None] = mapped_column(Text)
    curator_email: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class TaskRow(Base):
    """A task (activity) of a plan, with its source texts verbatim."""

    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    code: Mapped[str] = mapped_column(String(100))
    number: Mapped[str | None] = mapped_column(String(50))
    section_code: Mapped[str] = mapped_column(String(100))
    section_number: Mapped[str | None] = mapped_column(String(50))
    section_title: Mapped[str] = mapped_column(Text)
    activity: Mapped[str] = mapped_column(Text)
    deadline: Mapped[str | None] = mapped_column(Text)
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result: Mapped[str | None] = mapped_column(Text)
    responsible: Mapped[str] = mapped_column(Text)
    co_responsible: Mapped[str | None] = mapped_column(Text)
    parties: Mapped[list[str]] = mapped_column(JSON)  # party codes, responsible first
    targets: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    target_unit: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    on_demand: Mapped[bool] = mapped_column(Boolean)
    undated: Mapped[bool] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer)  # order in the plan
    content_hash: Mapped[str] = mapped_column(String(64))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OccurrenceRow(Base):
    """One thing to do: a task's window for one party (and organisation).

    ``key`` is the natural key (see :mod:`roadmap.occurrences`): reloads match
    on it and calendars derive UIDs from it. ``sequence`` is bumped whenever
    what a calendar shows of it changes."""

    __tablename__ = "occurrences"
    __table_args__ = (
        Index("ix_occurrences_plan_id_due", "plan_id", "due"),
        Index("ix_occurrences_due", "due"),
        Index("ix_occurrences_task_id", "task_id"),
        # Open occurrences only (migration 0004): the daily sweep's index.
        Index(
            "ix_occurrences_open_plan_id_due",
            "plan_id",
            "due",
            sqlite_where=text(OPEN_OCCURRENCE),
            postgresql_where=text(OPEN_OCCURRENCE),
        ),
        # Open occurrences by route (migration 0005): who gets mail today,
        # and one recipient's items when a digest is rendered.
        Index(
            "ix_occurrences_open_route_due",
            "party_id",
            "organisation_id",
            "due",
            sqlite_where=text(OPEN_OCCURRENCE),
            postgresql_where=text(OPEN_OCCURRENCE),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(String(16))  # DATED | ON_DEMAND | UNDATED
    start: Mapped[date | None] = mapped_column(Date)
    due: Mapped[date | None] = mapped_column(Date)
    content_hash: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The current completion state (migration 0004), kept by
    # repository.record_completion in the same transaction as the completion
    # row: ``done_at`` is the time of the current «done», None when open.
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    done_by: Mapped[str | None] = mapped_column(Text)


class EvidenceColumns:
    """The evidence a record names: a stored file's SHA-256, original name,
    size and media type (:meth:`roadmap.evidence.Evidence.columns`)."""

    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence_name: Mapped[str | None] = mapped_column(Text)
    evidence_size: Mapped[int | None] = mapped_column(Integer)
    evidence_media_type: Mapped[str | None] = mapped_column(String(255))


class CompletionRow(EvidenceColumns, Base):
    """An append-only record that an occurrence was done (or reopened).

    Evidence is a stored file (``evidence_sha256``, name, size, media type)
    or a URL. A correction is a new row whose ``supersedes_id`` names the
    row it replaces; rows are never updated or deleted. A completion that
    ``roadmap load`` carried over to a corrected deadline names the one it
    copies in ``carried_from_id``."""

    __tablename__ = "completions"
    __table_args__ = (Index("ix_completions_occurrence_id", "occurrence_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id"))
    action: Mapped[str] = mapped_column(String(16))  # DONE | REOPEN
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    by: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("completions.id"))
    # A completion carried over by a load from a withdrawn occurrence to its
    # successor names the one it copies (migration 0009).
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("completions.id"))


class IndicatorRow(Base):
    """A plan's indicator (target figure), replaced wholesale on reload."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    # Migration 0010: how values are checked and rolled up, who reports them
    # (a party code or "organisations") and the task that collects them.
    kind: Mapped[str] = mapped_column(String(16), server_default="count")
    who_reports: Mapped[str] = mapped_column(String(100), server_default="organisations")
    activity: Mapped[str | None] = mapped_column(String(100))


class IndicatorTargetRow(Base):
    """One yearly target of an indicator; ``value`` is a number or text as printed."""

    __tablename__ = "indicator_targets"
    __table_args__ = (UniqueConstraint("indicator_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[Any] = mapped_column(JSON)


class IndicatorValueRow(EvidenceColumns, Base):
    """An append-only reported value of an indicator for one year and one
    reporting unit: an organisation, or a party of the plan.

    The indicator is named by plan and ``indicator`` code, not by the id of
    its row: indicators are replaced wholesale on reload, values are kept.
    ``value`` is the number (for a share the percent, numerator /
    denominator × 100), ``numerator``/``denominator`` are set for shares,
    ``respondents`` optionally for levels. A correction is a new row that
    ``supersedes`` the current one; the migration installs triggers that
    refuse UPDATE and DELETE. Created by migration 0010."""

    __tablename__ = "indicator_values"
    __table_args__ = (Index("ix_indicator_values_plan_id_indicator", "plan_id", "indicator"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    indicator: Mapped[str] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    value: Mapped[float] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    respondents: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    by: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("indicator_values.id"))


# Feed scopes (what a subscription or export covers).
SCOPE_PLAN = "plan"
SCOPE_PARTY = "party"
SCOPE_ORG = "org"


class FeedRow(Base):
    """A calendar subscription: a secret URL for one scope.

    The token itself is never stored, only its SHA-256 (``token_hash``): a
    leaked database does not leak working URLs. Revoking sets ``revoked_at``;
    rows are kept for the audit trail."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # SCOPE_PLAN | SCOPE_PARTY | SCOPE_ORG
    scope_code: Mapped[str] = mapped_column(String(100))  # plan, party or organisation code
    plan_code: Mapped[str | None] = mapped_column(String(100))  # narrows party/org scopes
    label: Mapped[str | None] = mapped_column(Text)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CalendarStateRow(Base):
    """The calendar revision of one event (by UID), across every calendar.

    ``fingerprint`` is the SHA-256 of what the event shows; when a render
    finds a different one, ``sequence`` grows and ``changed_at`` (the
    event's DTSTAMP) moves to the render time. Unchanged events keep both,
    so an unchanged calendar renders to identical bytes."""

    __tablename__ = "calendar_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(100), unique=True)
    occurrence_id: Mapped[int | None] = mapped_column(ForeignKey("occurrences.id"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StatusSnapshotRow(Base):
    """A plan's status counts on ``local_date`` with the look-ahead
    ``lookahead`` — ``{status: n}`` — as the last sweep left them
    (:func:`roadmap.sweep.sweep_counts`). Deleted by every writer that
    changes the plan's occurrences otherwise than the passing of days.
    Created by migration 0006."""

    __tablename__ = "status_snapshots"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    local_date: Mapped[date] = mapped_column(Date)
    lookahead: Mapped[int] = mapped_column(Integer)
    counts: Mapped[dict[str, int]] = mapped_column(JSON)


class DailyRunRow(Base):
    """A zone's daily digest run that got as far as storing its messages:
    written in the same transaction as the outbox rows of that build
    (:func:`notifications.outbox.build_outbox`), for the plan-local date
    ``local_date``. A zone whose reminder time has passed today without a
    row here lost its run (the daemon was down past the grace, or died
    mid-build after the scheduler had moved on), and the daemon's retry job
    runs it (:func:`notifications.outbox.missed_daily_runs`). Created by
    migration 0007."""

    __tablename__ = "daily_runs"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime)


# Outbox statuses and kinds (notifications.outbox).
OUTBOX_PENDING = "pending"
OUTBOX_SENDING = "sending"
OUTBOX_SENT = "sent"
OUTBOX_FAILED = "failed"
OUTBOX_DROPPED = "dropped"  # nothing left to report when it came to be rendered
OUTBOX_STATUSES = (OUTBOX_PENDING, OUTBOX_SENDING, OUTBOX_SENT, OUTBOX_FAILED, OUTBOX_DROPPED)
OUTBOX_DIGEST = "digest"
OUTBOX_ESCALATION = "escalation"


class OutboxRow(Base):
    """An e-mail (digest or escalation) and its delivery state.

    ``key`` — kind, plan-local date, zone and recipient — is unique: the same
    day's digest is stored once, however often the job runs. ``message`` is
    the complete RFC 5322 message, sent byte for byte. While a sender holds
    the row (``sending``), ``claimed_by`` names it and ``next_attempt_at`` is
    the end of its lease. Rows are created and upgraded by migration 0003.

    Retention (migration 0011, :func:`notifications.outbox.purge_outbox`):
    after ``outbox_retention_days`` a finished row's body (and recipe) is
    dropped, after ``outbox_row_retention_days`` the row itself."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        # The day's existing keys, read from the index alone (migration 0011);
        # also the range of rows old enough to delete.
        Index("ix_outbox_local_date_key", "local_date", "key"),
        # The rows that still hold a body, by day: the bodies to drop.
        Index(
            "ix_outbox_bodies_local_date",
            "local_date",
            sqlite_where=text(OUTBOX_WITH_BODY),
            postgresql_where=text(OUTBOX_WITH_BODY),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    recipient: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # OUTBOX_DIGEST | OUTBOX_ESCALATION
    local_date: Mapped[date] = mapped_column(Date)
    zone: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text)
    message: Mapped[bytes] = mapped_column()  # LargeBinary
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # What the message is made of (migration 0005): {"name": the recipient's
    # display name, "routes": [[party id, organisation id or null], ...]}. A
    # row with a recipe and an empty ``message`` is rendered by the sender
    # that first claims it; null for rows stored rendered (older rows,
    # recipients with an invalid address).
    recipe: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class LinkRow(Base):
    """A personal web link: a secret URL that opens the curator's page
    (scope ``org`` or ``party``) or the coordinator's dashboard (``plan``).

    Like feeds, only the SHA-256 of the token is stored. ``expires_at`` is
    optional; revoking sets ``revoked_at`` and the row is kept for the audit
    trail. Rows are created by migration 0008."""

    __tablename__ = "links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # SCOPE_PLAN | SCOPE_PARTY | SCOPE_ORG
    scope_code: Mapped[str] = mapped_column(String(100))
    plan_code: Mapped[str | None] = mapped_column(String(100))  # narrows party/org scopes
    label: Mapped[str | None] = mapped_column(Text)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebSessionRow(Base):
    """A browser session started by opening a link: the cookie holds a
    random token, the row only its SHA-256. ``by`` is the name the person
    gave when they first marked something done (asked once per session).
    A session lives no longer than its link (checked on every request)."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
