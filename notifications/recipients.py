"""Who gets mail today — decided in the database, rendered later.

A national installation sends tens of thousands of digests a day. Deciding
*who* gets one must take seconds; rendering a message (text, HTML, .ics)
takes milliseconds each, so it is left to the sender, which renders a row
when it first claims it (:mod:`notifications.outbox`).

A *route* is where an occurrence's mail goes: a (party, organisation) pair —
the organisation is None for a party's own duties, and is each school of
the party's register for a duty of «ОО». For every route of the selected
plans the database answers three yes/no questions (correlated ``EXISTS``
probes on the partial index ``ix_occurrences_open_route_due``, open
occurrences by party, organisation and due date):

- ``mail``: something open is due on or before today + look-ahead (overdue
  or due soon) — the route's recipients get a digest;
- ``late``: something open is due before today − ``escalate_after_days``
  (overdue by more than that) — the plan's and the party's escalation
  contacts get an escalation;
- ``asked``: something open is «on demand» — the footnote of a digest that
  goes out anyway.

Each probe stops at the first index entry it finds, so the cost follows the
number of routes (parties × schools), not the history of done items nor the
size of the overdue backlog. The same rules as
:func:`notifications.digest.build_digests` then sort the routes' contacts
into :class:`~notifications.digest.Envelope` s with a
:class:`~notifications.digest.Mailbag`; a test checks both ways agree.

Dated occurrences always have a due date and the others never do
(:func:`roadmap.occurrences.task_windows`), so «due ≤ day» only ever holds
for dated ones.

Example::

    envelopes, skipped = plan_mail(session, options, app.clock.today)
    rows = [row for row, _seq in route_items(session, envelopes[0].routes, day)]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, select
from sqlalchemy.orm import Session, aliased

from notifications.digest import (
    DIGEST,
    ESCALATION,
    Contact,
    DigestOptions,
    Envelope,
    Mailbag,
    Skipped,
    clean_header_text,
)
from roadmap.status import ON_DEMAND
from roadmap.storage.tables import OccurrenceRow, OrganisationRow, PartyRow, PlanRow, RegisterRow
from roadmap.sweep import TodayFor, plan_days, plans_in


@dataclass(frozen=True)
class RouteFlags:
    """One route of one plan, whom it concerns and what its probes found."""

    plan_id: int
    party_id: int
    org_id: int | None
    who: str
    contacts: tuple[Contact, ...]  # the curator, or the party's contacts
    mail: bool
    late: bool
    asked: bool


def _probe(party: Any, org: Any, question: str, horizon: date, cutoff: date) -> Any:
    """``EXISTS`` an open occurrence of the route (``party``, ``org``) that
    answers ``question`` (``mail``, ``late`` or ``asked``)."""
    o = aliased(OccurrenceRow)
    condition = {
        "mail": o.due <= horizon,
        "late": o.due < cutoff,
        "asked": and_(o.due.is_(None), o.kind == ON_DEMAND),
    }[question]
    same_org = o.organisation_id.is_(None) if org is None else o.organisation_id == org
    return exists(
        select(o.id).where(
            o.party_id == party, same_org, o.done_at.is_(None), o.withdrawn_at.is_(None),
            condition,
        )
    ).label(question)


def route_query(
    today: date, options: DigestOptions, plans: Any = None, *, schools: bool
) -> Select[Any]:
    """The routes of the plans ``plans`` selects (all: None) with their
    flags: the parties' own (``schools`` false) or every (party, school of
    its register) pair (``schools`` true). Routes without a flag are left
    out by the caller: a ``WHERE`` on the flags would run every probe twice."""
    horizon = today + timedelta(days=max(options.lookahead_days, 0))
    cutoff = today - timedelta(days=options.escalate_after_days)
    if schools:
        columns: list[Any] = [
            OrganisationRow.id.label("org_id"), OrganisationRow.name.label("who"),
            OrganisationRow.curator_name, OrganisationRow.curator_email,
            OrganisationRow.withdrawn_at.label("org_withdrawn_at"),
        ]
        org: Any = OrganisationRow.id
    else:
        columns = [PartyRow.name.label("who"), PartyRow.contacts]
        org = None
    query = select(
        PartyRow.plan_id, PartyRow.id.label("party_id"), *columns,
        *(_probe(PartyRow.id, org, q, horizon, cutoff) for q in ("mail", "late", "asked")),
    )
    if schools:
        query = query.join(RegisterRow, RegisterRow.code == PartyRow.register).join(
            OrganisationRow, OrganisationRow.register_id == RegisterRow.id
        )
    query = query.where(PartyRow.withdrawn_at.is_(None))
    if plans is not None:
        query = query.where(PartyRow.plan_id.in_(plans))
    return query


def routes_of(session: Session, today: date, options: DigestOptions, plans: Any = None
              ) -> list[RouteFlags]:
    """Every flagged route of the plans ``plans`` selects, on ``today``."""
    found: list[RouteFlags] = []
    for r in session.execute(route_query(today, options, plans, schools=False)).mappings():
        if not (r["mail"] or r["late"] or r["asked"]):
            continue
        contacts = tuple(
            c for c in (Contact.from_json(x) for x in r["contacts"] or []) if c is not None
        )
        found.append(RouteFlags(r["plan_id"], r["party_id"], None, clean_header_text(r["who"]),
                                contacts, bool(r["mail"]), bool(r["late"]), bool(r["asked"])))
    for r in session.execute(route_query(today, options, plans, schools=True)).mappings():
        if not (r["mail"] or r["late"] or r["asked"]):
            continue
        curator = (
            (Contact(r["curator_name"], r["curator_email"]),)
            if r["org_withdrawn_at"] is None and (r["curator_name"] or r["curator_email"])
            else ()
        )
        found.append(RouteFlags(r["plan_id"], r["party_id"], r["org_id"],
                                clean_header_text(r["who"]), curator, bool(r["mail"]),
                                bool(r["late"]), bool(r["asked"])))
    return found


@dataclass(frozen=True)
class _PlanInfo:
    zone: str
    escalation: Contact | None
    parties: dict[int, Contact | None]  # party id → its escalation contact


def _plan_info(session: Session, plan_ids: set[int]) -> dict[int, _PlanInfo]:
    info: dict[int, _PlanInfo] = {}
    ids = sorted(plan_ids)
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for plan_id, zone, escalation in session.execute(
            select(PlanRow.id, PlanRow.timezone, PlanRow.escalation).where(PlanRow.id.in_(chunk))
        ):
            info[plan_id] = _PlanInfo(zone, Contact.from_json(escalation), {})
        for plan_id, party_id, escalation in session.execute(
            select(PartyRow.plan_id, PartyRow.id, PartyRow.escalation)
            .where(PartyRow.plan_id.in_(chunk), PartyRow.escalation.is_not(None))
        ):
            info[plan_id].parties[party_id] = Contact.from_json(escalation)
    return info


def plan_mail(
    session: Session,
    options: DigestOptions,
    today_for: TodayFor,
    *,
    zone: str | None = None,
    plan: str | None = None,
) -> tuple[list[Envelope], list[Skipped]]:
    """Today's messages (plan-local «today» from ``today_for``) for the plans
    of ``zone`` / the plan ``plan`` / every plan, as envelopes with their
    routes, in key order — and who could not be mailed. Reads only."""
    bag = Mailbag()
    days = plan_days(session, today_for, zone, plan)
    for today, zones in days.items():
        every = zone is None and plan is None and len(days) == 1
        routes = routes_of(session, today, options, None if every else plans_in(zones, plan))
        plans = _plan_info(session, {r.plan_id for r in routes})
        # Digests first; on-demand-only routes join a digest that goes anyway.
        for route in sorted(routes, key=lambda r: not r.mail):
            where = (route.party_id, route.org_id)
            info = plans[route.plan_id]
            if route.mail and not route.contacts:
                bag.nobody(DIGEST, today, info.zone, route.who)
            for contact in route.contacts if route.mail or route.asked else ():
                envelope = bag.add(DIGEST, contact, info.zone, today, route.who,
                                   counts=route.mail, create=route.mail)
                if envelope is not None:
                    envelope.routes.add(where)
            escalate = (info.escalation, info.parties.get(route.party_id)) if route.late else ()
            for contact in (c for c in escalate if c is not None):
                envelope = bag.add(ESCALATION, contact, info.zone, today, route.who, counts=True)
                assert envelope is not None
                envelope.routes.add(where)
    return bag.envelopes(), bag.skipped()


__all__ = ["RouteFlags", "plan_mail", "route_query", "routes_of"]
