"""withheld log lines, random ids for log lines and sanctions, and when a waiting edit is due

- ``moderation_action.withheld``: the line concerns an anonymous post or thread that nobody but its
  author and the moderators had seen (or, from now on, a named member, by an admin). Existing lines
  are filled from what the log read at the time (approvals, and posts still without a number, in
  anonymous channels; threads not yet listed); those of anonymous channels lose their post and
  thread and keep the day only, as approvals did.
- ``moderation_action.public_id`` and ``sanction.public_id``: random ids for URLs (a sequence showed
  a channel's moderators that lines they could not see were written between theirs).
- ``ix_post_held``: a partial index of the posts held for a moderator (the review queue, and its
  count in every moderator's header, read them without scanning every post).
- ``moderation_action.sanction_id``: the sanction a line gave or lifted; filled for earlier lines by
  matching moderator, kind and reason, nearest in time.
- ``post.edit_due_at``: the release at which a safe-space edit reaches others; it was ``release_at``,
  which now means only when a post itself is released. Held posts in the moderators' queue have
  such edits too from now on (their edit's time would be their author's).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 15:30:00
"""

import base64
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, time

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


GIVING = {"warning": ("warn_author",), "suspension": ("suspend_author", "suspend_member")}
LINES = sa.table("moderation_action", sa.column("id", sa.Integer), sa.column("action", sa.String),
                 sa.column("moderator_id", sa.Integer), sa.column("reason", sa.String),
                 sa.column("channel_id", sa.Integer), sa.column("withheld", sa.Boolean),
                 sa.column("post_id", sa.Integer), sa.column("thread_id", sa.Integer),
                 sa.column("created_at", sa.DateTime(timezone=True)))
SANCTIONS = sa.table("sanction", sa.column("id", sa.Integer), sa.column("kind", sa.String),
                     sa.column("created_by_id", sa.Integer), sa.column("reason", sa.String),
                     sa.column("created_at", sa.DateTime(timezone=True)))


def _public_id() -> str:
    return base64.b32encode(secrets.token_bytes(5)).decode().lower()  # as app.forum.models.new_public_id


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _noon(moment: datetime) -> datetime:
    return datetime.combine(_utc(moment).astimezone(UTC).date(), time(12, 0), tzinfo=UTC)


def upgrade() -> None:
    with op.batch_alter_table('moderation_action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withheld', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('public_id', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('sanction_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_moderation_action_sanction_id_sanction'), 'sanction',
                                    ['sanction_id'], ['id'])
    with op.batch_alter_table('sanction', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_id', sa.String(length=12), nullable=True))
    connection = op.get_bind()
    for table in ('moderation_action', 'sanction'):
        for (row_id,) in connection.execute(sa.text(f"SELECT id FROM {table}")).all():
            connection.execute(sa.text(f"UPDATE {table} SET public_id = :p WHERE id = :id"),
                               {"p": _public_id(), "id": row_id})
    lines = connection.execute(sa.select(LINES.c.id, LINES.c.action, LINES.c.moderator_id, LINES.c.reason,
                                         LINES.c.created_at)).all()
    taken = set()
    sanctions = sa.select(SANCTIONS.c.id, SANCTIONS.c.kind, SANCTIONS.c.created_by_id, SANCTIONS.c.reason,
                          SANCTIONS.c.created_at).order_by(SANCTIONS.c.id)
    for sanction in connection.execute(sanctions).all():
        matches = sorted((abs((_utc(line.created_at) - _utc(sanction.created_at)).total_seconds()), line.id)
                         for line in lines
                         if line.id not in taken and line.action in GIVING.get(sanction.kind, ())
                         and line.moderator_id == sanction.created_by_id
                         and line.reason.strip() == sanction.reason.strip()[:500])
        if matches:
            taken.add(matches[0][1])
            connection.execute(sa.text("UPDATE moderation_action SET sanction_id = :s WHERE id = :id"),
                               {"s": sanction.id, "id": matches[0][1]})
    with op.batch_alter_table('moderation_action', schema=None) as batch_op:
        batch_op.alter_column('public_id', existing_type=sa.String(length=12), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_moderation_action_public_id'), ['public_id'])
    with op.batch_alter_table('sanction', schema=None) as batch_op:
        batch_op.alter_column('public_id', existing_type=sa.String(length=12), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_sanction_public_id'), ['public_id'])
    op.execute("""UPDATE moderation_action SET withheld = true
                  WHERE channel_id IN (SELECT id FROM channel WHERE is_anonymous)
                    AND (action = 'approve_post'
                         OR post_id IN (SELECT id FROM post WHERE number IS NULL)
                         OR thread_id IN (SELECT id FROM thread WHERE is_pending))""")
    anonymous = sa.select(sa.column("id")).select_from(sa.table("channel")).where(sa.column("is_anonymous"))
    withheld = sa.select(LINES.c.id, LINES.c.created_at).where(LINES.c.withheld, LINES.c.channel_id.in_(anonymous))
    for line in connection.execute(withheld).all():
        connection.execute(sa.update(LINES).where(LINES.c.id == line.id)
                           .values(post_id=None, thread_id=None, created_at=_noon(line.created_at)))
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edit_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_post_held', ['thread_id'], unique=False, sqlite_where=sa.text("status = 'pending'"),
                              postgresql_where=sa.text("status = 'pending'"))
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
        batch_op.drop_index('ix_post_held')
        batch_op.drop_column('edit_due_at')
    with op.batch_alter_table('sanction', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_sanction_public_id'), type_='unique')
        batch_op.drop_column('public_id')
    with op.batch_alter_table('moderation_action', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_moderation_action_public_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_moderation_action_sanction_id_sanction'), type_='foreignkey')
        batch_op.drop_column('sanction_id')
        batch_op.drop_column('public_id')
        batch_op.drop_column('withheld')
