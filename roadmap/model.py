"""Typed value objects of a road map: plans, parties, tasks, registers.

Everything here is frozen and built only by :mod:`roadmap.plans` (from YAML)
or by tests. Dates are :class:`datetime.date` in the plan's calendar; the
plan's ``timezone`` says which calendar that is.

Example::

    plan = load_plan(Path("plans/irkutsk-city-2023-2026.yaml"))
    for task in plan.tasks():
        print(task.number, task.deadline)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Position:
    """Where a value stands in its source file (1-based line and column)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


@dataclass(frozen=True)
class Contact:
    name: str | None
    email: str | None


@dataclass(frozen=True)
class Document:
    """The approving document: «приказ № 214-08-105/23 от 24.02.2023»."""

    kind: str
    number: str | None
    date: date | None


@dataclass(frozen=True)
class Party:
    """A responsible party. With ``register`` set it stands for every
    organisation of that register (its duties fan out to each school)."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    contacts: tuple[Contact, ...] = ()
    register: str | None = None
    escalation: Contact | None = None


@dataclass(frozen=True)
class Responsibility:
    """A responsible column as printed (``text``) and the parties it names."""

    text: str
    parties: tuple[str, ...]


@dataclass(frozen=True)
class Window:
    """One occurrence window: ``start`` (None when the phrase names none) to
    ``due`` inclusive."""

    start: date | None
    due: date


@dataclass(frozen=True)
class Schedule:
    """A structured schedule that overrides what the deadline text says.

    Exactly one of ``phrase`` (re-read in the deadline language), ``windows``
    (explicit dates) or ``on_demand`` is set; ``why`` says why the text alone
    was not taken literally."""

    phrase: str | None = None
    windows: tuple[Window, ...] = ()
    on_demand: bool = False
    why: str | None = None


@dataclass(frozen=True)
class Target:
    year: int
    value: float | int | str


@dataclass(frozen=True)
class Task:
    id: str
    number: str | None
    section: str
    activity: str
    deadline: str | None  # verbatim; None: the source gives no date («срок не указан»)
    responsible: Responsibility
    co_responsible: Responsibility | None = None
    result: str | None = None
    schedule: Schedule | None = None
    targets: tuple[Target, ...] = ()
    target_unit: str | None = None
    note: str | None = None
    position: Position | None = field(default=None, compare=False)

    def parties(self) -> tuple[str, ...]:
        """Every party that answers for this task, responsible first."""
        extra = self.co_responsible.parties if self.co_responsible else ()
        return tuple(dict.fromkeys(self.responsible.parties + extra))


@dataclass(frozen=True)
class Section:
    id: str
    number: str | None
    title: str
    tasks: tuple[Task, ...]


# Indicator kinds: how reported values are checked and rolled up
# (roadmap.indicators; docs/plan-format.md says how to choose one).
SHARE = "share"  # a percent made of a numerator and a denominator: Σnum / Σden
COUNT = "count"  # a number of things: summed
LEVEL = "level"  # a 0–100 score: mean, weighted by respondents when given
YES_NO = "yes_no"  # done or not: the share of organisations with «yes»
INDICATOR_KINDS = (SHARE, COUNT, LEVEL, YES_NO)

# ``who_reports`` of an indicator reported by every organisation the plan
# reaches (its registers and those of its child plans); otherwise a party id.
ORGANISATIONS = "organisations"


@dataclass(frozen=True)
class Indicator:
    """A figure the plan is judged by, with its yearly targets.

    ``who_reports`` is a party of the plan or :data:`ORGANISATIONS`;
    ``activity`` is the task that collects it (the monitoring task), if any."""

    id: str
    name: str
    unit: str | None
    targets: tuple[Target, ...]
    kind: str = COUNT
    who_reports: str = ORGANISATIONS
    activity: str | None = None


@dataclass(frozen=True)
class SchoolYear:
    """School-year boundaries as (month, day); default 1 September – 31 May."""

    start: tuple[int, int] = (9, 1)
    end: tuple[int, int] = (5, 31)


@dataclass(frozen=True)
class Plan:
    id: str
    title: str
    authority: str
    period: Period
    timezone: str
    parties: tuple[Party, ...]
    sections: tuple[Section, ...]
    document: Document | None = None
    school_years: bool = False
    school_year: SchoolYear = field(default_factory=SchoolYear)
    parent: str | None = None
    escalation: Contact | None = None
    indicators: tuple[Indicator, ...] = ()
    source: str | None = field(default=None, compare=False)

    def tasks(self) -> Iterator[Task]:
        for section in self.sections:
            yield from section.tasks

    def party(self, party_id: str) -> Party:
        for party in self.parties:
            if party.id == party_id:
                return party
        raise KeyError(party_id)


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    address: str | None = None
    website: str | None = None
    curator: Contact | None = None


@dataclass(frozen=True)
class Register:
    """A municipality's organisations (schools), in their own file."""

    id: str
    title: str
    organisations: tuple[Organisation, ...]
    example: bool = False
    source: str | None = field(default=None, compare=False)
