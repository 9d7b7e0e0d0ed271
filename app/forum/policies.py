"""Who may do what in the forum: pure predicates used by routes and templates alike."""

from app.accounts.models import MemberStatus, Viewer
from app.forum.models import Channel, PostStatus, Visibility


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
    """True when the viewer wrote this post (any object or row with ``author_id``)."""
    return viewer is not None and post.author_id is not None and post.author_id == viewer.id


def can_edit_post(viewer: Viewer | None, post) -> bool:
    return is_own_post(viewer, post) and post.status != PostStatus.deleted


def can_delete_post(viewer: Viewer | None, post) -> bool:
    return can_edit_post(viewer, post)


def can_see_post_body(viewer: Viewer | None, post) -> bool:
    """Published posts are for everyone who can read the thread; pending ones for their author too."""
    if post.status == PostStatus.published:
        return True
    return post.status == PostStatus.pending and is_own_post(viewer, post)


def can_react(viewer: Viewer | None, post) -> bool:
    return viewer is not None and post.status == PostStatus.published
