"""Moderators curate threads: pin, lock, move, merge, split, and edit the title and tags.

Each action checks what it is given, changes the thread (through app.forum.regroup when posts change
thread), and writes one line in the log. Nothing here moves a thread into or out of an anonymous
channel: its posts would change from named to anonymous, or the other way round.
"""

from sqlalchemy import select
from sqlmodel import Session

from app.accounts.models import Member, Viewer
from app.core.i18n import _
from app.core.problems import Problems
from app.forum import lifecycle, policies, posting, regroup, visibility
from app.forum import service as forum_service
from app.forum.markdown import one_line
from app.forum.models import Channel, Post, PostStatus, Thread
from app.moderation.log import follow_split, record
from app.moderation.models import ActionKind

MAX_REASON = 500


def _check_reason(reason: str, problems: Problems) -> None:
    """A reason is optional for curation, but has a limit."""
    if len(reason) > MAX_REASON:
        problems.add("reason", _("Keep the reason to at most %(n)s characters.", n=MAX_REASON))


def set_pinned(session: Session, *, thread: Thread, channel: Channel, moderator, pinned: bool,
               reason: str = "") -> Problems:
    """Pin a thread to the top of its channel, or unpin it; repeating either is a quiet success."""
    action = ActionKind.pin_thread if pinned else ActionKind.unpin_thread
    return _switch(session, thread, channel, moderator, "is_pinned", pinned, action, reason)


def set_locked(session: Session, *, thread: Thread, channel: Channel, moderator, locked: bool,
               reason: str = "") -> Problems:
    """Lock a thread (no more replies or edits) or unlock it; repeating either is a quiet success."""
    action = ActionKind.lock_thread if locked else ActionKind.unlock_thread
    return _switch(session, thread, channel, moderator, "is_locked", locked, action, reason)


def _switch(session: Session, thread: Thread, channel: Channel, moderator, attribute: str, value: bool,
            action: str, reason: str) -> Problems:
    problems = Problems()
    _check_reason(reason, problems)
    if problems or getattr(thread, attribute) == value:
        return problems
    setattr(thread, attribute, value)
    session.add(thread)
    record(session, action=action, moderator=moderator, channel=channel, thread=thread, reason=reason)
    return problems


def narrows(source: Channel, target: Channel) -> bool:
    """Whether some readers of ``source`` could not read ``target`` (a public channel's thread moving
    to a members-only one would vanish for visitors and feeds)."""
    return any(visibility.can_read_channel(audience, source) and not visibility.can_read_channel(audience, target)
               for audience in (visibility.VISITOR, visibility.Audience(member_id=0)))


def _check_destination(session: Session, source: Channel, target_slug: str, moderator: Viewer, confirmed: bool,
                       problems: Problems, field: str = "channel") -> Channel | None:
    target = forum_service.channel_by_slug(session, target_slug, moderator) if target_slug else None
    if target is None:
        problems.add(field, _("Choose a channel."))
    elif source.is_anonymous or target.is_anonymous:
        problems.add(field, _("Threads cannot move into or out of the safe space: its posts are anonymous, "
                              "the others' are not."))
    elif target.archived_at is not None:
        problems.add(field, _("%(channel)s is archived: nothing can move into it.", channel=target.name))
    elif not policies.can_moderate(moderator, target):
        problems.add(field, _("You do not moderate %(channel)s.", channel=target.name))
    elif narrows(source, target) and not confirmed:
        problems.add("confirm", _("%(channel)s is for members only: visitors who can read this thread now will "
                                  "no longer see it. Tick the box to go ahead.", channel=target.name))
    return target


def move_thread(session: Session, *, thread: Thread, channel: Channel, moderator: Viewer, target_slug: str,
                reason: str, confirmed: bool) -> Problems:
    """Move the thread to another channel that is not anonymous (and, when the new channel has fewer
    readers, only if the moderator says so). Search follows: it reads the thread's channel."""
    problems = Problems()
    target = _check_destination(session, channel, target_slug, moderator, confirmed, problems)
    if target is not None and target.id == channel.id:
        problems.add("channel", _("The thread is in %(channel)s already.", channel=channel.name))
    _check_reason(reason, problems)
    if problems:
        return problems
    lifecycle.refresh_for_update(session, thread)
    thread.channel_id = target.id
    session.add(thread)
    session.flush()
    record(session, action=ActionKind.move_thread, moderator=moderator, channel=target, thread=thread,
           reason=reason, detail=_("from %(old)s to %(new)s", old=channel.name, new=target.name))
    return problems


def thread_reference(value: str) -> str:
    """A thread's public id from what a moderator pasted: the id, its address, or a post's."""
    value = value.strip().rstrip("/")
    for marker in ("/t/", "/p/"):
        if marker in value:
            value = value.rsplit(marker, 1)[1]
    return value.split("-", 1)[0].split("?", 1)[0].split("#", 1)[0].lower()


def find_target(session: Session, value: str, viewer: Viewer) -> tuple[Thread, Channel] | None:
    """The thread a reference names, if the viewer may see it (a post's address names its thread)."""
    reference = thread_reference(value)
    if not reference:
        return None
    found = forum_service.thread_with_channel(session, reference, viewer)
    if found is None:
        post = forum_service.post_with_context(session, reference, viewer)
        found = (post[1], post[2]) if post else None
    return found


def merge_threads(session: Session, *, thread: Thread, channel: Channel, moderator: Viewer, target: str,
                  reason: str, confirmed: bool) -> tuple[Thread | None, Problems]:
    """Merge this thread into the target one: its posts join the target's in order of time, and its
    address and every post's permalink lead there. Returns the target thread."""
    problems = Problems()
    found = find_target(session, target, moderator)
    if found is None:
        problems.add("target", _("No thread has that address or id."))
        _check_reason(reason, problems)
        return None, problems
    into, into_channel = found
    if into.id == thread.id:
        problems.add("target", _("A thread cannot be merged into itself."))
    elif channel.is_anonymous or into_channel.is_anonymous:
        problems.add("target", _("Threads of the safe space cannot be merged: one letter for one person across "
                                 "both threads would link their posts."))
    elif thread.is_pending or into.is_pending:
        problems.add("target", _("Both threads must be published before they can be merged."))
    elif not policies.can_moderate(moderator, into_channel):
        problems.add("target", _("You do not moderate %(channel)s.", channel=into_channel.name))
    elif narrows(channel, into_channel) and not confirmed:
        problems.add("confirm", _("%(channel)s is for members only: visitors who can read this thread now will "
                                  "no longer see it. Tick the box to go ahead.", channel=into_channel.name))
    _check_reason(reason, problems)
    if problems:
        return None, problems
    title = thread.title
    regroup.merge(session, source=thread, target=into, channel=into_channel)
    record(session, action=ActionKind.merge_thread, moderator=moderator, channel=into_channel, thread=into,
           reason=reason, detail=_("merged “%(title)s” into this thread", title=title))
    return into, problems


def posts_to_split(session: Session, thread: Thread, public_ids: list[str]) -> list[Post]:
    """The chosen posts of this thread that others can see (a held one answers as an unknown id does)."""
    query = select(Post).where(Post.thread_id == thread.id, Post.public_id.in_(public_ids[:500]))
    return [post for post in session.execute(query).scalars() if visibility.is_released(post)]


def split_thread(session: Session, *, thread: Thread, channel: Channel, moderator: Viewer, post_ids: list[str],
                 title: str, reason: str) -> tuple[Thread | None, Problems]:
    """Move the chosen replies, with the replies below them, into a new thread of this channel."""
    problems = Problems()
    chosen = posts_to_split(session, thread, post_ids)
    if not chosen or len(chosen) != len(set(post_ids)):
        problems.add("posts", _("Choose the replies to move, from this thread."))
    elif any(post.number == 1 for post in chosen):
        problems.add("posts", _("The opening post stays: choose replies only."))
    elif min(chosen, key=lambda post: post.number).status != PostStatus.published:
        problems.add("posts", _("The earliest chosen reply opens the new thread, so it must be published."))
    posting.check_title(title, problems)
    _check_reason(reason, problems)
    if problems:
        return None, problems
    new = regroup.split(session, thread=thread, channel=channel, chosen=chosen, title=one_line(title))
    follow_split(session, new)
    record(session, action=ActionKind.split_thread, moderator=moderator, channel=channel, thread=new,
           reason=reason, detail=_("split from “%(title)s”", title=thread.title))
    return new, problems


def edit_thread(session: Session, *, thread: Thread, channel: Channel, moderator: Viewer, title: str, tags: str,
                reason: str) -> Problems:
    """Change the thread's title and tags (the search index follows the title)."""
    problems = Problems()
    posting.check_title(title, problems)
    posting.check_tags(tags, problems)
    _check_reason(reason, problems)
    if problems:
        return problems
    before = (thread.title, forum_service.thread_tags(session, thread))
    lifecycle.retitle(session, thread=thread, channel=channel, title=one_line(title))
    posting.set_tags(session, thread, forum_service.parse_tags(tags))
    if (thread.title, forum_service.thread_tags(session, thread)) != before:
        record(session, action=ActionKind.edit_thread, moderator=moderator, channel=channel, thread=thread,
               reason=reason, detail=_("was “%(title)s”", title=before[0]) if before[0] != thread.title else "")
    return problems


def destinations(session: Session, viewer: Viewer) -> list:
    """Channels a thread may move to: not anonymous, not archived, moderated by the viewer."""
    query = (select(Channel.id, Channel.slug, Channel.name, Channel.visibility)
             .where(Channel.is_anonymous.is_(False), Channel.archived_at.is_(None))
             .order_by(Channel.position, Channel.name))
    return [row for row in session.execute(query).all() if policies.can_moderate_in(viewer, row.id)]


def replies_to_choose(session: Session, thread: Thread) -> list:
    """The thread's released replies, in reply-tree order, for the split form."""
    query = (select(Post.public_id, Post.number, Post.depth, Post.status, Post.body_md, Post.pseudonym,
                    Member.display_name.label("author_name"))
             .outerjoin(Member, Member.id == Post.author_id)
             .where(Post.thread_id == thread.id, Post.number > 1, visibility.RELEASED.sql({"post": Post}))
             .order_by(Post.path).limit(500))
    return session.execute(query).all()
