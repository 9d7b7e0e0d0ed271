"""post search: each row says whether its post is sealed (written in the safe space)

So that a search can rank every sealed match and only the newest of the others, reading each kind
without stepping over rows of the other (app/search/engines.py, ``candidates``). On SQLite the FTS5
table gains a column ``scope`` ("sealed" or "named"), which weighs nothing in the rank; FTS5 tables
cannot gain a column, so a new one is filled from the old. On PostgreSQL the table gains a boolean
``sealed``, and its GIN index becomes one for each kind, with an index of the named rows' ids for
reading them newest first.

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

_TOKENIZE = "tokenize = 'porter unicode61 remove_diacritics 2'"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _refill_sqlite(columns: str, rank: str, scoped: bool) -> None:
    """Replace the FTS5 table by one with these columns, keeping its rows."""
    op.execute(f"CREATE VIRTUAL TABLE post_search_next USING fts5({columns}, {_TOKENIZE})")
    op.execute(f"INSERT INTO post_search_next (post_search_next, rank) VALUES ('rank', '{rank}')")
    if scoped:
        op.execute("INSERT INTO post_search_next (rowid, title, body, scope) "
                   "SELECT s.rowid, s.title, s.body, CASE WHEN c.is_anonymous THEN 'sealed' ELSE 'named' END "
                   "FROM post_search s JOIN post p ON p.id = s.rowid JOIN thread t ON t.id = p.thread_id "
                   "JOIN channel c ON c.id = t.channel_id")
    else:
        op.execute("INSERT INTO post_search_next (rowid, title, body) SELECT rowid, title, body FROM post_search")
    op.execute("DROP TABLE post_search")
    op.execute("ALTER TABLE post_search_next RENAME TO post_search")


def upgrade() -> None:
    if _postgres():
        op.execute("ALTER TABLE post_search ADD COLUMN sealed boolean NOT NULL DEFAULT false")
        op.execute("UPDATE post_search s SET sealed = true FROM post p JOIN thread t ON t.id = p.thread_id "
                   "JOIN channel c ON c.id = t.channel_id WHERE p.id = s.post_id AND c.is_anonymous")
        op.execute("DROP INDEX ix_post_search_document")
        op.execute("CREATE INDEX ix_post_search_named_document ON post_search USING gin (document) WHERE NOT sealed")
        op.execute("CREATE INDEX ix_post_search_sealed_document ON post_search USING gin (document) WHERE sealed")
        op.execute("CREATE INDEX ix_post_search_named ON post_search (post_id) WHERE NOT sealed")
    else:
        # A title match weighs four times a body match; the scope weighs nothing.
        _refill_sqlite("title, body, scope", "bm25(4.0, 1.0, 0.0)", scoped=True)


def downgrade() -> None:
    if _postgres():
        for index in ("ix_post_search_named", "ix_post_search_sealed_document", "ix_post_search_named_document"):
            op.execute(f"DROP INDEX {index}")
        op.execute("CREATE INDEX ix_post_search_document ON post_search USING gin (document)")
        op.execute("ALTER TABLE post_search DROP COLUMN sealed")
    else:
        _refill_sqlite("title, body", "bm25(4.0, 1.0)", scoped=False)
