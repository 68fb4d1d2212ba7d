"""Each plan's status counts as of its last sweep, so the next day's sweep
only looks at what changed.

``status_snapshots`` holds, per plan, the counts of every status on the
plan-local date ``local_date`` with the look-ahead ``lookahead``. The
morning sweep (:func:`roadmap.sweep.sweep_counts`) starts from it and
re-reads only the open occurrences whose status the passing days change
(due yesterday: now overdue; due at the far end of the look-ahead: now due
soon). Writers that change a plan's occurrences otherwise — a completion or
a reopening, a reload of plans or registers — delete the plan's snapshot
(:func:`roadmap.sweep.forget_counts`), and that plan is counted afresh.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('status_snapshots',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('lookahead', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], ),
    sa.PrimaryKeyConstraint('plan_id')
    )


def downgrade() -> None:
    op.drop_table('status_snapshots')
