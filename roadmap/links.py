"""Personal web links, the browser sessions they start, and what a link may see.

A *link* is a secret URL for one :class:`~roadmap.feeds.Scope`: an
organisation or a party (the curator's page: it may mark things done) or a
plan (the coordinator's dashboard: it reads the plan and its child plans).
Like feeds, the token is 256 random bits returned once by
:func:`create_link`; only its SHA-256 is stored, and a lookup hashes what it
is given and finds the row by that hash in one indexed query — an unknown,
a revoked and an expired token cost the same and look the same (None).

Opening a link starts a *session* (:func:`start_session`): another random
token, kept by the browser in a cookie and stored here as a hash. Every
request resolves its session with :func:`session_by_token`, which checks the
link again, so revoking a link ends its sessions at once.

:func:`covers` is the one scope check: whether an occurrence is within what
a link may see. Nothing here knows about HTTP.

Example::

    with write_session(app.sessions) as session:
        link, token = create_link(session, Scope("org", "school-1"), "завуч", now, days=90)
    url = f"{base}/l/{token}"
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from roadmap.errors import NotFoundError, UsageError
from roadmap.feeds import Scope, hash_token, new_secret, scope_name
from roadmap.i18n import _
from roadmap.storage.tables import (
    SCOPE_ORG,
    SCOPE_PLAN,
    CompletionRow,
    LinkRow,
    OccurrenceRow,
    OrganisationRow,
    PartyRow,
    PlanRow,
    WebSessionRow,
)

# A browser session lasts this long (and never longer than its link).
SESSION_LIFETIME = timedelta(days=30)
# The longest a link may be made to last, in days (--days).
MAX_LINK_DAYS = 3660


@dataclass(frozen=True)
class LinkView:
    """A link, without its token (which is never stored)."""

    id: int
    scope: Scope
    label: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @property
    def curator(self) -> bool:
        """An organisation's or a party's link: it may mark things done."""
        return self.scope.kind != SCOPE_PLAN

    def live(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True)
class WebSession:
    """A live browser session and the link it was started from."""

    id: int
    link: LinkView
    by: str | None
    expires_at: datetime


def _view(row: LinkRow) -> LinkView:
    return LinkView(
        row.id,
        Scope(row.scope, row.scope_code, row.plan_code),
        row.label,
        row.created_at,
        row.expires_at,
        row.revoked_at,
    )


def create_link(
    session: Session, scope: Scope, label: str | None, now: datetime, *, days: int | None = None
) -> tuple[LinkView, str]:
    """A new link for ``scope`` (which must exist: resolve what a user typed
    with :func:`roadmap.feeds.resolve_scope`); returns it and its token — the only time the token is known. ``days``:
    the link expires that many days from ``now`` (None: never)."""
    if days is not None and not 1 <= days <= MAX_LINK_DAYS:
        raise UsageError(
            _("Срок действия ссылки: от 1 до {max} дней").format(max=MAX_LINK_DAYS)
        )
    scope_name(session, scope, strict=True)
    columns, token = new_secret(scope, label, now)
    row = LinkRow(**columns, expires_at=now + timedelta(days=days) if days is not None else None)
    session.add(row)
    session.flush()
    return _view(row), token


def list_links(session: Session) -> list[LinkView]:
    """Every link, revoked and expired ones too, oldest first."""
    return [_view(r) for r in session.scalars(select(LinkRow).order_by(LinkRow.id))]


def revoke_link(session: Session, link_id: int, now: datetime) -> LinkView:
    """Revoke a link and end its sessions (idempotent: a revoked link keeps
    its first revocation time)."""
    row = session.get(LinkRow, link_id)
    if row is None:
        raise NotFoundError(_("Нет ссылки {id}").format(id=link_id))
    if row.revoked_at is None:
        row.revoked_at = now
    session.execute(delete(WebSessionRow).where(WebSessionRow.link_id == link_id))
    session.flush()
    return _view(row)


def link_by_token(session: Session, token: str, now: datetime) -> LinkView | None:
    """The live link of ``token``, or None (unknown, revoked or expired)."""
    hashed = hash_token(token)
    row = session.scalars(select(LinkRow).where(LinkRow.token_hash == hashed)).first()
    if row is None or not hmac.compare_digest(row.token_hash, hashed):
        return None
    view = _view(row)
    return view if view.live(now) else None


def start_session(session: Session, link: LinkView, now: datetime) -> str:
    """A new browser session for ``link``; returns its token (for the cookie)."""
    token = secrets.token_urlsafe(32)
    ends = now + SESSION_LIFETIME
    if link.expires_at is not None:
        ends = min(ends, link.expires_at)
    session.add(
        WebSessionRow(link_id=link.id, token_hash=hash_token(token), by=None,
                      created_at=now, expires_at=ends)
    )
    session.flush()
    return token


def session_by_token(session: Session, token: str, now: datetime) -> WebSession | None:
    """The live session of ``token`` with its link, or None (unknown, expired,
    or its link revoked or expired)."""
    hashed = hash_token(token)
    found = session.execute(
        select(WebSessionRow, LinkRow)
        .join(LinkRow, LinkRow.id == WebSessionRow.link_id)
        .where(WebSessionRow.token_hash == hashed)
    ).first()
    if found is None:
        return None
    row, link_row = found
    if not hmac.compare_digest(row.token_hash, hashed):
        return None
    link = _view(link_row)
    if not link.live(now) or now >= row.expires_at:
        return None
    return WebSession(row.id, link, row.by, row.expires_at)


def remember_name(session: Session, web_session_id: int, by: str) -> None:
    """Keep the name of the person marking things done for the rest of the session."""
    row = session.get(WebSessionRow, web_session_id)
    if row is not None:
        row.by = by
        session.flush()


# ---------------------------------------------------------------- scope


def plan_family(session: Session, code: str) -> list[str]:
    """``code`` and every plan below it (children, their children …), in
    breadth-first order; a cycle in ``parent`` is not followed twice."""
    family = [code]
    seen = {code}
    frontier = [code]
    while frontier:
        children = session.scalars(
            select(PlanRow.code).where(PlanRow.parent.in_(frontier)).order_by(PlanRow.code)
        ).all()
        frontier = [c for c in children if c not in seen]
        seen.update(frontier)
        family.extend(frontier)
    return family


def covers(session: Session, scope: Scope, occurrence_id: int) -> bool:
    """Whether the occurrence is within ``scope``: a plan scope covers its
    plan and the plans below it; an organisation or party scope covers that
    organisation's or party's occurrences (of ``scope.plan`` when given)."""
    found = session.execute(
        select(PlanRow.code, PartyRow.code, OrganisationRow.code)
        .select_from(OccurrenceRow)
        .join(PlanRow, PlanRow.id == OccurrenceRow.plan_id)
        .join(PartyRow, PartyRow.id == OccurrenceRow.party_id)
        .outerjoin(OrganisationRow, OrganisationRow.id == OccurrenceRow.organisation_id)
        .where(OccurrenceRow.id == occurrence_id)
    ).first()
    if found is None:
        return False
    plan, party, org = found
    if scope.kind == SCOPE_PLAN:
        return plan in plan_family(session, scope.code)
    if scope.plan is not None and plan != scope.plan:
        return False
    if scope.kind == SCOPE_ORG:
        return org == scope.code
    return party == scope.code


def occurrence_of_completion(session: Session, completion_id: int) -> int | None:
    """The occurrence a completion row belongs to (None: no such row)."""
    return session.scalar(
        select(CompletionRow.occurrence_id).where(CompletionRow.id == completion_id)
    )


__all__ = [
    "LinkView",
    "WebSession",
    "covers",
    "create_link",
    "link_by_token",
    "list_links",
    "occurrence_of_completion",
    "plan_family",
    "remember_name",
    "revoke_link",
    "session_by_token",
    "start_session",
]
