"""The daily digest runs that stored their messages, per zone and day.

``daily_runs`` gets a row (zone, plan-local date) in the same transaction as
the outbox rows of a zone's daily build. A run the scheduler has moved past
but that never got that far — the daemon was down longer than the misfire
grace, or the process holding the job died mid-build while the other
daemons skipped it — has no row, and the retry job runs it that same day.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | Sequence[str] | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('daily_runs',
    sa.Column('zone', sa.String(length=64), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('zone', 'local_date')
    )


def downgrade() -> None:
    op.drop_table('daily_runs')
