"""Who may do what in the forum: pure predicates used by routes and templates alike.

``post`` may be a Post or a row from the service's queries: anything with author_id, seal,
thread_id and status.
"""

from app.accounts.models import MemberStatus, Viewer
from app.forum.models import Channel, PostStatus, Visibility
from app.safespace import service as safespace


def can_read_channel(viewer: Viewer | None, channel: Channel) -> bool:
    if channel.visibility == Visibility.public and not channel.is_anonymous:
        return True
    return viewer is not None


def can_start_thread(viewer: Viewer | None, channel: Channel) -> bool:
    return (
        viewer is not None
        and viewer.status == MemberStatus.active
        and channel.archived_at is None
        and can_read_channel(viewer, channel)
    )


def can_reply(viewer: Viewer | None, channel: Channel, is_locked: bool) -> bool:
    if not can_start_thread(viewer, channel):
        return False
    return not is_locked or viewer.is_moderator


def is_own_post(viewer: Viewer | None, post) -> bool:
    """True when the viewer wrote this post: by author id, or by seal in an anonymous channel."""
    if viewer is None:
        return False
    if post.seal:
        return safespace.owns(viewer, post)
    return post.author_id is not None and post.author_id == viewer.id


def can_edit_post(viewer: Viewer | None, post) -> bool:
    return post.status in (PostStatus.published, PostStatus.pending) and is_own_post(viewer, post)


def can_delete_post(viewer: Viewer | None, post) -> bool:
    return can_edit_post(viewer, post)


def can_moderate(viewer: Viewer | None) -> bool:
    return viewer is not None and viewer.is_moderator and viewer.status == MemberStatus.active


def can_see_post_body(viewer: Viewer | None, post, own: bool | None = None) -> bool:
    """Published posts for every reader; pending ones for their author and moderators; hidden ones for moderators.

    ``own``: is_own_post(viewer, post), when the caller knows it already (pages ask about every post).
    """
    if post.status == PostStatus.published:
        return True
    if post.status == PostStatus.deleted:
        return False
    if can_moderate(viewer):
        return True
    return post.status == PostStatus.pending and (is_own_post(viewer, post) if own is None else own)


def can_see_thread(viewer: Viewer | None, thread, opening_post) -> bool:
    """A thread whose opening post waits for approval exists only for its author and moderators."""
    return not thread.is_pending or can_moderate(viewer) or is_own_post(viewer, opening_post)


def can_react(viewer: Viewer | None, post, own: bool | None = None) -> bool:
    if viewer is None or post.status != PostStatus.published:
        return False
    return not (is_own_post(viewer, post) if own is None else own)
