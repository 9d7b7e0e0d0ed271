"""moderation: channel moderators, reports, merged threads' addresses, hide reasons, staff-only log lines

- ``channel_moderator``: who moderates which channel (site moderators and admins need no row).
- ``report``: a member's report of a post, once per member per post, until a moderator resolves it.
- ``thread_redirect``: the public id of a thread merged into another, which now leads there.
- ``post.hidden_reason``: why a moderator hid a post, for its author; filled from the log for posts
  hidden already.
- ``post_revision.moderator_id``: who replaced a revision's words, when a moderator did.
- ``moderation_action.detail`` and ``.is_staff_only``; ``sanction.channel_id`` (suspension from one channel).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 17:29:37
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('channel_moderator',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], name=op.f('fk_channel_moderator_channel_id_channel'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_channel_moderator_member_id_member'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'channel_id', name=op.f('pk_channel_moderator'))
    )
    op.create_table('thread_redirect',
    sa.Column('public_id', sa.String(length=12), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['thread_id'], ['thread.id'], name=op.f('fk_thread_redirect_thread_id_thread'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('public_id', name=op.f('pk_thread_redirect'))
    )
    with op.batch_alter_table('thread_redirect', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_thread_redirect_thread_id'), ['thread_id'], unique=False)

    op.create_table('report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_report_post_id_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['member.id'], name=op.f('fk_report_reporter_id_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['member.id'], name=op.f('fk_report_resolved_by_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report')),
    sa.UniqueConstraint('post_id', 'reporter_id', name=op.f('uq_report_post_id'))
    )
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_reporter_id'), ['reporter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_resolved_at'), ['resolved_at'], unique=False)

    with op.batch_alter_table('moderation_action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detail', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('is_staff_only', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_reason', sa.String(length=500), nullable=True))

    with op.batch_alter_table('post_revision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moderator_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_post_revision_moderator_id_member'), 'member', ['moderator_id'], ['id'])

    with op.batch_alter_table('sanction', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_sanction_channel_id_channel'), 'channel', ['channel_id'], ['id'])

    op.execute("""UPDATE post SET hidden_reason = (SELECT reason FROM moderation_action
                    WHERE moderation_action.post_id = post.id AND action = 'hide_post'
                    ORDER BY moderation_action.id DESC LIMIT 1)
                  WHERE status = 'hidden'""")


def downgrade() -> None:
    # Merged threads' old addresses are forgotten; reports and channel moderators go with their tables.
    with op.batch_alter_table('sanction', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sanction_channel_id_channel'), type_='foreignkey')
        batch_op.drop_column('channel_id')

    with op.batch_alter_table('post_revision', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_post_revision_moderator_id_member'), type_='foreignkey')
        batch_op.drop_column('moderator_id')

    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_column('hidden_reason')

    with op.batch_alter_table('moderation_action', schema=None) as batch_op:
        batch_op.drop_column('is_staff_only')
        batch_op.drop_column('detail')

    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_resolved_at'))
        batch_op.drop_index(batch_op.f('ix_report_reporter_id'))

    op.drop_table('report')
    with op.batch_alter_table('thread_redirect', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thread_redirect_thread_id'))

    op.drop_table('thread_redirect')
    op.drop_table('channel_moderator')
