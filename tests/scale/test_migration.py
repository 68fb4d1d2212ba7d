"""Migration 0004 backfills ``done_at``/``done_by`` from the completion log
of a database written by 0003, and creates the open-occurrence partial index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import insert, inspect, select

from roadmap.storage.db import (
    alembic_config,
    ensure_schema,
    open_engine,
    schema_version,
    session_factory,
    write_session,
)
from roadmap.storage.repository import load_catalog
from roadmap.storage.tables import CompletionRow, OccurrenceRow
from tests.scale.test_national import national

T0 = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)


def test_0004_backfills_done_at(db_url: str) -> None:
    engine = open_engine(db_url, migrate=False)
    try:
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0003")
        assert schema_version(engine) == "0003"
        part = national.municipality(1, 1, 1, "Asia/Irkutsk", national.templates())
        sessions = session_factory(engine)
        with write_session(sessions) as session:  # the 0003 loader writes no done_at
            load_catalog(session, part, T0)
        with engine.begin() as connection:
            ids = list(connection.scalars(
                select(OccurrenceRow.id).order_by(OccurrenceRow.id).limit(4)
            ))
            history = {
                ids[0]: ["done"],
                ids[1]: ["done", "reopen"],
                ids[2]: ["done", "reopen", "done"],
                ids[3]: [],
            }
            for occ, actions in history.items():
                for n, action in enumerate(actions):
                    connection.execute(insert(CompletionRow).values(
                        occurrence_id=occ, action=action, at=T0 + timedelta(hours=n),
                        by=f"user-{n}",
                    ))

        ensure_schema(engine)

        assert schema_version(engine) == "0004"
        with engine.connect() as connection:
            found = {
                occ: (at, by)
                for occ, at, by in connection.execute(
                    select(OccurrenceRow.id, OccurrenceRow.done_at, OccurrenceRow.done_by)
                    .where(OccurrenceRow.id.in_(ids))
                )
            }
            untouched = connection.scalar(
                select(OccurrenceRow.id).where(OccurrenceRow.done_at.is_not(None),
                                               OccurrenceRow.id.not_in(ids)).limit(1)
            )
        assert found == {
            ids[0]: (T0, "user-0"),
            ids[1]: (None, None),
            ids[2]: (T0 + timedelta(hours=2), "user-2"),
            ids[3]: (None, None),
        }
        assert untouched is None
        indexes = {i["name"]: i for i in inspect(engine).get_indexes("occurrences")}
        assert "ix_occurrences_open_plan_id_due" in indexes
        assert indexes["ix_occurrences_open_plan_id_due"]["column_names"] == ["plan_id", "due"]
    finally:
        engine.dispose()
