"""Writing to the forum: threads, replies, edits, deletions and reactions.

In an anonymous channel a post is sealed (see app.safespace) instead of carrying its author's id.
What becomes of a post once written (held, queued, published, numbered) is app.forum.lifecycle's.
"""

from sqlalchemy import and_, delete, func, select
from sqlmodel import Session

from app.accounts.models import Member, Viewer
from app.core import ratelimit
from app.core.config import get_settings
from app.core.hooks import Hook
from app.core.i18n import _
from app.core.problems import Problems
from app.core.timeutil import utcnow
from app.forum import lessons, lifecycle, policies
from app.forum.markdown import one_line, render_markdown
from app.forum.models import Channel, Post, PostStatus, Reaction, ReactionKind, Tag, Thread, ThreadTag
from app.forum.service import MAX_TAGS, parse_tags, slugify
from app.safespace import service as safespace

# Why a member may not post in a channel: receivers take (session, *, member_id, channel) and
# return a message or None (moderation connects its suspensions).
refusals = Hook("posting refusals")


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


def archived_message() -> str:
    return _("This channel is archived: it is kept to read, and takes no new threads or replies.")


def reply_refusal(channel: Channel, thread: Thread) -> str:
    """Why a reply is refused, for a member who may read the thread."""
    if channel.archived_at:
        return archived_message()
    return _("This thread is locked: no new replies.") if thread.is_locked else _("You cannot reply in this thread.")


def refusal(session: Session, author: Viewer, channel: Channel) -> str | None:
    """Why this member may not post here now (a suspension), to say before they write."""
    return next((reason for reason in refusals(session, member_id=author.id, channel=channel) if reason), None)


def check_tags(tags: str, problems: Problems) -> None:
    """At most MAX_TAGS tags of at most 30 characters each (parse_tags would quietly cut them)."""
    parts = [part.strip() for part in tags.split(",") if part.strip()]
    if len(parts) > MAX_TAGS:
        problems.add("tags", _("Use at most %(limit)s tags; these are %(n)s.", limit=MAX_TAGS, n=len(parts)))
    elif any(len(part) > 30 for part in parts):
        problems.add("tags", _("Keep each tag to 30 characters at most."))
    elif parts and not parse_tags(tags):
        problems.add("tags", _("Use letters or digits in tags."))


def check_may_post(session: Session, author: Viewer, channel: Channel, confirmed_guidelines: bool,
                   problems: Problems) -> None:
    """Suspensions and, in the safe space, the guidelines a first-time poster must confirm."""
    check_not_refused(session, author, channel, problems)
    if channel.is_anonymous and not safespace.has_confirmed_guidelines(session, author.id):
        if confirmed_guidelines:
            safespace.confirm_guidelines(session, author.id)
        else:
            problems.add("guidelines", _("Confirm that you have read the safe space guidelines."))


def check_not_refused(session: Session, author: Viewer, channel: Channel, problems: Problems) -> None:
    for reason in refusals(session, member_id=author.id, channel=channel):
        if reason:
            problems.add("body", reason)


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


def _add_post(session: Session, thread: Thread, channel: Channel, author: Viewer, body: str,
              parent: Post | None) -> Post:
    """Write the post and hand it to the lifecycle, which holds, queues or publishes it."""
    lifecycle.refresh_for_update(session, thread)
    post = Post(thread_id=thread.id, parent_id=parent.id if parent else None, path="", body_md=body,
                body_html=render_markdown(body).html)
    if parent is None and thread.post_count == 0:  # the opening post: number 1 from the start
        thread.post_count, post.number, post.path = 1, 1, f"{1:0{lifecycle.PATH_WIDTH}d}"
        session.add(thread)
    if channel.is_anonymous:
        post.seal = safespace.seal(author.id, thread.id)
        post.sealed_author = safespace.seal_author(author.id)
        post.pseudonym = safespace.pseudonym_label(0) if post.number == 1 else None
        post.created_at = safespace.day_only(utcnow())
    else:
        post.author_id = author.id
    session.add(post)
    session.flush()
    lifecycle.submit(session, post=post, thread=thread, channel=channel, author=author)
    return post


def set_tags(session: Session, thread: Thread, tags: list[str]) -> None:
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
    problems, body = Problems(), lessons.without_empty_parts(body)
    if not policies.can_start_thread(author, channel):
        problems.add("title", archived_message() if channel.archived_at
                     else _("You cannot start threads in this channel."))
    check_title(title, problems)
    check_body(body, problems)
    check_tags(tags, problems)  # in the form's order: the error summary lists them so
    check_may_post(session, author, channel, confirmed_guidelines, problems)
    if problems:
        return None, problems
    now = safespace.day_only(utcnow()) if channel.is_anonymous else utcnow()
    thread = Thread(channel_id=channel.id, title=one_line(title), slug=slugify(title), is_pending=True,
                    author_id=None if channel.is_anonymous else author.id, created_at=now, last_activity_at=now)
    session.add(thread)
    session.flush()
    set_tags(session, thread, parse_tags(tags))
    _add_post(session, thread, channel, author, body, parent=None)
    return thread, problems


def reply_to_thread(
    session: Session, *, thread: Thread, channel: Channel, author: Viewer, body: str, parent_id: str | None = None,
    confirmed_guidelines: bool = False,
) -> tuple[Post | None, Problems]:
    """Add a reply to the thread, or to one of its posts (``parent_id`` is the post's public id)."""
    problems, body = Problems(), lessons.without_empty_parts(body)
    if not policies.can_reply(author, channel, thread):
        problems.add("body", reply_refusal(channel, thread))
    check_body(body, problems)
    parent = None
    if parent_id:
        # Only a published post of this thread can be answered: any other id is as if it did not exist.
        parent = session.execute(select(Post).where(Post.public_id == parent_id)).scalar_one_or_none()
        if parent is None or parent.thread_id != thread.id or parent.status != PostStatus.published:
            parent = None
            problems.add("body", _("The post you were answering is no longer in this thread."))
    check_may_post(session, author, channel, confirmed_guidelines, problems)
    if problems:
        return None, problems
    post = _add_post(session, thread, channel, author, body, parent)
    return post, problems


def author_label(session: Session, post: Post) -> str:
    """How the post's author is named to others: a pseudonym in the safe space."""
    if post.pseudonym:
        return _("Participant %(letter)s", letter=post.pseudonym)
    member = session.get(Member, post.author_id) if post.author_id else None
    return member.display_name if member else _("A former member")


def edit_post(
    session: Session, *, post: Post, thread: Thread, channel: Channel, editor: Viewer, body: str,
    title: str | None = None,
) -> Problems:
    """Change a post's body (and the thread title for post 1), keeping the old text as a revision.

    No edits while suspended or in a locked thread. An edit never changes the post's state: a
    published post stays published (holding it again would show everyone who wrote it).
    """
    problems, body = Problems(), lessons.without_empty_parts(body)
    if not policies.can_edit_post(editor, post):
        problems.add("body", _("You can only edit your own posts."))
    elif thread.is_locked and not policies.can_write_in_locked(editor, channel):
        problems.add("body", _("This thread is locked: its posts can no longer be changed."))
    check_not_refused(session, editor, channel, problems)
    check_body(body, problems)
    if title is not None and post.number == 1:
        check_title(title, problems)
    if problems:
        return problems
    lifecycle.edit(session, post=post, thread=thread, channel=channel, body=body,
                   body_html=render_markdown(body).html if body != post.body_md else post.body_html,
                   title=one_line(title) if title is not None and post.number == 1 else None)
    return problems


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


@safespace.rekeying.connect
def rekey_posts(session: Session, old: safespace.Keys, new: safespace.Keys) -> int:
    """Re-seal every safe-space post under a new key (``forum rotate-anonymity-key``); returns how many."""
    changed = 0
    for post in session.execute(select(Post).where(Post.sealed_author.is_not(None))).scalars():
        author_id = safespace.unseal_author(post.sealed_author, old)
        if author_id is None:
            raise ValueError(f"post {post.public_id} does not decrypt with the old key")
        post.seal = safespace.seal(author_id, post.thread_id, new)
        post.sealed_author = safespace.seal_author(author_id, new)
        if post.waiting_mark:
            post.waiting_mark = safespace.waiting_mark(author_id, new)
        session.add(post)
        changed += 1
    session.flush()
    return changed
