"""The morning sweep's counts carried from yesterday's snapshot
(:func:`roadmap.sweep.sweep_counts`) are exactly the counts of every
occurrence (:func:`roadmap.sweep.status_counts`), whatever happened in
between: days passing forwards and backwards, completions and reopenings
through the real path, another look-ahead, a reload of the catalogue — and
they cost what changed, not the whole history. On every backend."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from roadmap.app import App
from roadmap.status import Status
from roadmap.storage.db import write_session
from roadmap.storage.repository import load_catalog, record_completion
from roadmap.storage.tables import REOPEN, OccurrenceRow
from roadmap.sweep import CountCost, status_counts, sweep_counts
from tests.fixtures import benchmark

national = benchmark("national")
AT = datetime(2024, 11, 15, 3, 0, tzinfo=UTC)


def _both(app: App, day: date, soon: int = 14) -> tuple[dict[str, dict[Status, int]], CountCost]:
    today_for = lambda _zone: day  # noqa: E731
    with write_session(app.sessions) as session:
        swept, cost = sweep_counts(session, today_for, due_soon_days=soon)
    with app.sessions() as session:
        every = status_counts(session, today_for, due_soon_days=soon)
    assert swept == every, day
    return swept, cost


def _open_due(app: App, day: date, n: int, rng: random.Random) -> list[int]:
    with app.sessions() as session:
        ids = list(session.scalars(
            select(OccurrenceRow.id).where(OccurrenceRow.done_at.is_(None),
                                           OccurrenceRow.withdrawn_at.is_(None),
                                           OccurrenceRow.due <= day)
        ))
    return rng.sample(ids, n)


@pytest.mark.slow
def test_carried_counts_equal_the_full_count_and_cost_what_changed(
    db_url: str, tmp_path: Path
) -> None:
    rng = random.Random(20241115)
    app = national.make_app(db_url, tmp_path, national.TODAY)
    try:
        results = national.Results("tiny", app.engine.dialect.name)
        national.load(app, national.SCALES["tiny"], results, lambda _line: None)
        national.mark_done(app, results)
        day = national.TODAY

        _counts, first = _both(app, day)
        assert first.carried == 0 and first.recounted == 12 and first.read > 2_000

        # The next day: nothing is read afresh; only what crossed a boundary moves.
        counts, next_day = _both(app, day + timedelta(days=1))
        assert (next_day.carried, next_day.recounted, next_day.read) == (12, 0, 0)
        assert 0 < next_day.moved < 200
        assert sum(counts[p].get(Status.OVERDUE, 0) for p in counts) > 0

        # Completions and a reopening through the real path: only those
        # plans are counted afresh.
        done = _open_due(app, day, 5, rng)
        with write_session(app.sessions) as session:
            for occurrence in done:
                record_completion(session, occurrence, "curator", AT, url="https://example.org/r")
            record_completion(session, done[0], "curator", AT, action=REOPEN, note="ошибка")
        with app.sessions() as session:
            touched = set(session.scalars(
                select(OccurrenceRow.plan_id).where(OccurrenceRow.id.in_(done))
            ))
        _counts, after = _both(app, day + timedelta(days=2))
        assert after.recounted == len(touched) and after.carried == 12 - len(touched)

        # Days jump forwards, backwards, and stay.
        for shift in (40, 41, -100, -100, 365, 3):
            _both(app, day + timedelta(days=shift))

        # Another look-ahead is counted afresh, then carried.
        assert _both(app, day + timedelta(days=4), soon=3)[1].recounted == 12
        assert _both(app, day + timedelta(days=5), soon=3)[1].recounted == 0

        # A reload that drops a school withdraws its occurrences.
        part = national.municipality(1, 1, 5, national.ZONES[0], national.templates())
        register = next(iter(part.registers.values()))
        smaller = national.Country(
            part.plans, {register.id: replace(register, organisations=register.organisations[:-1])}
        )
        with write_session(app.sessions) as session:
            load_catalog(session, smaller, AT + timedelta(hours=1))
        counts, reloaded = _both(app, day + timedelta(days=6))
        assert reloaded.recounted > 0
        assert sum(c.get(Status.WITHDRAWN, 0) for c in counts.values()) > 0
    finally:
        app.close()
