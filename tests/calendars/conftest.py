"""Fixtures of the calendar tests: a small plan and a register of three
schools in ``tmp_path``, loaded with ``roadmap load`` into a real SQLite
file (the mechanics are in ``tests/fixtures.py``), and every calendar parsed
by three independent parsers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
from ical.calendar_stream import IcsCalendarStream
from sqlalchemy.orm import Session, sessionmaker

from tests.fixtures import MakeApp, Run, record_done

PLAN_ID = "test-city-2023-2024"
NOW = datetime(2024, 3, 1, 2, 30, tzinfo=UTC)
TODAY = "2024-01-15"

PLAN = """\
kind: plan
id: test-city-2023-2024
title: План мероприятий по наставничеству (тест)
authority: Департамент образования (пример)
period: {start: 2023-01-01, end: 2024-12-31}
timezone: Asia/Irkutsk
parties:
  - id: imcro
    name: МКУ ИМЦРО
    aliases: [МКУ ИМЦРО]
  - id: oo
    name: Образовательные организации
    aliases: [ОО]
    register: test-city
sections:
  - id: "1"
    number: "1."
    title: Организационное направление
    tasks:
      - id: "1.1"
        number: "1.1"
        activity: Назначение кураторов в ОО
        deadline: Ежегодно январь
        responsible: {text: "МКУ ИМЦРО, ОО", parties: [imcro, oo]}
        result: Приказ о назначении куратора
      - id: "1.2"
        number: "1.2"
        activity: Разработка положения
        deadline: в срок до 1 марта 2023 года
        responsible: {text: МКУ ИМЦРО, parties: [imcro]}
        result: Положение
      - id: "1.3"
        number: "1.3"
        activity: Участие в проекте
        deadline: По плану проекта
        responsible: {text: ОО, parties: [oo]}
      - id: "1.4"
        number: "1.4"
        activity: Мониторинг
        deadline: null
        responsible: {text: МКУ ИМЦРО, parties: [imcro]}
  - id: "2"
    number: "2."
    title: Отчётность
    tasks:
      - id: "2.1"
        number: "2.1"
        activity: Отчёт о наставничестве
        deadline: Январь-февраль 2023 года
        responsible: {text: ОО, parties: [oo]}
        result: Отчёт
"""

REGISTER = """\
kind: register
id: test-city
title: Школы (пример)
example: true
organisations:
  - id: school-1
    name: МБОУ СОШ № 1 (пример)
  - id: school-2
    name: МБОУ СОШ № 2 (пример)
  - id: school-3
    name: МБОУ СОШ № 3 (пример)
"""

SCHOOLS = {"school-1": "МБОУ СОШ № 1 (пример)", "school-2": "МБОУ СОШ № 2 (пример)",
           "school-3": "МБОУ СОШ № 3 (пример)"}


def key(task: str, party: str, org: str | None, window: str) -> str:
    """The natural key of an occurrence of the test plan."""
    return f"{PLAN_ID}/{task}/{party}/{org or ''}/{window}"


def uid(natural_key: str) -> str:
    return hashlib.sha256(natural_key.encode()).hexdigest()[:32] + "@roadmap"


@pytest.fixture
def plan_files() -> dict[str, str]:
    return {f"{PLAN_ID}.yaml": PLAN, "orgs/test-city.yaml": REGISTER}


@pytest.fixture
def env_extra() -> dict[str, str | None]:
    return {"ROADMAP_FEED_BASE_URL": "https://cal.example.org"}


Complete = Callable[..., int]


@pytest.fixture
def complete(loaded: Path, sessions: sessionmaker[Session]) -> Complete:
    """Record a completion of the occurrence with natural key ``k``."""

    def done(k: str, at: datetime = NOW) -> int:
        return record_done(sessions, PLAN_ID, key=k, by="ivanova", at=at, note="приказ № 5")

    return done


@dataclass(frozen=True)
class Item:
    """One VEVENT or VTODO as all three parsers agree it is."""

    uid: str
    summary: str
    description: str
    start: date | None  # VTODO: None for a one-day window
    end: date  # VEVENT: exclusive DTEND; VTODO: DUE
    sequence: int
    stamp: datetime
    status: str | None
    completed: datetime | None
    categories: tuple[str, ...]


def parse(data: bytes, *, todo: bool = False) -> tuple[icalendar.Calendar, dict[str, Item]]:
    """Parse with icalendar, ``ical`` and ``recurring-ical-events``; assert
    they agree on every item and return them by UID."""
    name = "VTODO" if todo else "VEVENT"
    cal = icalendar.Calendar.from_ical(data)
    assert not cal.walk("VALARM")
    items: dict[str, Item] = {}
    for comp in cal.walk(name):
        end = comp.decoded("due" if todo else "dtend")
        item = Item(
            uid=str(comp["uid"]),
            summary=str(comp["summary"]),
            description=str(comp["description"]),
            start=comp.decoded("dtstart") if "dtstart" in comp else None,
            end=end,
            sequence=int(comp["sequence"]),
            stamp=comp.decoded("dtstamp"),
            status=str(comp["status"]) if "status" in comp else None,
            completed=comp.decoded("completed") if "completed" in comp else None,
            categories=tuple(str(c) for c in comp.categories),
        )
        assert item.uid not in items, f"duplicate UID {item.uid}"
        items[item.uid] = item
        # All-day: plain dates (VALUE=DATE), never midnight datetimes.
        assert type(item.end) is date
        assert type(item.start) is date if not todo or item.start else item.start is None
        assert item.stamp.tzinfo is not None and item.stamp.utcoffset().total_seconds() == 0

    stream = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    other = stream.todos if todo else stream.events
    assert len(other) == len(items)
    for comp2 in other:
        item = items[comp2.uid]
        assert comp2.summary == item.summary
        assert comp2.description == item.description
        assert comp2.dtstart == item.start
        assert (comp2.due if todo else comp2.dtend) == item.end
        assert comp2.sequence == item.sequence
        assert comp2.dtstamp == item.stamp
        assert list(comp2.categories) == list(item.categories)
        if todo:
            assert (comp2.status.value if comp2.status else None) == item.status
            assert comp2.completed == item.completed

    expanded = recurring_ical_events.of(cal, components=[name]).between(
        date(2000, 1, 1), date(2100, 1, 1)
    )
    assert sorted(str(c["uid"]) for c in expanded) == sorted(items)
    for comp3 in expanded:
        item = items[str(comp3["uid"])]
        if item.start is not None:
            assert comp3.decoded("dtstart") == item.start
        assert comp3.decoded("due" if todo else "dtend") == item.end
    return cal, items


def by_summary(items: dict[str, Item], text: str) -> list[Item]:
    return [i for i in items.values() if text in i.summary]


def ics(run: Run, *args: str) -> bytes:
    result = run("ics", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes


Live = Callable[..., bytes]
"""``live(*ics_args)``: the calendar a subscriber gets on TODAY (the feed
server's path: revisions recorded), for the same options as ``ics``."""


@pytest.fixture
def live(make_app: MakeApp) -> Live:
    """``roadmap ics --today D`` is a what-if that leaves the live revisions
    alone; what a subscriber sees on the pinned day comes from this."""
    from notifications.feeds import calendar_for
    from roadmap.feeds import Scope

    def render(*args: str) -> bytes:
        options = dict(zip(args[::2], args[1::2], strict=False))
        today = date.fromisoformat(options.get("--today", TODAY))
        if "--org" in options:
            scope = Scope("org", options["--org"], options.get("--plan"))
        elif "--party" in options:
            scope = Scope("party", options["--party"], options.get("--plan"))
        else:
            scope = Scope("plan", options["--plan"])
        return calendar_for(make_app(today=today), scope, todo="--todo" in args)

    return render


def cal_text(cal: icalendar.Calendar, prop: str) -> str:
    return str(cal[prop])


