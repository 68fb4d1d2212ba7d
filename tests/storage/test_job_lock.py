"""``job_lock``: one holder at a time of a named job body on PostgreSQL
(several daemons on one database); always granted on SQLite."""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from roadmap.storage.db import (
    JOB_LOCK,
    _job_key,
    job_lock,
    open_engine,
    session_factory,
    write_session,
)
from roadmap.storage.repository import load_catalog
from tests.backends import postgres_only
from tests.storage import workers
from tests.storage.factory import NOW, catalog

NAME = "daily-digest:Asia/Irkutsk"
CTX = multiprocessing.get_context("spawn")


class Boom(Exception):
    pass


@pytest.fixture
def pg_engines(pg_db: str) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one database, as two daemons would have."""
    first = open_engine(pg_db)
    second = open_engine(pg_db, migrate=False)
    yield first, second
    first.dispose()
    second.dispose()


def holders(url: str, name: str = NAME) -> list[int]:
    """Server pids holding the job lock ``name``, seen from a plain connection."""
    raw = create_engine(url, poolclass=NullPool)
    try:
        with raw.connect() as conn:
            return list(
                conn.execute(
                    text(
                        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                        " AND classid = :high AND objid = :low AND objsubid = 2"
                    ),
                    # pg_locks shows the two int4 keys as unsigned oids.
                    {"high": JOB_LOCK, "low": _job_key(name) % (1 << 32)},
                ).scalars()
            )
    finally:
        raw.dispose()


def test_sqlite_job_lock_is_always_granted(sqlite_db: str) -> None:
    first, second = open_engine(sqlite_db), open_engine(sqlite_db)
    with job_lock(first, NAME) as one, job_lock(second, NAME) as two:
        assert (one, two) == (True, True)
    first.dispose()
    second.dispose()


@postgres_only
def test_postgres_job_lock_has_one_holder_until_released(
    pg_engines: tuple[Engine, Engine], pg_db: str
) -> None:
    first, second = pg_engines
    with job_lock(first, NAME) as mine:
        assert mine
        assert len(holders(pg_db)) == 1
        with job_lock(second, NAME) as theirs:
            assert not theirs
        with job_lock(first, NAME) as again:  # another connection of the same process
            assert not again
        with job_lock(second, "daily-digest:Europe/Moscow") as other_job:
            assert other_job
    assert holders(pg_db) == []
    with job_lock(second, NAME) as theirs:
        assert theirs


@postgres_only
def test_postgres_job_lock_is_released_when_the_body_raises(
    pg_engines: tuple[Engine, Engine], pg_db: str
) -> None:
    first, second = pg_engines
    with pytest.raises(Boom), job_lock(first, NAME) as mine:
        assert mine
        raise Boom
    assert holders(pg_db) == []
    with job_lock(second, NAME) as theirs:
        assert theirs


@postgres_only
def test_postgres_job_lock_blocks_no_writer(pg_engines: tuple[Engine, Engine]) -> None:
    first, second = pg_engines
    with job_lock(first, NAME) as mine, write_session(session_factory(second)) as session:
        assert mine
        load_catalog(session, catalog(), NOW)


@postgres_only
def test_postgres_job_lock_survives_losing_its_connection(
    pg_engines: tuple[Engine, Engine], pg_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The server ends the holder's session (restart, admin): the lock is
    gone with it, the body is not failed, the dead connection is dropped."""
    first, second = pg_engines
    with caplog.at_level(logging.WARNING, logger="roadmap.storage.db"):
        with job_lock(first, NAME) as mine:
            assert mine
            (pid,) = holders(pg_db)
            with second.connect() as conn:
                assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
            deadline = time.monotonic() + 10
            while holders(pg_db) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert holders(pg_db) == []
        assert "unlock failed" in caplog.text
    with job_lock(first, NAME) as again:
        assert again


@postgres_only
@pytest.mark.slow
def test_postgres_job_lock_is_released_when_its_process_is_killed(pg_db: str) -> None:
    open_engine(pg_db).dispose()  # the schema, before the child starts
    held = CTX.Event()
    child = CTX.Process(target=workers.hold_job_lock, args=(pg_db, NAME, held))
    child.start()
    engine = open_engine(pg_db, migrate=False)
    try:
        assert held.wait(timeout=60), "the child never took the lock"
        with job_lock(engine, NAME) as mine:
            assert not mine
        child.kill()  # SIGKILL: no unlock, no clean disconnect
        child.join(timeout=30)
        deadline = time.monotonic() + 10
        while True:
            with job_lock(engine, NAME) as mine:
                if mine:
                    break
            assert time.monotonic() < deadline, "the killed holder's lock was never freed"
            time.sleep(0.05)
    finally:
        if child.is_alive():
            child.kill()
            child.join()
        engine.dispose()
