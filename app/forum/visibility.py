"""Who may see what, stated once.

Each rule below is a table of (who, condition): a reader in one of those roles may see the thing
when its row meets the condition. From the same table come a plain predicate (``allows``, for a row
in hand) and a SQLAlchemy filter (``where``, for a query), so pages, search and later digests and
feeds cannot disagree (tests/unit/forum/test_visibility.py checks that they do not).

The audiences: a visitor (signed out, or an email-only subscriber), a member, the author of a post,
and a moderator. Ownership of a safe-space post is a seal that only the server can compute, one
thread at a time, so callers hand it in: a bool for a predicate, a SQL expression for a filter.

A post's states (``PostStatus``): *pending* (held for a moderator; in the safe space it reaches the
moderators only at the next release, until then ``release_at`` is set), *queued* (waiting for the
safe space's next release), *published*, *hidden* and *deleted*. A post is *released* once it has a
number and is neither pending nor queued: numbers are given at publication, so held posts leave no
gap. The opening post is number 1 from the start; its thread is listed only once it is released.
"""

from dataclasses import dataclass
from enum import Enum

from sqlalchemy import and_, false, or_, true

from app.forum.models import PostStatus, Visibility


class Role(Enum):
    anyone = "anyone"
    member = "member"  # signed in
    author = "author"  # wrote this post (or this thread's opening post)
    moderator = "moderator"


@dataclass(frozen=True)
class Audience:
    """Who is looking. A visitor and an email-only subscriber are the same audience."""

    member_id: int | None = None
    is_moderator: bool = False

    @property
    def is_member(self) -> bool:
        return self.member_id is not None

    def roles(self, own: bool = False) -> frozenset[Role]:
        return _ROLES[(self.is_member, own, self.is_moderator)]


VISITOR = Audience()
_ROLES = {
    (member, own, moderator): frozenset(
        {Role.anyone} | ({Role.member} if member else set()) | ({Role.author} if own else set())
        | ({Role.moderator} if moderator else set()))
    for member in (False, True) for own in (False, True) for moderator in (False, True)
}


# Conditions on rows, each usable both ways ------------------------------------------------------

@dataclass(frozen=True)
class Is:
    """``table.column`` equals ``value`` (None: is null); ``values`` for one of several."""

    table: str
    column: str
    value: object = None
    values: tuple | None = None
    negated: bool = False

    def test(self, rows: dict) -> bool:
        actual = getattr(rows[self.table], self.column)
        if self.values is not None:
            found = actual in self.values
        elif self.value is None:
            found = actual is None
        else:
            found = actual == self.value
        return found != self.negated

    def sql(self, tables: dict):
        table = tables[self.table]
        column = getattr(getattr(table, "c", table), self.column)  # a Table, an alias or a model
        if self.values is not None:
            # Equalities, not IN: an IN of a tuple is an "expanding" parameter, which SQLAlchemy
            # splices into the SQL on every execution.
            clause = or_(*(column == value for value in self.values))
        elif self.value is None:
            clause = column.is_(None)
        else:
            clause = column == self.value
        return ~clause if self.negated else clause


@dataclass(frozen=True)
class All:
    terms: tuple

    def test(self, rows: dict) -> bool:
        return all(term.test(rows) for term in self.terms)

    def sql(self, tables: dict):
        return and_(*(term.sql(tables) for term in self.terms))


class Always:
    def test(self, rows: dict) -> bool:
        return True

    def sql(self, tables: dict):
        return true()


def Not(condition: Is) -> Is:  # noqa: N802 (reads as the other conditions do)
    return Is(condition.table, condition.column, condition.value, condition.values, not condition.negated)


def allows(rule: tuple, roles: frozenset[Role], rows: dict) -> bool:
    """Whether a reader with these roles may see what ``rows`` describe."""
    return any(role in roles and condition.test(rows) for role, condition in rule)


def _leaves(condition) -> list[Is]:
    return [condition] if isinstance(condition, Is) else [
        leaf for term in getattr(condition, "terms", ()) for leaf in _leaves(term)]


class PostRule:
    """A rule about one post, asked of every post on a page: its answer depends only on the roles and
    on a few facts of the row (the value of a column compared with values, or whether a column
    compared with null is null), so each combination is worked out once by ``allows`` and remembered."""

    def __init__(self, rule: tuple) -> None:
        leaves = [leaf for _, condition in rule for leaf in _leaves(condition)]
        assert all(leaf.table == "post" for leaf in leaves)
        compared = sorted({leaf.column for leaf in leaves if leaf.value is not None or leaf.values})
        nulls = sorted({leaf.column for leaf in leaves} - set(compared))
        facts = ", ".join([f"post.{c}" for c in compared] + [f"post.{c} is None" for c in nulls])
        answers: dict[tuple, bool] = {}

        def work_out(roles, post, key):
            answers[key] = answer = allows(rule, roles, {"post": post})
            return answer

        # Written out for these columns: a page asks for every post, and a generic loop over the
        # columns (or a call more) cost more than the rest of the check.
        source = (f"def check(roles, post):\n    key = (roles, {facts})\n    answer = answers.get(key)\n"
                  f"    return work_out(roles, post, key) if answer is None else answer")
        scope = {"answers": answers, "work_out": work_out}
        exec(source, scope)  # noqa: S102 (column names from the rules below)
        self.check = scope["check"]

    def __call__(self, roles: frozenset[Role], post) -> bool:
        return self.check(roles, post)


def where(rule: tuple, audience: Audience, tables: dict, own=None):
    """The same rule as a SQL filter. ``own``: a SQL expression true for the audience's own posts."""
    terms = []
    for role, condition in rule:
        if role is Role.author:
            if own is not None:
                terms.append(and_(own, condition.sql(tables)))
        elif role in audience.roles():
            terms.append(condition.sql(tables))
    return or_(*terms) if terms else false()


# The rules --------------------------------------------------------------------------------------

PENDING, QUEUED, PUBLISHED, HIDDEN, DELETED = (PostStatus.pending, PostStatus.queued, PostStatus.published,
                                               PostStatus.hidden, PostStatus.deleted)

# Channels: public ones for anyone, the rest (and the safe space, always) for members.
CHANNEL = (
    (Role.anyone, All((Is("channel", "visibility", Visibility.public), Is("channel", "is_anonymous", False)))),
    (Role.member, Always()),
)

RELEASED = All((Not(Is("post", "number")), Not(Is("post", "status", values=(PENDING, QUEUED)))))
# Held for a moderator and already in the moderators' queue (in the safe space, since a release).
IN_QUEUE = All((Is("post", "status", values=(PENDING, HIDDEN)), Is("post", "release_at")))

# A post's place in its thread (its number, or its tombstone). Until it is released a post exists
# for its author and, once it has reached their queue, the moderators: for anyone else it is
# exactly like a post that does not exist.
PLACE = (
    (Role.anyone, RELEASED),
    (Role.author, Not(Is("post", "status", DELETED))),
    (Role.moderator, IN_QUEUE),
)

# A post's words. Its author still reads a post a moderator hid (with the reason).
BODY = (
    (Role.anyone, All((Is("post", "status", PUBLISHED), Not(Is("post", "number"))))),
    (Role.author, Is("post", "status", values=(PENDING, QUEUED, HIDDEN))),
    (Role.moderator, IN_QUEUE),
)

# Threads: listed once their opening post is released; before that, for the opening post's author,
# and for moderators once it has reached their queue.
THREAD = (
    (Role.anyone, Is("thread", "is_pending", False)),
    (Role.author, Always()),
    (Role.moderator, All((Is("opening", "status", values=(PENDING, HIDDEN)), Is("opening", "release_at")))),
)


# Predicates (rows in hand) ----------------------------------------------------------------------

def can_read_channel(audience: Audience, channel) -> bool:
    return allows(CHANNEL, audience.roles(), {"channel": channel})


def can_see_thread(audience: Audience, thread, opening, *, own_opening: bool) -> bool:
    """``opening``: the thread's opening post (needed only while the thread is unlisted)."""
    if not thread.is_pending:
        return True
    return allows(THREAD, audience.roles(own_opening), {"thread": thread, "opening": opening})


_PLACE, _BODY = PostRule(PLACE), PostRule(BODY)


def can_see_place(audience: Audience, post, *, own: bool) -> bool:
    return _PLACE(audience.roles(own), post)


def can_read_body(audience: Audience, post, *, own: bool) -> bool:
    return _BODY(audience.roles(own), post)


def body_reader(audience: Audience):
    """can_read_body for one audience and many posts (a page's): ``reads(post, own)``."""
    others, own_roles, check = audience.roles(False), audience.roles(True), _BODY.check
    return lambda post, own: check(own_roles if own else others, post)


def is_released(post) -> bool:
    return RELEASED.test({"post": post})


# Filters (for queries) --------------------------------------------------------------------------

def channel_filter(audience: Audience, channel):
    return where(CHANNEL, audience, {"channel": channel})


def thread_filter(audience: Audience, thread, opening=None, own_opening=None):
    """Listed threads; with ``opening`` (the opening post's table) also the unlisted ones the
    audience may see."""
    if opening is None:
        return where(THREAD[:1], audience, {"thread": thread})
    return where(THREAD, audience, {"thread": thread, "opening": opening}, own_opening)


def place_filter(audience: Audience, post, own=None):
    return where(PLACE, audience, {"post": post}, own)


def published_filter(audience: Audience, post, thread, channel):
    """What search (and later digests and feeds) may show the audience: published posts of listed
    threads in channels it may read. Nobody's own unreleased posts, so no seal is needed."""
    return and_(channel_filter(audience, channel), where(THREAD[:1], audience, {"thread": thread}),
                where(BODY[:1], audience, {"post": post}))
