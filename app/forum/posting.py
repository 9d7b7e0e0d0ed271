"""Writing to the forum: threads, replies, edits, deletions and reactions.

In an anonymous channel a post is sealed (see app.safespace) instead of carrying its author's id.
"""

from sqlalchemy import and_, delete, func, select
from sqlmodel import Session

from app.accounts.models import Member, Viewer
from app.core import ratelimit
from app.core.config import get_settings
from app.core.i18n import _
from app.core.problems import Problems
from app.core.timeutil import utcnow
from app.forum import policies
from app.forum.markdown import one_line, render_markdown
from app.forum.models import (
    Channel,
    Post,
    PostRevision,
    PostStatus,
    Reaction,
    ReactionKind,
    Tag,
    Thread,
    ThreadTag,
)
from app.forum.service import parse_tags, slugify
from app.moderation import service as moderation
from app.notifications import service as notifications
from app.safespace import service as safespace
from app.search import service as search

MAX_MENTIONS = 10  # members notified by one post; more mentions still link, but notify nobody
PATH_WIDTH = 6  # zero-padded post numbers: up to 999,999 posts per thread
MAX_PATH_DEPTH = 50  # deeper replies attach to their ancestor at this depth (path fits in 400)


def check_body(body: str, problems: Problems, field: str = "body") -> None:
    limit = get_settings().max_body_length
    if not body.strip():
        problems.add(field, _("Write something before posting."))
    elif len(body) > limit:
        problems.add(field, _("Posts can be at most %(limit)s characters; this one has %(n)s.",
                              limit=f"{limit:,}", n=f"{len(body):,}"))


def check_title(title: str, problems: Problems) -> None:
    limit = get_settings().max_title_length
    if not one_line(title):
        problems.add("title", _("Give the thread a title."))
    elif len(title) > limit:
        problems.add("title", _("Titles can be at most %(limit)s characters; this one has %(n)s.",
                                limit=limit, n=len(title)))


def check_may_post(session: Session, author: Viewer, channel: Channel, confirmed_guidelines: bool,
                   problems: Problems) -> None:
    """Suspensions and, in the safe space, the guidelines a first-time poster must confirm."""
    suspension = moderation.active_suspension(session, author.id, channel)
    if suspension is not None:
        until = suspension.expires_at.date().isoformat() if suspension.expires_at else _("further notice")
        problems.add("body", _("A moderator has suspended you from posting here until %(until)s. Reason: "
                               "%(reason)s", until=until, reason=suspension.reason))
    if channel.is_anonymous and not safespace.has_confirmed_guidelines(session, author.id):
        if confirmed_guidelines:
            safespace.confirm_guidelines(session, author.id)
        else:
            problems.add("guidelines", _("Confirm that you have read the safe space guidelines."))


def within_posting_limit(session: Session, author: Viewer, channel: Channel, problems: Problems) -> bool:
    """Count a posting attempt against the member's rate limit (checked by the web routes, not by seeding).

    Anonymous posts count too, under a sealed key of their own, so the limit's rows link nothing.
    """
    identity = safespace.member_seal(author.id, "rate") if channel.is_anonymous else str(author.id)
    allowed = ratelimit.hit(session, "post-safe" if channel.is_anonymous else "post", identity,
                            limit=get_settings().posting_limit, period=600)
    if not allowed:
        problems.add("body", _("You have posted a lot in the last few minutes. Wait a little, then try again: "
                               "your text is kept below."))
    return allowed


def needs_approval(author: Viewer, channel: Channel) -> bool:
    """Pre-moderated channels, and new accounts in the safe space, wait for a moderator."""
    if author.is_moderator:
        return False
    if channel.is_premoderated:
        return True
    days = get_settings().safe_space_new_member_days
    return channel.is_anonymous and (utcnow() - author.created_at).days < days


def lock_thread(session: Session, thread: Thread) -> None:
    """Re-read the thread under a row lock (FOR UPDATE on PostgreSQL; SQLite writers already hold the
    database's write lock), so counters and post numbers are never computed from a stale copy."""
    if thread.id is not None:
        session.refresh(thread, with_for_update=True)


def _number_next_post(session: Session, thread: Thread) -> int:
    """Take the next post number; callers hold the thread's lock."""
    thread.post_count += 1
    session.add(thread)
    return thread.post_count


def _add_post(session: Session, thread: Thread, channel: Channel, author: Viewer, body: str,
              parent: Post | None) -> Post:
    number = _number_next_post(session, thread)
    segment = f"{number:0{PATH_WIDTH}d}"
    if parent is not None and parent.depth + 1 > MAX_PATH_DEPTH:
        parent = session.get(Post, parent.parent_id) or parent
    post = Post(
        thread_id=thread.id, number=number, parent_id=parent.id if parent else None,
        path=f"{parent.path}.{segment}" if parent is not None else segment,
        depth=parent.depth + 1 if parent else 0, body_md=body, body_html=render_markdown(body).html,
        status=PostStatus.pending if needs_approval(author, channel) else PostStatus.published,
    )
    if channel.is_anonymous:
        post.seal = safespace.seal(author.id, thread.id)
        post.sealed_author = safespace.seal_author(author.id)
        post.pseudonym = safespace.pseudonym_for(session, thread.id, post.seal)
        post.created_at = safespace.day_only(utcnow())
    else:
        post.author_id = author.id
    session.add(post)
    session.flush()
    search.index_post(session, post, thread, channel)
    return post


def _set_tags(session: Session, thread: Thread, tags: list[str]) -> None:
    session.execute(delete(ThreadTag).where(ThreadTag.thread_id == thread.id))
    if not tags:
        return
    existing = {t.slug: t for t in session.execute(select(Tag).where(Tag.slug.in_(tags))).scalars()}
    for slug in tags:
        tag = existing.get(slug)
        if tag is None:
            tag = Tag(slug=slug)
            session.add(tag)
            session.flush()
        session.add(ThreadTag(thread_id=thread.id, tag_id=tag.id))
    session.flush()


def start_thread(
    session: Session, *, channel: Channel, author: Viewer, title: str, body: str, tags: str = "",
    confirmed_guidelines: bool = False,
) -> tuple[Thread | None, Problems]:
    """Open a thread with its first post, or say what is wrong with the input."""
    problems = Problems()
    if not policies.can_start_thread(author, channel):
        problems.add("title", _("You cannot start threads in this channel."))
    check_title(title, problems)
    check_body(body, problems)
    check_may_post(session, author, channel, confirmed_guidelines, problems)
    if problems:
        return None, problems
    now = safespace.day_only(utcnow()) if channel.is_anonymous else utcnow()
    thread = Thread(channel_id=channel.id, title=one_line(title), slug=slugify(title),
                    author_id=None if channel.is_anonymous else author.id, created_at=now, last_activity_at=now)
    session.add(thread)
    session.flush()
    post = _add_post(session, thread, channel, author, body, parent=None)
    thread.is_pending = post.status == PostStatus.pending
    session.add(thread)
    _set_tags(session, thread, parse_tags(tags))
    if post.status == PostStatus.published:
        notify_about_post(session, post=post, thread=thread, channel=channel)
    return thread, problems


def reply_to_thread(
    session: Session, *, thread: Thread, channel: Channel, author: Viewer, body: str, parent_id: str | None = None,
    confirmed_guidelines: bool = False,
) -> tuple[Post | None, Problems]:
    """Add a reply to the thread, or to one of its posts (``parent_id`` is the post's public id)."""
    problems = Problems()
    if not policies.can_reply(author, channel, thread.is_locked):
        problems.add("body", _("This thread is locked: no new replies."))
    check_body(body, problems)
    parent = None
    if parent_id:
        parent = session.execute(select(Post).where(Post.public_id == parent_id)).scalar_one_or_none()
        if parent is None or parent.thread_id != thread.id:
            problems.add("body", _("The post you were answering is no longer in this thread."))
    check_may_post(session, author, channel, confirmed_guidelines, problems)
    if problems:
        return None, problems
    lock_thread(session, thread)
    post = _add_post(session, thread, channel, author, body, parent)
    if post.status == PostStatus.published:
        thread.reply_count += 1
        thread.last_activity_at = post.created_at
        session.add(thread)
        notify_about_post(session, post=post, thread=thread, channel=channel)
    session.flush()
    return post, problems


def author_label(session: Session, post: Post) -> str:
    """How the post's author is named to others: a pseudonym in the safe space."""
    if post.pseudonym:
        return _("Participant %(letter)s", letter=post.pseudonym)
    member = session.get(Member, post.author_id) if post.author_id else None
    return member.display_name if member else _("A former member")


def notify_about_post(session: Session, *, post: Post, thread: Thread, channel: Channel) -> None:
    """Tell the author of what this post answers, and the members it mentions, once it is published."""
    writer = moderation.author_of(post)
    label = author_label(session, post)
    target = session.get(Post, post.parent_id) if post.parent_id else None
    if target is None and post.number > 1:
        target = session.execute(select(Post).where(Post.thread_id == thread.id, Post.number == 1)).scalar_one()
    told = {writer}
    if target is not None:
        target_author = moderation.author_of(target)
        if target_author not in told:
            notifications.notify(session, member_id=target_author, kind=notifications.REPLY, post=post,
                                 message=label, sealed=target.seal is not None)
            told.add(target_author)
    handles = render_markdown(post.body_md).mentions[:MAX_MENTIONS]
    if handles:
        mentioned = session.execute(select(Member.id).where(Member.handle.in_(handles))).scalars()
        for member_id in mentioned:
            if member_id not in told:
                notifications.notify(session, member_id=member_id, kind=notifications.MENTION, post=post,
                                     message=label)
                told.add(member_id)


def edit_post(
    session: Session, *, post: Post, thread: Thread, channel: Channel, editor: Viewer, body: str,
    title: str | None = None,
) -> Problems:
    """Change a post's body (and the thread title for post 1), keeping the old text as a revision.

    Edits follow the rules for posting: no edits while suspended or in a locked thread, and where new
    posts wait for approval, an edited post waits again.
    """
    problems = Problems()
    if not policies.can_edit_post(editor, post):
        problems.add("body", _("You can only edit your own posts."))
    elif not policies.can_reply(editor, channel, thread.is_locked):
        problems.add("body", _("This thread is locked: its posts can no longer be changed."))
    suspension = moderation.active_suspension(session, editor.id, channel)
    if suspension is not None:
        problems.add("body", _("A moderator has suspended you from posting here, so you cannot edit posts "
                               "either. Reason: %(reason)s", reason=suspension.reason))
    check_body(body, problems)
    if title is not None and post.number == 1:
        check_title(title, problems)
    if problems:
        return problems
    now = safespace.day_only(utcnow()) if post.seal else utcnow()
    if body != post.body_md:
        session.add(PostRevision(post_id=post.id, body_md=post.body_md,
                                 created_at=post.edited_at or post.created_at))
        post.body_md = body
        post.body_html = render_markdown(body).html
        post.edited_at = now
        if post.status == PostStatus.published and needs_approval(editor, channel):
            _send_back_for_approval(session, post, thread)
        session.add(post)
    if title is not None and post.number == 1 and one_line(title) != thread.title:
        thread.title = one_line(title)
        thread.slug = slugify(thread.title)
        session.add(thread)
    session.flush()
    search.index_post(session, post, thread, channel)
    return problems


def _send_back_for_approval(session: Session, post: Post, thread: Thread) -> None:
    lock_thread(session, thread)
    post.status = PostStatus.pending
    if post.number == 1:
        thread.is_pending = True
    else:
        thread.reply_count = max(0, thread.reply_count - 1)
    session.add(thread)


def delete_post(session: Session, *, post: Post, thread: Thread) -> None:
    """Leave a tombstone: the text and its revisions go, the place in the thread stays."""
    lock_thread(session, thread)
    was_published = post.status == PostStatus.published
    post.status = PostStatus.deleted
    post.body_md = ""
    post.body_html = ""
    post.edited_at = safespace.day_only(utcnow()) if post.seal else utcnow()
    session.add(post)
    session.execute(delete(PostRevision).where(PostRevision.post_id == post.id))
    session.execute(delete(Reaction).where(Reaction.post_id == post.id))
    if was_published and post.number > 1:
        thread.reply_count = max(0, thread.reply_count - 1)
        session.add(thread)
    session.flush()
    search.forget_post(session, post)


def set_reaction(session: Session, *, post: Post, member: Viewer, kind: str, on: bool) -> None:
    """Give or take back a reaction; repeating either (a double submit) changes nothing."""
    if kind not in ReactionKind.__members__ or not policies.can_react(member, post):
        return
    key = and_(Reaction.post_id == post.id, Reaction.member_id == member.id, Reaction.kind == kind)
    exists = session.execute(select(func.count()).where(key)).scalar_one()
    if on and not exists:
        session.add(Reaction(post_id=post.id, member_id=member.id, kind=kind))
    elif not on and exists:
        session.execute(delete(Reaction).where(key))
    session.flush()
