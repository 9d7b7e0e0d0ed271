"""Search: what a member typed, parsed once, run by the database's engine with the viewer's visibility.

The query language is the one people know from web search: words must all match (stemmed, so
"funding" finds "funded"), "quoted words" match as a phrase, -word leaves out posts with it, and OR
between words offers alternatives. The last word also matches longer words it starts ("retro"
finds "retrofit") unless the query ends with a space, so results can follow typing.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlmodel import Session

from app.accounts import service as accounts_service
from app.accounts.models import Viewer
from app.core.i18n import _
from app.core.problems import Problems
from app.core.timeutil import as_utc
from app.forum import lifecycle, visibility
from app.forum import service as forum_service
from app.forum.markdown import one_line, plain_text
from app.forum.models import Channel, Post, PostStatus, Thread
from app.search.engines import MARK_END, MARK_START, Filters, Group, Term, engine_for

MAX_QUERY_LENGTH = 200
PER_PAGE = 20
MAX_PAGE = 50  # a search is for finding, not for paging through thousands of posts
MIN_PREFIX = 3  # a shorter last word matches whole words only
SORTS = ("relevance", "newest")

# A quoted phrase (the closing quote may be missing), or a run of anything else up to a space.
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class SearchForm:
    q: str = ""
    channel: str = ""  # a channel slug, or every readable channel
    by: str = ""  # a member's handle, or anyone
    sort: str = "relevance"
    page: int = 1


@dataclass(frozen=True)
class Hit:
    public_id: str
    number: int
    thread_public_id: str
    thread_slug: str
    thread_title: str
    title: Markup  # the thread's title, its matching words marked
    excerpt: Markup  # words around the matches, marked
    channel_slug: str
    channel_name: str
    is_anonymous: bool
    created_at: datetime
    pseudonym: str | None
    author_handle: str | None
    author_name: str | None


@dataclass
class Results:
    hits: list[Hit] = field(default_factory=list)
    first: int = 1  # the number of the first hit in all results
    has_next: bool = False
    searched: bool = False  # there were words to look for
    hint: str = ""  # why nothing was looked for, when there was a query
    problems: Problems = field(default_factory=Problems)


def parse(query: str) -> list[Group]:
    """The groups of terms in ``query``, empty when it has no word to look for. A group needs a word
    that must match: -word alone would ask for nearly every post."""
    groups, terms = [], []
    tokens = _TOKEN.findall(query)
    for position, (sign, phrase, bare) in enumerate(tokens, start=1):
        if bare.lower() == "or":
            groups.append(terms)
            terms = []
            continue
        negated = sign == "-" or (bare.startswith("-") and len(bare) > 1)
        words = tuple(_WORD.findall((bare.removeprefix("-") if bare else phrase).lower()))
        if not words:
            continue
        # The word being typed: a bare last word, with nothing after it.
        prefix = (position == len(tokens) and bool(bare) and not negated and len(words) == 1
                  and len(words[0]) >= MIN_PREFIX and query[-1:].isalnum())
        terms.append(Term(words, negated=negated, prefix=prefix))
    groups.append(terms)
    return [Group(tuple(group)) for group in groups if any(not term.negated for term in group)]


def marked(value: str) -> Markup:
    """Text from an engine, escaped, with its match marks as <mark> elements."""
    return Markup(str(escape(value)).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


def search(session: Session, viewer: Viewer | None, form: SearchForm) -> Results:
    """One page of the posts that match, among those the viewer may read; or what is wrong with the form."""
    results = Results()
    if len(form.q) > MAX_QUERY_LENGTH:
        results.problems.add("q", _("Search for at most %(n)s characters.", n=MAX_QUERY_LENGTH))
    groups = parse(form.q) if form.q.strip() else []
    if form.q.strip() and not groups:
        # Not errors: live search meets these while a member types "-word" first.
        results.hint = (_("Add a word to look for: a word after a minus sign only leaves posts out.")
                        if _WORD.search(form.q) else _("Type a word to look for."))
    channel = _channel(session, viewer, form.channel, results.problems) if form.channel else None
    author_id = _author_id(session, form.by, results.problems) if form.by.strip() else None
    if results.problems or not groups:
        return results
    engine = engine_for(session.connection())
    filters = Filters(for_members=viewer is not None, engine=engine.name, channel_id=channel.id if channel else None,
                      channel_is_anonymous=bool(channel and channel.is_anonymous), author_id=author_id,
                      newest=form.sort == "newest", limit=PER_PAGE + 1, offset=(form.page - 1) * PER_PAGE)
    rows = engine.search(session.connection(), engine.match(groups), filters)
    results.searched, results.has_next = True, len(rows) > PER_PAGE and form.page < MAX_PAGE
    results.first = filters.offset + 1
    results.hits = [_hit(row, engine.shown) for row in rows[:PER_PAGE]]
    return results


def _hit(row, shown) -> Hit:
    title = shown(row.title_marked)
    return Hit(
        public_id=row.public_id, number=row.number, thread_public_id=row.thread_public_id,
        thread_slug=row.thread_slug, thread_title=row.thread_title,
        title=marked(title) if title else escape(row.thread_title), excerpt=marked(shown(row.excerpt)),
        channel_slug=row.channel_slug, channel_name=row.channel_name,
        is_anonymous=bool(row.is_anonymous), created_at=as_utc(row.created_at), pseudonym=row.pseudonym,
        author_handle=row.author_handle, author_name=row.author_name,
    )


def _channel(session: Session, viewer: Viewer | None, slug: str, problems: Problems) -> Channel | None:
    channel = forum_service.channel_by_slug(session, slug, viewer)
    if channel is None:
        problems.add("channel", _("Choose a channel from the list."))
    return channel


def _author_id(session: Session, handle: str, problems: Problems) -> int | None:
    member = accounts_service.member_by_handle(session, accounts_service.normalise_handle(handle))
    if member is None or member.status == "pending":  # as on their profile: no telling them from nobody
        problems.add("by", _("No member has the handle %(handle)s.", handle=handle.strip()))
    return member.id if member else None


# Key learnings -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LearningQuery:
    """Words to look for among the key learnings, in the database's engine's terms."""

    match: str
    matches: str  # SQL selecting the matches' key_learning_id, with :match its parameter
    engine: type


def learning_query(session: Session, q: str, problems: Problems) -> tuple[LearningQuery | None, str]:
    """The query for ``q`` over the key learnings (the same language as search), or None; and a hint
    when there were characters but no word to look for."""
    if len(q) > MAX_QUERY_LENGTH:
        problems.add("q", _("Search for at most %(n)s characters.", n=MAX_QUERY_LENGTH))
        return None, ""
    groups = parse(q) if q.strip() else []
    if not groups:
        hint = _("Type a word to look for.") if q.strip() else ""
        return None, hint
    engine = engine_for(session.connection())
    return LearningQuery(match=engine.match(groups), matches=engine.learning_matches(), engine=engine), ""


def learning_marks(session: Session, query: LearningQuery, ids: list[int]) -> dict[int, tuple[Markup, Markup]]:
    """For these key learnings: the summary with the words found marked, and an excerpt of the rest."""
    found = query.engine.learning_marks(session.connection(), query.match, ids)
    return {key: (marked(query.engine.shown(summary)), marked(query.engine.shown(excerpt)))
            for key, (summary, excerpt) in found.items()}


def index_learning(session: Session, *, key_learning_id: int, summary: str, body: str) -> None:
    """Put a key learning's words in its index: its summary (and what others could try), and ``body``,
    the words of what it came from."""
    index_learnings(session, [{"key_learning_id": key_learning_id, "summary": summary, "body": body}])


def index_learnings(session: Session, rows: list[dict]) -> None:
    """Index many key learnings at once (rows of key_learning_id, summary, body; bulk loads)."""
    connection = session.connection()
    engine_for(connection).index_learnings(connection, [
        {"key_learning_id": row["key_learning_id"], "summary": one_line(row["summary"]), "body": one_line(row["body"])}
        for row in rows])


def forget_learning(session: Session, key_learning_id: int) -> None:
    connection = session.connection()
    engine_for(connection).forget_learning(connection, key_learning_id)


# Keeping the index ---------------------------------------------------------------------------------

@lifecycle.published.connect
@lifecycle.changed.connect
def index_post(session: Session, *, post: Post, thread: Thread, channel: Channel) -> None:
    """Put the post's words (and, for an opening post, its thread's title) in the index, when it is
    published and whenever its words or title change after. Held and queued posts are not indexed: even
    how they weigh in ranking would change results before they are released."""
    connection = session.connection()
    row = document(post.id, post.number, thread.title, plain_text(post.body_html), sealed=channel.is_anonymous)
    engine_for(connection).index(connection, [row])


@lifecycle.removed.connect
def forget_post(session: Session, *, post: Post) -> None:
    """Take a deleted post out of the index."""
    connection = session.connection()
    engine_for(connection).forget(connection, post.id)


def document(post_id: int, number: int, thread_title: str, body_text: str, *, sealed: bool) -> dict:
    """An index row of a post's plain_text: the title goes with the opening post only, so that a title
    matches once. ``sealed``: the post is in the safe space (its channel is anonymous)."""
    return {"post_id": post_id, "title": one_line(thread_title) if number == 1 else "", "body": body_text,
            "sealed": sealed}


def index_documents(session: Session, rows: list[dict]) -> None:
    """Index many rows from ``document`` at once (bulk loads)."""
    connection = session.connection()
    engine_for(connection).index(connection, rows)


def reindex(session: Session) -> int:
    """Rebuild the whole index from the posts; returns how many posts it holds."""
    connection = session.connection()
    engine_for(connection).clear(connection)
    posts = connection.execute(select(Post.id, Post.number, Thread.title, Post.body_html, Channel.is_anonymous)
                               .join(Thread, Thread.id == Post.thread_id)
                               .join(Channel, Channel.id == Thread.channel_id)
                               .where(visibility.RELEASED.sql({"post": Post}),
                                      Post.status != PostStatus.deleted)).all()
    rows = [document(post_id, number, title, plain_text(body_html), sealed=anonymous)
            for post_id, number, title, body_html, anonymous in posts]
    for start in range(0, len(rows), 5000):
        index_documents(session, rows[start:start + 5000])
    return len(rows)
