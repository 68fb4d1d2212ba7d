"""A completion carried over from a withdrawn occurrence names its origin.

When a corrected deadline replaces an occurrence that was already done
(«до 1 сентября» → «до 15 сентября»), ``roadmap load`` records a new
completion on the successor; ``carried_from_id`` names the completion it
was carried from, so history keeps both. Completions stay append-only: the
column is added in place (``ALTER TABLE … ADD COLUMN``), which keeps the
append-only triggers that a table rebuild would drop.

Revision ID: 0009
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | Sequence[str] | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # A downgrade on SQLite keeps the column (below): upgrading again
        # finds it there.
        columns = {c['name'] for c in sa.inspect(op.get_bind()).get_columns('completions')}
        if 'carried_from_id' in columns:
            return
        # Alembic would rebuild the table to add the constraint; SQLite adds
        # a column with its REFERENCES clause in place.
        op.execute(
            'ALTER TABLE completions ADD COLUMN carried_from_id INTEGER '
            'REFERENCES completions (id)'
        )
        return
    op.add_column('completions', sa.Column('carried_from_id', sa.Integer(), nullable=True))
    op.create_foreign_key(
        'fk_completions_carried_from_id_completions', 'completions', 'completions',
        ['carried_from_id'], ['id'],
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint(
            'fk_completions_carried_from_id_completions', 'completions', type_='foreignkey'
        )
    # SQLite: DROP COLUMN (3.35+) of a column with a foreign key is refused,
    # and a table rebuild would drop the append-only triggers: keep it.
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_column('completions', 'carried_from_id')
