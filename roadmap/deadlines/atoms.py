"""What the grammar reads a phrase into: parts made of atoms.

A :class:`Part` is one «;»-separated piece of a phrase; its atoms are dated
:class:`Group` s of :class:`Item` s, calendar rhythms (:class:`Unit`) and
flags (:class:`Flag`). The grammar builds them once per text (they are
memoised and shared); expansion only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Item:
    """A stretch of the calendar without (or with its own) year: from
    ``sm``/``sd`` to ``em``/``ed`` (``ed`` 0 = last day of the month)."""

    sm: int
    sd: int
    em: int
    ed: int
    sy: int | None = None
    ey: int | None = None
    single_day: bool = False
    half: int = 0  # a half-year: its months depend on the plan's kind of year
    ranged: bool = False  # both ends named («с 1 по 15 сентября»): never open-ended


@dataclass
class Group:
    """Dated items and the years they apply to («Октябрь, март 2023, 2024
    гг.»), or years alone; with how they are meant (a deadline, an open
    start, throughout, every year, a named school year)."""

    items: list[Item]
    years: list[tuple[int, int]]
    deadline: str | None = None  # "start" («до мая») or "end» («до конца мая», days)
    open_from: bool = False
    within: bool = False
    yearly: bool = False
    school: int | None = None  # a named school year (its first calendar year)
    text: str = ""


@dataclass
class Unit:
    """A rhythm with a calendar meaning; ``a``, ``b``, ``c`` are its numbers
    (a day of the month, a weekday and its rank, a reporting period)."""

    kind: str  # period year school_year quarter month half term trimester monthday wdmonth
    a: int = 0
    b: int = 0
    c: int = 0
    deadline: bool = False


@dataclass
class Flag:
    """A word that qualifies the rest: «ежегодно», «постоянно», a rhythm
    finer than a month («еженедельно»)."""

    kind: str  # yearly standing rhythm
    text: str = ""


Atom = Group | Unit | Flag


@dataclass
class Part:
    """One «;»-separated piece of a phrase: its atoms, whether it is on
    demand, and what was skipped, remarked or impossible in it."""

    atoms: list[Atom] = field(default_factory=list)
    on_demand: bool = False
    weak_on_demand: bool = False
    ignored: list[str] = field(default_factory=list)
    times: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    event_end: str = ""  # «до окончания конкурса» after «с …»: the end is an event
    rhythm: bool = False  # a rhythm finer than a month among the atoms (rule 19)

    def add_rhythm(self, text: str) -> None:
        """A rhythm finer than a month («еженедельно»): one window, a note."""
        self.rhythm = True
        self.atoms.append(Flag("rhythm", text))


__all__ = ["Atom", "Flag", "Group", "Item", "Part", "Unit"]
