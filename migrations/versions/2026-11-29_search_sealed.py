"""post search: sealed posts (written in the safe space) are indexed apart from the others

So that a search can rank every sealed match and only the newest of the others, reading each kind
without stepping over rows of the other (app/search/engines.py, ``candidates``). On SQLite sealed
posts move to an FTS5 table of their own, ``post_search_sealed``. On PostgreSQL the table gains a
boolean ``sealed``, and its GIN index becomes one for each kind, with an index of the named rows' ids
for reading them newest first.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 03:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEALED_IDS = ("SELECT p.id FROM post p JOIN thread t ON t.id = p.thread_id JOIN channel c ON c.id = t.channel_id "
               "WHERE c.is_anonymous")


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgres():
        op.execute("ALTER TABLE post_search ADD COLUMN sealed boolean NOT NULL DEFAULT false")
        op.execute(f"UPDATE post_search SET sealed = true WHERE post_id IN ({_SEALED_IDS})")
        op.execute("DROP INDEX ix_post_search_document")
        op.execute("CREATE INDEX ix_post_search_named_document ON post_search USING gin (document) WHERE NOT sealed")
        op.execute("CREATE INDEX ix_post_search_sealed_document ON post_search USING gin (document) WHERE sealed")
        op.execute("CREATE INDEX ix_post_search_named ON post_search (post_id) WHERE NOT sealed")
    else:
        op.execute("CREATE VIRTUAL TABLE post_search_sealed USING fts5("
                   "title, body, tokenize = 'porter unicode61 remove_diacritics 2')")
        # As in post_search: a title match weighs four times a body match.
        op.execute("INSERT INTO post_search_sealed (post_search_sealed, rank) VALUES ('rank', 'bm25(4.0, 1.0)')")
        op.execute("INSERT INTO post_search_sealed (rowid, title, body) "
                   f"SELECT rowid, title, body FROM post_search WHERE rowid IN ({_SEALED_IDS})")
        op.execute(f"DELETE FROM post_search WHERE rowid IN ({_SEALED_IDS})")


def downgrade() -> None:
    if _postgres():
        for index in ("ix_post_search_named", "ix_post_search_sealed_document", "ix_post_search_named_document"):
            op.execute(f"DROP INDEX {index}")
        op.execute("CREATE INDEX ix_post_search_document ON post_search USING gin (document)")
        op.execute("ALTER TABLE post_search DROP COLUMN sealed")
    else:
        op.execute("INSERT INTO post_search (rowid, title, body) SELECT rowid, title, body FROM post_search_sealed")
        op.execute("DROP TABLE post_search_sealed")
