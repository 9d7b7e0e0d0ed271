"""Loaders for moderators' actions: what the viewer may not see is a 404; what they may see but not
moderate (a channel moderator outside their channels) is a 403 that says so."""

from sqlmodel import Session

from app.accounts.models import Viewer
from app.core.deps import Forbidden
from app.core.i18n import _
from app.forum import policies
from app.forum.deps import post_or_404, thread_or_404
from app.forum.models import Channel, Post, Thread


def require_can_moderate(viewer: Viewer, channel) -> None:
    if not policies.can_moderate(viewer, channel):
        raise Forbidden(_("You moderate other channels, not %(channel)s.", channel=channel.name))


def post_to_moderate(session: Session, public_id: str, viewer: Viewer) -> tuple[Post, Thread, Channel]:
    post, thread, channel = post_or_404(session, public_id, viewer)
    require_can_moderate(viewer, channel)
    return post, thread, channel


def thread_to_moderate(session: Session, public_id: str, viewer: Viewer) -> tuple[Thread, Channel]:
    thread, channel = thread_or_404(session, public_id, viewer)
    require_can_moderate(viewer, channel)
    return thread, channel
