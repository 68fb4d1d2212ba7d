"""Parties an import may reuse: from plan or register files (``--register``)
or from a plan already in the database."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from roadmap.importing.parties import KnownParty
from roadmap.plans import read_catalog
from roadmap.storage.tables import PartyRow, PlanRow


def parties_from_files(paths: Iterable[Path]) -> tuple[list[KnownParty], str | None]:
    """The parties of the plans in ``paths`` and the id of the first
    register among them (for the «ОО» party). Raises
    :class:`~roadmap.errors.PlanError` for invalid files."""
    catalog = read_catalog(list(paths))
    known: list[KnownParty] = []
    for plan in catalog.plans.values():
        for party in plan.parties:
            known.append(KnownParty(party.id, party.name, list(party.aliases), party.register))
    register = next(iter(catalog.registers), None)
    return known, register


def parties_from_database(session: Session, plan_code: str) -> list[KnownParty]:
    """The parties of a stored plan (empty when there is no such plan)."""
    rows = session.scalars(
        select(PartyRow)
        .join(PlanRow, PlanRow.id == PartyRow.plan_id)
        .where(PlanRow.code == plan_code, PartyRow.withdrawn_at.is_(None))
        .order_by(PartyRow.id)
    )
    return [KnownParty(r.code, r.name, list(r.aliases or []), r.register) for r in rows]
