"""The visibility rule's two forms agree: for every generated channel, thread, post and audience, the
SQL filter keeps exactly the rows that the plain predicate allows."""

import itertools
from datetime import timedelta

from sqlalchemy import or_, select

from app.core.timeutil import utcnow
from app.forum import visibility
from app.forum.models import Channel, Post, PostStatus, Thread, Visibility
from app.forum.visibility import Audience
from app.safespace import service as safespace
from tests.factories import make_channel, make_member

STATES = [  # (status, numbered, release_at set): every state a post can be in, and some it should not
    (status, numbered, scheduled)
    for status in PostStatus for numbered in (False, True) for scheduled in (False, True)
]


def _world(session):
    """Channels of each kind of visibility; in each, a listed and an unlisted thread whose posts take
    every state, written by the author or by someone else."""
    author, other = make_member(session), make_member(session)
    moderator = make_member(session, role="moderator")
    later = utcnow() + timedelta(hours=1)
    rows = []
    for visibility_, anonymous in itertools.product(Visibility, (False, True)):
        channel = make_channel(session, visibility=visibility_, is_anonymous=anonymous)
        for listed in (True, False):
            thread = Thread(channel_id=channel.id, title="t", slug="t", is_pending=not listed)
            session.add(thread)
            session.flush()
            for number, ((status, numbered, scheduled), writer) in enumerate(
                    itertools.product(STATES, (author, other)), start=1):
                post = Post(thread_id=thread.id, number=number if numbered else None, path=f"{number:06d}",
                            body_md="b", body_html="<p>b</p>", status=status,
                            release_at=later if scheduled else None)
                if anonymous:
                    post.seal = safespace.seal(writer.id, thread.id)
                    post.sealed_author = safespace.seal_author(writer.id)
                else:
                    post.author_id = writer.id
                session.add(post)
                rows.append((post, thread, channel))
    session.flush()
    audiences = [visibility.VISITOR, Audience(member_id=author.id),
                 Audience(member_id=moderator.id, is_moderator=True), Audience(member_id=author.id, is_moderator=True)]
    return rows, audiences


def _own(audience, post) -> bool:
    if audience.member_id is None:
        return False
    if post.seal:
        return post.seal == safespace.seal(audience.member_id, post.thread_id)
    return post.author_id == audience.member_id


def _own_sql(audience, thread_ids):
    if audience.member_id is None:
        return None
    seals = [safespace.seal(audience.member_id, thread_id) for thread_id in thread_ids]
    return or_(Post.author_id == audience.member_id, Post.seal.in_(seals))


def _posts():
    return select(Post.id).join(Thread, Thread.id == Post.thread_id).join(Channel, Channel.id == Thread.channel_id)


def test_place_and_channel_filters_agree_with_their_predicates(session):
    rows, audiences = _world(session)
    ids = [post.id for post, _, _ in rows]
    thread_ids = sorted({thread.id for _, thread, _ in rows})
    for audience in audiences:
        query = (_posts().where(Post.id.in_(ids), visibility.channel_filter(audience, Channel),
                        visibility.place_filter(audience, Post, _own_sql(audience, thread_ids))))
        by_sql = set(session.execute(query).scalars())
        by_predicate = {post.id for post, _, channel in rows
                        if visibility.can_read_channel(audience, channel)
                        and visibility.can_see_place(audience, post, own=_own(audience, post))}
        assert by_sql == by_predicate, audience
        assert by_predicate  # every audience sees something, and not everything
        assert by_predicate != set(ids)


def test_thread_filter_agrees_with_its_predicate(session):
    rows, audiences = _world(session)
    openings = {}
    for post, thread, _ in rows:  # each thread's first post stands as its opening post here
        openings.setdefault(thread.id, (thread, post))
    opening = Post.__table__.alias("opening")
    thread_ids = sorted(openings)
    for audience in audiences:
        own = None
        if audience.member_id is not None:
            seals = [safespace.seal(audience.member_id, t) for t in thread_ids]
            own = or_(opening.c.author_id == audience.member_id, opening.c.seal.in_(seals))
        query = (select(Thread.id).join(opening, opening.c.id == select(Post.id).where(Post.thread_id == Thread.id)
                                        .order_by(Post.id).limit(1).scalar_subquery())
                 .where(Thread.id.in_(thread_ids), visibility.thread_filter(audience, Thread, opening, own)))
        by_sql = set(session.execute(query).scalars())
        by_predicate = {thread.id for thread, post in openings.values()
                        if visibility.can_see_thread(audience, thread, post, own_opening=_own(audience, post))}
        assert by_sql == by_predicate, audience


def test_published_filter_is_what_readers_may_read_and_no_more(session):
    """Search's rule: only published posts of listed threads in readable channels, for any audience."""
    rows, audiences = _world(session)
    ids = [post.id for post, _, _ in rows]
    for audience in audiences:
        query = _posts().where(Post.id.in_(ids), visibility.published_filter(audience, Post, Thread, Channel))
        by_sql = set(session.execute(query).scalars())
        expected = {post.id for post, thread, channel in rows
                    if post.status == PostStatus.published and post.number is not None and not thread.is_pending
                    and visibility.can_read_channel(audience, channel)}
        assert by_sql == expected
        for post, _, _ in rows:
            if post.id in by_sql:  # what search shows, every reader of the channel may read
                assert visibility.can_read_body(audience, post, own=False)


def test_held_and_queued_posts_are_nothing_to_other_members_and_visitors(session):
    rows, _ = _world(session)
    member = Audience(member_id=make_member(session).id)
    for post, _, _ in rows:
        if post.status in (PostStatus.pending, PostStatus.queued) or post.number is None:
            for audience in (visibility.VISITOR, member):
                assert not visibility.can_see_place(audience, post, own=False)
                assert not visibility.can_read_body(audience, post, own=False)
