"""Every change of a post's state, and all that follows from it, written once.

A new post is held for a moderator, queued for the safe space's next release, or published at once
(``submit``). Publishing (``_publish``) is the one place that gives a post its number, its place in
the reply tree and, in the safe space, its pseudonym letter, and that counts it in its thread: so a
held post leaves no gap, and nothing readers see changes between the safe space's releases. Hiding,
restoring and deleting keep the same counters. The search index and notifications, which live above
the forum, follow through the hooks below (connected in app/wiring.py).

Who sees a post in each state is app/forum/visibility.py's.
"""

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, event, func, select, update
from sqlmodel import Session

from app.accounts.models import Viewer
from app.core.config import get_settings
from app.core.hooks import Hook
from app.core.timeutil import utcnow
from app.forum import policies, reading, schedule, visibility
from app.forum.models import Channel, Post, PostRevision, PostStatus, Reaction, Thread, ThreadTag
from app.forum.service import slugify
from app.safespace import service as safespace

# Receivers take (session, *, post, thread, channel).
published = Hook("post published")  # a post became visible to readers
published.connect(reading.read_by_its_author)
changed = Hook("post changed")  # a released post's words (or its thread's title) changed
removed = Hook("post removed")  # (session, *, post): a post's words are gone (deleted)
# (session, *, post_ids, thread_id): rows about to be erased (an unreleased post its author deleted);
# thread_id is set when the whole thread goes.
erasing = Hook("posts erasing")

PATH_WIDTH = 6  # zero-padded post numbers: up to 999,999 posts per thread
MAX_PATH_DEPTH = 50  # deeper replies attach to their ancestor at this depth (path fits in 400)
_random = secrets.SystemRandom()


@event.listens_for(Session, "after_transaction_end")
def _forget_locks(session: Session, transaction) -> None:
    if transaction.parent is None:  # the transaction that held the locks is over
        session.info.pop("locked_threads", None)


def refresh_for_update(session: Session, thread: Thread) -> None:
    """Re-read the thread under a row lock (FOR UPDATE on PostgreSQL; SQLite writers already hold the
    database's write lock), so counters and post numbers are never computed from a stale copy. Take
    it before writing a post of the thread: the post's foreign key takes a share lock on the thread's
    row, and two writers each holding one while waiting for the other's would deadlock."""
    locked = session.info.setdefault("locked_threads", set())  # once a transaction: the lock holds to its end
    if thread.id is not None and thread.id not in locked:
        session.flush()
        session.refresh(thread, with_for_update=True)
        locked.add(thread.id)


# Who waits ---------------------------------------------------------------------------------------

def needs_approval(author: Viewer, channel) -> bool:
    """Pre-moderated channels, and new accounts in the safe space, wait for a moderator. In the safe
    space the rule binds moderators too: a post published without approval would be a moderator's."""
    if policies.can_moderate(author, channel) and not channel.is_anonymous:
        return False
    if channel.is_premoderated:
        return True
    if not channel.is_anonymous:
        return False
    # Whole days (UTC), so everyone's hold ends at midnight rather than at the minute they joined.
    age = (utcnow().date() - author.created_at.astimezone(UTC).date()).days
    return age < safespace.hold_days(author.id, get_settings().safe_space_new_member_days)


# New posts --------------------------------------------------------------------------------------

def provisional_place(parent: Post | None, post: Post) -> tuple[str, int]:
    """Path and depth of a post without a number: just after its parent's published replies, among
    other unnumbered ones by public id (random: a moderator reading held replies must not learn the
    order they were written in)."""
    segment = f"~{post.public_id}"
    return (f"{parent.path}.{segment}", parent.depth + 1) if parent is not None else (segment, 0)


def submit(session: Session, *, post: Post, thread: Thread, channel: Channel, author: Viewer) -> None:
    """Hold, queue or publish a post just written (flushed, with its place in the thread)."""
    now = utcnow()
    post.waiting_mark = safespace.waiting_mark(author.id)
    if channel.is_anonymous:  # the day only, from the start: the review queue orders by it
        post.created_at = safespace.day_only(now)
    if needs_approval(author, channel):
        post.status = PostStatus.pending
        # In the safe space even the moderators see it only from the next release on.
        post.release_at = schedule.next_release(now) if schedule.on_schedule(channel) else None
    elif schedule.on_schedule(channel):
        post.status = PostStatus.queued
        post.release_at = schedule.next_release(now)
    else:
        post.status = PostStatus.queued  # until _publish: the post it answers is published already
        _publish_if_ready(session, post, thread, channel, at=_publication_time(channel, now))
        return
    if post.number is None:
        parent = session.get(Post, post.parent_id) if post.parent_id else None
        post.path, post.depth = provisional_place(parent, post)
    session.add(post)
    session.flush()


def approve(session: Session, *, post: Post, thread: Thread, channel: Channel) -> bool:
    """A moderator lets a held post through: it joins the next release, or is published now. False
    when it was no longer held (another moderator's action came first)."""
    refresh_for_update(session, thread)
    session.refresh(post)
    if post.status != PostStatus.pending:
        return False
    if schedule.on_schedule(channel):
        post.status, post.release_at = PostStatus.queued, schedule.next_release(utcnow())
        session.add(post)
        session.flush()
    else:
        post.status, post.release_at = PostStatus.queued, None
        at = _publication_time(channel, utcnow())
        if _publish_if_ready(session, post, thread, channel, at=at):
            _publish_waiting_replies(session, post, thread, channel, at=at)
    return True


def _publication_time(channel, now: datetime) -> datetime:
    return safespace.day_only(now) if channel.is_anonymous else now


def _ready(session: Session, post: Post, thread: Thread) -> tuple[bool, Post | None]:
    """Whether the post can be published now, and the released post it will answer.

    It waits for its thread to be listed and for the post it answers; a post it answered that was
    hidden before release (so may never be) passes it on to that post's own parent."""
    if post.number == 1:
        return True, None
    if thread.is_pending:
        return False, None
    parent = session.get(Post, post.parent_id) if post.parent_id else None
    while parent is not None and not visibility.is_released(parent):
        if parent.status in (PostStatus.pending, PostStatus.queued):
            return False, None
        parent = session.get(Post, parent.parent_id) if parent.parent_id else None
    return True, parent


def _publish_if_ready(session: Session, post: Post, thread: Thread, channel: Channel, *, at: datetime) -> bool:
    ready, parent = _ready(session, post, thread)
    if ready:
        _publish(session, post, thread, channel, at=at, parent=parent)
    else:
        session.add(post)
        session.flush()
    return ready


def _publish(session: Session, post: Post, thread: Thread, channel: Channel, *, at: datetime,
             parent: Post | None = None) -> None:
    """Give the post its number, place and letter, count it, and tell the hooks."""
    refresh_for_update(session, thread)
    if post.number is None:
        thread.post_count += 1
        post.number = thread.post_count
        if parent is not None and parent.depth + 1 > MAX_PATH_DEPTH:
            parent = session.get(Post, parent.parent_id) or parent
        segment = f"{post.number:0{PATH_WIDTH}d}"
        post.parent_id = parent.id if parent else None
        post.path = f"{parent.path}.{segment}" if parent else segment
        post.depth = parent.depth + 1 if parent else 0
    if post.seal and not post.pseudonym:
        post.pseudonym = pseudonym_for(session, thread.id, post.seal)
    post.status, post.release_at, post.waiting_mark = PostStatus.published, None, None
    if channel.is_anonymous:
        post.created_at = safespace.day_only(at)
    if post.number == 1:
        thread.is_pending = False
        if channel.is_anonymous:
            thread.created_at = post.created_at
    else:
        thread.reply_count += 1
    thread.last_activity_at = at
    session.add_all([post, thread])
    session.flush()
    published(session, post=post, thread=thread, channel=channel)


def _publish_waiting_replies(session: Session, post: Post, thread: Thread, channel: Channel, *, at: datetime) -> None:
    """Replies approved while the post they answer waited (outside the schedule) follow it out."""
    waiting = select(Post).where(Post.thread_id == thread.id, Post.parent_id == post.id,
                                 Post.status == PostStatus.queued, Post.release_at.is_(None))
    for reply in session.execute(waiting).scalars().all():
        if _publish_if_ready(session, reply, thread, channel, at=at):
            _publish_waiting_replies(session, reply, thread, channel, at=at)


def pseudonym_for(session: Session, thread_id: int, post_seal: str) -> str:
    """The same letter for the same person in a thread; the next letter for a newcomer.

    Letters are given at publication, counting published posts only, so a held post takes none.
    Callers hold the thread's row lock, so two newcomers can't take one letter."""
    lettered = (Post.thread_id == thread_id, Post.pseudonym.is_not(None))
    existing = session.execute(
        select(Post.pseudonym).where(*lettered, Post.seal == post_seal).limit(1)
    ).scalar_one_or_none()
    if existing:
        return existing
    taken = session.execute(select(func.count(func.distinct(Post.seal))).where(*lettered)).scalar_one()
    return safespace.pseudonym_label(taken)


def release_due(session: Session, now: datetime | None = None) -> int:
    """Run the safe space's release that fell last: held posts reach the moderators' queue, and queued
    posts are published, thread by thread and post by post in random order, all at the release's
    time. Safe to run again and from several instances at once. Returns how many were published."""
    now = now or utcnow()
    scheduled = schedule.release_minutes() > 0  # releases turned off since: all that waits goes out now
    at = schedule.last_release(now) if scheduled else safespace.day_only(now)
    reached = (Post.release_at <= at,) if scheduled else (Post.release_at.is_not(None),)
    session.execute(update(Post).where(Post.status == PostStatus.pending, *reached).values(release_at=None))
    # First the edits due: a post published in this release then comes out with its words, unmarked,
    # as a post never held would (an edit of a queued post changes it at once).
    _apply_due_edits(session, at if scheduled else None)
    due = (Post.status == PostStatus.queued, *reached)
    threads = select(Post.thread_id).where(*due).distinct().order_by(Post.thread_id)
    thread_ids = list(session.execute(threads).scalars())
    _random.shuffle(thread_ids)
    released = 0
    for position, thread_id in enumerate(thread_ids):
        thread = session.get(Thread, thread_id)
        if thread is None:  # its author erased it meanwhile
            continue
        refresh_for_update(session, thread)
        channel = session.get(Channel, thread.channel_id)
        # Threads of one release order among themselves by this random microsecond, not by their posts' times.
        moment = at + timedelta(microseconds=position)
        in_thread = select(Post).where(Post.thread_id == thread_id, *due).order_by(Post.id)
        posts = list(session.execute(in_thread).scalars())
        _random.shuffle(posts)
        progress = True
        while posts and progress:  # a reply waits for the post it answers, if that comes in the same release
            progress = False
            for post in list(posts):
                ready, parent = _ready(session, post, thread)
                if ready:
                    _publish(session, post, thread, channel, at=moment, parent=parent)
                    posts.remove(post)
                    released += 1
                    progress = True
    return released


def reschedule(session: Session) -> None:
    """After the release interval changed: everything waiting goes out at the one next release, so
    that switching intervals back and forth cannot sort posts by when they were written."""
    if schedule.release_minutes() == 0:
        return  # turned off: release_due sends out all that waits
    at = schedule.next_release(utcnow())
    waiting = Post.status.in_((PostStatus.pending, PostStatus.queued))
    session.execute(update(Post).where(waiting, Post.release_at.is_not(None)).values(release_at=at))
    session.execute(update(Post).where(Post.edit_due_at.is_not(None)).values(edit_due_at=at))


def release_everything(session: Session) -> int:
    """Publish every queued safe-space post now (the demo seed only: it skips the schedule)."""
    yesterday = utcnow() - timedelta(days=1)
    session.execute(update(Post).where(Post.status == PostStatus.queued).values(release_at=yesterday))
    return release_due(session)


# Hiding, restoring, deleting --------------------------------------------------------------------

def hide(session: Session, *, post: Post, thread: Thread, reason: str = "") -> bool:
    """A moderator hides a post: a released one leaves a tombstone, a held one just waits no more.
    Its author still reads it, with the reason. False when it was not there to hide (another
    moderator's action came first)."""
    refresh_for_update(session, thread)
    session.refresh(post)
    if post.status not in (PostStatus.published, PostStatus.pending):
        return False  # deleted posts have nothing left to hide; hidden ones are hidden already
    post.hidden_reason = reason or None
    if post.status == PostStatus.published and post.number > 1:
        thread.reply_count = max(0, thread.reply_count - 1)
    post.hidden_from, post.status, post.waiting_mark = post.status, PostStatus.hidden, None
    if post.pending_body_md is not None:  # an edit waiting for release is dropped with the post
        post.pending_body_md = post.pending_body_html = post.pending_title = post.edit_due_at = None
    session.add_all([post, thread])
    session.flush()
    return True


def restore(session: Session, *, post: Post, thread: Thread) -> bool:
    """Undo a hide: the post returns to the state it was hidden from (a held post is held again)."""
    refresh_for_update(session, thread)
    session.refresh(post)
    if post.status != PostStatus.hidden:
        return False
    post.status, post.hidden_from = post.hidden_from or PostStatus.published, None
    post.hidden_reason = None
    if post.status == PostStatus.published and post.number > 1:
        thread.reply_count += 1
    elif post.status in (PostStatus.pending, PostStatus.queued):
        author_id = safespace.author_id_of(post)
        post.waiting_mark = safespace.waiting_mark(author_id) if author_id is not None else None
    session.add_all([post, thread])
    session.flush()
    return True


def delete_post(session: Session, *, post: Post, thread: Thread) -> bool:
    """The author deletes their post. A released one leaves a tombstone (its text, revisions and
    reactions go; its place stays); one nobody else has seen is erased, as if it never was (the
    opening post of an unlisted thread takes the thread with it). Returns whether the post remains."""
    refresh_for_update(session, thread)
    if not visibility.is_released(post):
        _erase(session, post, thread)
        return False
    was_published = post.status == PostStatus.published
    post.status, post.body_md, post.body_html = PostStatus.deleted, "", ""
    post.pending_body_md = post.pending_body_html = post.pending_title = post.release_at = post.edit_due_at = None
    post.edited_at = safespace.day_only(utcnow()) if post.seal else utcnow()
    session.add(post)
    session.execute(delete(PostRevision).where(PostRevision.post_id == post.id))
    session.execute(delete(Reaction).where(Reaction.post_id == post.id))
    if was_published and post.number > 1:
        thread.reply_count = max(0, thread.reply_count - 1)
        session.add(thread)
    session.flush()
    removed(session, post=post)
    return True


def _erase(session: Session, post: Post, thread: Thread) -> None:
    if post.number == 1:
        ids = list(session.execute(select(Post.id).where(Post.thread_id == thread.id)).scalars())
        erasing(session, post_ids=ids, thread_id=thread.id)
        session.execute(update(Post).where(Post.thread_id == thread.id).values(parent_id=None))
        session.execute(delete(Post).where(Post.thread_id == thread.id))
        session.execute(delete(ThreadTag).where(ThreadTag.thread_id == thread.id))
        session.delete(thread)
    else:
        erasing(session, post_ids=[post.id], thread_id=None)
        session.execute(update(Post).where(Post.thread_id == thread.id, Post.parent_id == post.id)
                        .values(parent_id=post.parent_id))
        session.delete(post)
    session.flush()


_A_MODERATOR = visibility.Audience(member_id=0, is_moderator=True)  # who reads most, the author apart


def edit(session: Session, *, post: Post, thread: Thread, channel: Channel, body: str, body_html: str,
         title: str | None) -> bool:
    """Change a post's words (and, for post 1, its thread's title). Editing never changes a post's
    state: a published post stays published, whoever edits it and however new their account. In the
    safe space the change reaches others (the moderators too, for a held post in their queue) at the
    next release, like a new post (returns True then): the time of an edit would be the author's.
    The author sees it at once."""
    if schedule.on_schedule(channel) and visibility.can_read_body(_A_MODERATOR, post, own=False):
        post.pending_body_md, post.pending_body_html = body, body_html
        post.pending_title = title if title is not None and title != thread.title else None
        post.edit_due_at = schedule.next_release(utcnow())
        session.add(post)
        session.flush()
        return True
    _change_words(session, post, thread, channel, body=body, body_html=body_html, title=title, at=utcnow())
    return False


def edit_as_moderator(session: Session, *, post: Post, thread: Thread, channel: Channel, body: str,
                      body_html: str, title: str | None, moderator_id: int) -> None:
    """A moderator changes a released post's words (or its thread's title) at once, on the record:
    the revision names them (members read "a moderator"). An edit of the author's still waiting for
    the safe space's release gives way to it."""
    refresh_for_update(session, thread)
    _change_words(session, post, thread, channel, body=body, body_html=body_html, title=title, at=utcnow(),
                  moderator_id=moderator_id)


def retitle(session: Session, *, thread: Thread, channel: Channel, title: str) -> None:
    """A moderator changes a thread's title at once (an edit of the author's waiting for release keeps
    its words)."""
    if title == thread.title:
        return
    refresh_for_update(session, thread)
    thread.title, thread.slug = title, slugify(title)
    session.add(thread)
    session.flush()
    opening = session.execute(select(Post).where(Post.thread_id == thread.id, Post.number == 1)).scalar_one()
    if visibility.is_released(opening) and opening.status != PostStatus.deleted:
        changed(session, post=opening, thread=thread, channel=channel)


def _change_words(session: Session, post: Post, thread: Thread, channel: Channel, *, body: str, body_html: str,
                  title: str | None, at: datetime, moderator_id: int | None = None) -> None:
    if body != post.body_md:
        if visibility.is_released(post):  # before release nobody else has read it: no revision, no mark
            session.add(PostRevision(post_id=post.id, body_md=post.body_md, moderator_id=moderator_id,
                                     created_at=post.edited_at or post.created_at))
            post.edited_at = safespace.day_only(at) if post.seal else at
        post.body_md, post.body_html = body, body_html
    if title is not None and post.number == 1 and title != thread.title:
        thread.title, thread.slug = title, slugify(title)
    post.pending_body_md = post.pending_body_html = post.pending_title = post.edit_due_at = None
    session.add_all([post, thread])
    session.flush()
    if visibility.is_released(post) and post.status != PostStatus.deleted:
        changed(session, post=post, thread=thread, channel=channel)


def _apply_due_edits(session: Session, at: datetime | None) -> None:
    """The edits of safe-space posts that waited for this release (``at`` None: releases are off, so
    every waiting edit), whether their posts were published or held meanwhile."""
    when = safespace.day_only(utcnow()) if at is None else at
    due = select(Post).where(Post.pending_body_md.is_not(None), Post.status != PostStatus.deleted,
                             Post.edit_due_at.is_not(None) if at is None else Post.edit_due_at <= at).order_by(Post.id)
    for post in session.execute(due).scalars().all():
        thread = session.get(Thread, post.thread_id)
        refresh_for_update(session, thread)
        post.edit_due_at = None
        _change_words(session, post, thread, session.get(Channel, thread.channel_id), body=post.pending_body_md,
                      body_html=post.pending_body_html, title=post.pending_title, at=when)
