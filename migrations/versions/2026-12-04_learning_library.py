"""learning library: key learnings, the pilots and themes they concern, lesson posts' parts, their search

- ``key_learning``: a thread (held by its opening post) or a post a moderator marked, with a summary
  and, optionally, what others could try.
- ``key_learning_channel``: the pilots and themes (channels of those kinds) a key learning concerns.
- ``lesson``: the four parts of each released lesson post (app.forum.lessons). Posts written before
  this revision get theirs from ``forum lessons-rebuild``: the parser is the app's, and a migration's
  work must not change with the app.
- ``learning_search``: each engine's own search table over the key learnings (app/search/engines.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:33:12
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('key_learning',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=12), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('summary', sa.String(length=400), nullable=False),
    sa.Column('others_could_try', sa.String(length=600), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_key_learning_post_id_post'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_learning')),
    sa.UniqueConstraint('post_id', name=op.f('uq_key_learning_post_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_key_learning_public_id'))
    )
    with op.batch_alter_table('key_learning', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_key_learning_marked_at'), ['marked_at'], unique=False)

    op.create_table('lesson',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('tried', sa.String(), nullable=False),
    sa.Column('happened', sa.String(), nullable=False),
    sa.Column('learned', sa.String(), nullable=False),
    sa.Column('differently', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_lesson_post_id_post'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', name=op.f('pk_lesson'))
    )
    op.create_table('key_learning_channel',
    sa.Column('key_learning_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], name=op.f('fk_key_learning_channel_channel_id_channel'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['key_learning_id'], ['key_learning.id'], name=op.f('fk_key_learning_channel_key_learning_id_key_learning'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key_learning_id', 'channel_id', name=op.f('pk_key_learning_channel'))
    )
    with op.batch_alter_table('key_learning_channel', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_key_learning_channel_channel_id'), ['channel_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE TABLE learning_search (
              key_learning_id integer PRIMARY KEY REFERENCES key_learning (id) ON DELETE CASCADE,
              summary text NOT NULL,
              body text NOT NULL,
              document tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english', summary), 'A') || setweight(to_tsvector('english', body), 'D')
              ) STORED
            )""")
        op.execute("CREATE INDEX ix_learning_search_document ON learning_search USING gin (document)")
    else:
        op.execute("CREATE VIRTUAL TABLE learning_search USING fts5("
                   "summary, body, tokenize = 'porter unicode61 remove_diacritics 2')")
        # A match in the moderator's summary weighs twice one in the post it came from.
        op.execute("INSERT INTO learning_search (learning_search, rank) VALUES ('rank', 'bm25(2.0, 1.0)')")



def downgrade() -> None:
    op.execute("DROP TABLE learning_search")
    with op.batch_alter_table('key_learning_channel', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_key_learning_channel_channel_id'))

    op.drop_table('key_learning_channel')
    op.drop_table('lesson')
    with op.batch_alter_table('key_learning', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_key_learning_marked_at'))

    op.drop_table('key_learning')
