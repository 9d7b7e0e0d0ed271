"""post lifecycle: numbers at publication, safe-space releases, a log that keeps approvals anonymous

- ``post.number`` may be null: a reply is numbered when it is published, so a held one leaves no
  gap. Held replies lose the number (and pseudonym letter) they were given when written, and take
  a place after their parent's published replies until they are published.
- ``post.release_at``: the safe-space release a queued post (or an edit) waits for;
  ``post.waiting_mark``: a keyed mark of a waiting post's author, for their own pages (posts already
  held get none); ``post.pending_*``: an edit waiting for the release.
- ``moderation_action.channel_id``: the channel an action was in, so that an approval in an
  anonymous channel can be logged without its post, its thread or its time (the day only); the
  approvals already logged there lose theirs.
- ``ix_thread_waiting``: a partial index of the few threads not yet listed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('release_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('waiting_mark', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('pending_body_md', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('pending_body_html', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('pending_title', sa.String(length=200), nullable=True))
        batch_op.alter_column('number', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_post_waiting_mark'), ['waiting_mark'], unique=False)
    with op.batch_alter_table('moderation_action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_moderation_action_channel_id_channel'), 'channel',
                                    ['channel_id'], ['id'])
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.create_index('ix_thread_waiting', ['channel_id'], unique=False,
                              sqlite_where=sa.text('is_pending = 1'), postgresql_where=sa.text('is_pending'))
    # Held replies give back their numbers and letters; the path's segment becomes "~" and the post's id.
    op.execute("""UPDATE post SET number = NULL, pseudonym = NULL,
                    path = CASE WHEN parent_id IS NULL THEN '~' || public_id
                                ELSE (SELECT parent.path FROM post parent WHERE parent.id = post.parent_id)
                                     || '.~' || public_id END
                  WHERE status = 'pending' AND number > 1""")
    op.execute("""UPDATE moderation_action SET channel_id =
                    (SELECT thread.channel_id FROM thread WHERE thread.id = moderation_action.thread_id)
                  WHERE thread_id IS NOT NULL""")
    anonymous = "channel_id IN (SELECT id FROM channel WHERE is_anonymous)"
    if op.get_bind().dialect.name == "postgresql":
        day_only = "date_trunc('day', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '12 hours'"
    else:
        day_only = "datetime(date(created_at), '+12 hours')"
    op.execute(f"""UPDATE moderation_action SET post_id = NULL, thread_id = NULL, created_at = {day_only}
                   WHERE action = 'approve_post' AND {anonymous}""")


def downgrade() -> None:
    # Posts still without a number take the next ones of their thread, in the order they were written.
    connection = op.get_bind()
    unnumbered = connection.execute(sa.text(
        "SELECT id, thread_id, parent_id FROM post WHERE number IS NULL ORDER BY id")).all()
    for post_id, thread_id, parent_id in unnumbered:
        number = connection.execute(sa.text("SELECT post_count + 1 FROM thread WHERE id = :t"),
                                    {"t": thread_id}).scalar_one()
        parent_path = connection.execute(sa.text("SELECT path FROM post WHERE id = :p"),
                                         {"p": parent_id}).scalar() if parent_id else None
        segment = f"{number:06d}"
        connection.execute(sa.text("UPDATE post SET number = :n, path = :path WHERE id = :id"),
                           {"n": number, "path": f"{parent_path}.{segment}" if parent_path else segment,
                            "id": post_id})
        connection.execute(sa.text("UPDATE thread SET post_count = :n WHERE id = :t"), {"n": number, "t": thread_id})
    # Queued posts were published as written before releases existed.
    op.execute("""UPDATE thread SET reply_count = reply_count + (SELECT count(*) FROM post
                    WHERE post.thread_id = thread.id AND post.status = 'queued' AND post.number > 1)""")
    op.execute("""UPDATE thread SET is_pending = false WHERE id IN
                    (SELECT thread_id FROM post WHERE status = 'queued' AND number = 1)""")
    op.execute("UPDATE post SET status = 'published' WHERE status = 'queued'")
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.drop_index('ix_thread_waiting', sqlite_where=sa.text('is_pending = 1'),
                            postgresql_where=sa.text('is_pending'))
    with op.batch_alter_table('moderation_action', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_moderation_action_channel_id_channel'), type_='foreignkey')
        batch_op.drop_column('channel_id')
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_waiting_mark'))
        batch_op.alter_column('number', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('waiting_mark')
        batch_op.drop_column('pending_title')
        batch_op.drop_column('pending_body_html')
        batch_op.drop_column('pending_body_md')
        batch_op.drop_column('release_at')
