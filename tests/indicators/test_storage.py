"""Storage of indicator values on every backend: the table is append-only
(the database itself refuses UPDATE and DELETE), and migration 0010 goes
down and up again keeping what it must."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, delete, inspect, select, update
from sqlalchemy.exc import DBAPIError

from roadmap.storage.db import alembic_config, open_engine, schema_version
from roadmap.storage.tables import IndicatorRow, IndicatorValueRow
from tests.fixtures import Run
from tests.indicators.conftest import CITY, set_value


@pytest.fixture
def engine(db_url: str, loaded: Path, tmp_path: Path) -> Iterator[Engine]:
    eng = open_engine(db_url, data_dir=tmp_path / "data")
    yield eng
    eng.dispose()


@pytest.mark.parametrize("statement", ["update", "delete"])
def test_reported_values_cannot_be_changed_or_deleted(
    run: Run, engine: Engine, statement: str
) -> None:
    set_value(run, CITY, "events", "--year", "2023", "--value", "4", "--org", "school-1")
    change = (
        update(IndicatorValueRow).values(value=40)
        if statement == "update"
        else delete(IndicatorValueRow)
    )
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(change)
    with engine.connect() as connection:
        assert list(connection.scalars(select(IndicatorValueRow.value))) == [4]


def test_migration_0010_goes_down_and_up(run: Run, engine: Engine, plans_dir: Path) -> None:
    set_value(run, CITY, "events", "--year", "2023", "--value", "4", "--org", "school-1")
    config = alembic_config()
    below = ScriptDirectory.from_config(config).get_revision("0010").down_revision
    head = schema_version(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, str(below))
    tables = inspect(engine)
    assert "indicator_values" not in tables.get_table_names()
    assert "kind" not in {c["name"] for c in tables.get_columns("indicators")}
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
    assert schema_version(engine) == head
    with engine.connect() as connection:
        # Indicators loaded before 0010 read as counts until the plan is reloaded.
        kinds = set(connection.scalars(select(IndicatorRow.kind)))
    assert kinds == {"count"}
    assert run("load", str(plans_dir)).exit_code == 0
    with engine.connect() as connection:
        kinds = set(connection.scalars(select(IndicatorRow.kind)))
    assert kinds == {"count", "share", "level", "yes_no"}
    set_value(run, CITY, "events", "--year", "2023", "--value", "5", "--org", "school-1")
    history = json.loads(run("history", CITY, "--indicators", "--format", "json").stdout)
    assert [e["value"] for e in history] == [5]
