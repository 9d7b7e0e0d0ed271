"""Who may do what in the forum: pure predicates used by routes and templates alike.

``post`` may be a Post or a row from the service's queries: anything with author_id, seal,
thread_id, number, status and release_at. Who may *see* what is app/forum/visibility.py's; these
build on it.
"""

from app.accounts.models import MemberStatus, Viewer
from app.forum import visibility
from app.forum.models import PostStatus
from app.forum.visibility import Audience
from app.safespace import service as safespace


def audience(viewer: Viewer | None, channel=None) -> Audience:
    """The viewer as visibility's rules know them, in ``channel`` (none: as a moderator only if they
    moderate every channel)."""
    if viewer is None:
        return visibility.VISITOR
    return Audience(member_id=viewer.id, is_moderator=can_moderate(viewer, channel))


def can_moderate(viewer: Viewer | None, channel=None) -> bool:
    """Site moderators and admins moderate every channel; a channel moderator, the channels they were
    given. Without a channel: whether they moderate every one."""
    return can_moderate_in(viewer, channel.id if channel is not None else None)


def can_moderate_in(viewer: Viewer | None, channel_id: int | None) -> bool:
    """can_moderate, for a channel known by its id."""
    if viewer is None or viewer.status != MemberStatus.active:
        return False
    return viewer.is_site_moderator or channel_id in getattr(viewer, "moderates", ())


def moderates_anything(viewer: Viewer | None) -> bool:
    """Whether the moderators' pages are the viewer's."""
    return viewer is not None and viewer.status == MemberStatus.active and viewer.is_moderator


def can_administer(viewer: Viewer | None) -> bool:
    return viewer is not None and viewer.status == MemberStatus.active and viewer.is_admin


def can_read_channel(viewer: Viewer | None, channel) -> bool:
    return visibility.can_read_channel(audience(viewer, channel), channel)


def can_start_thread(viewer: Viewer | None, channel) -> bool:
    return (
        viewer is not None
        and viewer.status == MemberStatus.active
        and channel.archived_at is None
        and can_read_channel(viewer, channel)
    )


def can_write_in_locked(viewer: Viewer | None, channel) -> bool:
    """Moderators may still write in a locked thread, except in the safe space, where a reply in a
    locked thread would be a moderator's."""
    return can_moderate(viewer, channel) and not channel.is_anonymous


def can_reply(viewer: Viewer | None, channel, thread) -> bool:
    """Replies go to listed threads, and to locked ones only where can_write_in_locked."""
    if not can_start_thread(viewer, channel) or thread.is_pending:
        return False
    return not thread.is_locked or can_write_in_locked(viewer, channel)


def is_own_post(viewer: Viewer | None, post) -> bool:
    """True when the viewer wrote this post: by author id, or by seal in an anonymous channel."""
    if viewer is None:
        return False
    if post.seal:
        return safespace.owns(viewer, post)
    return post.author_id is not None and post.author_id == viewer.id


def can_edit_post(viewer: Viewer | None, post) -> bool:
    return post.status in (PostStatus.published, PostStatus.pending, PostStatus.queued) and is_own_post(viewer, post)


def can_delete_post(viewer: Viewer | None, post) -> bool:
    return can_edit_post(viewer, post)


def can_see_post(viewer: Viewer | None, post, own: bool | None = None, *, channel=None) -> bool:
    """Whether the post has a place in its thread (in ``channel``) for the viewer (a tombstone counts)."""
    own = is_own_post(viewer, post) if own is None else own
    return visibility.can_see_place(audience(viewer, channel), post, own=own)


def can_see_post_body(viewer: Viewer | None, post, own: bool | None = None, *, channel=None) -> bool:
    """``own``: is_own_post(viewer, post), when the caller knows it already (pages ask about every post)."""
    own = is_own_post(viewer, post) if own is None else own
    return visibility.can_read_body(audience(viewer, channel), post, own=own)


def can_react(viewer: Viewer | None, post, own: bool | None = None) -> bool:
    if viewer is None or post.status != PostStatus.published:
        return False
    return not (is_own_post(viewer, post) if own is None else own)
