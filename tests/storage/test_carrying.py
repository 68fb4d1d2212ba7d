"""Carrying a completion to a corrected deadline, on every backend (the
PostgreSQL load inserts with COPY), and the pairing rule itself."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from roadmap.carry import Slot, nearest, pair
from roadmap.model import Schedule, Window
from roadmap.storage.db import write_session
from roadmap.storage.repository import load_catalog, occurrences_of, record_completion
from roadmap.storage.tables import CompletionRow
from tests.storage.factory import NOW, catalog, make_plan, replace_task

OLD = "test-plan/2.1/imcro//2023-10-28"
NEW = "test-plan/2.1/imcro//2023-11-15"


def _moved(due: date) -> Schedule:
    return Schedule(windows=(Window(None, due),), why="test")


def test_a_moved_deadline_carries_its_completion(sessions: sessionmaker[Session]) -> None:
    with write_session(sessions) as session:
        load_catalog(session, catalog(), NOW)
        ids = {o.key: o.id for o in occurrences_of(session, "test-plan")}
        first = record_completion(session, ids[OLD], "ivanova", NOW, note="приказ № 3")
    plan = replace_task(make_plan(), "2.1", schedule=_moved(date(2023, 11, 15)))
    with write_session(sessions) as session:
        report = load_catalog(session, catalog(plan), NOW + timedelta(days=1))
    (changes,) = report.plans
    (carried,) = changes.carried
    assert (carried.task, carried.party, carried.org) == ("2.1", "imcro", None)
    assert (carried.old_due, carried.new_due) == (date(2023, 10, 28), date(2023, 11, 15))
    assert carried.carried_from_id == first and not changes.undecided
    with sessions() as session:
        new = {o.key: o for o in occurrences_of(session, "test-plan")}[NEW]
        rows = list(session.scalars(select(CompletionRow).order_by(CompletionRow.id)))
    assert [(r.occurrence_id, r.carried_from_id, r.note, r.by) for r in rows] == [
        (ids[OLD], None, "приказ № 3", "ivanova"),
        (new.id, first, "приказ № 3", "ivanova"),
    ]
    # The same files again: nothing more to carry.
    with write_session(sessions) as session:
        again = load_catalog(session, catalog(plan), NOW + timedelta(days=2))
    assert not again.changed and not again.plans[0].carried


def _slots(*dues: str) -> list[Slot]:
    return [Slot(d, None, date.fromisoformat(d)) for d in dues]


def test_pairing_by_position_in_the_year_and_by_overlap() -> None:
    # Two windows a year, the second moved: the second of its year.
    old = _slots("2024-05-31", "2024-11-30")
    new = _slots("2024-05-31", "2024-12-15")
    found = pair(old, new, withdrawn_done={"2024-11-30"}, added={"2024-12-15"})
    assert found.sure == {"2024-11-30": "2024-12-15"} and not found.ambiguous
    # Counts differ, no overlap: ambiguous, the candidates of that year.
    new = _slots("2024-04-30", "2024-06-30", "2024-11-30")
    found = pair(_slots("2024-05-31", "2024-11-30"), new, withdrawn_done={"2024-05-31"},
                 added={"2024-04-30", "2024-06-30"})
    assert found.ambiguous == {"2024-05-31": ["2024-04-30", "2024-06-30"]}
    assert nearest(Slot("x", None, date(2024, 5, 31)), new[:2]).ref == "2024-06-30"
    # Overlapping windows pair even when counts differ.
    old = [Slot("may", date(2024, 5, 1), date(2024, 5, 31))]
    new = [Slot("mid", date(2024, 5, 15), date(2024, 6, 15)), Slot("dec", None, date(2024, 12, 1))]
    found = pair(old, new, withdrawn_done={"may"}, added={"mid", "dec"})
    assert found.sure == {"may": "mid"}
    # Nothing added in the sequence: a plain withdrawal, nothing to carry.
    assert pair(old, [], withdrawn_done={"may"}, added=set()).sure == {}


def test_school_years_count_from_september() -> None:
    # 2024-09-30 and 2025-05-31 are one school year (2024/25): n-th of it.
    old = _slots("2024-09-30", "2025-05-31")
    new = _slots("2024-10-15", "2025-05-31")
    found = pair(old, new, withdrawn_done={"2024-09-30"}, added={"2024-10-15"},
                 school_year_month=9)
    assert found.sure == {"2024-09-30": "2024-10-15"}
