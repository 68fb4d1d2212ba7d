"""Engine, unit of work and schema versioning: the contract on every backend
(``db_url``, ``engine``, ``sessions``), then each backend's own mechanics
(``test_sqlite_…``, ``test_postgres_…``)."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

import roadmap.storage.migrations as migrations_pkg
from roadmap.errors import StorageError
from roadmap.i18n import set_language
from roadmap.storage.db import (
    WRITER_LOCK,
    alembic_config,
    ensure_schema,
    open_engine,
    schema_version,
    session_factory,
    write_session,
)
from roadmap.storage.repository import load_catalog, occurrences_of, record_completion
from roadmap.storage.tables import PlanRow
from tests.backends import SQLITE, postgres_only
from tests.storage.factory import NOW, catalog


def scalar(url: str, sql: str) -> object:
    """One value read over a plain connection, bypassing roadmap's engine."""
    raw = create_engine(url, poolclass=NullPool)
    try:
        with raw.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        raw.dispose()


@contextmanager
def another_writer(backend: str, url: str) -> Iterator[None]:
    """Another process's write transaction, held open for the block."""
    if backend == SQLITE:
        holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    raw = create_engine(url, poolclass=NullPool)
    try:
        with raw.connect() as conn, conn.begin() as transaction:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK})
            yield
            transaction.rollback()
    finally:
        raw.dispose()


# ---------------------------------------------------------------- contract


def test_new_database_gets_the_schema(engine: Engine) -> None:
    assert schema_version(engine) == HEAD
    tables = set(inspect(engine).get_table_names())
    assert {
        "plans",
        "parties",
        "registers",
        "organisations",
        "tasks",
        "occurrences",
        "completions",
        "indicators",
        "indicator_targets",
        "alembic_version",
    } <= tables
    indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("occurrences")}
    assert indexes["ix_occurrences_plan_id_due"] == ["plan_id", "due"]
    assert indexes["ix_occurrences_due"] == ["due"]


def test_sqlite_connection_pragmas(sqlite_db: str, tmp_path: Path) -> None:
    engine = open_engine(sqlite_db, data_dir=tmp_path / "data")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() >= 5000
    engine.dispose()


def test_sqlite_data_dir_is_created(tmp_path: Path) -> None:
    data = tmp_path / "deep" / "er"
    eng = open_engine(f"sqlite:///{data / 'roadmap.db'}", data_dir=data)
    eng.dispose()
    assert (data / "roadmap.db").is_file()


def test_sqlite_memory_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        open_engine("sqlite://", data_dir=tmp_path)


def test_sqlite_write_session_begins_immediate_and_reads_do_not(
    sqlite_db: str, tmp_path: Path
) -> None:
    engine = open_engine(sqlite_db, data_dir=tmp_path / "data")
    sessions = session_factory(engine)
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def log(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    with write_session(sessions) as session:
        session.execute(select(PlanRow))
    assert statements[0] == "BEGIN IMMEDIATE"
    statements.clear()
    with sessions() as session:
        session.execute(select(PlanRow))
    assert statements[0] == "BEGIN"
    engine.dispose()


@postgres_only
def test_postgres_connection_settings(pg_db: str) -> None:
    engine = open_engine(pg_db)
    assert engine.pool._pre_ping
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW TimeZone").scalar() == "UTC"
    engine.dispose()


@postgres_only
def test_postgres_migration_holds_the_writers_lock(pg_db: str) -> None:
    """Two processes starting on a new database: the second waits for the
    first one's migration (here: gives up after its busy timeout)."""
    set_language("ru")
    with (
        another_writer("postgres", pg_db),
        pytest.raises(StorageError, match="занята другим процессом"),
    ):
        open_engine(pg_db, busy_timeout_ms=300)
    assert scalar(pg_db, "SELECT to_regclass('alembic_version') IS NULL") is True
    engine = open_engine(pg_db)  # free again: it migrates
    assert schema_version(engine) == HEAD
    engine.dispose()


@postgres_only
def test_postgres_write_session_takes_the_writers_lock_and_reads_do_not(pg_db: str) -> None:
    engine = open_engine(pg_db, busy_timeout_ms=1234)
    sessions = session_factory(engine)
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def log(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    with write_session(sessions) as session:
        session.execute(select(PlanRow))
        held = session.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                 " AND pid = pg_backend_pid()")
        ).scalar()
        assert session.execute(text("SHOW lock_timeout")).scalar() == "1234ms"
    assert held == 1
    assert statements[:2] == [
        "SET LOCAL lock_timeout = 1234",
        f"SELECT pg_advisory_xact_lock({WRITER_LOCK})",
    ]
    statements.clear()
    with sessions() as session:
        session.execute(select(PlanRow))
    assert not any("advisory" in s or "lock_timeout" in s for s in statements)
    engine.dispose()


def test_write_session_is_all_or_nothing(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), write_session(sessions) as session:
        load_catalog(session, catalog(), NOW)
        raise RuntimeError("boom in the middle")
    with sessions() as session:
        assert session.scalars(select(PlanRow)).all() == []


def test_timestamps_come_back_aware_utc(sessions: sessionmaker[Session]) -> None:
    irkutsk = timezone(timedelta(hours=8))
    local = datetime(2024, 3, 1, 10, 30, tzinfo=irkutsk)
    with write_session(sessions) as session:
        load_catalog(session, catalog(), local)
    with sessions() as session:
        plan = session.scalars(select(PlanRow)).one()
        assert plan.loaded_at == local
        assert plan.loaded_at.tzinfo == UTC
        assert plan.loaded_at.hour == 2
        stored = session.execute(text("SELECT loaded_at FROM plans")).scalar()
        assert str(stored).startswith("2024-03-01 02:30:00")


def test_naive_timestamps_are_refused(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(StatementError), write_session(sessions) as session:
        load_catalog(session, catalog(), datetime(2024, 3, 1, 10, 30))  # noqa: DTZ001


def test_completions_are_append_only(sessions: sessionmaker[Session], db_url: str) -> None:
    with write_session(sessions) as session:
        load_catalog(session, catalog(), NOW)
        occ = occurrences_of(session, "test-plan")[0]
        record_completion(session, occ.id, by="ivanova", at=NOW)
    # SQLite's RAISE(ABORT) is an IntegrityError, PL/pgSQL's RAISE EXCEPTION
    # an InternalError: both refuse, naming the rule.
    for statement in ("UPDATE completions SET note = 'x'", "DELETE FROM completions"):
        with pytest.raises(DBAPIError, match="append-only"), write_session(sessions) as session:
            session.execute(text(statement))
    assert scalar(db_url, "SELECT count(*) FROM completions") == 1
    assert scalar(db_url, "SELECT note FROM completions") is None


def test_foreign_keys_are_enforced(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(IntegrityError), write_session(sessions) as session:
        session.execute(
            text(
                "INSERT INTO completions (occurrence_id, action, at, by) "
                "VALUES (999, 'done', '2024-01-01 00:00:00', 'x')"
            )
        )


# ---------------------------------------------------------------- versions

# The code's newest revision; the test-only «next release» revises it.
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
NEXT = "9999"

MIGRATION_NEXT = '''"""Test only: a later revision that adds a column."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "{next}"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("extra", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("extra")
'''


@pytest.fixture
def newer_code(tmp_path: Path) -> str:
    """A copy of the migrations with one more revision: «the next release»."""
    target = tmp_path / "migrations"
    shutil.copytree(
        Path(migrations_pkg.__file__).parent, target, ignore=shutil.ignore_patterns("__pycache__")
    )
    migration = MIGRATION_NEXT.replace("{next}", NEXT).replace("{head}", str(HEAD))
    (target / "versions" / f"{NEXT}_extra.py").write_text(migration, encoding="utf-8")
    return str(target)


def test_older_database_is_upgraded_keeping_its_data(
    engine: Engine, sessions: sessionmaker[Session], newer_code: str
) -> None:
    with write_session(sessions) as session:
        load_catalog(session, catalog(), NOW)
    ensure_schema(engine, script_location=newer_code)
    assert schema_version(engine) == NEXT
    assert "extra" in {c["name"] for c in inspect(engine).get_columns("plans")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT code FROM plans")).scalars().all() == ["test-plan"]
    ensure_schema(engine, script_location=newer_code)  # already at head: nothing to do


def test_newer_database_is_refused_with_a_clear_message(
    engine: Engine, db_url: str, tmp_path: Path, newer_code: str
) -> None:
    ensure_schema(engine, script_location=newer_code)  # written by «the next release»
    engine.dispose()
    set_language("ru")
    with pytest.raises(StorageError) as caught:
        open_engine(db_url, data_dir=tmp_path / "data")
    message = str(caught.value)
    assert "новой версией roadmap" in message
    assert NEXT in message and str(HEAD) in message and "обновите roadmap" in message
    assert scalar(db_url, "SELECT version_num FROM alembic_version") == NEXT
    assert scalar(db_url, "SELECT count(*) FROM alembic_version") == 1


def test_unknown_revision_is_refused(engine: Engine, db_url: str, tmp_path: Path) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(StorageError, match="0099"):
        open_engine(db_url, data_dir=tmp_path / "data")


def test_a_writer_waits_for_the_lock_then_gives_a_clear_error(
    backend: str, db_url: str, tmp_path: Path
) -> None:
    set_language("ru")
    eng = open_engine(db_url, data_dir=tmp_path / "data", busy_timeout_ms=300)
    with (
        another_writer(backend, db_url),
        pytest.raises(StorageError, match="занята другим процессом"),
        write_session(session_factory(eng)) as session,
    ):
        load_catalog(session, catalog(), NOW)
    with write_session(session_factory(eng)) as session:  # free again: it works
        load_catalog(session, catalog(), NOW)
    eng.dispose()


def test_a_waiting_writer_goes_on_when_the_lock_is_released(
    backend: str, db_url: str, tmp_path: Path
) -> None:
    eng = open_engine(db_url, data_dir=tmp_path / "data", busy_timeout_ms=10_000)
    asking = threading.Event()  # the waiter has asked for the write lock

    @event.listens_for(eng, "before_cursor_execute")
    def _asks(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "BEGIN IMMEDIATE" in statement or "pg_advisory_xact_lock" in statement:
            asking.set()

    with another_writer(backend, db_url):
        waiter = threading.Thread(target=_load, args=(eng,))
        waiter.start()
        assert asking.wait(timeout=10)
        assert waiter.is_alive()  # it cannot have the lock: it waits for the other writer
    waiter.join(timeout=10)
    assert not waiter.is_alive()
    with session_factory(eng)() as session:
        assert session.scalars(select(PlanRow.code)).all() == ["test-plan"]
    eng.dispose()


def _load(engine: Engine) -> None:
    with write_session(session_factory(engine)) as session:
        load_catalog(session, catalog(), NOW)
