"""site settings: an admin's run-time overrides of a few environment settings

- ``site_setting``: one row per overridden Settings field (app.core.site_settings.EDITABLE), its value
  as text; no row means the environment's value applies.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('site_setting',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_site_setting'))
    )


def downgrade() -> None:
    # The overrides are forgotten: the environment's values apply again.
    op.drop_table('site_setting')
