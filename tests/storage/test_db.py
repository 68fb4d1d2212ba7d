"""Engine, unit of work and schema versioning on a real SQLite file."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

import roadmap.storage.migrations as migrations_pkg
from roadmap.errors import StorageError
from roadmap.i18n import set_language
from roadmap.storage.db import (
    alembic_config,
    ensure_schema,
    open_engine,
    schema_version,
    session_factory,
    write_session,
)
from roadmap.storage.repository import load_catalog, occurrences_of, record_completion
from roadmap.storage.tables import PlanRow
from tests.storage.factory import NOW, catalog


def test_new_database_gets_the_schema(engine: Engine, tmp_path: Path) -> None:
    assert (tmp_path / "data" / "roadmap.db").is_file()
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


def test_connection_pragmas(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() >= 5000


def test_data_dir_is_created(tmp_path: Path) -> None:
    data = tmp_path / "deep" / "er"
    eng = open_engine(f"sqlite:///{data / 'roadmap.db'}", data_dir=data)
    eng.dispose()
    assert (data / "roadmap.db").is_file()


def test_memory_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        open_engine("sqlite://", data_dir=tmp_path)


def test_write_session_begins_immediate_and_reads_do_not(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
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
    for statement in ("UPDATE completions SET note = 'x'", "DELETE FROM completions"):
        with pytest.raises(IntegrityError, match="append-only"), write_session(sessions) as session:
            session.execute(text(statement))
    raw = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    assert raw.execute("SELECT count(*) FROM completions").fetchone() == (1,)
    raw.close()


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
    raw = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    assert raw.execute("SELECT version_num FROM alembic_version").fetchall() == [(NEXT,)]
    raw.close()


def test_unknown_revision_is_refused(engine: Engine, db_url: str, tmp_path: Path) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(StorageError, match="0099"):
        open_engine(db_url, data_dir=tmp_path / "data")


def test_a_writer_waits_for_the_lock_then_gives_a_clear_error(db_url: str, tmp_path: Path) -> None:
    set_language("ru")
    eng = open_engine(db_url, data_dir=tmp_path / "data", busy_timeout_ms=300)
    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process is writing
    try:
        with (
            pytest.raises(StorageError, match="занята другим процессом"),
            write_session(session_factory(eng)) as session,
        ):
            load_catalog(session, catalog(), NOW)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with write_session(session_factory(eng)) as session:  # free again: it works
        load_catalog(session, catalog(), NOW)
    eng.dispose()
