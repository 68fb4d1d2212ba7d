"""Outbox at a bounded cost: an index of each day's keys, so that storing
a day's messages reads that day's keys from the index (not a scan of every
row ever stored), and a partial index of the rows that still hold a
message body, so that the daily purge finds the bodies past the retention
period without visiting those it already dropped.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | Sequence[str] | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WITH_BODY = "length(message) > 0"


def upgrade() -> None:
    op.create_index('ix_outbox_local_date_key', 'outbox', ['local_date', 'key'], unique=False)
    op.create_index(
        'ix_outbox_bodies_local_date', 'outbox', ['local_date'], unique=False,
        sqlite_where=sa.text(WITH_BODY), postgresql_where=sa.text(WITH_BODY),
    )


def downgrade() -> None:
    op.drop_index('ix_outbox_bodies_local_date', table_name='outbox')
    op.drop_index('ix_outbox_local_date_key', table_name='outbox')
