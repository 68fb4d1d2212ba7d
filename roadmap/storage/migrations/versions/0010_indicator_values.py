"""Indicators get a kind, who reports them and the task that collects them;
reported values are stored, append-only, in ``indicator_values``.

Existing indicators become ``count`` reported by ``organisations`` until the
plans are loaded again (a plan file now must say the kind): the plans'
content hashes are cleared so that the next ``roadmap load`` rereads every
plan, even a file that has not changed.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | Sequence[str] | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = 'indicator_values'


def upgrade() -> None:
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('kind', sa.String(length=16), server_default='count', nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                'who_reports', sa.String(length=100), server_default='organisations',
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column('activity', sa.String(length=100), nullable=True))
    op.execute("UPDATE plans SET content_hash = ''")

    op.create_table(TABLE,
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=100), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('numerator', sa.Float(), nullable=True),
    sa.Column('denominator', sa.Float(), nullable=True),
    sa.Column('respondents', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
    sa.Column('evidence_name', sa.Text(), nullable=True),
    sa.Column('evidence_size', sa.Integer(), nullable=True),
    sa.Column('evidence_media_type', sa.String(length=255), nullable=True),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_indicator_values_plan_id_plans')),
    sa.ForeignKeyConstraint(['party_id'], ['parties.id'], name=op.f('fk_indicator_values_party_id_parties')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_indicator_values_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['indicator_values.id'], name=op.f('fk_indicator_values_supersedes_id_indicator_values')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_values'))
    )
    op.create_index(
        'ix_indicator_values_plan_id_indicator', TABLE, ['plan_id', 'indicator'], unique=False
    )
    # Append-only, like completions; PostgreSQL reuses 0001's trigger function.
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for event in ('UPDATE', 'DELETE'):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{event.lower()} BEFORE {event} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END"
            )
    elif dialect == 'postgresql':
        op.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION roadmap_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for event in ('update', 'delete'):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{event}")
    elif dialect == 'postgresql':
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}")
    op.drop_index('ix_indicator_values_plan_id_indicator', table_name=TABLE)
    op.drop_table(TABLE)
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.drop_column('activity')
        batch_op.drop_column('who_reports')
        batch_op.drop_column('kind')
