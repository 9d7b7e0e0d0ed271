"""post search: each engine's own table (app/search/engines.py), filled from the posts there are

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 01:20:00
"""

import functools
import html
import re
from collections.abc import Sequence

import nh3
import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("""
            CREATE TABLE post_search (
              post_id integer PRIMARY KEY REFERENCES post (id) ON DELETE CASCADE,
              title text NOT NULL,
              body text NOT NULL,
              document tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'D')
              ) STORED
            )""")
        op.execute("CREATE INDEX ix_post_search_document ON post_search USING gin (document)")
        insert = "INSERT INTO post_search (post_id, title, body) VALUES (:post_id, :title, :body)"
        # PostgreSQL's parser reads text as HTML: the engine keeps &, < and > escaped.
        escape = functools.partial(html.escape, quote=False)
    else:
        op.execute("CREATE VIRTUAL TABLE post_search USING fts5("
                   "title, body, tokenize = 'porter unicode61 remove_diacritics 2')")
        # A title match weighs four times a body match.
        op.execute("INSERT INTO post_search (post_search, rank) VALUES ('rank', 'bm25(4.0, 1.0)')")
        insert = "INSERT INTO post_search (rowid, title, body) VALUES (:post_id, :title, :body)"
        escape = str
    posts = op.get_bind().execute(sa.text(
        "SELECT p.id, p.number, p.body_html, t.title FROM post p JOIN thread t ON t.id = p.thread_id "
        "WHERE p.status <> 'deleted'")).all()
    rows = [{"post_id": post_id, "title": escape(_one_line(title)) if number == 1 else "",
             "body": escape(_plain_text(body_html))}
            for post_id, number, body_html, title in posts]
    if rows:
        op.get_bind().execute(sa.text(insert), rows)


def downgrade() -> None:
    op.execute("DROP TABLE post_search")


# The words of a post's stored HTML, as app.forum.markdown.plain_text gave them on 29 November 2026
# (copied: what a migration does must not change with the app).
_BLOCK_END = re.compile(r"(</(?:p|li|h[1-6]|blockquote|pre|tr|th|td)>|<br\s*/?>|<hr\s*/?>)", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _one_line(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())


def _plain_text(html_text: str) -> str:
    return _one_line(html.unescape(nh3.clean(_BLOCK_END.sub(r"\1 ", html_text), tags=set())))
