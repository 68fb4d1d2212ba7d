"""Indicators: reported values against yearly targets, rolled up by kind.

A plan's indicators (loaded from its YAML) say how their values are checked
and rolled up (``kind``) and who reports them (``who_reports``: a party of
the plan, or every organisation the plan reaches — its registers and those
of its child plans). A reported value is append-only, like a completion: a
correction is a new row that supersedes the current one, and both stay in
the history.

Roll-up by kind (:func:`roll_up`): a ``share`` is Σ numerators / Σ
denominators (never a mean of percents), a ``count`` is summed, a ``level``
is the mean weighted by respondents (when every value gives them, else the
plain mean), a ``yes_no`` is the percent of units that said yes.

Every function takes a session and never commits; nothing here prints.

Example::

    with write_session(app.sessions) as session:
        set_value(session, ValueSelector("bokhan-2022-2024", "students-mentored", 2023,
                  org="school-1"), ValueInput(numerator=120, denominator=300),
                  by="ivanova", at=app.clock.now())
    with app.sessions() as session:
        rows = indicator_rows(session, "irkutsk-oblast-2020-2024", year=2023)
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from roadmap.errors import NotFoundError, UsageError
from roadmap.evidence import Evidence, check_url
from roadmap.i18n import _
from roadmap.model import COUNT, LEVEL, ORGANISATIONS, SHARE, YES_NO
from roadmap.storage.tables import (
    IndicatorRow,
    IndicatorTargetRow,
    IndicatorValueRow,
    OrganisationRow,
    PartyRow,
    PlanRow,
    RegisterRow,
)
from roadmap.tracking import StatusRow, _choices, _unknown
from roadmap.tracking import plan_row as _plan_row

YES_WORDS = ("да", "yes", "1")
NO_WORDS = ("нет", "no", "0")
MAX_PLAN_DEPTH = 20  # parent chains deeper than this are cut (a cycle, or a mistake)


# ---------------------------------------------------------------- definitions


@dataclass(frozen=True)
class IndicatorDef:
    """An indicator of a loaded plan, with its targets by year."""

    plan: str
    plan_id: int
    code: str
    name: str
    unit: str | None
    kind: str
    who_reports: str
    activity: str | None
    targets: dict[int, Any]


@dataclass(frozen=True)
class ReportingUnit:
    """Who reports a value: an organisation or a party. ``area`` is the plan
    whose register lists the organisation (a child plan, for the region)."""

    party_id: int | None
    party: str | None
    org_id: int | None
    org: str | None
    name: str
    area: str
    register: str | None = None

    @property
    def label(self) -> str:
        return self.org or self.party or "?"

    @property
    def qualified(self) -> str:
        """``register/org`` (organisation ids are unique only in their register)."""
        return f"{self.register}/{self.org}" if self.org else self.label

    def named(self, org: str) -> bool:
        """Whether ``--org org`` (an id, or ``register/id``) means this unit."""
        return self.org is not None and org in (self.org, self.qualified)


def _indicators(session: Session, plan: PlanRow) -> list[IndicatorDef]:
    rows = list(
        session.scalars(
            select(IndicatorRow).where(IndicatorRow.plan_id == plan.id).order_by(IndicatorRow.position)
        )
    )
    targets: dict[int, dict[int, Any]] = defaultdict(dict)
    for ind_id, year, value in session.execute(
        select(IndicatorTargetRow.indicator_id, IndicatorTargetRow.year, IndicatorTargetRow.value)
        .where(IndicatorTargetRow.indicator_id.in_([r.id for r in rows]))
        .order_by(IndicatorTargetRow.year)
    ):
        targets[ind_id][year] = value
    return [
        IndicatorDef(plan.code, plan.id, r.code, r.name, r.unit, r.kind, r.who_reports,
                     r.activity, dict(targets[r.id]))
        for r in rows
    ]


def _indicator(session: Session, plan: PlanRow, code: str) -> IndicatorDef:
    found = _indicators(session, plan)
    for ind in found:
        if ind.code == code:
            return ind
    if not found:
        raise NotFoundError(_("В плане {plan} нет показателей").format(plan=plan.code))
    raise _unknown(
        _("Нет показателя «{id}» в плане {plan}").format(id=code, plan=plan.code),
        code,
        [i.code for i in found],
    )


def _areas(session: Session, plan: PlanRow) -> list[tuple[int, str]]:
    """The plan and every plan below it, as (plan id, area): the area of a
    descendant is the child of ``plan`` it lies under."""
    areas = [(plan.id, plan.code)]
    frontier: list[tuple[str, str | None]] = [(plan.code, None)]
    seen = {plan.code}
    for _depth in range(MAX_PLAN_DEPTH):
        if not frontier:
            break
        parents = {code: area for code, area in frontier}
        frontier = []
        for pid, code, parent in session.execute(
            select(PlanRow.id, PlanRow.code, PlanRow.parent)
            .where(PlanRow.parent.in_(list(parents)))
            .order_by(PlanRow.code)
        ):
            if code in seen:
                continue
            seen.add(code)
            area = parents.get(parent or "") or code
            areas.append((pid, area))
            frontier.append((code, area))
    return areas


def _organisations(session: Session, areas: Sequence[tuple[int, str]]) -> list[ReportingUnit]:
    """Every active organisation of the registers the parties of these plans
    fan out to, each once (the nearest plan's area wins)."""
    area_of = dict(areas)
    units: dict[int, ReportingUnit] = {}
    query = (
        select(PartyRow.plan_id, OrganisationRow.id, OrganisationRow.code, OrganisationRow.name,
               RegisterRow.code)
        .join(RegisterRow, RegisterRow.code == PartyRow.register)
        .join(OrganisationRow, OrganisationRow.register_id == RegisterRow.id)
        .where(
            PartyRow.plan_id.in_(list(area_of)),
            PartyRow.withdrawn_at.is_(None),
            OrganisationRow.withdrawn_at.is_(None),
        )
        .order_by(RegisterRow.code, OrganisationRow.position)
    )
    order = {pid: n for n, (pid, _area) in enumerate(areas)}
    rows = sorted(session.execute(query).all(), key=lambda r: order[r[0]])  # stable
    for plan_id, org_id, code, name, register in rows:
        units.setdefault(
            org_id, ReportingUnit(None, None, org_id, code, name, area_of[plan_id], register)
        )
    return list(units.values())


def reporting_units(session: Session, plan: PlanRow, ind: IndicatorDef) -> list[ReportingUnit]:
    """Who should report ``ind``: every organisation the plan reaches, or its
    ``who_reports`` party (each organisation of its register, if it has one)."""
    if ind.who_reports == ORGANISATIONS:
        return _organisations(session, _areas(session, plan))
    party = session.scalars(
        select(PartyRow).where(PartyRow.plan_id == plan.id, PartyRow.code == ind.who_reports)
    ).one_or_none()
    if party is None:
        return []
    if party.register:
        return _organisations(session, [(plan.id, plan.code)])
    return [ReportingUnit(party.id, party.code, None, None, party.name, plan.code)]


# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class ValueSelector:
    """Which indicator, year and reporting unit a value is for."""

    plan: str
    indicator: str
    year: int
    org: str | None = None
    party: str | None = None


@dataclass(frozen=True)
class ValueInput:
    """A value as given: ``value`` (text: «12,5», «да») or a numerator and a
    denominator; ``respondents`` for a level."""

    value: str | None = None
    numerator: float | None = None
    denominator: float | None = None
    respondents: int | None = None


@dataclass(frozen=True)
class Checked:
    value: float
    numerator: float | None = None
    denominator: float | None = None
    respondents: int | None = None


def _number(text: str, ind: IndicatorDef) -> float:
    try:
        number = float(text.strip().replace(",", ".").rstrip("%").strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise UsageError(
            _("«{value}» — не число (показатель {id}: {kind})").format(
                value=text, id=ind.code, kind=ind.kind
            )
        )
    return number


def check_value(ind: IndicatorDef, given: ValueInput, *, by_org: bool = True) -> Checked:
    """``given`` checked against the kind of ``ind`` (:class:`UsageError`
    saying what would be accepted). An organisation reports a share as a
    numerator and a denominator (so that shares roll up as Σnum/Σden); a
    party, the only one reporting its indicator, may give the percent."""
    has_fraction = given.numerator is not None or given.denominator is not None
    if given.respondents is not None and ind.kind != LEVEL:
        raise UsageError(_("--respondents — только для показателей вида level"))
    if given.respondents is not None and given.respondents < 1:
        raise UsageError(_("--respondents: нужно целое число не меньше 1"))
    if ind.kind == SHARE and given.value is not None and not has_fraction:
        percent = _number(given.value, ind)
        if not 0 <= percent <= 100:
            raise UsageError(
                _("Доля {id}: нужно от 0 до 100 %, а не {value} %").format(
                    id=ind.code, value=show_value(percent)
                )
            )
        if not by_org:
            return Checked(percent)
    if ind.kind == SHARE:
        if given.value is not None or given.numerator is None or given.denominator is None:
            raise UsageError(
                _(
                    "Показатель {id} — доля (share): укажите числитель и знаменатель "
                    "(--num N --den D), чтобы сводить их суммой, а не средним процентов"
                ).format(id=ind.code)
            )
        num, den = given.numerator, given.denominator
        if not (math.isfinite(num) and math.isfinite(den)) or den <= 0 or num < 0:
            raise UsageError(
                _("Доля {id}: нужны числитель ≥ 0 и знаменатель > 0, а не {num}/{den}").format(
                    id=ind.code, num=show_value(num), den=show_value(den)
                )
            )
        if num > den:
            raise UsageError(
                _("Доля {id}: числитель {num} больше знаменателя {den} (доля больше 100 %)").format(
                    id=ind.code, num=show_value(num), den=show_value(den)
                )
            )
        return Checked(num / den * 100, num, den)
    if has_fraction:
        raise UsageError(
            _("Показатель {id} вида {kind}: укажите --value, а не --num/--den").format(
                id=ind.code, kind=ind.kind
            )
        )
    if given.value is None:
        raise UsageError(_("Укажите значение: --value"))
    if ind.kind == YES_NO:
        word = given.value.strip().lower()
        if word in YES_WORDS or word in NO_WORDS:
            return Checked(1.0 if word in YES_WORDS else 0.0)
        raise UsageError(
            _("Показатель {id} — да/нет (yes_no): укажите --value да или нет, а не «{value}»").format(
                id=ind.code, value=given.value
            )
        )
    number = _number(given.value, ind)
    if ind.kind == COUNT and number < 0:
        raise UsageError(
            _("Показатель {id} — количество: нужно число ≥ 0, а не {value}").format(
                id=ind.code, value=show_value(number)
            )
        )
    if ind.kind == LEVEL and not 0 <= number <= 100:
        raise UsageError(
            _("Показатель {id} — уровень (level): нужно число от 0 до 100, а не {value}").format(
                id=ind.code, value=show_value(number)
            )
        )
    return Checked(number, respondents=given.respondents)


def show_value(value: float | None, unit: str | None = None) -> str:
    """A number without trailing zeros (at most two decimals), then the unit;
    «—» for no value."""
    if value is None:
        return "—"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}" if unit else text


def allowed_years(plan: PlanRow, ind: IndicatorDef) -> list[int]:
    """The years a value may be reported for: the target years and the
    years of the plan's period."""
    period = range(plan.period_start.year, plan.period_end.year + 1)
    return sorted(set(ind.targets) | set(period))


def _unit(units: Sequence[ReportingUnit], ind: IndicatorDef, sel: ValueSelector) -> ReportingUnit:
    if sel.org is not None and sel.party is not None:
        raise UsageError(_("Укажите одно из двух: --org или --party"))
    orgs = [u for u in units if u.org is not None]
    parties = [u for u in units if u.party is not None]
    if sel.org is not None:
        return _one_org(orgs, sel.org, _("Показатель {id} не сообщает организация «{org}»").format(
            id=ind.code, org=sel.org
        ))
    if sel.party is not None:
        for unit in parties:
            if unit.party == sel.party:
                return unit
        message = _("Показатель {id} не сообщает сторона «{party}»").format(
            id=ind.code, party=sel.party
        )
        raise _unknown(message, sel.party, [u.party for u in parties if u.party])
    if len(units) == 1:
        return units[0]
    if not units:
        raise NotFoundError(
            _("Показатель {id}: некому сообщать значение (who_reports: {who})").format(
                id=ind.code, who=ind.who_reports
            )
        )
    if orgs:
        raise UsageError(
            _("Показатель {id} сообщает каждая организация: укажите --org ({orgs})").format(
                id=ind.code, orgs=_choices([_short(u, orgs) for u in orgs])
            )
        )
    raise UsageError(  # several parties: not made by plans.py today, kept for safety
        _("Укажите --party ({parties})").format(parties=_choices([u.label for u in parties]))
    )


def _one_org(units: Sequence[ReportingUnit], org: str, unknown: str) -> ReportingUnit:
    """The unit ``org`` names; an id found in several registers must be
    given as ``register/id``."""
    found = [u for u in units if u.named(org)]
    if len(found) == 1:
        return found[0]
    if found:
        raise UsageError(
            _("Организация «{org}» есть в нескольких реестрах: укажите {choices}").format(
                org=org, choices=", ".join(u.qualified for u in found)
            )
        )
    raise _unknown(unknown, org, [_short(u, units) for u in units if u.org])


def _short(unit: ReportingUnit, units: Sequence[ReportingUnit]) -> str:
    """The id to type for ``unit``: bare when no other register has it."""
    clash = sum(1 for u in units if u.org == unit.org) > 1
    return unit.qualified if clash else unit.label


@dataclass(frozen=True)
class RecordedValue:
    """What :func:`set_value` appended."""

    id: int
    plan: str
    timezone: str
    indicator: IndicatorDef
    year: int
    unit: ReportingUnit
    checked: Checked
    at: datetime
    by: str
    note: str | None = None
    url: str | None = None
    evidence: Evidence | None = None
    supersedes_id: int | None = None


def prepare_value(session: Session, sel: ValueSelector, given: ValueInput) -> tuple[
    PlanRow, IndicatorDef, ReportingUnit, Checked
]:
    """Everything :func:`set_value` checks before it writes: the plan, the
    indicator, the year, the reporting unit and the value (unknown names
    raise :class:`NotFoundError` with suggestions, bad values
    :class:`UsageError`). Lets a command refuse a call before it stores an
    evidence file."""
    plan = _plan_row(session, sel.plan)
    ind = _indicator(session, plan, sel.indicator)
    years = allowed_years(plan, ind)
    if sel.year not in years:
        raise _unknown(
            _("Показатель {id}: нет {year} года (ни цели, ни периода плана)").format(
                id=ind.code, year=sel.year
            ),
            str(sel.year),
            [str(y) for y in years],
        )
    unit = _unit(reporting_units(session, plan, ind), ind, sel)
    return plan, ind, unit, check_value(ind, given, by_org=unit.org is not None)


def _current_id(session: Session, plan_id: int, code: str, year: int,
                unit: ReportingUnit) -> int | None:
    query = select(IndicatorValueRow.id).where(
        IndicatorValueRow.plan_id == plan_id,
        IndicatorValueRow.indicator == code,
        IndicatorValueRow.year == year,
    )
    if unit.org_id is not None:
        query = query.where(IndicatorValueRow.organisation_id == unit.org_id)
    else:
        query = query.where(IndicatorValueRow.party_id == unit.party_id)
    return session.scalars(query.order_by(IndicatorValueRow.id.desc()).limit(1)).first()


def set_value(
    session: Session,
    sel: ValueSelector,
    given: ValueInput,
    *,
    by: str,
    at: datetime,
    evidence: Evidence | None = None,
    url: str | None = None,
    note: str | None = None,
) -> RecordedValue:
    """Append a reported value; a value already there for the same indicator,
    year and unit is superseded (and kept in the history). Evidence is
    optional: a stored file or an http(s) URL, not both."""
    if at.tzinfo is None:
        raise ValueError("at must be an aware datetime")
    if evidence is not None and url is not None:
        raise UsageError(_("Нужно одно из двух: файл-доказательство или ссылка"))
    if url is not None:
        url = check_url(url)
    plan, ind, unit, checked = prepare_value(session, sel, given)
    previous = _current_id(session, plan.id, ind.code, sel.year, unit)
    row = IndicatorValueRow(
        plan_id=plan.id, indicator=ind.code, year=sel.year, party_id=unit.party_id,
        organisation_id=unit.org_id, value=checked.value, numerator=checked.numerator,
        denominator=checked.denominator, respondents=checked.respondents, at=at, by=by,
        note=note, url=url, supersedes_id=previous, **(evidence.columns() if evidence else {}),
    )
    session.add(row)
    session.flush()
    return RecordedValue(row.id, plan.code, plan.timezone, ind, sel.year, unit, checked, at, by,
                         note, url, evidence, previous)


# ---------------------------------------------------------------- roll-up


def roll_up(kind: str, values: Sequence[Checked]) -> float | None:
    """The value of several units together, by kind (None: nothing reported)."""
    if not values:
        return None
    if kind == SHARE:
        if any(v.denominator is None for v in values):
            # A percent without its fraction (a party's) stands alone.
            return values[0].value if len(values) == 1 else None
        den = sum(v.denominator or 0 for v in values)
        return sum(v.numerator or 0 for v in values) / den * 100 if den else None
    if kind == COUNT:
        return sum(v.value for v in values)
    if kind == YES_NO:
        return sum(1 for v in values if v.value >= 0.5) / len(values) * 100
    weights = [v.respondents for v in values if v.respondents is not None]
    if len(weights) == len(values) and sum(weights) > 0:
        return sum(v.value * (v.respondents or 0) for v in values) / sum(weights)
    return sum(v.value for v in values) / len(values)


def achieved(value: float | None, target: Any) -> bool | None:
    """Whether ``value`` reaches a numeric ``target`` (None when either is
    missing or the target is text)."""
    if value is None or isinstance(target, bool) or not isinstance(target, int | float):
        return None
    return value >= target - 1e-9


@dataclass(frozen=True)
class IndicatorLine:
    """One indicator in one year, for a plan (or a child plan's part of it,
    ``part_of`` naming the plan, or one organisation)."""

    plan: str
    indicator: str
    name: str
    unit: str | None
    kind: str
    year: int
    target: Any
    value: float | None
    numerator: float | None
    denominator: float | None
    reported: int
    expected: int
    achieved: bool | None
    part_of: str | None = None
    org: str | None = None

    @property
    def ratio(self) -> float | None:
        """value / target, when both are numbers."""
        if self.value is None or not isinstance(self.target, int | float) or not self.target:
            return None
        return self.value / self.target

    def as_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "indicator": self.indicator,
            "name": self.name,
            "unit": self.unit,
            "kind": self.kind,
            "year": self.year,
            "target": self.target,
            "value": None if self.value is None else round(self.value, 4),
            "numerator": self.numerator,
            "denominator": self.denominator,
            "reported": self.reported,
            "expected": self.expected,
            "achieved": self.achieved,
            "part_of": self.part_of,
            "org": self.org,
        }


def _current_values(
    session: Session, plan_id: int, code: str
) -> dict[tuple[int, int | None, int | None], Checked]:
    """The current value per (year, party id, organisation id): the newest row."""
    current: dict[tuple[int, int | None, int | None], Checked] = {}
    for year, party_id, org_id, value, num, den, resp in session.execute(
        select(
            IndicatorValueRow.year, IndicatorValueRow.party_id, IndicatorValueRow.organisation_id,
            IndicatorValueRow.value, IndicatorValueRow.numerator, IndicatorValueRow.denominator,
            IndicatorValueRow.respondents,
        )
        .where(IndicatorValueRow.plan_id == plan_id, IndicatorValueRow.indicator == code)
        .order_by(IndicatorValueRow.id)
    ):
        current[(year, party_id, org_id)] = Checked(value, num, den, resp)
    return current


def _line(ind: IndicatorDef, year: int, values: Sequence[Checked], expected: int,
          plan: str, part_of: str | None = None, org: str | None = None) -> IndicatorLine:
    value = roll_up(ind.kind, values)
    target = ind.targets.get(year)
    share = ind.kind == SHARE and bool(values)
    return IndicatorLine(
        plan, ind.code, ind.name, ind.unit, ind.kind, year, target, value,
        sum(v.numerator or 0 for v in values) if share else None,
        sum(v.denominator or 0 for v in values) if share else None,
        len(values), expected, achieved(value, target), part_of, org,
    )


def indicator_rows(
    session: Session, plan: str, *, year: int | None = None, org: str | None = None
) -> list[IndicatorLine]:
    """Per indicator and year (the target years and the years reported): the
    target, the rolled-up value, achievement and how many units reported out
    of how many should; then, for a plan with child plans, one line per child
    plan with the part its organisations reported. With ``org``: that
    organisation's own values."""
    plan_row = _plan_row(session, plan)
    lines: list[IndicatorLine] = []
    defs = _indicators(session, plan_row)
    chosen: ReportingUnit | None = None
    if org is not None:
        chosen = _one_org(_organisations(session, _areas(session, plan_row)), org,
                          _("Нет организации «{id}»").format(id=org))
    for ind in defs:
        units = reporting_units(session, plan_row, ind)
        current = _current_values(session, plan_row.id, ind.code)
        years = sorted(set(ind.targets) | {y for y, _p, _o in current})
        if year is not None:
            years = [y for y in years if y == year]
        if chosen is not None:
            units = [u for u in units if u.org_id == chosen.org_id]
        area_of = {(u.party_id, u.org_id): u.area for u in units}
        for y in years:
            by_area: dict[str, list[Checked]] = defaultdict(list)
            for (vy, party_id, org_id), checked in current.items():
                if vy != y:
                    continue
                area = area_of.get((party_id, org_id))
                if area is None and org is not None:
                    continue  # another organisation's value
                by_area[area or plan_row.code].append(checked)
            everything = [c for found in by_area.values() for c in found]
            lines.append(_line(ind, y, everything, len(units), plan_row.code, org=org))
            if org is not None:
                continue
            for area in dict.fromkeys(u.area for u in units):
                if area != plan_row.code:
                    expected = sum(1 for u in units if u.area == area)
                    lines.append(_line(ind, y, by_area.get(area, []), expected, area,
                                       part_of=plan_row.code))
    return lines


# ---------------------------------------------------------------- missing


@dataclass(frozen=True)
class MissingValue:
    """An indicator collected by a task whose value for ``year`` some units
    have not reported yet (``missing``: their ids, in register order)."""

    plan: str
    indicator: str
    name: str
    year: int
    missing: tuple[str, ...]
    expected: int


def missing_values(
    session: Session, plan: str, task: str, year: int, *, org: str | None = None
) -> list[MissingValue]:
    """What a monitoring task still waits for: per indicator whose
    ``activity`` is ``task``, the units without a value for ``year`` (with
    ``org``, only that organisation's own). For the digest of the party
    whose monitoring task is due, or of a school that reports."""
    plan_row = _plan_row(session, plan)
    found = []
    for ind in _indicators(session, plan_row):
        if ind.activity != task:
            continue
        units = reporting_units(session, plan_row, ind)
        if org is not None:
            units = [u for u in units if u.named(org)]
        if not units:
            continue
        reported = {(p, o) for (y, p, o) in _current_values(session, plan_row.id, ind.code)
                    if y == year}
        missing = tuple(_short(u, units) for u in units
                        if (u.party_id, u.org_id) not in reported)
        if missing:
            found.append(MissingValue(plan_row.code, ind.code, ind.name, year, missing,
                                      len(units)))
    return found


def missing_by_occurrence(
    session: Session, rows: Iterable[StatusRow]
) -> dict[int, list[MissingValue]]:
    """For the rows of monitoring tasks (the ``activity`` of an indicator),
    the values still missing for the year of their due date, by occurrence
    id: what a digest lists under such a task. One query when no row is one."""
    dated = [r for r in rows if r.due is not None]
    if not dated:
        return {}
    collecting = {
        (plan, task)
        for plan, task in session.execute(
            select(PlanRow.code, IndicatorRow.activity)
            .join(PlanRow, PlanRow.id == IndicatorRow.plan_id)
            .where(PlanRow.code.in_({r.plan for r in dated}), IndicatorRow.activity.is_not(None))
        )
    }
    found: dict[int, list[MissingValue]] = {}
    for row in dated:
        if (row.plan, row.task) in collecting and row.due is not None:
            missing = missing_values(session, row.plan, row.task, row.due.year, org=row.org)
            if missing:
                found[row.occurrence_id] = missing
    return found


# ---------------------------------------------------------------- history


@dataclass(frozen=True)
class ValueEntry:
    """One row of the append-only log of reported values."""

    id: int
    at: datetime
    timezone: str
    by: str
    plan: str
    indicator: str
    year: int
    party: str | None
    org: str | None
    value: float
    numerator: float | None
    denominator: float | None
    respondents: int | None
    note: str | None
    url: str | None
    evidence: Evidence | None
    supersedes_id: int | None

    @property
    def local_at(self) -> datetime:
        return self.at.astimezone(ZoneInfo(self.timezone))

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "local_at": self.local_at.isoformat(),
            "by": self.by,
            "plan": self.plan,
            "indicator": self.indicator,
            "year": self.year,
            "party": self.party,
            "org": self.org,
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "respondents": self.respondents,
            "note": self.note,
            "url": self.url,
            "evidence": self.evidence.as_json() if self.evidence else None,
            "supersedes": self.supersedes_id,
        }


def value_history(session: Session, plan: str, *, org: str | None = None) -> list[ValueEntry]:
    """Every reported value of a plan (of one organisation), oldest first,
    superseded ones included."""
    plan_row = _plan_row(session, plan)
    query = (
        select(IndicatorValueRow, PartyRow.code, OrganisationRow.code)
        .outerjoin(PartyRow, PartyRow.id == IndicatorValueRow.party_id)
        .outerjoin(OrganisationRow, OrganisationRow.id == IndicatorValueRow.organisation_id)
        .where(IndicatorValueRow.plan_id == plan_row.id)
        .order_by(IndicatorValueRow.id)
    )
    if org is not None:
        unit = _one_org(_organisations(session, _areas(session, plan_row)), org,
                        _("Нет организации «{id}»").format(id=org))
        query = query.where(IndicatorValueRow.organisation_id == unit.org_id)
    entries = []
    for row, party, org_code in session.execute(query):
        evidence = Evidence.recorded(row.evidence_sha256, row.evidence_name, row.evidence_size,
                                     row.evidence_media_type)
        entries.append(
            ValueEntry(row.id, row.at, plan_row.timezone, row.by, plan_row.code, row.indicator,
                       row.year, party, org_code, row.value, row.numerator, row.denominator,
                       row.respondents, row.note, row.url, evidence, row.supersedes_id)
        )
    return entries


def expected_value_evidence(session: Session) -> Iterable[tuple[str, int]]:
    """Every (sha256, size) reported values name: the evidence store must
    hold them too."""
    rows = session.execute(
        select(IndicatorValueRow.evidence_sha256, IndicatorValueRow.evidence_size)
        .where(IndicatorValueRow.evidence_sha256.is_not(None))
        .distinct()
    )
    return [(sha, size or 0) for sha, size in rows if sha]
