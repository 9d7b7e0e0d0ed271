"""Two search engines behind one interface: SQLite FTS5 and PostgreSQL full-text search.

Each keeps one row per post in a table named ``post_search`` (on SQLite, sealed posts in a second
one): the thread's title (on its opening post only, so that a title matches once) and the post's
words (``markdown.plain_text`` of its HTML). The tables are not in the models' metadata: the
migrations that create them write each engine's own DDL.

Who may see a post is never stored here. Every search joins the post, its thread and its channel and
keeps only what the viewer may read (app.forum.visibility's rule, compiled to SQL), so hiding or
restoring a post needs no re-index. The one thing
kept is whether a post is sealed (written in the safe space), so that a search can read the sealed
matches apart from the others (``candidates``); the channel decides what is shown, never this.

Matches come back wrapped in MARK_START and MARK_END, two control characters that plain_text never
lets into the index; service.marked escapes the rest and turns them into <mark> tags.

Both engines are given the same parsed query (``Group``s of ``Term``s) and turn it into their own
syntax from words alone (``\\w+``), so nothing a member types reaches either query language as syntax.
"""

import html
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Connection, text
from sqlalchemy.dialects import postgresql, sqlite

from app.forum import visibility
from app.forum.models import Channel, Post, Thread

MARK_START, MARK_END = "\x02", "\x03"
TABLE = "post_search"
LEARNING_TABLE = "learning_search"  # the key learnings' summaries and their posts' words
EXCERPT_WORDS = 30


def is_search_table(name: str) -> bool:
    """The search tables and, on SQLite, the sealed posts' table and FTS5's shadow tables."""
    return any(name == table or name.startswith(table + "_") for table in (TABLE, LEARNING_TABLE))


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
    engine: str = "sqlite"  # the engine's name, for the SQL of the visibility rule
    channel_id: int | None = None
    channel_is_anonymous: bool = False  # of channel_id's channel
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
  JOIN channel c ON c.id = t.channel_id"""
_AUTHOR_JOIN = "LEFT JOIN member m ON m.id = p.author_id"
# What a candidate carries: what orders it. The rest is read for the page's results alone.
_KEYS = "p.id AS post_id, p.public_id, p.created_at"


@lru_cache(maxsize=4)
def readable(engine: str, for_members: bool) -> str:
    """visibility.published_filter for posts ``p`` of threads ``t`` in channels ``c``, as SQL text."""
    audience = visibility.Audience(member_id=0) if for_members else visibility.VISITOR
    tables = (Post.__table__.alias("p"), Thread.__table__.alias("t"), Channel.__table__.alias("c"))
    clause = visibility.published_filter(audience, *tables)
    dialect = postgresql.dialect() if engine == "postgresql" else sqlite.dialect()
    return str(clause.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _visible(filters: Filters, *, sealed: bool) -> str:
    """What the viewer may read (``readable``), of one kind: in the safe space (``sealed``) or not,
    as their channel says."""
    where = [readable(filters.engine, filters.for_members), "c.is_anonymous" if sealed else "NOT c.is_anonymous"]
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
    """Ranking costs time for every match: newest first needs none."""
    return "0" if filters.newest else rank


# How many of the newest named (not sealed) matches a search ranks: ranking every match of a word in
# most posts is what made common words slow (README, "Search"). Newest first is unchanged; best match
# is the best of these, and pages stop long before (MAX_PAGE).
CANDIDATES = 2000


def _wanted(filters: Filters) -> tuple[bool, bool]:
    """Whether this search looks among named posts, and among sealed (safe-space) ones."""
    in_channel = filters.channel_id is not None
    named = not (in_channel and filters.channel_is_anonymous)
    sealed = (filters.for_members and filters.author_id is None
              and (not in_channel or filters.channel_is_anonymous))
    return named, sealed


def candidates(filters: Filters, *, named: str, sealed: str) -> str:
    """The matches a search ranks, as SQL: the CANDIDATES newest named ones the viewer may read, and
    every sealed one. ``named`` and ``sealed`` select each kind, newest first for ``named``.

    Why not simply the newest matches of every kind: post ids run across all channels, so which posts
    made such a cut would follow their ids, and searches that add or take away words until a known set
    of named posts match could tell whether a safe-space post is older or newer than a given named
    one, dating it to the minute (the safe space keeps the day only). Here the named posts in the cut
    depend on named posts alone, and every sealed match is ranked, whatever its id.
    """
    wanted_named, wanted_sealed = _wanted(filters)
    parts = ([f"SELECT * FROM ({named} LIMIT :candidates) AS named"] if wanted_named else []) + (
        [f"SELECT * FROM ({sealed}) AS sealed"] if wanted_sealed else [])
    return " UNION ALL ".join(parts)


def _params(match: str, filters: Filters) -> dict:
    return {"match": match, "channel_id": filters.channel_id, "author_id": filters.author_id,
            "limit": filters.limit, "offset": filters.offset, "start": MARK_START, "end": MARK_END,
            "candidates": CANDIDATES}


# Both engines find and order the page's posts first (``hit``), then mark those only (``marked``) and
# read what the results show: marking every match before the limit cost far more than the search.
_RESULT = _COLUMNS + ", title_marked, excerpt"


class SqliteEngine:
    """FTS5 with the Porter stemmer; ranked by bm25 with the title weighing 4 times the body (set in
    the migration as each table's ``rank``; lower is better). Sealed posts have a table of their own
    (SEALED_TABLE), so that reading one kind of match never steps over rows of the other: FTS5 reads a
    word's posts in rowid order, and the time a search took would follow where sealed posts sit among
    named ones. Each table's bm25 weighs a word by how rare it is in that table."""

    name = "sqlite"
    SEALED_TABLE = TABLE + "_sealed"

    @staticmethod
    def match(groups: list[Group]) -> str:
        def term(t: Term) -> str:
            return '"' + " ".join(t.words) + '"' + ("*" if t.prefix else "")

        def group(g: Group) -> str:
            wanted = " AND ".join(term(t) for t in g.terms if not t.negated)
            unwanted = "".join(f" NOT {term(t)}" for t in g.terms if t.negated)
            return f"({wanted}){unwanted}"

        return " OR ".join(f"({group(g)})" for g in groups)

    @classmethod
    def index(cls, connection: Connection, rows: list[dict]) -> None:
        """Add or replace the rows (post_id, title, body, sealed)."""
        for table in (TABLE, cls.SEALED_TABLE):
            connection.execute(text(f"DELETE FROM {table} WHERE rowid = :post_id"), rows)
            kept = [row for row in rows if row["sealed"] == (table == cls.SEALED_TABLE)]
            if kept:
                connection.execute(text(f"INSERT INTO {table} (rowid, title, body) VALUES (:post_id, :title, :body)"),
                                   kept)

    @classmethod
    def forget(cls, connection: Connection, post_id: int) -> None:
        for table in (TABLE, cls.SEALED_TABLE):
            connection.execute(text(f"DELETE FROM {table} WHERE rowid = :post_id"), {"post_id": post_id})

    @classmethod
    def clear(cls, connection: Connection) -> None:
        for table in (TABLE, cls.SEALED_TABLE):
            connection.execute(text(f"DELETE FROM {table}"))

    @classmethod
    def search(cls, connection: Connection, match: str, filters: Filters) -> list:
        def matching(table: str, sealed: bool) -> str:
            return (f"SELECT {_KEYS}, {_rank(filters, f'{table}.rank')} AS rank FROM {table}"
                    f" {_JOINS.format(post_id=f'{table}.rowid')}"
                    f" WHERE {table} MATCH :match AND {_visible(filters, sealed=sealed)}")

        found = candidates(
            filters,
            # FTS5 gives the matches in rowid order without sorting: the newest are read first.
            named=f"{matching(TABLE, False)} ORDER BY {TABLE}.rowid DESC",
            sealed=matching(cls.SEALED_TABLE, True))
        if not found:
            return []
        # FTS5's marking functions need the table's own match: each table is matched again, once,
        # reading every match and keeping the page's rows (the + keeps FTS5 from being handed the
        # page's rowids: it would match once per rowid, merging the lists of every word a prefix such
        # as "fund*" starts each time). Nor does it read only the
        # range of the page's rowids, whose length would follow where the page's posts sit. Each is
        # materialized, so that it runs once.
        wanted_named, wanted_sealed = _wanted(filters)
        tables = [table for table, wanted in ((TABLE, wanted_named), (cls.SEALED_TABLE, wanted_sealed)) if wanted]
        marks = ", ".join(f"""marked_{table} AS MATERIALIZED (
              SELECT {table}.rowid AS post_id, highlight({table}, 0, :start, :end) AS title_marked,
                snippet({table}, 1, :start, :end, '…', {EXCERPT_WORDS}) AS excerpt
              FROM {table} WHERE {table} MATCH :match AND +{table}.rowid IN (SELECT post_id FROM hit))"""
                          for table in tables)
        marked = " UNION ALL ".join(f"SELECT * FROM marked_{table}" for table in tables)
        statement = text(f"""
            WITH hit AS (
              SELECT * FROM ({found}) ORDER BY {_order(filters, "", "rank")} LIMIT :limit OFFSET :offset),
            {marks}
            SELECT {_RESULT} FROM hit JOIN ({marked}) AS marked ON marked.post_id = hit.post_id
              {_JOINS.format(post_id="hit.post_id")} {_AUTHOR_JOIN}
            ORDER BY {_order(filters, "hit.", "hit.rank")}""")
        return connection.execute(statement, _params(match, filters)).all()

    # Key learnings: one table, read whole (there are hundreds, not thousands); who may read each is
    # the library's query, which joins these matches. Not ranked: bm25 weighs a word by its rarity
    # in the whole table, so the order of what a visitor finds would follow the words of key
    # learnings they may not read.
    @staticmethod
    def index_learnings(connection: Connection, rows: list[dict]) -> None:
        """Add or replace the rows (key_learning_id, summary, body)."""
        connection.execute(text(f"DELETE FROM {LEARNING_TABLE} WHERE rowid = :key_learning_id"), rows)
        connection.execute(text(f"INSERT INTO {LEARNING_TABLE} (rowid, summary, body)"
                                " VALUES (:key_learning_id, :summary, :body)"), rows)

    @staticmethod
    def forget_learning(connection: Connection, key_learning_id: int) -> None:
        connection.execute(text(f"DELETE FROM {LEARNING_TABLE} WHERE rowid = :id"), {"id": key_learning_id})

    @staticmethod
    def learning_matches() -> str:
        """SQL selecting the ids (key_learning_id) of the key learnings that match :match."""
        return f"SELECT rowid AS key_learning_id FROM {LEARNING_TABLE} WHERE {LEARNING_TABLE} MATCH :match"

    @staticmethod
    def learning_marks(connection: Connection, match: str, ids: list[int]) -> dict[int, tuple[str, str]]:
        """For these key learnings: the summary with its matches marked, and an excerpt of the rest."""
        if not ids:
            return {}
        rows = connection.execute(text(f"""
            SELECT rowid, highlight({LEARNING_TABLE}, 0, :start, :end),
              snippet({LEARNING_TABLE}, 1, :start, :end, '…', {EXCERPT_WORDS})
            FROM {LEARNING_TABLE} WHERE {LEARNING_TABLE} MATCH :match
              AND +rowid IN ({", ".join(str(int(i)) for i in ids)})"""),
            {"match": match, "start": MARK_START, "end": MARK_END}).all()
        return {row[0]: (row[1], row[2]) for row in rows}

    @staticmethod
    def shown(value: str | None) -> str:
        """A title or excerpt from search, as the text it came from (with its marks)."""
        return value or ""


class PostgresEngine:
    """A stored tsvector (English configuration, title weighted A and body D), with a GIN index over
    the sealed rows (``sealed``) and another over the named ones, and an index of the named rows' ids;
    ranked by ts_rank (negated: lower is better, as on SQLite).

    PostgreSQL's parser reads text as HTML: "<script>x</script>" would be a tag, its words neither
    indexed nor shown. So the table holds the text with &, < and > escaped (the parser skips
    entities), and what ts_headline returns is unescaped before service.marked escapes it for the page.
    """

    name = "postgresql"
    # ShortWord=0: keep short words such as numbers at the ends of an excerpt.
    _HEADLINE = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={EXCERPT_WORDS}, MinWords=12, ShortWord=0"
    _TITLE = f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true"
    _INDEXES_ONLY = ("enable_seqscan", "enable_hashjoin", "enable_mergejoin")  # planner settings, set off

    @staticmethod
    def match(groups: list[Group]) -> str:
        def term(t: Term) -> str:
            phrase = " <-> ".join(f"'{word}'" for word in t.words) + (":*" if t.prefix else "")
            return ("!" if t.negated else "") + (f"({phrase})" if len(t.words) > 1 else phrase)

        return " | ".join("(" + " & ".join(term(t) for t in g.terms) + ")" for g in groups)

    @staticmethod
    def index(connection: Connection, rows: list[dict]) -> None:
        """Add or replace the rows (post_id, title, body, sealed)."""
        escaped = [row | {key: html.escape(row[key], quote=False) for key in ("title", "body")} for row in rows]
        connection.execute(text(f"""
            INSERT INTO {TABLE} (post_id, title, body, sealed) VALUES (:post_id, :title, :body, :sealed)
            ON CONFLICT (post_id) DO UPDATE
              SET title = excluded.title, body = excluded.body, sealed = excluded.sealed"""), escaped)

    @staticmethod
    def forget(connection: Connection, post_id: int) -> None:
        connection.execute(text(f"DELETE FROM {TABLE} WHERE post_id = :post_id"), {"post_id": post_id})

    @staticmethod
    def clear(connection: Connection) -> None:
        connection.execute(text(f"DELETE FROM {TABLE}"))

    @classmethod
    def search(cls, connection: Connection, match: str, filters: Filters) -> list:
        # The query is written out wherever it is used, not read from a CTE: only then does the planner
        # know how many posts it may match. Each kind of match is read from its own indexes first, so
        # that reading one kind never steps over rows of the other (see SqliteEngine), fenced
        # off by OFFSET 0 so that the planner cannot start from the posts of a channel instead (reading
        # all of them); the named ones newest first, by their ids alone (sorting matches with their
        # documents spilled to disk). Then they are joined to keep what the viewer may read.
        query = "to_tsquery('english', :match)"
        rank = _rank(filters, f"-ts_rank(s.document, {query})")
        found = candidates(
            filters,
            named=f"""SELECT {_KEYS}, {rank} AS rank FROM (
                SELECT post_id FROM {TABLE} WHERE NOT sealed AND document @@ {query} ORDER BY post_id DESC OFFSET 0
              ) AS newest {_JOINS.format(post_id="newest.post_id")} JOIN {TABLE} s ON s.post_id = newest.post_id
              WHERE {_visible(filters, sealed=False)} ORDER BY newest.post_id DESC""",
            sealed=f"""SELECT {_KEYS}, {rank} AS rank FROM (
                SELECT post_id, document FROM {TABLE} WHERE sealed AND document @@ {query} OFFSET 0
              ) AS s {_JOINS.format(post_id="s.post_id")}
              WHERE {_visible(filters, sealed=True)}""")
        if not found:
            return []
        statement = text(f"""
            WITH hit AS (
              SELECT * FROM ({found}) AS candidate ORDER BY {_order(filters, "", "rank")} LIMIT :limit OFFSET :offset)
            SELECT {_RESULT} FROM (
              SELECT hit.post_id, hit.rank,
                CASE WHEN s.title <> '' THEN ts_headline('english', s.title, {query}, :title_options) END
                  AS title_marked,
                ts_headline('english', s.body, {query}, :body_options) AS excerpt
              FROM hit JOIN {TABLE} s ON s.post_id = hit.post_id) AS marked
              {_JOINS.format(post_id="marked.post_id")} {_AUTHOR_JOIN}
            ORDER BY {_order(filters, "p.", "marked.rank")}""")
        params = _params(match, filters) | {"title_options": cls._TITLE, "body_options": cls._HEADLINE}
        # Never a prepared statement: psycopg prepares a statement run five times, and PostgreSQL may
        # then keep one generic plan for every query. The best plan depends on the words: a generic
        # plan chosen after common words is slow for rare ones.
        raw = connection.connection.dbapi_connection
        threshold, raw.prepare_threshold = raw.prepare_threshold, None
        # And no plan that reads whole tables: the planner's guess at how many posts a phrase or a
        # prefix matches can be wrong many times over, and on a high guess it read every post and
        # every index row.
        # Set for the connection, they are reset at once, whatever happens (a connection that fails the
        # reset is broken, and the pool discards it).
        try:
            connection.exec_driver_sql("; ".join(f"SET {setting} = off" for setting in cls._INDEXES_ONLY))
            try:
                return connection.execute(statement, params).all()
            finally:
                connection.exec_driver_sql("; ".join(f"RESET {setting}" for setting in cls._INDEXES_ONLY))
        finally:
            raw.prepare_threshold = threshold

    @staticmethod
    def index_learnings(connection: Connection, rows: list[dict]) -> None:
        """Add or replace the rows (key_learning_id, summary, body)."""
        escaped = [row | {key: html.escape(row[key], quote=False) for key in ("summary", "body")} for row in rows]
        connection.execute(text(f"""
            INSERT INTO {LEARNING_TABLE} (key_learning_id, summary, body) VALUES (:key_learning_id, :summary, :body)
            ON CONFLICT (key_learning_id) DO UPDATE SET summary = excluded.summary, body = excluded.body"""),
            escaped)

    @staticmethod
    def forget_learning(connection: Connection, key_learning_id: int) -> None:
        connection.execute(text(f"DELETE FROM {LEARNING_TABLE} WHERE key_learning_id = :id"), {"id": key_learning_id})

    @staticmethod
    def learning_matches() -> str:
        """SQL selecting the ids (key_learning_id) of the key learnings that match :match."""
        return f"SELECT key_learning_id FROM {LEARNING_TABLE} WHERE document @@ to_tsquery('english', :match)"

    @classmethod
    def learning_marks(cls, connection: Connection, match: str, ids: list[int]) -> dict[int, tuple[str, str]]:
        """For these key learnings: the summary with its matches marked, and an excerpt of the rest."""
        if not ids:
            return {}
        query = "to_tsquery('english', :match)"
        rows = connection.execute(text(f"""
            SELECT key_learning_id, ts_headline('english', summary, {query}, :title_options),
              ts_headline('english', body, {query}, :body_options)
            FROM {LEARNING_TABLE} WHERE key_learning_id IN ({", ".join(str(int(i)) for i in ids)})"""),
            {"match": match, "title_options": cls._TITLE, "body_options": cls._HEADLINE}).all()
        return {row[0]: (row[1], row[2]) for row in rows}

    @staticmethod
    def shown(value: str | None) -> str:
        """A title or excerpt from search, as the text it came from (with its marks)."""
        return html.unescape(value or "")


def engine_for(connection: Connection) -> type[SqliteEngine] | type[PostgresEngine]:
    return PostgresEngine if connection.dialect.name == "postgresql" else SqliteEngine
