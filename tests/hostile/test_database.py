"""A damaged or hand-edited database: one clean error, nothing written
(issue 18, item 5); ``roadmap db check`` and ``roadmap db backup``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from roadmap.errors import StorageError
from roadmap.storage.db import open_engine
from roadmap.storage.health import backup_database, check_database
from tests.fixtures import Env, Run, cli, cli_env, load_plans, write_plan_tree
from tests.hostile.bounded import assert_clean, python
from tests.test_validate import GOOD_PLAN, REGISTER

PLANS = {"town-2023.yaml": GOOD_PLAN, "orgs/town.yaml": REGISTER}


@pytest.fixture
def loaded_db(tmp_path: Path) -> tuple[Path, Env]:
    """A data directory with the plans loaded; its database file, checkpointed."""
    env = cli_env(tmp_path / "data")
    load_plans(cli(env), write_plan_tree(tmp_path / "plans", PLANS))
    db = tmp_path / "data" / "roadmap.db"
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db, env


def damage_page(db: Path, page: int) -> None:
    data = bytearray(db.read_bytes())
    data[page * 4096 : (page + 1) * 4096] = bytes(4096)
    db.write_bytes(data)


def first_table_page(db: Path, table: str) -> int:
    with sqlite3.connect(db) as connection:
        root = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()[0]
    return int(root) - 1


def failing(run: Run, *args: str) -> str:
    """``roadmap *args`` (in-process: an exception would escape) must exit
    1; its stderr."""
    result = run(*args)
    assert result.exit_code == 1, (result.exit_code, result.output)
    return result.stderr


def test_load_refuses_a_damaged_file_and_leaves_it(
    tmp_path: Path, loaded_db: tuple[Path, Env]
) -> None:
    db, env = loaded_db
    damage_page(db, first_table_page(db, "tasks"))
    before = db.read_bytes()
    run = cli(env)
    err = failing(run, "load", str(tmp_path / "plans"))
    assert f"База данных {db} повреждена" in err
    assert "Восстановите её из резервной копии" in err and "roadmap db check" in err
    assert db.read_bytes() == before
    # A command that reads the damaged table: the same one message.
    assert f"База данных {db} повреждена" in failing(run, "show", "town-2023")
    assert "найдено проблем" in failing(run, "db", "check")


def test_a_file_that_is_no_database_is_called_damaged(loaded_db: tuple[Path, Env]) -> None:
    db, env = loaded_db
    damage_page(db, 0)
    for command in (["plans"], ["db", "check"], ["db", "backup", str(db.parent / "copy.db")]):
        err = failing(cli(env), *command)
        assert "file is not a database" in err or "повреждена" in err
    assert not (db.parent / "copy.db").exists()


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        ("DROP TABLE completions", "no such table: completions"),
        ("ALTER TABLE tasks RENAME COLUMN activity TO act", "no such column: tasks.activity"),
        ("DROP TABLE alembic_version", "нет таблицы alembic_version"),
    ],
)
def test_a_drifted_schema_is_a_clean_error(
    tmp_path: Path, loaded_db: tuple[Path, Env], edit: str, says: str
) -> None:
    db, env = loaded_db
    with sqlite3.connect(db) as connection:
        connection.execute(edit)
    run = cli(env)
    command = ["history", "town-2023"] if "completions" in edit else ["show", "town-2023"]
    for args in (command, ["load", str(tmp_path / "plans")]):
        err = failing(run, *args)
        assert "Схема базы данных" in err and (says in err or "нет " in err), err
    err = failing(run, "db", "check")
    assert "нет таблицы" in err or "нет столбца" in err


def test_backup_is_a_whole_sound_copy_taken_while_in_use(
    tmp_path: Path, loaded_db: tuple[Path, Env]
) -> None:
    db, env = loaded_db
    run = cli(env)
    with sqlite3.connect(db) as reader:  # an open read transaction does not stop it
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM occurrences").fetchone()
        result = run("db", "backup", str(tmp_path / "copy.db"))
        reader.rollback()
    assert result.exit_code == 0, result.stderr
    assert "Копия базы записана" in result.stdout
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert copy.execute("SELECT code FROM plans").fetchall() == [("town-2023",)]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".copy")] == []
    assert run("db", "check").exit_code == 0


def test_check_and_backup_on_every_backend(db_url: str, tmp_path: Path) -> None:
    engine = open_engine(db_url)
    try:
        report = check_database(engine)
        assert report.ok, report.problems
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE status_snapshots"))
        assert check_database(engine).problems == ["нет таблицы status_snapshots"]
        if engine.dialect.name == "sqlite":
            assert backup_database(engine, tmp_path / "copy.db") > 0
        else:
            with pytest.raises(StorageError, match="pg_dump --format=custom"):
                backup_database(engine, tmp_path / "copy.dump")
    finally:
        engine.dispose()


def test_corrupted_pages_fuzz(tmp_path: Path, child_env: dict[str, str]) -> None:
    """30 damaged copies (fixed seed) × the everyday commands, in one bounded
    child: exit 0 or 1, never a traceback; ``load`` refuses every copy that
    fails ``quick_check`` and leaves it as it was."""
    result = python(
        ["-m", "tests.hostile.fuzz", "pages", str(tmp_path), "30"], child_env, timeout=60
    )
    assert_clean(result, 0)
    assert b"cases 30" in result.stdout


async def test_the_daily_job_refuses_a_damaged_file(
    loaded_db: tuple[Path, Env], caplog: pytest.LogCaptureFixture
) -> None:
    from roadmap.app import App
    from roadmap.settings import load_settings
    from scheduler.jobs import _daily_body

    db, env = loaded_db
    app = App(settings=load_settings(environ={k: v for k, v in env.items() if v is not None}))
    app.engine  # noqa: B018  opened (and checked) before the damage, as in a running daemon
    damage_page(db, first_table_page(db, "tasks"))
    before = db.read_bytes()
    await _daily_body(app, "Asia/Irkutsk")
    app.close()
    assert db.read_bytes() == before
    assert "не выполнена" in caplog.text and "повреждена" in caplog.text
