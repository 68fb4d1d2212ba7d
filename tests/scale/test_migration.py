"""Migration 0004 backfills ``done_at``/``done_by`` from the completion log
of a database written by 0003, and creates the open-occurrence partial index;
0005 adds the route index and leaves messages stored rendered sendable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import insert, inspect, select, text

from notifications.outbox import claim
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
    engine = open_engine(db_url)  # the current schema: load with today's loader
    try:
        part = national.municipality(1, 1, 1, "Asia/Irkutsk", national.templates())
        sessions = session_factory(engine)
        with write_session(sessions) as session:
            load_catalog(session, part, T0)
        # Back to 0003 (dropping done_at and everything newer), keeping the rows.
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0003")
        assert schema_version(engine) == "0003"
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

        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0004")

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


def test_0005_keeps_rendered_rows_and_adds_the_route_index(db_url: str) -> None:
    """A message stored rendered before 0005 is claimed and sent as it is."""
    engine = open_engine(db_url, migrate=False)
    try:
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0004")
            connection.execute(text(
                "INSERT INTO outbox (key, recipient, kind, local_date, zone, subject, message,"
                " status, attempts, next_attempt_at, created_at) VALUES ('digest/2024-03-01/UTC/"
                "a@example.org', 'a@example.org', 'digest', '2024-03-01', 'UTC', 'S', :m,"
                " 'pending', 0, :t, :t)"
            ), {"m": b"Subject: S\r\n\r\nhello\r\n", "t": T0})

        ensure_schema(engine)

        indexes = {i["name"]: i for i in inspect(engine).get_indexes("occurrences")}
        assert indexes["ix_occurrences_open_route_due"]["column_names"] == [
            "party_id", "organisation_id", "due"
        ]
        with write_session(session_factory(engine)) as session:
            [claimed] = claim(session, "me", T0, 10, timedelta(minutes=5))
        assert claimed.envelope is None
        assert claimed.message == b"Subject: S\r\n\r\nhello\r\n"
    finally:
        engine.dispose()
