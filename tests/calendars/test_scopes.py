"""Calendars that name and count the right things: a what-if export leaves
the live feeds alone, event and to-do calendars can share a collection, and
a scope without dates is still a valid calendar (checked by three parsers)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import icalendar
import pytest

from tests.calendars.conftest import TODAY, Live, Run, ics, parse

UNDATED = """\
kind: plan
id: undated-2024-2025
title: План без сроков (тест)
authority: Управление образования (пример)
period: {start: 2024-01-01, end: 2025-12-31}
timezone: Asia/Irkutsk
parties:
  - id: uo
    name: Управление образования (пример)
sections:
  - id: "1"
    title: Мероприятия
    tasks:
      - id: "1.1"
        number: "1.1"
        activity: Мониторинг наставничества
        deadline: null
        responsible: {text: УО, parties: [uo]}
      - id: "1.2"
        number: "1.2"
        activity: Консультации по запросу
        deadline: по мере необходимости
        responsible: {text: УО, parties: [uo]}
"""


@pytest.fixture
def plan_files(plan_files: dict[str, str]) -> dict[str, str]:
    return {**plan_files, "undated-2024-2025.yaml": UNDATED}


def test_a_what_if_export_leaves_the_live_feed_alone(
    run: Run, loaded: Path, live: Live
) -> None:
    before = live("--org", "school-1", "--today", TODAY)
    for day in ("2023-03-15", "2022-06-01"):
        assert ics(run, "--org", "school-1", "--today", day)
        assert ics(run, "--org", "school-1", "--today", day, "--todo")
    # Byte for byte: no SEQUENCE or DTSTAMP moved, the ETag stays.
    assert live("--org", "school-1", "--today", TODAY) == before


def test_event_and_todo_calendars_have_distinct_uids(run: Run, loaded: Path) -> None:
    events_data = ics(run, "--org", "school-1", "--today", TODAY)
    todos_data = ics(run, "--org", "school-1", "--today", TODAY, "--todo")
    events_cal, events = parse(events_data)
    todos_cal, todos = parse(todos_data, todo=True)
    assert str(events_cal["uid"]) != str(todos_cal["uid"])
    assert events and todos and not set(events) & set(todos)
    # Both imported into one collection: every UID is still unique.
    merged = icalendar.Calendar.from_ical(events_data)
    for todo in icalendar.Calendar.from_ical(todos_data).walk("VTODO"):
        merged.add_component(todo)
    uids = [str(c["uid"]) for c in merged.walk() if "uid" in c and c.name != "VCALENDAR"]
    assert len(uids) == len(set(uids)) == len(events) + len(todos)


def test_a_scope_without_dates_is_a_valid_calendar(run: Run, loaded: Path) -> None:
    data = ics(run, "--plan", "undated-2024-2025", "--party", "uo", "--today", "2024-05-20")
    _cal, items = parse(data)
    assert len(items) == 1  # RFC 5545: at least one component
    [only] = items.values()
    assert only.summary == "Сроки не указаны"
    assert (only.start, only.end) == (date(2024, 5, 20), date(2024, 5, 21))
    assert "Мониторинг наставничества" in only.description
    assert "Консультации по запросу" in only.description
    again = ics(run, "--plan", "undated-2024-2025", "--party", "uo", "--today", "2024-05-20")
    assert again == data  # stable bytes on the same day
