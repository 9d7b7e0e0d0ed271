"""Two search engines behind one interface: SQLite FTS5 and PostgreSQL full-text search.

Each keeps one row per post in a table named ``post_search``: the thread's title (on its opening post
only, so that a title matches once) and the post's words (``markdown.plain_text`` of its HTML). The
table is not in the models' metadata: the migration that creates it writes each engine's own DDL.

Who may see a post is never stored here. Every search joins the post, its thread and its channel and
keeps only what the viewer may read, so hiding, approving or moving a post needs no re-index.

Matches come back wrapped in MARK_START and MARK_END, two control characters that plain_text never
lets into the index; service.marked escapes the rest and turns them into <mark> tags.

Both engines are given the same parsed query (``Group``s of ``Term``s) and turn it into their own
syntax from words alone (``\\w+``), so nothing a member types reaches either query language as syntax.
"""

import html
from dataclasses import dataclass

from sqlalchemy import Connection, text

MARK_START, MARK_END = "\x02", "\x03"
TABLE = "post_search"
EXCERPT_WORDS = 30


def is_search_table(name: str) -> bool:
    """The search table and, on SQLite, FTS5's shadow tables."""
    return name == TABLE or name.startswith(TABLE + "_")


def include_in_models(name: str, type_: str, _parent_names) -> bool:
    """Alembic's include_name: the search tables are each engine's own, written by hand in their
    migration, so comparing the models with the database (autogenerate) leaves them out."""
    return not (type_ == "table" and is_search_table(name))


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or a phrase
    negated: bool = False
    prefix: bool = False  # the last word may be the start of a longer one


@dataclass(frozen=True)
class Group:
    """Terms that must all match (and negated ones that must not); groups are alternatives (OR)."""

    terms: tuple[Term, ...]


@dataclass(frozen=True)
class Filters:
    for_members: bool  # the viewer is signed in: members-only channels and the safe space too
    channel_id: int | None = None
    author_id: int | None = None  # never matches a safe-space post
    newest: bool = False  # newest first, else best match first
    limit: int = 20
    offset: int = 0


# What a result shows. The author's handle and name come only from post.author_id, which is null in
# the safe space; seal and sealed_author are never selected.
_COLUMNS = """p.id AS post_id, p.public_id, p.number, p.pseudonym, p.created_at,
  t.public_id AS thread_public_id, t.title AS thread_title, t.slug AS thread_slug,
  c.slug AS channel_slug, c.name AS channel_name, c.is_anonymous,
  m.handle AS author_handle, m.display_name AS author_name"""
_JOINS = """JOIN post p ON p.id = {post_id}
  JOIN thread t ON t.id = p.thread_id
  JOIN channel c ON c.id = t.channel_id
  LEFT JOIN member m ON m.id = p.author_id"""


def _visible(filters: Filters) -> str:
    """Published posts of published threads in channels the viewer may read (forum.policies.can_read_channel)."""
    where = ["p.status = 'published'", "NOT t.is_pending"]
    if not filters.for_members:
        where.append("c.visibility = 'public' AND NOT c.is_anonymous")
    if filters.channel_id is not None:
        where.append("c.id = :channel_id")
    if filters.author_id is not None:
        where.append("p.author_id = :author_id AND NOT c.is_anonymous")
    return " AND ".join(where)


def _order(filters: Filters, prefix: str, rank: str) -> str:
    """Best match (the lowest rank) or newest first. Ties, and the order of a day's safe-space posts
    (kept to the day), are broken by the random public id: never by the post id, whose order across
    channels would tell the time of a safe-space post to the minute."""
    first = f"{prefix}created_at DESC" if filters.newest else rank
    return f"{first}, {prefix}public_id"


def _rank(filters: Filters, rank: str) -> str:
    """Ranking costs a few microseconds a match (79 ms for a word in 29,000 posts on SQLite): newest
    first needs none."""
    return "0" if filters.newest else rank


def _params(match: str, filters: Filters) -> dict:
    return {"match": match, "channel_id": filters.channel_id, "author_id": filters.author_id,
            "limit": filters.limit, "offset": filters.offset, "start": MARK_START, "end": MARK_END}


# Both engines find and order the page's posts first (``hit``), then mark the matches of those only:
# marking every match before the limit took 376 ms for a word in 29,000 posts, newest first, on SQLite.
_RESULT = "hit.*, {title} AS title_marked, {excerpt} AS excerpt"


class SqliteEngine:
    """FTS5 with the Porter stemmer; ranked by bm25 with the title weighing 4 times the body (set in
    the migration as the table's ``rank``; lower is better)."""

    name = "sqlite"

    @staticmethod
    def match(groups: list[Group]) -> str:
        def term(t: Term) -> str:
            return '"' + " ".join(t.words) + '"' + ("*" if t.prefix else "")

        def group(g: Group) -> str:
            wanted = " AND ".join(term(t) for t in g.terms if not t.negated)
            unwanted = "".join(f" NOT {term(t)}" for t in g.terms if t.negated)
            return f"({wanted}){unwanted}"

        return " OR ".join(f"({group(g)})" for g in groups)

    @staticmethod
    def index(connection: Connection, rows: list[dict]) -> None:
        """Add or replace the rows (post_id, title, body)."""
        connection.execute(text(f"DELETE FROM {TABLE} WHERE rowid = :post_id"), rows)
        connection.execute(text(f"INSERT INTO {TABLE} (rowid, title, body) VALUES (:post_id, :title, :body)"), rows)

    @staticmethod
    def forget(connection: Connection, post_id: int) -> None:
        connection.execute(text(f"DELETE FROM {TABLE} WHERE rowid = :post_id"), {"post_id": post_id})

    @staticmethod
    def search(connection: Connection, match: str, filters: Filters) -> list:
        # FTS5's marking functions need the table's own match: the outer query matches again, on the
        # page's rows only.
        result = _RESULT.format(title=f"highlight({TABLE}, 0, :start, :end)",
                                excerpt=f"snippet({TABLE}, 1, :start, :end, '…', {EXCERPT_WORDS})")
        statement = text(f"""
            WITH hit AS (
              SELECT {_COLUMNS}, {_rank(filters, f"{TABLE}.rank")} AS rank
              FROM {TABLE} {_JOINS.format(post_id=f"{TABLE}.rowid")}
              WHERE {TABLE} MATCH :match AND {_visible(filters)}
              ORDER BY {_order(filters, "p.", f"{TABLE}.rank")} LIMIT :limit OFFSET :offset)
            SELECT {result} FROM hit JOIN {TABLE} ON {TABLE}.rowid = hit.post_id
            WHERE {TABLE} MATCH :match ORDER BY {_order(filters, "hit.", "hit.rank")}""")
        return connection.execute(statement, _params(match, filters)).all()

    @staticmethod
    def shown(value: str | None) -> str:
        """A title or excerpt from search, as the text it came from (with its marks)."""
        return value or ""


class PostgresEngine:
    """A stored tsvector (English configuration, title weighted A and body D) with a GIN index; ranked
    by ts_rank (negated: lower is better, as on SQLite).

    PostgreSQL's parser reads text as HTML: "<script>x</script>" would be a tag, its words neither
    indexed nor shown. So the table holds the text with &, < and > escaped (the parser skips
    entities), and what ts_headline returns is unescaped before service.marked escapes it for the page.
    """

    name = "postgresql"
    # ShortWord=0: keep short words such as numbers at the ends of an excerpt.
    _HEADLINE = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={EXCERPT_WORDS}, MinWords=12, ShortWord=0"
    _TITLE = f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true"

    @staticmethod
    def match(groups: list[Group]) -> str:
        def term(t: Term) -> str:
            phrase = " <-> ".join(f"'{word}'" for word in t.words) + (":*" if t.prefix else "")
            return ("!" if t.negated else "") + (f"({phrase})" if len(t.words) > 1 else phrase)

        return " | ".join("(" + " & ".join(term(t) for t in g.terms) + ")" for g in groups)

    @staticmethod
    def index(connection: Connection, rows: list[dict]) -> None:
        escaped = [row | {key: html.escape(row[key], quote=False) for key in ("title", "body")} for row in rows]
        connection.execute(text(f"""
            INSERT INTO {TABLE} (post_id, title, body) VALUES (:post_id, :title, :body)
            ON CONFLICT (post_id) DO UPDATE SET title = excluded.title, body = excluded.body"""), escaped)

    @staticmethod
    def forget(connection: Connection, post_id: int) -> None:
        connection.execute(text(f"DELETE FROM {TABLE} WHERE post_id = :post_id"), {"post_id": post_id})

    @classmethod
    def search(cls, connection: Connection, match: str, filters: Filters) -> list:
        result = _RESULT.format(
            title="CASE WHEN s.title <> '' THEN ts_headline('english', s.title, q.query, :title_options) END",
            excerpt="ts_headline('english', s.body, q.query, :body_options)")
        statement = text(f"""
            WITH q AS (SELECT to_tsquery('english', :match) AS query),
            hit AS (
              SELECT {_COLUMNS}, {_rank(filters, "-ts_rank(s.document, q.query)")} AS rank
              FROM q, {TABLE} s {_JOINS.format(post_id="s.post_id")}
              WHERE s.document @@ q.query AND {_visible(filters)}
              ORDER BY {_order(filters, "p.", "rank")} LIMIT :limit OFFSET :offset)
            SELECT {result} FROM hit JOIN {TABLE} s ON s.post_id = hit.post_id, q
            ORDER BY {_order(filters, "hit.", "hit.rank")}""")
        params = _params(match, filters) | {"title_options": cls._TITLE, "body_options": cls._HEADLINE}
        # Never a prepared statement: psycopg prepares a statement run five times, and PostgreSQL may
        # then keep one generic plan for every query. The best plan depends on the words: a generic
        # plan chosen after common words took 76 ms for a rare one that its own plan finds in 20.
        raw = connection.connection.dbapi_connection
        threshold, raw.prepare_threshold = raw.prepare_threshold, None
        try:
            return connection.execute(statement, params).all()
        finally:
            raw.prepare_threshold = threshold

    @staticmethod
    def shown(value: str | None) -> str:
        """A title or excerpt from search, as the text it came from (with its marks)."""
        return html.unescape(value or "")


def engine_for(connection: Connection) -> type[SqliteEngine] | type[PostgresEngine]:
    return PostgresEngine if connection.dialect.name == "postgresql" else SqliteEngine
