"""Outbox retention: the outbox does not grow forever.

A finished row (``sent``, ``failed``, ``dropped``) keeps its message body
for ``outbox_retention_days`` (default 30): long enough to look a complaint
up. Then the body and the recipe are dropped; the row keeps its key,
recipient, subject, status, the relay's reply and its timestamps. After
``outbox_row_retention_days`` (default 400) the row itself is deleted.
``pending`` and ``sending`` rows are never touched, however old.

:func:`purge_outbox` runs in the daily job, after the day's mail, in small
batches: each batch is its own short write transaction, so the sweep and
the senders are never kept waiting for long. Both halves read an index
that holds only what is left to do (migration 0011): the rows that still
have a body, and the rows by day.

Example::

    report = purge_outbox(app)
    log.info(_("очередь писем: удалено текстов %d, записей %d"), report.bodies, report.rows)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, delete, select, text, update
from sqlalchemy.orm import Session

from roadmap.app import App
from roadmap.storage.db import write_session
from roadmap.storage.tables import (
    OUTBOX_PENDING,
    OUTBOX_SENDING,
    OUTBOX_WITH_BODY,
    OutboxRow,
)

#: Rows per purge transaction.
PURGE_BATCH = 500
#: The statuses of rows a sender still has to deal with: never purged.
#: (Spelled ``NOT IN``: the planner then reads the rows by day, not every
#: sent row of the history through the index on status.)
UNSENT = (OUTBOX_PENDING, OUTBOX_SENDING)

_outbox = OutboxRow.metadata.tables[OutboxRow.__tablename__]


@dataclass
class PurgeReport:
    """What one purge did: bodies dropped, rows deleted."""

    bodies: int = 0
    rows: int = 0


def old_bodies(before: date, limit: int = PURGE_BATCH) -> Select[int]:
    """The ids of up to ``limit`` finished rows of days before ``before``
    that still hold a body."""
    return (
        select(OutboxRow.id)
        # The predicate of the partial index, spelled the same way.
        .where(text(OUTBOX_WITH_BODY), OutboxRow.local_date < before)
        .where(OutboxRow.status.not_in(UNSENT))
        .limit(limit)
    )


def drop_bodies(session: Session, before: date, limit: int = PURGE_BATCH) -> int:
    """Drop the body and recipe of up to ``limit`` finished rows of days
    before ``before``; returns how many."""
    ids = session.scalars(old_bodies(before, limit)).all()
    if ids:
        session.execute(update(_outbox).where(_outbox.c.id.in_(ids)).values(message=b"", recipe=None))
    return len(ids)


def old_rows(before: date, limit: int = PURGE_BATCH) -> Select[int]:
    """The ids of up to ``limit`` finished rows of days before ``before``."""
    return (
        select(OutboxRow.id)
        .where(OutboxRow.local_date < before, OutboxRow.status.not_in(UNSENT))
        .limit(limit)
    )


def delete_rows(session: Session, before: date, limit: int = PURGE_BATCH) -> int:
    """Delete up to ``limit`` finished rows of days before ``before``;
    returns how many."""
    ids = session.scalars(old_rows(before, limit)).all()
    if ids:
        session.execute(delete(_outbox).where(_outbox.c.id.in_(ids)))
    return len(ids)


def purge_outbox(
    app: App, *, batch: int = PURGE_BATCH, stop: Callable[[], bool] | None = None
) -> PurgeReport:
    """Apply the retention settings, ``batch`` rows per write transaction,
    until nothing is left to do (or ``stop()`` says so between batches).
    Days are counted from the clock's «today» in UTC (``--today`` pins it):
    a day either way does not matter at this scale."""
    today = app.clock.today("UTC")
    bodies_before = today - timedelta(days=int(app.settings["outbox_retention_days"]))
    rows_before = today - timedelta(days=int(app.settings["outbox_row_retention_days"]))
    rows = _in_batches(app, delete_rows, rows_before, batch, stop)
    return PurgeReport(_in_batches(app, drop_bodies, bodies_before, batch, stop), rows)


def _in_batches(
    app: App, step: Callable[[Session, date, int], int], before: date, batch: int,
    stop: Callable[[], bool] | None,
) -> int:
    total = 0
    while stop is None or not stop():
        with write_session(app.sessions) as session:
            done = step(session, before, batch)
        total += done
        if done < batch:
            break
    return total
