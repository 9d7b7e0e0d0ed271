"""latest: thread reads and member visits

- ``thread_read``: how far a member has read a thread, keyed by a member seal of (member, thread).
- ``member.visited_at``, ``member.previous_visit_at``: whole hours, for "new since your last visit".
- ``ix_thread_activity``: the Latest page's order across channels.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 21:04:21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('thread_read',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_thread_read'))
    )
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visited_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('previous_visit_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.create_index('ix_thread_activity', ['last_activity_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.drop_index('ix_thread_activity')

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('previous_visit_at')
        batch_op.drop_column('visited_at')

    op.drop_table('thread_read')
