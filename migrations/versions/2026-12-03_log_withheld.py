"""withheld log lines: what never reaches the transparency log, decided when the line is written

- ``moderation_action.withheld``: the line concerns an anonymous post or thread that nobody but its
  author and the moderators had seen (or, from now on, a named member, by an admin). Existing lines
  are filled from what the log read at the time (approvals, and posts still without a number, in
  anonymous channels; threads not yet listed).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('moderation_action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withheld', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("""UPDATE moderation_action SET withheld = true
                  WHERE channel_id IN (SELECT id FROM channel WHERE is_anonymous)
                    AND (action = 'approve_post'
                         OR post_id IN (SELECT id FROM post WHERE number IS NULL)
                         OR thread_id IN (SELECT id FROM thread WHERE is_pending))""")


def downgrade() -> None:
    with op.batch_alter_table('moderation_action', schema=None) as batch_op:
        batch_op.drop_column('withheld')
