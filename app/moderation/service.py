"""Moderation: hide, restore and approve posts; warn or suspend "the author of this post"; the log.

State changes go through app.forum.lifecycle; this module adds the reasons, the log and the notices.
"""

from datetime import timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.accounts.models import Member
from app.core.i18n import _
from app.core.problems import Problems
from app.core.timeutil import utcnow
from app.forum import lifecycle, policies, posting, visibility
from app.forum.models import Channel, Post, PostStatus, Thread
from app.moderation.models import ActionKind, ModerationAction, Sanction, SanctionKind, SanctionScope
from app.notifications import service as notifications
from app.safespace import service as safespace

MAX_SUSPENSION_DAYS = 365


def record(session: Session, *, action: str, moderator, channel: Channel, post: Post | None = None,
           reason: str = "") -> None:
    """Add a line to the moderation log: the post and the moderator, never the post's author.

    An approval in an anonymous channel names neither the post nor its thread, and keeps the day
    only: otherwise the log would list, to the minute, which safe-space posts came from new accounts."""
    anonymous_approval = action == ActionKind.approve_post and channel.is_anonymous
    entry = ModerationAction(action=action, moderator_id=moderator.id, channel_id=channel.id,
                             reason=reason.strip()[:500])
    if anonymous_approval:
        entry.created_at = safespace.day_only(utcnow())
    elif post is not None:
        entry.post_id, entry.thread_id = post.id, post.thread_id
    session.add(entry)
    session.flush()


def tell_author(session: Session, post: Post, message: str) -> None:
    author_id = safespace.author_id_of(post)
    if author_id is not None:
        notifications.notify(session, member_id=author_id, kind=notifications.MODERATION, post=post,
                             message=message, sealed=post.seal is not None)


def _check_reason(reason: str, problems: Problems) -> None:
    if not reason.strip():
        problems.add("reason", _("Give a reason: it goes in the moderation log."))
    elif len(reason) > 500:
        problems.add("reason", _("Keep the reason to at most 500 characters."))


def hide_post(session: Session, *, post: Post, thread: Thread, channel: Channel, moderator, reason: str) -> Problems:
    problems = Problems()
    _check_reason(reason, problems)
    if problems or not lifecycle.hide(session, post=post, thread=thread):
        return problems
    record(session, action=ActionKind.hide_post, moderator=moderator, channel=channel, post=post, reason=reason)
    tell_author(session, post, _("A moderator hid your post: %(reason)s", reason=reason.strip()))
    return problems


def restore_post(session: Session, *, post: Post, thread: Thread, channel: Channel, moderator,
                 reason: str) -> Problems:
    problems = Problems()
    _check_reason(reason, problems)
    if problems or not lifecycle.restore(session, post=post, thread=thread):
        return problems
    record(session, action=ActionKind.restore_post, moderator=moderator, channel=channel, post=post, reason=reason)
    tell_author(session, post, _("A moderator restored your post."))
    return problems


def approve_post(session: Session, *, post: Post, thread: Thread, channel: Channel, moderator) -> Problems:
    """Let a held post through (it joins the safe space's next release, or is published now). Not a
    moderator's own post: held like anyone's, it waits for another moderator."""
    problems = Problems()
    if policies.is_own_post(moderator, post):
        problems.add("post", _("You cannot approve your own post: another moderator will."))
    elif not lifecycle.approve(session, post=post, thread=thread, channel=channel):
        problems.add("post", _("This post was already dealt with: nothing has changed."))
    if problems:
        return problems
    record(session, action=ActionKind.approve_post, moderator=moderator, channel=channel, post=post)
    tell_author(session, post, _("A moderator approved your post."))
    return problems


def sanction_author(session: Session, *, post: Post, channel: Channel, moderator, kind: str, scope: str,
                    days: str, reason: str) -> Problems:
    """Warn or suspend whoever wrote this post, without the moderator learning who that is.

    Through an anonymous post only from anonymous channels: a suspension from every channel would let
    a moderator watch which named member fell silent."""
    problems = Problems()
    if kind not in SanctionKind.__members__:
        problems.add("kind", _("Choose a warning or a suspension."))
    if scope not in SanctionScope.__members__:
        problems.add("scope", _("Choose where the suspension applies."))
    elif channel.is_anonymous and scope != SanctionScope.safe_space:
        problems.add("scope", _("The author of an anonymous post can be suspended from the safe space only."))
    expires_at = None
    if kind == SanctionKind.suspension:
        if not (days.isascii() and days.isdigit() and len(days) < 5) or not 1 <= int(days) <= MAX_SUSPENSION_DAYS:
            problems.add("days", _("Enter a number of days from 1 to %(max)s.", max=MAX_SUSPENSION_DAYS))
        else:
            expires_at = utcnow() + timedelta(days=int(days))
    _check_reason(reason, problems)  # last, as the reason comes last in the form
    author_id = safespace.author_id_of(post)
    if author_id is None:
        problems.add("kind", _("This post's author can no longer be reached."))
    if problems:
        return problems
    session.add(Sanction(sealed_member=safespace.seal_author(author_id), kind=kind, scope=scope,
                         reason=reason.strip(), post_id=post.id, created_by_id=moderator.id,
                         expires_at=expires_at))
    action = ActionKind.warn_author if kind == SanctionKind.warning else ActionKind.suspend_author
    record(session, action=action, moderator=moderator, channel=channel, post=post, reason=reason)
    if kind == SanctionKind.warning:
        tell_author(session, post, _("A moderator warned you about this post: %(reason)s", reason=reason.strip()))
    else:
        tell_author(session, post, _("A moderator suspended you from posting until %(day)s: %(reason)s",
                                     day=expires_at.date().isoformat(), reason=reason.strip()))
    return problems


def active_suspension(session: Session, member_id: int, channel) -> Sanction | None:
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


@posting.refusals.connect
def suspension_refusal(session: Session, *, member_id: int, channel) -> str | None:
    """Why a suspended member may not post (or edit) here: posting.refusals' receiver."""
    suspension = active_suspension(session, member_id, channel)
    if suspension is None:
        return None
    until = suspension.expires_at.date().isoformat() if suspension.expires_at else _("further notice")
    return _("A moderator has suspended you from posting here until %(until)s. Reason: %(reason)s",
             until=until, reason=suspension.reason)


@lifecycle.erasing.connect
def forget_erased(session: Session, *, post_ids: list[int], thread_id: int | None) -> None:
    """Posts erased before anyone else saw them leave the log's and sanctions' rows without a post."""
    session.execute(update(ModerationAction).where(ModerationAction.post_id.in_(post_ids))
                    .values(post_id=None, thread_id=None))
    session.execute(update(Sanction).where(Sanction.post_id.in_(post_ids)).values(post_id=None))
    if thread_id is not None:
        session.execute(update(ModerationAction).where(ModerationAction.thread_id == thread_id)
                        .values(post_id=None, thread_id=None))


# Held, and in the moderators' queue (visibility.IN_QUEUE: in the safe space, from a release on).
_IN_QUEUE = (Post.status == PostStatus.pending, visibility.IN_QUEUE.sql({"post": Post}))


def pending_posts(session: Session) -> list:
    """The review queue: held posts, by channel and thread (not by id or time, which would order
    posts across channels)."""
    query = (
        select(Post.public_id, Post.number, Post.body_html, Post.created_at, Post.pseudonym,
               Thread.public_id.label("thread_public_id"), Thread.title, Channel.name.label("channel_name"),
               Channel.is_anonymous, Member.display_name.label("author_name"))
        .join(Thread, Thread.id == Post.thread_id)
        .join(Channel, Channel.id == Thread.channel_id)
        .outerjoin(Member, Member.id == Post.author_id)
        .where(*_IN_QUEUE)
        .order_by(Channel.position, Thread.title, Post.public_id)
    )
    return session.execute(query).all()


def log_entries(session: Session, limit: int = 100) -> list:
    """The latest moderation actions, with the post they concern and the moderator who acted."""
    moderator = aliased(Member)
    query = (
        select(ModerationAction.action, ModerationAction.reason, ModerationAction.created_at,
               moderator.display_name.label("moderator_name"), Post.public_id.label("post_public_id"),
               Post.number, Thread.title, Channel.name.label("channel_name"), Channel.is_anonymous)
        .join(moderator, moderator.id == ModerationAction.moderator_id)
        .outerjoin(Post, Post.id == ModerationAction.post_id)
        .outerjoin(Thread, Thread.id == ModerationAction.thread_id)
        .outerjoin(Channel, Channel.id == ModerationAction.channel_id)
        .order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc())
        .limit(limit)
    )
    return session.execute(query).all()


def pending_count(session: Session) -> int:
    return session.execute(select(func.count()).where(*_IN_QUEUE)).scalar_one()


@safespace.rekeying.connect
def rekey_sanctions(session: Session, old: safespace.Keys, new: safespace.Keys) -> None:
    """Re-encrypt every sanction's member under a new key (``forum rotate-anonymity-key``)."""
    for sanction in session.execute(select(Sanction)).scalars():
        sanction.sealed_member = safespace.seal_author(safespace.unseal_author(sanction.sealed_member, old), new)
        session.add(sanction)
    session.flush()
