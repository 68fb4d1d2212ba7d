"""Digests decided in the database, rendered when sent.

The morning sweep no longer renders every message: it decides *who* gets a
digest or an escalation (set-based, see :mod:`notifications.recipients`) and
stores one outbox row per message with its recipe in ``outbox.recipe``: the
recipient's display name and the routes — (party, organisation) pairs — its
content comes from. The sender renders
the row when it first claims it and stores the bytes before sending, so a
retry sends the very same message. Rows stored already rendered (before this
migration) have no recipe and are sent as they are.

``ix_occurrences_open_route_due`` holds the open occurrences by route: the
sweep asks one question per route («anything open due by then?») and a
rendering reads one recipient's items, both through this index.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "done_at IS NULL AND withdrawn_at IS NULL"


def upgrade() -> None:
    op.add_column('outbox', sa.Column('recipe', sa.JSON(), nullable=True))
    op.create_index(
        'ix_occurrences_open_route_due', 'occurrences',
        ['party_id', 'organisation_id', 'due'], unique=False,
        sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index('ix_occurrences_open_route_due', table_name='occurrences')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('recipe')
