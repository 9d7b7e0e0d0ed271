"""withheld log lines, and when a waiting edit is due

- ``moderation_action.withheld``: the line concerns an anonymous post or thread that nobody but its
  author and the moderators had seen (or, from now on, a named member, by an admin). Existing lines
  are filled from what the log read at the time (approvals, and posts still without a number, in
  anonymous channels; threads not yet listed).
- ``post.edit_due_at``: the release at which a safe-space edit reaches others; it was ``release_at``,
  which now means only when a post itself is released. Held posts in the moderators' queue have
  such edits too from now on (their edit's time would be their author's).

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
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edit_due_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("""UPDATE post SET edit_due_at = release_at, release_at = NULL
                  WHERE status = 'published' AND pending_body_md IS NOT NULL""")


def downgrade() -> None:
    op.execute("""UPDATE post SET release_at = edit_due_at
                  WHERE status = 'published' AND pending_body_md IS NOT NULL""")
    # The old version held no edits of posts not published: a held post takes its waiting words now.
    op.execute("""UPDATE thread SET title = (SELECT pending_title FROM post WHERE post.thread_id = thread.id
                                             AND post.number = 1 AND post.status != 'published'
                                             AND post.pending_title IS NOT NULL)
                  WHERE id IN (SELECT thread_id FROM post WHERE number = 1 AND status != 'published'
                               AND pending_title IS NOT NULL)""")
    op.execute("""UPDATE post SET body_md = pending_body_md, body_html = COALESCE(pending_body_html, body_html),
                  pending_body_md = NULL,
                  pending_body_html = NULL, pending_title = NULL
                  WHERE status != 'published' AND pending_body_md IS NOT NULL""")
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_column('edit_due_at')
    with op.batch_alter_table('moderation_action', schema=None) as batch_op:
        batch_op.drop_column('withheld')
