"""digests: subscriptions and the delivery ledger

- ``subscription``: a member's digest settings, or an email-only subscriber's (confirmed by double
  opt-in); daily or weekly (and the weekday it comes), every channel or chosen ones
  (``subscription_channel``); suspended when its address is refused for good.
- ``digest_delivery``: one row per subscription and period (2026-12-01, 2026-W48), its status,
  attempts and last error: what makes sending idempotent.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 20:00:22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('all_channels', sa.Boolean(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('suspended_reason', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_subscription_member_id_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription')),
    sa.UniqueConstraint('email', name=op.f('uq_subscription_email')),
    sa.UniqueConstraint('member_id', name=op.f('uq_subscription_member_id')),
    sa.UniqueConstraint('token', name=op.f('uq_subscription_token'))
    )
    op.create_table('digest_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscription.id'], name=op.f('fk_digest_delivery_subscription_id_subscription'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_delivery')),
    sa.UniqueConstraint('subscription_id', 'period', name=op.f('uq_digest_delivery_subscription_id'))
    )
    op.create_table('subscription_channel',
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], name=op.f('fk_subscription_channel_channel_id_channel'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscription.id'], name=op.f('fk_subscription_channel_subscription_id_subscription'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subscription_id', 'channel_id', name=op.f('pk_subscription_channel'))
    )


def downgrade() -> None:
    op.drop_table('subscription_channel')
    op.drop_table('digest_delivery')
    op.drop_table('subscription')
