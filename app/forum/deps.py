"""Loaders that return only what the viewer may see (anything else is a 404)."""

from sqlmodel import Session

from app.accounts.models import Viewer
from app.core.deps import NotFound
from app.forum import service
from app.forum.models import Channel, Post, Thread


def channel_or_404(session: Session, slug: str, viewer: Viewer | None) -> Channel:
    channel = service.channel_by_slug(session, slug, viewer)
    if channel is None:
        raise NotFound()
    return channel


def channel_for_page_or_404(session: Session, slug: str, viewer: Viewer | None) -> service.ChannelRow:
    channel = service.channel_for_page(session, slug, viewer)
    if channel is None:
        raise NotFound()
    return channel


def thread_or_404(session: Session, public_id: str, viewer: Viewer | None) -> tuple[Thread, Channel]:
    found = service.thread_with_channel(session, public_id, viewer)
    if found is None:
        raise NotFound()
    return found


def post_or_404(session: Session, public_id: str, viewer: Viewer | None) -> tuple[Post, Thread, Channel]:
    found = service.post_with_context(session, public_id, viewer)
    if found is None:
        raise NotFound()
    return found


def page_number(value: str) -> int:
    """A page number from the query string; anything odd means page 1."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 7 else 1
