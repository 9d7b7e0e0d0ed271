"""Merging and splitting threads: the lifecycle's part for moderators who regroup posts.

Posts that change thread are numbered again, with their places in the reply tree, and both threads
are counted again: like app/forum/lifecycle.py's ``_publish``, this is a place that writes those
columns, and it keeps the same rules (unreleased posts stay unnumbered; a thread is listed once its
opening post is released; in the safe space a post's seal and letter belong to one thread).
Permalinks need nothing: they name posts by public id, wherever the post now is.
"""

from sqlalchemy import delete, select, update
from sqlmodel import Session

from app.core.hooks import Hook
from app.forum import lifecycle, visibility
from app.forum.models import Channel, Post, PostStatus, Thread, ThreadRedirect, ThreadTag
from app.forum.service import MAX_TAGS, slugify
from app.safespace import service as safespace

# (session, *, source_id, target_id): rows about a merged thread move to the thread it joined.
merging = Hook("threads merging")


def merge(session: Session, *, source: Thread, target: Thread, channel: Channel) -> None:
    """Move every post of ``source`` into ``target`` (in ``channel``), in order of time after target's
    opening post, and leave source's address leading to target. Not for anonymous channels, where one
    letter for one person across the two threads would link their posts (the callers refuse)."""
    lifecycle.refresh_for_update(session, target)
    lifecycle.refresh_for_update(session, source)
    moved = list(session.execute(select(Post).where(Post.thread_id == source.id)).scalars())
    for post in moved:
        # Numbers are unique in a thread: below zero until _renumber, so they cannot meet target's.
        post.number = -post.number if post.number else None
        post.thread_id = target.id
    kept = _tag_ids(session, target)
    tags = kept + [tag for tag in _tag_ids(session, source) if tag not in kept]
    session.execute(delete(ThreadTag).where(ThreadTag.thread_id.in_((source.id, target.id))))
    session.add_all(ThreadTag(thread_id=target.id, tag_id=tag) for tag in tags[:MAX_TAGS])
    session.execute(update(ThreadRedirect).where(ThreadRedirect.thread_id == source.id).values(thread_id=target.id))
    session.add(ThreadRedirect(public_id=source.public_id, thread_id=target.id))
    session.add_all(moved)
    session.flush()
    merging(session, source_id=source.id, target_id=target.id)
    target.last_activity_at = max(target.last_activity_at, source.last_activity_at)
    session.delete(source)
    session.flush()
    _renumber(session, target, channel)
    _reindex(session, moved, target, channel)


def split(session: Session, *, thread: Thread, channel: Channel, chosen: list[Post], title: str) -> Thread:
    """Move the chosen replies, and every reply below them, into a new thread of the same channel
    whose opening post is the earliest of them. Both threads are numbered again."""
    lifecycle.refresh_for_update(session, thread)
    chosen = sorted(chosen, key=lambda post: post.path)
    prefixes = [post.path for post in chosen]
    posts = list(session.execute(select(Post).where(Post.thread_id == thread.id)).scalars())
    moved = [post for post in posts
             if any(post.path == prefix or post.path.startswith(prefix + ".") for prefix in prefixes)]
    opening = min(chosen, key=lambda post: post.number)
    new = Thread(channel_id=thread.channel_id, title=title, slug=slugify(title),
                 author_id=opening.author_id, created_at=opening.created_at, last_activity_at=opening.created_at)
    session.add(new)
    session.flush()
    ids = {post.id for post in moved}
    for post in moved:
        post.thread_id = new.id
        if post.parent_id not in ids:
            post.parent_id = None  # it answered a post that stays behind: now it answers the new thread
    session.add_all(ThreadTag(thread_id=new.id, tag_id=tag) for tag in _tag_ids(session, thread))
    session.add_all(moved)
    session.flush()
    if channel.is_anonymous:
        _reseal(session, moved, new)
    _renumber(session, new, channel, first=opening)
    _renumber(session, thread, channel)
    _reindex(session, moved, new, channel)
    return new


def _tag_ids(session: Session, thread: Thread) -> list[int]:
    return list(session.execute(select(ThreadTag.tag_id).where(ThreadTag.thread_id == thread.id)
                                .order_by(ThreadTag.tag_id)).scalars())


def _reseal(session: Session, posts: list[Post], thread: Thread) -> None:
    """A seal is of (member, thread): the moved posts take their authors' seals for the new thread
    (only the server can, from the sealed author), so ownership and letters follow them."""
    for post in posts:
        author_id = safespace.unseal_author(post.sealed_author)
        if post.seal and author_id is not None:
            post.seal = safespace.seal(author_id, thread.id)
        session.add(post)
    session.flush()


def _renumber(session: Session, thread: Thread, channel: Channel, *, first: Post | None = None) -> None:
    """Number the thread's released posts again: ``first`` (or the opening post) is 1, the others
    follow in order of time; places in the reply tree follow the numbers; the thread is counted again."""
    posts = list(session.execute(select(Post).where(Post.thread_id == thread.id)).scalars())
    first = first or next((post for post in posts if post.number == 1), None)
    released = sorted((post for post in posts if visibility.is_released(post) and post is not first),
                      key=lambda post: (post.created_at, post.number, post.id))
    for post in posts:
        post.number = None  # numbers are unique in a thread: clear them before giving them again
    session.flush()
    order = ([first] if first is not None else []) + released
    for number, post in enumerate(order, start=1):
        post.number = number
    if first is not None:
        first.parent_id = None
    by_id = {post.id: post for post in posts}
    placed: set[int] = set()

    def place(post: Post) -> None:
        if post.id in placed:
            return
        parent = by_id.get(post.parent_id) if post.parent_id else None
        if parent is not None:
            place(parent)
        segment = f"{post.number:0{lifecycle.PATH_WIDTH}d}" if post.number else f"~{post.public_id}"
        post.path = f"{parent.path}.{segment}" if parent else segment
        post.depth = parent.depth + 1 if parent else 0
        placed.add(post.id)

    for post in posts:
        place(post)
    published = [post for post in order if post.status == PostStatus.published]
    thread.post_count = len(order)
    thread.reply_count = sum(1 for post in published if post.number > 1)
    thread.is_pending = first is None or not visibility.is_released(first)
    if published:
        thread.last_activity_at = max(post.created_at for post in published)
    session.add_all([*posts, thread])
    session.flush()
    if channel.is_anonymous:
        _reletter(session, thread, order)


def _reletter(session: Session, thread: Thread, order: list[Post]) -> None:
    """Letters again, in order of each person's first post in this thread (as at publication)."""
    session.execute(update(Post).where(Post.thread_id == thread.id).values(pseudonym=None))
    for post in order:
        if post.seal:
            post.pseudonym = lifecycle.pseudonym_for(session, thread.id, post.seal)
            session.add(post)
            session.flush()


def _reindex(session: Session, posts: list[Post], thread: Thread, channel: Channel) -> None:
    """The index keeps the title with the opening post only: the moved posts are indexed again."""
    for post in posts:
        if visibility.is_released(post) and post.status != PostStatus.deleted:
            lifecycle.changed(session, post=post, thread=thread, channel=channel)
