"""``occurrences.done_at``/``done_by`` follow the completion log: set by a
``done``, cleared by a ``reopen``, moved by ``done --again`` — in the same
unit of work — while completion rows stay append-only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from roadmap.storage.db import open_engine, session_factory, write_session
from roadmap.storage.repository import load_catalog
from roadmap.storage.tables import CompletionRow, OccurrenceRow
from roadmap.tracking import Selector, mark_done, reopen
from tests.scale.test_national import national

PLAN = f"{national.TEMPLATES[0]}--m0001"
TODAY = date(2024, 3, 1)
T0 = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)


def _state(session, occurrence_id: int) -> tuple[datetime | None, str | None, int]:  # type: ignore[no-untyped-def]
    row = session.get(OccurrenceRow, occurrence_id)
    session.refresh(row)
    n = session.scalar(
        select(func.count()).select_from(CompletionRow)
        .where(CompletionRow.occurrence_id == occurrence_id)
    )
    return row.done_at, row.done_by, n


def test_done_reopen_again_keep_done_at(db_url: str) -> None:
    engine = open_engine(db_url)
    sessions = session_factory(engine)
    try:
        part = national.municipality(1, 1, 2, "Asia/Irkutsk", national.templates())
        with write_session(sessions) as session:
            load_catalog(session, part, T0)
        sel = Selector(PLAN, "order-3.1", org="school-1")
        today = lambda _zone: TODAY  # noqa: E731

        with write_session(sessions) as session:
            done = mark_done(session, today, sel, by="ivanova", at=T0, url="https://example.org/a")
        occ = done.occurrence.id
        with sessions() as session:
            assert _state(session, occ) == (T0, "ivanova", 1)

        with write_session(sessions) as session:
            reopen(session, today, sel, by="petrov", at=T0 + timedelta(hours=1), reason="нет файла")
        with sessions() as session:
            assert _state(session, occ) == (None, None, 2)

        with write_session(sessions) as session:
            mark_done(session, today, sel, by="sidorova", at=T0 + timedelta(hours=2),
                      url="https://example.org/b")
        with write_session(sessions) as session:
            mark_done(session, today, sel, by="ivanova", at=T0 + timedelta(hours=3),
                      url="https://example.org/c", again=True)
        with sessions() as session:
            assert _state(session, occ) == (T0 + timedelta(hours=3), "ivanova", 4)
            # The log is untouched: every row as first written.
            log = session.scalars(
                select(CompletionRow).where(CompletionRow.occurrence_id == occ)
                .order_by(CompletionRow.id)
            ).all()
            assert [(c.action, c.by) for c in log] == [
                ("done", "ivanova"), ("reopen", "petrov"), ("done", "sidorova"),
                ("done", "ivanova"),
            ]

        # A failed unit of work leaves neither the completion nor done_at.
        with pytest.raises(RuntimeError), write_session(sessions) as session:
            reopen(session, today, sel, by="petrov", at=T0 + timedelta(hours=4), reason="x")
            raise RuntimeError("rolled back")
        with sessions() as session:
            assert _state(session, occ) == (T0 + timedelta(hours=3), "ivanova", 4)
    finally:
        engine.dispose()
