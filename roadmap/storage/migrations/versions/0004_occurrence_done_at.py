"""Current completion state on the occurrence: ``done_at``, ``done_by``.

Whether an occurrence is done used to be a subquery over its completion
history (the newest row says ``done``). At national size (millions of
occurrences) the daily sweep needs it as a column: ``done_at`` is the time
of the current ``done`` (null: not done), ``done_by`` who recorded it.
:func:`roadmap.storage.repository.record_completion` keeps both in the same
transaction as the completion row it appends (completions stay
append-only). Existing databases are backfilled from the newest completion
of each occurrence.

The partial index ``ix_occurrences_open_plan_id_due`` holds only *open*
occurrences (not done, not withdrawn): the sweep reads what is overdue or
due soon through it, so its cost follows the open items, not the history.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "done_at IS NULL AND withdrawn_at IS NULL"

# The newest completion of the row being updated, if it is a «done».
_CURRENT_DONE = (
    'SELECT c."{column}" FROM completions AS c '
    "WHERE c.id = (SELECT max(l.id) FROM completions AS l "
    "WHERE l.occurrence_id = occurrences.id) AND c.action = 'done'"
)


def upgrade() -> None:
    op.add_column('occurrences', sa.Column('done_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('occurrences', sa.Column('done_by', sa.Text(), nullable=True))
    op.execute(
        "UPDATE occurrences SET "
        f"done_at = ({_CURRENT_DONE.format(column='at')}), "
        f"done_by = ({_CURRENT_DONE.format(column='by')}) "
        "WHERE EXISTS (SELECT 1 FROM completions AS e WHERE e.occurrence_id = occurrences.id)"
    )
    op.create_index(
        'ix_occurrences_open_plan_id_due', 'occurrences', ['plan_id', 'due'], unique=False,
        sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index('ix_occurrences_open_plan_id_due', table_name='occurrences')
    with op.batch_alter_table('occurrences', schema=None) as batch_op:
        batch_op.drop_column('done_by')
        batch_op.drop_column('done_at')
