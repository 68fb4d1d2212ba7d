"""Outbox retention (:mod:`notifications.retention`) on a real SQLite file
filled by a real ``roadmap remind`` against the loopback relay: old bodies
dropped, older rows deleted, ``pending``/``sending`` rows never touched, and
the day's key lookup answered by an index, not a scan of the history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from notifications.retention import old_bodies, old_rows, purge_outbox
from roadmap.app import App, Clock
from roadmap.errors import ConfigError
from roadmap.settings import load_settings
from roadmap.storage.db import write_session
from roadmap.storage.tables import OUTBOX_PENDING, OUTBOX_SENDING, OutboxRow
from tests.fixtures import Env
from tests.reminders.conftest import EVERYONE, Relay, Run, Server

DAY = date(2024, 3, 1)  # the day `remind --today` fills
STUCK = {OUTBOX_PENDING: "stuck-pending@example.org", OUTBOX_SENDING: "stuck-sending@example.org"}


@pytest.fixture
def apps(env: Env) -> Iterator[Any]:
    made: list[App] = []

    def make(now: datetime, **settings: str) -> App:
        environ = {k: v for k, v in env.items() if v is not None}
        environ.update({f"ROADMAP_{k.upper()}": v for k, v in settings.items()})
        app = App(settings=load_settings(None, environ=environ), clock=Clock(now=lambda: now))
        made.append(app)
        return app

    yield make
    for app in made:
        app.close()


def filled(run: Run, app: App) -> None:
    """A real day of mail, plus a stuck ``pending`` and ``sending`` row of that day."""
    result = run("remind", "--today", DAY.isoformat())
    assert result.exit_code == 0, result.stderr
    now = datetime(2024, 3, 1, 3, tzinfo=UTC)
    with write_session(app.sessions) as session:
        for status, who in STUCK.items():
            session.execute(insert(OutboxRow), [dict(
                key=f"digest/{DAY}/Asia/Irkutsk/{who}", recipient=who, kind="digest",
                local_date=DAY, zone="Asia/Irkutsk", subject="s", message=b"From: x\r\n\r\nbody",
                status=status, attempts=1, next_attempt_at=now, created_at=now,
                claimed_by="host:1:x" if status == OUTBOX_SENDING else None,
            )])


def rows(app: App) -> dict[str, OutboxRow]:
    with app.sessions() as session:
        return {r.recipient: r for r in session.scalars(select(OutboxRow))}


def test_old_bodies_then_old_rows_go_and_unsent_rows_stay(
    loaded: Path, server: Server, relay: Relay, run: Run, apps: Any
) -> None:
    later = datetime(2024, 4, 15, tzinfo=UTC)  # 45 days after DAY
    app = apps(later)
    filled(run, app)
    before = rows(app)
    assert set(before) >= set(EVERYONE) and all(before[r].message for r in EVERYONE)

    assert purge_outbox(apps(datetime(2024, 3, 20, tzinfo=UTC))).bodies == 0  # 19 days: kept

    report = purge_outbox(app, batch=2)  # several batches
    after = rows(app)
    finished = [r for r in before if r not in STUCK.values()]
    assert report.bodies == len([r for r in finished if before[r].message]) and report.rows == 0
    for who in finished:
        old, new = before[who], after[who]
        assert new.message == b"" and new.recipe is None
        # What the outbox shows is kept: who, what, status, the relay's reply, when.
        assert (new.key, new.subject, new.status, new.last_error, new.sent_at, new.attempts) == (
            old.key, old.subject, old.status, old.last_error, old.sent_at, old.attempts)
    for who in STUCK.values():
        assert after[who].message == before[who].message  # never touched
    listed = json.loads(run("outbox", "--format", "json").stdout)
    assert {r["recipient"] for r in listed} == set(before)

    assert purge_outbox(app) == type(report)(0, 0)  # nothing left to do, nothing revisited

    much_later = apps(datetime(2025, 6, 1, tzinfo=UTC), outbox_row_retention_days="400")
    gone = purge_outbox(much_later, batch=2)
    assert gone.rows == len(finished)
    assert set(rows(much_later)) == set(STUCK.values())  # unsent rows are never deleted


def test_a_retention_shorter_for_rows_than_for_bodies_is_refused(env: Env) -> None:
    environ = {k: v for k, v in env.items() if v is not None}
    environ |= {"ROADMAP_OUTBOX_RETENTION_DAYS": "60", "ROADMAP_OUTBOX_ROW_RETENTION_DAYS": "30"}
    with pytest.raises(ConfigError, match="outbox_row_retention_days"):
        load_settings(None, environ=environ)
    environ["ROADMAP_OUTBOX_RETENTION_DAYS"] = "0"
    with pytest.raises(ConfigError, match="не меньше 1"):
        load_settings(None, environ=environ)


def plan(app: App, sql: str, **params: Any) -> str:
    with app.engine.connect() as connection:
        found = connection.execute(text("EXPLAIN QUERY PLAN " + sql), params).all()
    return " / ".join(str(r[-1]) for r in found)


def test_the_day_keys_and_the_bodies_to_drop_are_read_from_indexes(
    loaded: Path, apps: Any
) -> None:
    app = apps(datetime(2024, 3, 1, tzinfo=UTC))
    keys = plan(app, "SELECT key FROM outbox WHERE local_date IN (:d)", d=DAY)
    assert "COVERING INDEX ix_outbox_local_date_key" in keys, keys
    compiled = old_bodies(DAY).compile(app.engine, compile_kwargs={"literal_binds": True})
    bodies = plan(app, str(compiled))
    assert "ix_outbox_bodies_local_date" in bodies, bodies
    compiled = old_rows(DAY).compile(app.engine, compile_kwargs={"literal_binds": True})
    old = plan(app, str(compiled))
    assert "ix_outbox_local_date_key" in old, old
