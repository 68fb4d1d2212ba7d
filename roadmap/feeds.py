"""Calendar storage: subscription feeds and per-event calendar revisions.

The database side of :mod:`notifications.calendar` and
:mod:`notifications.feeds` (those build and serve the calendars):

- **feeds** — a secret URL per subscriber. The token is 256 random bits
  (``secrets.token_urlsafe(32)``), returned once by :func:`create_feed` and
  stored only as its SHA-256: :func:`feed_by_token` hashes what it is given
  and finds the row by that hash in one indexed query, so an unknown and a
  revoked token cost the same and no token is compared in Python;
- **calendar_state** — the calendar revision of every event by UID: a render
  that finds an event's content fingerprint changed bumps its ``sequence``
  and sets ``changed_at`` (the event's DTSTAMP); an unchanged event keeps
  both, so an unchanged calendar is byte-identical;
- **scopes** — what a calendar covers (:class:`Scope`) and the names and
  details a calendar shows that status rows do not carry.

Example::

    with write_session(app.sessions) as session:
        feed, token = create_feed(session, Scope("org", "school-1"), "завуч", now)
    print(f"{base}/feeds/{token}.ics")
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from roadmap.directory import resolve_org, resolve_party
from roadmap.errors import NotFoundError, UsageError
from roadmap.i18n import _
from roadmap.storage.tables import (
    SCOPE_ORG,
    SCOPE_PARTY,
    SCOPE_PLAN,
    CalendarStateRow,
    FeedRow,
    OccurrenceRow,
    OrganisationRow,
    PartyRow,
    PlanRow,
    RegisterRow,
    TaskRow,
)

if TYPE_CHECKING:
    from roadmap.tracking import StatusFilter

SCOPES = (SCOPE_PLAN, SCOPE_PARTY, SCOPE_ORG)
# Bind parameters per IN (...) query: far below every backend's limit.
CHUNK = 500


@dataclass(frozen=True)
class Scope:
    """What a calendar covers: a plan (the coordinator's overview), a party
    or an organisation; ``plan`` narrows a party or organisation to one plan."""

    kind: str
    code: str
    plan: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in SCOPES:
            raise UsageError(
                _("Неизвестный охват «{kind}»; возможны: {choices}").format(
                    kind=self.kind, choices=", ".join(SCOPES)
                )
            )

    @property
    def key(self) -> str:
        """A stable name of the scope (the calendar's UID derives from it)."""
        return "/".join(["calendar", self.kind, self.code, self.plan or ""])

    def status_filter(self, due_soon_days: int = 14) -> StatusFilter:
        from roadmap.tracking import StatusFilter

        if self.kind == SCOPE_PLAN:
            return StatusFilter(plan=self.code, due_soon_days=due_soon_days)
        if self.kind == SCOPE_PARTY:
            return StatusFilter(plan=self.plan, party=self.code, due_soon_days=due_soon_days)
        return StatusFilter(plan=self.plan, org=self.code, due_soon_days=due_soon_days)

    def describe(self) -> str:
        """``plan:CODE``, ``party:CODE@PLAN`` — for listings."""
        text = f"{self.kind}:{self.code}"
        return f"{text}@{self.plan}" if self.plan and self.kind != SCOPE_PLAN else text


def resolve_scope(
    session: Session, plan: str | None, party: str | None, org: str | None
) -> Scope:
    """The :class:`Scope` of ``--plan``/``--party``/``--org``, the party and
    organisation found by the rule of :mod:`roadmap.directory` (a name, any
    case; one that exists in several plans or registers needs ``plan``)."""
    if party is not None and org is not None:
        raise UsageError(_("Укажите одно из --party и --org"))
    if party is not None:
        return Scope(SCOPE_PARTY, resolve_party(session, party, plan), plan)
    if org is not None:
        return Scope(SCOPE_ORG, resolve_org(session, org, plan), plan)
    if plan is not None:
        return Scope(SCOPE_PLAN, plan)
    raise UsageError(_("Укажите --plan, --party или --org"))


def scope_name(session: Session, scope: Scope, *, strict: bool = True) -> str:
    """The human name of a scope's subject (a plan's title, a party's or an
    organisation's name). ``strict``: :class:`NotFoundError` when it does
    not exist (else its code, for a feed whose subject has gone)."""
    if scope.plan is not None or scope.kind == SCOPE_PLAN:
        plan_code = scope.plan or scope.code
        title = session.scalar(select(PlanRow.title).where(PlanRow.code == plan_code))
        if title is None:
            if strict:
                raise NotFoundError(_("Нет плана «{plan}»").format(plan=plan_code))
            return scope.code
        if scope.kind == SCOPE_PLAN:
            return title
    name: str | None
    if scope.kind == SCOPE_PARTY:
        query = select(PartyRow.name).where(PartyRow.code == scope.code)
        if scope.plan is not None:
            query = query.join(PlanRow, PlanRow.id == PartyRow.plan_id).where(
                PlanRow.code == scope.plan
            )
        name = session.scalars(query.order_by(PartyRow.id)).first()
        missing = _("Нет стороны «{party}»").format(party=scope.code)
    else:
        orgs = (
            select(OrganisationRow.name, RegisterRow.code)
            .join(RegisterRow, RegisterRow.id == OrganisationRow.register_id)
            .where(OrganisationRow.code == scope.code)
            .order_by(OrganisationRow.id)
        )
        if scope.plan is not None:
            # The organisation of the plan's own register, not a namesake's.
            orgs = orgs.where(
                RegisterRow.code.in_(
                    select(PartyRow.register)
                    .join(PlanRow, PlanRow.id == PartyRow.plan_id)
                    .where(PlanRow.code == scope.plan)
                )
            )
        found = session.execute(orgs).all()
        registers = sorted({register for _name, register in found})
        if strict and scope.plan is None and len(registers) > 1:
            # Codes are unique within a register only: «school-1» of two
            # municipalities must not share one calendar.
            raise UsageError(
                _(
                    "Организация «{org}» есть в нескольких реестрах ({registers}): "
                    "укажите план (--plan)"
                ).format(org=scope.code, registers=", ".join(registers))
            )
        name = found[0][0] if found else None
        missing = _("Нет организации «{org}»").format(org=scope.code)
    if name is None:
        if strict:
            raise NotFoundError(missing)
        return scope.code
    return name


def plan_details(session: Session, codes: Iterable[str]) -> dict[str, tuple[str, str]]:
    """``{plan code: (title, time zone)}``."""
    wanted = sorted(set(codes))
    found: dict[str, tuple[str, str]] = {}
    for part in _chunks(wanted):
        for code, title, zone in session.execute(
            select(PlanRow.code, PlanRow.title, PlanRow.timezone).where(PlanRow.code.in_(part))
        ):
            found[code] = (title, zone)
    return found


def task_details(
    session: Session, plans: Iterable[str]
) -> dict[tuple[str, str], tuple[str, str | None]]:
    """``{(plan, task): (responsible text, co-responsible text)}`` of the plans."""
    wanted = sorted(set(plans))
    found: dict[tuple[str, str], tuple[str, str | None]] = {}
    for part in _chunks(wanted):
        rows = session.execute(
            select(PlanRow.code, TaskRow.code, TaskRow.responsible, TaskRow.co_responsible)
            .join(PlanRow, PlanRow.id == TaskRow.plan_id)
            .where(PlanRow.code.in_(part))
        )
        for plan, task, responsible, co_responsible in rows:
            found[(plan, task)] = (responsible, co_responsible)
    return found


def occurrence_sequences(session: Session, ids: Iterable[int]) -> dict[int, int]:
    """``{occurrence id: sequence}`` (the reload-bumped part of SEQUENCE)."""
    wanted = sorted(set(ids))
    found: dict[int, int] = {}
    for part in _chunks(wanted):
        for oid, sequence in session.execute(
            select(OccurrenceRow.id, OccurrenceRow.sequence).where(OccurrenceRow.id.in_(part))
        ):
            found[oid] = sequence
    return found


# ---------------------------------------------------------------- calendar revisions


@dataclass(frozen=True)
class StoredRevision:
    fingerprint: str
    sequence: int
    changed_at: datetime


def read_revisions(session: Session, uids: Iterable[str]) -> dict[str, StoredRevision]:
    """The stored revisions of these UIDs (missing ones are absent)."""
    wanted = sorted(set(uids))
    found: dict[str, StoredRevision] = {}
    for part in _chunks(wanted):
        for uid, fingerprint, sequence, changed_at in session.execute(
            select(
                CalendarStateRow.uid,
                CalendarStateRow.fingerprint,
                CalendarStateRow.sequence,
                CalendarStateRow.changed_at,
            ).where(CalendarStateRow.uid.in_(part))
        ):
            found[uid] = StoredRevision(fingerprint, sequence, changed_at)
    return found


def stale(
    current: Mapping[str, str], stored: Mapping[str, StoredRevision]
) -> dict[str, str]:
    """The UIDs (with their fingerprint) whose stored revision is missing or
    differs from ``current`` ``{uid: fingerprint}``."""
    return {
        uid: fp
        for uid, fp in current.items()
        if (old := stored.get(uid)) is None or old.fingerprint != fp
    }


def record_revisions(
    session: Session,
    changed: Mapping[str, tuple[str, int | None]],
    now: datetime,
) -> dict[str, StoredRevision]:
    """Store new fingerprints ``{uid: (fingerprint, occurrence id)}``: a new
    UID starts at sequence 0, a changed one gets sequence + 1; both take
    ``now`` as their change time. Run in a write unit of work
    (:func:`~roadmap.storage.db.write_session`): the stored state is read
    again under the write lock, so two renders never bump twice."""
    stored = read_revisions(session, changed)
    result: dict[str, StoredRevision] = {}
    inserts = []
    for uid, (fingerprint, occurrence_id) in sorted(changed.items()):
        old = stored.get(uid)
        if old is None:
            inserts.append(
                {
                    "uid": uid,
                    "occurrence_id": occurrence_id,
                    "fingerprint": fingerprint,
                    "sequence": 0,
                    "changed_at": now,
                }
            )
            result[uid] = StoredRevision(fingerprint, 0, now)
        elif old.fingerprint != fingerprint:
            session.execute(
                update(CalendarStateRow)
                .where(CalendarStateRow.uid == uid)
                .values(fingerprint=fingerprint, sequence=old.sequence + 1, changed_at=now)
            )
            result[uid] = StoredRevision(fingerprint, old.sequence + 1, now)
        else:
            result[uid] = old  # another process got here first
    if inserts:
        session.execute(insert(CalendarStateRow), inserts)
    return result


# ---------------------------------------------------------------- feeds


@dataclass(frozen=True)
class FeedView:
    """A subscription, without its token (which is never stored)."""

    id: int
    scope: Scope
    label: str | None
    created_at: datetime
    revoked_at: datetime | None


def hash_token(token: str) -> str:
    """The stored form of a feed token: SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _view(row: FeedRow) -> FeedView:
    return FeedView(
        row.id,
        Scope(row.scope, row.scope_code, row.plan_code),
        row.label,
        row.created_at,
        row.revoked_at,
    )


def new_secret(scope: Scope, label: str | None, now: datetime) -> tuple[dict[str, Any], str]:
    """The columns a new feed or personal link row starts with (its scope,
    label, the hash of a new 256-bit token, times) and that token — the
    only time it is known."""
    token = secrets.token_urlsafe(32)
    columns = {
        "scope": scope.kind,
        "scope_code": scope.code,
        "plan_code": scope.plan if scope.kind != SCOPE_PLAN else None,
        "label": label,
        "token_hash": hash_token(token),
        "created_at": now,
        "revoked_at": None,
    }
    return columns, token


def create_feed(
    session: Session, scope: Scope, label: str | None, now: datetime
) -> tuple[FeedView, str]:
    """A new feed for ``scope`` (which must exist); returns it and its token —
    the only time the token is known."""
    scope_name(session, scope, strict=True)
    columns, token = new_secret(scope, label, now)
    row = FeedRow(**columns)
    session.add(row)
    session.flush()
    return _view(row), token


def list_feeds(session: Session) -> list[FeedView]:
    """Every feed, revoked ones too, oldest first."""
    return [_view(r) for r in session.scalars(select(FeedRow).order_by(FeedRow.id))]


def revoke_feed(session: Session, feed_id: int, now: datetime) -> FeedView:
    """Revoke a feed (idempotent: a revoked feed keeps its first revocation time)."""
    row = session.get(FeedRow, feed_id)
    if row is None:
        raise NotFoundError(_("Нет календарной подписки {id}").format(id=feed_id))
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()
    return _view(row)


def feed_by_token(session: Session, token: str) -> tuple[FeedView, tuple[object, ...]] | None:
    """The live feed of ``token`` and the database's change marker
    (:func:`roadmap.report.change_marker`), in one indexed query; None for
    an unknown or revoked token (the same single lookup either way)."""
    from roadmap.report import change_marker_columns

    found = session.execute(
        select(FeedRow, *change_marker_columns())
        .where(FeedRow.token_hash == hash_token(token), FeedRow.revoked_at.is_(None))
    ).first()
    if found is None:
        return None
    row, *marker = found
    return _view(row), tuple(marker)


def plan_zones(session: Session) -> tuple[str, ...]:
    """The time zones of the loaded plans, sorted (whose local dates a
    cached calendar depends on)."""
    return tuple(sorted(set(session.scalars(select(PlanRow.timezone).distinct()))))


def _chunks(items: Sequence[str] | Sequence[int]) -> Iterable[Sequence[str] | Sequence[int]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]
