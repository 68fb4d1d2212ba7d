"""The outbox's unique key holds when two writers race: ``ON CONFLICT DO
NOTHING`` is the guard when the read of existing keys cannot see a row that
another transaction is inserting (PostgreSQL, READ COMMITTED)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime

from sqlalchemy import select, text

from notifications.digest import Envelope
from notifications.outbox import enqueue
from roadmap.storage.db import open_engine, session_factory
from roadmap.storage.tables import OutboxRow
from tests.backends import fresh_pg_database, postgres_only

NOW = datetime(2024, 3, 1, 0, 30, tzinfo=UTC)


def waiting_for_a_lock(url: str) -> bool:
    """Whether a session on this test's database waits for a lock."""
    engine = open_engine(url, migrate=False)
    try:
        with engine.connect() as connection:
            waiting = connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            return bool(waiting)
    finally:
        engine.dispose()


@postgres_only
def test_two_writers_enqueuing_the_same_digest_store_it_once() -> None:
    envelope = Envelope(
        "digest", date(2024, 3, 1), "Asia/Irkutsk", "imcro@example.org", counts=True,
        routes={(1, None)},
    )
    with fresh_pg_database() as url:
        engine = open_engine(url)
        sessions = session_factory(engine)
        errors: list[BaseException] = []

        def second_writer() -> None:
            try:
                with sessions() as session, session.begin():
                    enqueue(session, [envelope], [], NOW)
            except BaseException as err:  # reported by the test below
                errors.append(err)

        try:
            with sessions() as first, first.begin():
                added, _skipped = enqueue(first, [envelope], [], NOW)
                assert added == [envelope]
                racer = threading.Thread(target=second_writer)
                racer.start()
                # The second writer read no key (ours is not committed) and now
                # waits on the unique index for our transaction to end.
                deadline = time.monotonic() + 10
                while not waiting_for_a_lock(url):
                    assert time.monotonic() < deadline, "the second writer never blocked"
                    time.sleep(0.02)
            racer.join(10)
            assert not racer.is_alive()
            assert errors == []
            with sessions() as session:
                keys = session.scalars(select(OutboxRow.key)).all()
            assert keys == ["digest/2024-03-01/Asia/Irkutsk/imcro@example.org"]
        finally:
            engine.dispose()
