"""Moderation: hide, restore and approve posts; warn or suspend "the author of this post"; the log."""

from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.accounts.models import Member
from app.core.i18n import _
from app.core.problems import Problems
from app.core.timeutil import utcnow
from app.forum import posting
from app.forum.models import Channel, Post, PostStatus, Thread
from app.moderation.models import (
    ActionKind,
    ModerationAction,
    Sanction,
    SanctionKind,
    SanctionScope,
)
from app.notifications import service as notifications
from app.safespace import service as safespace

MAX_SUSPENSION_DAYS = 365


def record(session: Session, *, action: str, moderator, post: Post | None = None, reason: str = "") -> None:
    """Add a line to the moderation log: the post and the moderator, never the post's author."""
    session.add(ModerationAction(action=action, post_id=post.id if post else None,
                                 thread_id=post.thread_id if post else None, moderator_id=moderator.id,
                                 reason=reason.strip()[:500]))
    session.flush()


def author_of(post: Post) -> int | None:
    """Who wrote the post, for the server's own use (sanctions, notifications); never shown."""
    return post.author_id if post.author_id is not None else safespace.unseal_author(post.sealed_author)


def tell_author(session: Session, post: Post, message: str) -> None:
    author_id = author_of(post)
    if author_id is not None:
        notifications.notify(session, member_id=author_id, kind=notifications.MODERATION, post=post,
                             message=message, sealed=post.seal is not None)


def _check_reason(reason: str, problems: Problems) -> None:
    if not reason.strip():
        problems.add("reason", _("Give a reason: it goes in the moderation log."))
    elif len(reason) > 500:
        problems.add("reason", _("Keep the reason to at most 500 characters."))


def hide_post(session: Session, *, post: Post, thread: Thread, moderator, reason: str) -> Problems:
    problems = Problems()
    _check_reason(reason, problems)
    if problems or post.status not in (PostStatus.published, PostStatus.pending):
        return problems  # deleted posts have nothing left to hide; hidden ones are hidden already
    posting.lock_thread(session, thread)
    if post.status == PostStatus.published and post.number > 1:
        thread.reply_count = max(0, thread.reply_count - 1)
    post.hidden_from = post.status
    post.status = PostStatus.hidden
    session.add_all([post, thread])
    record(session, action=ActionKind.hide_post, moderator=moderator, post=post, reason=reason)
    tell_author(session, post, _("A moderator hid your post: %(reason)s", reason=reason.strip()))
    return problems


def restore_post(session: Session, *, post: Post, thread: Thread, moderator, reason: str) -> Problems:
    problems = Problems()
    _check_reason(reason, problems)
    if problems or post.status != PostStatus.hidden:
        return problems
    posting.lock_thread(session, thread)
    post.status = post.hidden_from or PostStatus.published  # a post that was waiting waits again
    post.hidden_from = None
    if post.status == PostStatus.published and post.number > 1:
        thread.reply_count += 1
    session.add_all([post, thread])
    record(session, action=ActionKind.restore_post, moderator=moderator, post=post, reason=reason)
    tell_author(session, post, _("A moderator restored your post."))
    return problems


def approve_post(session: Session, *, post: Post, thread: Thread, channel: Channel, moderator) -> None:
    """Publish a post that was waiting, and send the notifications it held back."""
    if post.status != PostStatus.pending:
        return
    posting.lock_thread(session, thread)
    post.status = PostStatus.published
    if post.number == 1:
        thread.is_pending = False
    else:
        thread.reply_count += 1
        thread.last_activity_at = max(thread.last_activity_at, post.created_at)
    session.add_all([post, thread])
    record(session, action=ActionKind.approve_post, moderator=moderator, post=post)
    tell_author(session, post, _("A moderator approved your post."))
    posting.notify_about_post(session, post=post, thread=thread, channel=channel)


def sanction_author(session: Session, *, post: Post, moderator, kind: str, scope: str, days: str,
                    reason: str) -> Problems:
    """Warn or suspend whoever wrote this post, without the moderator learning who that is."""
    problems = Problems()
    _check_reason(reason, problems)
    if kind not in SanctionKind.__members__:
        problems.add("kind", _("Choose a warning or a suspension."))
    if scope not in SanctionScope.__members__:
        problems.add("scope", _("Choose where the suspension applies."))
    expires_at = None
    if kind == SanctionKind.suspension:
        if not (days.isascii() and days.isdigit() and len(days) < 5) or not 1 <= int(days) <= MAX_SUSPENSION_DAYS:
            problems.add("days", _("Enter a number of days from 1 to %(max)s.", max=MAX_SUSPENSION_DAYS))
        else:
            expires_at = utcnow() + timedelta(days=int(days))
    author_id = author_of(post)
    if author_id is None:
        problems.add("kind", _("This post's author can no longer be reached."))
    if problems:
        return problems
    session.add(Sanction(sealed_member=safespace.seal_author(author_id), kind=kind, scope=scope,
                         reason=reason.strip(), post_id=post.id, created_by_id=moderator.id,
                         expires_at=expires_at))
    action = ActionKind.warn_author if kind == SanctionKind.warning else ActionKind.suspend_author
    record(session, action=action, moderator=moderator, post=post, reason=reason)
    if kind == SanctionKind.warning:
        tell_author(session, post, _("A moderator warned you about this post: %(reason)s", reason=reason.strip()))
    else:
        tell_author(session, post, _("A moderator suspended you from posting until %(day)s: %(reason)s",
                                     day=expires_at.date().isoformat(), reason=reason.strip()))
    return problems


def active_suspension(session: Session, member_id: int, channel: Channel) -> Sanction | None:
    """The suspension that stops this member posting in this channel, if any.

    Active suspensions are few, and each names its member only encrypted: decrypt them to find ours.
    """
    scopes = [SanctionScope.site] + ([SanctionScope.safe_space] if channel.is_anonymous else [])
    now = utcnow()
    query = (
        select(Sanction)
        .where(Sanction.kind == SanctionKind.suspension, Sanction.scope.in_(scopes),
               Sanction.revoked_at.is_(None), or_(Sanction.expires_at.is_(None), Sanction.expires_at > now))
        .order_by(Sanction.expires_at.desc())
    )
    for sanction in session.execute(query).scalars():
        if safespace.unseal_author(sanction.sealed_member) == member_id:
            return sanction
    return None


def pending_posts(session: Session) -> list:
    """The review queue: posts waiting for approval, oldest first."""
    query = (
        select(Post.public_id, Post.number, Post.body_html, Post.created_at, Post.pseudonym,
               Thread.public_id.label("thread_public_id"), Thread.title, Channel.name.label("channel_name"),
               Channel.is_anonymous, Member.display_name.label("author_name"))
        .join(Thread, Thread.id == Post.thread_id)
        .join(Channel, Channel.id == Thread.channel_id)
        .outerjoin(Member, Member.id == Post.author_id)
        .where(Post.status == PostStatus.pending)
        .order_by(Channel.position, Thread.title, Post.number)  # not by id: ids would order posts across channels
    )
    return session.execute(query).all()


def log_entries(session: Session, limit: int = 100) -> list:
    """The latest moderation actions, with the post they concern and the moderator who acted."""
    moderator = aliased(Member)
    query = (
        select(ModerationAction.action, ModerationAction.reason, ModerationAction.created_at,
               moderator.display_name.label("moderator_name"), Post.public_id.label("post_public_id"),
               Post.number, Thread.title, Channel.is_anonymous)
        .join(moderator, moderator.id == ModerationAction.moderator_id)
        .outerjoin(Post, Post.id == ModerationAction.post_id)
        .outerjoin(Thread, Thread.id == ModerationAction.thread_id)
        .outerjoin(Channel, Channel.id == Thread.channel_id)
        .order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc())
        .limit(limit)
    )
    return session.execute(query).all()


def pending_count(session: Session) -> int:
    return session.execute(select(func.count()).where(Post.status == PostStatus.pending)).scalar_one()
