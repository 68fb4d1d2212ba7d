"""Who is who: the organisations and parties of the loaded plans, and the
one rule by which every command finds the organisation or party a user
names.

``--org`` takes an organisation's id («school-1») or its name, whole or a
unique part of it («СОШ № 1»), case- and ё-insensitive. Ids are unique
within a register only: an id (or name) found in several registers needs
``--plan``, whatever the command. A party id is unique within a plan only:
the same rule holds for ``--party``.

Example::

    with app.sessions() as session:
        code = resolve_org(session, "сош № 1", plan="irkutsk-city-2023-2026")
        for org in list_orgs(session, plan="irkutsk-city-2023-2026"):
            print(org.id, org.name, org.plans)
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from roadmap.errors import NotFoundError, UsageError
from roadmap.i18n import _
from roadmap.storage.tables import OrganisationRow, PartyRow, PlanRow, RegisterRow, TaskRow

_LISTED = 20  # candidates named in a message, at most


@dataclass(frozen=True)
class OrgInfo:
    """An organisation of a register, with the plans it takes part in."""

    id: str
    name: str
    register: str
    curator: str | None
    curator_email: str | None
    plans: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "register": self.register,
            "curator": self.curator,
            "curator_email": self.curator_email,
            "plans": list(self.plans),
        }


@dataclass(frozen=True)
class PartyInfo:
    """A responsible party of a plan."""

    plan: str
    id: str
    name: str
    aliases: tuple[str, ...]
    register: str | None
    tasks: int

    def as_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "id": self.id,
            "name": self.name,
            "aliases": list(self.aliases),
            "register": self.register,
            "tasks": self.tasks,
        }


def normalise(text: str) -> str:
    """``text`` for matching: lower case, «ё» as «е», quotes dropped, one
    space between words, none after «№»."""
    text = text.casefold().replace("ё", "е")
    text = re.sub(r"[«»\"'“”„]", "", text)
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"№\s*", "№", text)


def _plan_id(session: Session, plan: str) -> int:
    from roadmap.tracking import plan_row  # the plan lookup with «did you mean»

    return plan_row(session, plan).id


def _registers_of(session: Session, plan: str | None) -> dict[str, list[str]]:
    """Register code → the plans (codes) whose parties fan out to it."""
    query = (
        select(PartyRow.register, PlanRow.code)
        .join(PlanRow, PlanRow.id == PartyRow.plan_id)
        .where(PartyRow.register.is_not(None), PartyRow.withdrawn_at.is_(None))
        .order_by(PlanRow.code)
    )
    found: dict[str, list[str]] = {}
    for register, plan_code in session.execute(query):
        plans = found.setdefault(str(register), [])
        if plan_code not in plans:
            plans.append(plan_code)
    if plan is not None:
        found = {r: p for r, p in found.items() if plan in p}
    return found


def list_orgs(session: Session, plan: str | None = None) -> list[OrgInfo]:
    """The active organisations of every register (or of the registers
    ``plan`` fans out to), register by register in register order."""
    if plan is not None:
        _plan_id(session, plan)
    registers = _registers_of(session, plan)
    query = (
        select(OrganisationRow, RegisterRow.code)
        .join(RegisterRow, RegisterRow.id == OrganisationRow.register_id)
        .where(OrganisationRow.withdrawn_at.is_(None))
        .order_by(RegisterRow.code, OrganisationRow.position)
    )
    if plan is not None:
        query = query.where(RegisterRow.code.in_(sorted(registers)))
    return [
        OrgInfo(org.code, org.name, register, org.curator_name, org.curator_email,
                tuple(registers.get(register, ())))
        for org, register in session.execute(query)
    ]


def list_parties(session: Session, plan: str) -> list[PartyInfo]:
    """The active parties of ``plan`` in plan order, with their task counts."""
    plan_id = _plan_id(session, plan)
    counts: dict[str, int] = {}
    for parties in session.scalars(
        select(TaskRow.parties).where(TaskRow.plan_id == plan_id, TaskRow.withdrawn_at.is_(None))
    ):
        for code in set(parties):
            counts[code] = counts.get(code, 0) + 1
    return [
        PartyInfo(plan, p.code, p.name, tuple(p.aliases or ()), p.register, counts.get(p.code, 0))
        for p in session.scalars(
            select(PartyRow)
            .where(PartyRow.plan_id == plan_id, PartyRow.withdrawn_at.is_(None))
            .order_by(PartyRow.id)
        )
    ]


def _choices(items: list[str]) -> str:
    return ", ".join(items[:_LISTED]) + (", …" if len(items) > _LISTED else "")


def _part_of(query: str, name: str) -> bool:
    """Whether ``query`` is a whole-word part of ``name`` (both normalised):
    «сош №1» is part of «мбоу сош №1», not of «мбоу сош №14»."""
    return re.search(rf"(?<!\w){re.escape(query)}(?!\w)", name) is not None


def resolve_org(session: Session, text: str, plan: str | None = None) -> str:
    """The id of the organisation ``text`` names (see the module doc).

    :class:`UsageError` when it is ambiguous (several registers without
    ``plan``, or a name part that several organisations share), listing the
    candidates; :class:`NotFoundError` with «did you mean» when nothing
    matches."""
    orgs = list_orgs(session, plan)
    by_code = [o for o in orgs if o.id == text] or [
        o for o in orgs if o.id.casefold() == text.casefold()
    ]
    if not by_code:
        wanted = normalise(text)
        names = [(o, normalise(o.name)) for o in orgs]
        by_code = [o for o, name in names if name == wanted] or [
            o for o, name in names if wanted and _part_of(wanted, name)
        ]
        if len({(o.register, o.id) for o in by_code}) > 1:
            several = plan is None and len({o.register for o in by_code}) > 1
            raise UsageError(
                _("«{text}» подходит к нескольким организациям: {orgs}; укажите id").format(
                    text=text,
                    orgs=_choices([f"{o.id} ({o.register}) — {o.name}" for o in by_code]),
                )
                + (_(" и план (--plan)") if several else "")
            )
    if not by_code:
        codes = sorted({o.id for o in orgs})
        close = difflib.get_close_matches(text, codes, n=3, cutoff=0.5)
        hint = _(" (может быть, {ids}?)").format(ids=", ".join(f"«{c}»" for c in close))
        raise NotFoundError(
            _("Нет организации «{id}»").format(id=text)
            + (hint if close else "")
            + (_("; есть: {ids}").format(ids=_choices(codes)) if codes else "")
            + _("; список: roadmap orgs")
        )
    code = by_code[0].id
    # The id may be shared by organisations of other registers.
    registers = sorted({o.register for o in orgs if o.id == code})
    if plan is None and len(registers) > 1:
        raise UsageError(
            _(
                "Организация «{org}» есть в нескольких реестрах ({registers}): "
                "укажите план (--plan)"
            ).format(org=code, registers=", ".join(registers))
        )
    return code


def resolve_party(
    session: Session, text: str, plan: str | None = None, *, need_plan: bool = True
) -> str:
    """The id of the party ``text`` names («OO» finds «oo»): a party id
    found in several plans needs ``plan`` (:class:`UsageError` listing
    them) unless ``need_plan`` is off (a listing over every plan); an
    unknown one is a :class:`NotFoundError` with the choices."""
    query = (
        select(PartyRow.code, PlanRow.code)
        .join(PlanRow, PlanRow.id == PartyRow.plan_id)
        .where(PartyRow.withdrawn_at.is_(None))
        .order_by(PlanRow.code)
    )
    if plan is not None:
        query = query.where(PartyRow.plan_id == _plan_id(session, plan))
    rows = session.execute(query).all()
    codes = sorted({code for code, _plan in rows})
    if text not in codes:
        folded = [c for c in codes if c.casefold() == text.casefold()]
        if len(folded) != 1:
            close = difflib.get_close_matches(text, codes, n=3, cutoff=0.5)
            hint = _(" (может быть, {ids}?)").format(ids=", ".join(f"«{c}»" for c in close))
            raise NotFoundError(
                _("Нет стороны «{id}»").format(id=text)
                + (hint if close else "")
                + (_("; есть: {ids}").format(ids=_choices(codes)) if codes else "")
            )
        text = folded[0]
    plans = [p for code, p in rows if code == text]
    if need_plan and plan is None and len(plans) > 1:
        raise UsageError(
            _("Сторона «{party}» есть в нескольких планах ({plans}): укажите план (--plan)").format(
                party=text, plans=", ".join(plans)
            )
        )
    return text
