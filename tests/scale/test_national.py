"""The national benchmark's core at ``tiny`` scale, as a smoke test: it runs
to the end on every backend, and the set-based sweep counts what the
per-row classification (:func:`roadmap.tracking.status_rows`) counts."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from notifications.outbox import build_outbox
from roadmap.storage.db import open_engine, session_factory
from roadmap.sweep import run_sweep, status_counts
from roadmap.tracking import StatusFilter, status_rows
from tests.fixtures import benchmark

national = benchmark("national")


def _per_row(url: str, day, due_soon_days: int = 14) -> dict[str, int]:  # type: ignore[no-untyped-def]
    engine = open_engine(url)
    try:
        with session_factory(engine)() as session:
            rows = status_rows(
                session, lambda _zone: day,
                StatusFilter(include_withdrawn=True, due_soon_days=due_soon_days),
            )
            return dict(Counter(r.status.value for r in rows))
    finally:
        engine.dispose()


@pytest.mark.slow
def test_tiny_national_run(db_url: str, tmp_path: Path) -> None:
    results = national.run("tiny", db_url, tmp_path)

    assert results.plans == 12
    assert results.occurrences > 2_000
    assert 0 < results.done < results.occurrences
    assert sum(results.counts.values()) == results.occurrences
    assert sum(results.counts2.values()) == results.occurrences
    assert results.digests > 0 and results.rendered > 0
    assert results.report_rows > 0 and results.feed_bytes > 0
    assert results.peak_mb > 0
    # Day 2 (after the day's completions) as the per-row rules see it.
    assert results.counts2 == _per_row(db_url, national.TODAY + timedelta(days=1))

    # Other days and look-aheads: the SQL CASE agrees with classify row by row.
    engine = open_engine(db_url)
    try:
        with session_factory(engine)() as session:
            for shift, soon in ((-700, 14), (-30, 0), (0, 30), (400, 14), (900, -1)):
                day = national.TODAY + timedelta(days=shift)
                counts = status_counts(session, lambda _zone, d=day: d, due_soon_days=soon)
                totals: Counter[str] = Counter()
                for by_status in counts.values():
                    totals.update({s.value: n for s, n in by_status.items()})
                assert dict(totals) == _per_row(db_url, day, soon), (day, soon)
    finally:
        engine.dispose()

    # The daily job's composition: the counts, then the outbox through
    # `roadmap remind`'s path.
    day3 = national.TODAY + timedelta(days=2)
    app = national.make_app(db_url, tmp_path, day3)
    try:
        report = run_sweep(app, today=day3)
        build = build_outbox(app, today=day3)
    finally:
        app.close()
    assert build.added
    assert {s.value: n for s, n in report.totals().items()} == _per_row(db_url, day3)
