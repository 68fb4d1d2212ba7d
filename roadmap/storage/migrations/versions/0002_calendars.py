"""Calendars: subscription feeds (token hashes only) and per-event calendar revisions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('scope_code', sa.String(length=100), nullable=False),
    sa.Column('plan_code', sa.String(length=100), nullable=True),
    sa.Column('label', sa.Text(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feeds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_feeds_token_hash'))
    )
    op.create_table('calendar_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=100), nullable=False),
    sa.Column('occurrence_id', sa.Integer(), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('sequence', sa.Integer(), server_default='0', nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['occurrence_id'], ['occurrences.id'], name=op.f('fk_calendar_state_occurrence_id_occurrences')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_state')),
    sa.UniqueConstraint('uid', name=op.f('uq_calendar_state_uid'))
    )


def downgrade() -> None:
    op.drop_table('calendar_state')
    op.drop_table('feeds')
