"""The moderation log: one line per action, written by ``record``; read whole by moderators
(``/mod/log``) and, moderators unnamed unless the site says otherwise, by everyone (``/moderation``,
the transparency log). Neither names the author of an anonymous post."""

from dataclasses import dataclass

from sqlalchemy import and_, func, select, true, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.accounts.models import Member, Viewer
from app.core.i18n import _
from app.core.timeutil import utcnow
from app.forum import lifecycle, policies, regroup, visibility
from app.forum.models import Channel, Post, Thread
from app.forum.service import Page, page_of
from app.moderation.models import ActionKind, ModerationAction
from app.safespace import service as safespace

PER_PAGE = 50


# An admin's lines about named members: never in the transparency log.
ABOUT_MEMBERS = frozenset({ActionKind.approve_member, ActionKind.change_role, ActionKind.set_channel_moderators,
                           ActionKind.invite_member, ActionKind.revoke_invitation})


def action_names(*, public: bool = False) -> dict[str, str]:
    """What each kind of action is called in the logs (``public``: those the transparency log can show)."""
    names = {
        ActionKind.hide_post: _("Hid a post"), ActionKind.restore_post: _("Restored a post"),
        ActionKind.approve_post: _("Approved a post"), ActionKind.edit_post: _("Edited a post"),
        ActionKind.dismiss_reports: _("Dismissed reports of a post"),
        ActionKind.warn_author: _("Warned the author of a post"),
        ActionKind.suspend_author: _("Suspended the author of a post"),
        ActionKind.lift_sanction: _("Lifted a sanction"),
        ActionKind.suspend_member: _("Suspended a member"),
        ActionKind.pin_thread: _("Pinned a thread"), ActionKind.unpin_thread: _("Unpinned a thread"),
        ActionKind.lock_thread: _("Locked a thread"), ActionKind.unlock_thread: _("Unlocked a thread"),
        ActionKind.move_thread: _("Moved a thread"), ActionKind.merge_thread: _("Merged threads"),
        ActionKind.split_thread: _("Split a thread"), ActionKind.edit_thread: _("Edited a thread's title or tags"),
        ActionKind.mark_key_learning: _("Marked a key learning"),
        ActionKind.edit_key_learning: _("Changed a key learning"),
        ActionKind.unmark_key_learning: _("Unmarked a key learning"),
        ActionKind.approve_member: _("Approved an account"), ActionKind.change_role: _("Changed a member's role"),
        ActionKind.set_channel_moderators: _("Changed who moderates channels"),
        ActionKind.invite_member: _("Invited someone"), ActionKind.revoke_invitation: _("Revoked an invitation"),
        ActionKind.create_channel: _("Created a channel"), ActionKind.edit_channel: _("Edited a channel"),
        ActionKind.reorder_channels: _("Reordered the channels"), ActionKind.archive_channel: _("Archived a channel"),
        ActionKind.unarchive_channel: _("Reopened a channel"),
        ActionKind.change_site_settings: _("Changed the site settings"),
    }
    return {kind: name for kind, name in names.items() if kind not in ABOUT_MEMBERS} if public else names


def record(session: Session, *, action: str, moderator, channel: Channel | None, post: Post | None = None,
           thread: Thread | None = None, sanction=None, reason: str = "", detail: str = "",
           withheld: bool | None = None, staff_only: bool = False) -> ModerationAction:
    """Add a line to the log: what was done, to which post, thread or sanction, by whom and why; never
    the post's author.

    In an anonymous channel, a line about a post or thread nobody else had seen yet (an approval, or
    any action on a held post) is withheld from the transparency log for good, decided now: a
    read-time check would show it once the post came out. Such a line names neither the post nor
    its thread and keeps the day only, so that the moderators' log cannot tell which published posts
    were held either. An admin's lines about named members are withheld too. ``withheld`` and
    ``staff_only`` carry a sanction's line over to the line that lifts it."""
    entry = ModerationAction(action=action, moderator_id=moderator.id, channel_id=channel.id if channel else None,
                             sanction_id=sanction.id if sanction is not None else None, is_staff_only=staff_only,
                             reason=reason.strip()[:500], detail=detail[:300])
    if withheld is None:
        withheld = action in ABOUT_MEMBERS or _before_release(session, action, channel, post, thread)
    entry.withheld = withheld
    if withheld and (channel is not None and channel.is_anonymous or action == ActionKind.approve_member):
        entry.created_at = safespace.day_only(utcnow())  # an approval is about when someone joined, too
    elif post is not None:
        entry.post_id, entry.thread_id = post.id, post.thread_id
    elif thread is not None:
        entry.thread_id = thread.id
    session.add(entry)
    session.flush()
    return entry


def _before_release(session: Session, action: str, channel: Channel | None, post: Post | None,
                    thread: Thread | None) -> bool:
    if channel is None or not channel.is_anonymous:
        return False
    if action == ActionKind.approve_post or (post is not None and not visibility.is_released(post)):
        return True
    thread = thread if thread is not None else session.get(Thread, post.thread_id) if post is not None else None
    return thread is not None and thread.is_pending  # its opening post is number 1 from the start


def sanction_line(session: Session, sanction_id: int) -> ModerationAction | None:
    """The line that gave this sanction."""
    return session.execute(
        select(ModerationAction)
        .where(ModerationAction.sanction_id == sanction_id, ModerationAction.action != ActionKind.lift_sanction)
        .limit(1)).scalar_one_or_none()


@dataclass(frozen=True)
class LogFilters:
    channel: str = ""  # a channel slug
    moderator: str = ""  # a moderator's handle
    action: str = ""  # an ActionKind
    page: int = 1


def _entries(filters: LogFilters, *, readable):
    """The log's lines, newest first, with the moderator, post, thread and channel they concern."""
    moderator = aliased(Member)
    query = (
        select(ModerationAction.id, ModerationAction.public_id, ModerationAction.action,
               ModerationAction.reason, ModerationAction.detail,
               ModerationAction.is_staff_only, ModerationAction.withheld, ModerationAction.created_at,
               moderator.display_name.label("moderator_name"), moderator.handle.label("moderator_handle"),
               Post.public_id.label("post_public_id"), Post.number, Thread.public_id.label("thread_public_id"),
               Thread.slug.label("thread_slug"), Thread.title, Thread.is_pending.label("thread_is_pending"),
               Channel.name.label("channel_name"),
               Channel.slug.label("channel_slug"), Channel.is_anonymous)
        .join(moderator, moderator.id == ModerationAction.moderator_id)
        .outerjoin(Post, Post.id == ModerationAction.post_id)
        .outerjoin(Thread, Thread.id == ModerationAction.thread_id)
        .outerjoin(Channel, Channel.id == ModerationAction.channel_id)
        .where(readable)
    )
    if filters.channel:
        query = query.where(Channel.slug == filters.channel)
    if filters.moderator:
        query = query.where(moderator.handle == filters.moderator.strip().lower())
    if filters.action in ActionKind.__members__:
        query = query.where(ModerationAction.action == filters.action)
    return query


def _page(session: Session, query, number: int) -> tuple[list, Page]:
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    page = page_of(number, total, PER_PAGE)
    rows = session.execute(query.order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc())
                           .limit(PER_PAGE).offset((page.number - 1) * PER_PAGE)).all()
    return rows, page


def log_entries(session: Session, viewer: Viewer, filters: LogFilters) -> tuple[list, Page]:
    """The moderation log for a moderator: the lines of the channels they moderate (a site moderator:
    all, with the lines of no channel)."""
    mine = true() if policies.can_moderate(viewer) else ModerationAction.channel_id.in_(sorted(viewer.moderates))
    return _page(session, _entries(filters, readable=mine), filters.page)


def transparency_entries(session: Session, viewer: Viewer | None, filters: LogFilters) -> tuple[list, Page]:
    """The transparency log: the lines of channels the viewer may read (and of no channel). A line
    marked staff-only shows only that it happened: the caller's template leaves out its details, and
    shows every time as its day."""
    audience = policies.audience(viewer)
    readable = (ModerationAction.channel_id.is_(None)) | visibility.channel_filter(audience, Channel)
    readable = and_(readable, ModerationAction.withheld.is_(False))
    return _page(session, _entries(LogFilters(channel=filters.channel, action=filters.action, page=filters.page),
                                   readable=readable), filters.page)


def set_staff_only(session: Session, *, public_id: str, viewer: Viewer, staff_only: bool) -> bool:
    """Mark one line's details (reason, thread) as for moderators only, or public again."""
    entry = session.execute(select(ModerationAction).where(ModerationAction.public_id == public_id)).scalar()
    if entry is None or not policies.can_moderate_in(viewer, entry.channel_id):
        return False
    lifting = entry.action == ActionKind.lift_sanction and entry.sanction_id is not None
    given = sanction_line(session, entry.sanction_id) if lifting else entry
    if given is not None and given.action == ActionKind.suspend_member and not policies.can_administer(viewer):
        return False  # an admin's line about a named member (or its lifting): only admins may show it
    entry.is_staff_only = staff_only
    session.add(entry)
    session.flush()
    return True


def moderators(session: Session) -> list:
    """Who has acted, for the log's filter."""
    query = (select(Member.handle, Member.display_name)
             .where(Member.id.in_(select(ModerationAction.moderator_id).distinct()))
             .order_by(Member.display_name))
    return session.execute(query).all()


@lifecycle.erasing.connect
def forget_erased(session: Session, *, post_ids: list[int], thread_id: int | None) -> None:
    """Posts erased before anyone else saw them leave the log's rows without a post."""
    session.execute(update(ModerationAction).where(ModerationAction.post_id.in_(post_ids))
                    .values(post_id=None, thread_id=None))
    if thread_id is not None:
        session.execute(update(ModerationAction).where(ModerationAction.thread_id == thread_id)
                        .values(post_id=None, thread_id=None))


@regroup.merging.connect
def follow_merge(session: Session, *, source_id: int, target_id: int) -> None:
    """A merged thread's lines now concern the thread it joined."""
    session.execute(update(ModerationAction).where(ModerationAction.thread_id == source_id)
                    .values(thread_id=target_id))


def follow_split(session: Session, new: Thread) -> None:
    """The lines about posts split off now concern the thread they moved to."""
    session.execute(update(ModerationAction)
                    .where(ModerationAction.post_id.in_(select(Post.id).where(Post.thread_id == new.id)))
                    .values(thread_id=new.id))
