"""notifications: events, watching and emails

- ``notification``: what happened (``event``) and its values (``details``, JSON) instead of a sentence
  in the writer's language; ``emailed_at`` for notification emails. Notifications from before are
  counted as emailed, so nobody gets a pile of old news by email.
- ``sealed_notification.emailed``: the same for sealed ones (the recipient stays inside the seal).
- ``watch``: a member's level (watching, muted) for a thread or a channel.
- ``notification_setting``: which kinds a member also gets by email.
- ``notification_email``: when a member was last emailed about a thread, under a keyed seal.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 13:57:12
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_notification = sa.table('notification', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                         sa.column('message', sa.String), sa.column('event', sa.String),
                         sa.column('details', sa.Text), sa.column('created_at', sa.DateTime(timezone=True)),
                         sa.column('emailed_at', sa.DateTime(timezone=True)))


def upgrade() -> None:
    op.create_table('notification_email',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_notification_email'))
    )
    op.create_table('notification_setting',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('email_reply', sa.Boolean(), nullable=False),
    sa.Column('email_mention', sa.Boolean(), nullable=False),
    sa.Column('email_moderation', sa.Boolean(), nullable=False),
    sa.Column('email_watching', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_notification_setting_member_id_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_notification_setting'))
    )
    op.create_table('watch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], name=op.f('fk_watch_channel_id_channel'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_watch_member_id_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['thread.id'], name=op.f('fk_watch_thread_id_thread'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watch')),
    sa.UniqueConstraint('member_id', 'channel_id', name='uq_watch_member_channel'),
    sa.UniqueConstraint('member_id', 'thread_id', name='uq_watch_member_thread')
    )
    with op.batch_alter_table('watch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_watch_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_watch_thread_id'), ['thread_id'], unique=False)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event', sa.String(length=30), server_default='', nullable=False))
        batch_op.add_column(sa.Column('details', sa.Text(), server_default='{}', nullable=False))
        batch_op.add_column(sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_notification_member_id'), ['member_id'], unique=False)
    # A reply's or a mention's old message was its writer's name; a moderator's was a whole sentence,
    # kept as it was written ("said").
    connection = op.get_bind()
    for row in connection.execute(sa.select(_notification.c.id, _notification.c.kind, _notification.c.message)):
        if row.kind in ('reply', 'mention'):
            event, details = row.kind, {'who': row.message}
        else:
            event, details = 'said', {'text': row.message}
        connection.execute(_notification.update().where(_notification.c.id == row.id)
                           .values(event=event, details=json.dumps(details)))
    connection.execute(_notification.update().values(emailed_at=_notification.c.created_at))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('message')

    with op.batch_alter_table('sealed_notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('emailed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.alter_column('sealed',
               existing_type=sa.VARCHAR(length=2000),
               type_=sa.String(length=4000),
               existing_nullable=False)
    op.execute(sa.text('UPDATE sealed_notification SET emailed = :yes').bindparams(yes=True))


def downgrade() -> None:
    with op.batch_alter_table('sealed_notification', schema=None) as batch_op:
        batch_op.alter_column('sealed',
               existing_type=sa.String(length=4000),
               type_=sa.VARCHAR(length=2000),
               existing_nullable=False)
        batch_op.drop_column('emailed')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.VARCHAR(length=500), server_default='', nullable=False))
    connection = op.get_bind()
    for row in connection.execute(sa.select(_notification.c.id, _notification.c.details)):
        details = json.loads(row.details or '{}')
        connection.execute(_notification.update().where(_notification.c.id == row.id)
                           .values(message=str(details.get('who') or details.get('text') or '')[:500]))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_member_id'))
        batch_op.drop_column('emailed_at')
        batch_op.drop_column('details')
        batch_op.drop_column('event')

    with op.batch_alter_table('watch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_watch_thread_id'))
        batch_op.drop_index(batch_op.f('ix_watch_channel_id'))

    op.drop_table('watch')
    op.drop_table('notification_setting')
    op.drop_table('notification_email')
