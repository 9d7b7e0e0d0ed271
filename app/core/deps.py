"""Dependency aliases shared by every router."""

from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from app.accounts import service as accounts_service
from app.accounts.models import Viewer
from app.core.db import get_read_session, get_session
from app.notifications import service as notifications

SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]


class SignInRequired(Exception):
    """Raised when a page needs a signed-in member; answered with a redirect to sign in."""


class NotFound(Exception):
    """Raised for anything the viewer may not see: a 404, never a 403, so nothing can be probed."""


async def load_viewer(request: Request, reader: ReadSessionDep) -> Viewer | None:
    """The signed-in member for this request (cached on request.state).

    It runs on the event loop: signed out it reads nothing; signed in it makes two indexed reads and
    opens the member's bucket of sealed notifications (each remembered once opened), which costs less
    than a hop to a worker thread. The lookup has a read-only session of its own, given back at once:
    a request that then waits for a handler thread holds no connection (were every connection held by
    such requests, the loop would block on the pool), and a write request's transaction begins only in
    its handler (see get_read_session).
    """
    if "viewer" not in request.state._state:
        request.state.viewer = None
        if not request.state.browser_key_is_new:
            with reader:
                request.state.viewer = _signed_in_viewer(reader, request.state.browser_key)
    return request.state.viewer


def _signed_in_viewer(session: Session, browser_key: str) -> Viewer | None:
    member = accounts_service.member_for_browser(session, browser_key, columns=(notifications.UNREAD_COLUMN,))
    return Viewer.of(member, notifications.unread_count(session, member.id, member.unread)) if member else None


OptionalUser = Annotated[Viewer | None, Depends(load_viewer)]


def require_member(viewer: OptionalUser) -> Viewer:
    if viewer is None:
        raise SignInRequired()
    return viewer


CurrentUser = Annotated[Viewer, Depends(require_member)]


def require_moderator(viewer: CurrentUser) -> Viewer:
    if not viewer.is_moderator:
        raise NotFound()
    return viewer


def require_admin(viewer: CurrentUser) -> Viewer:
    if not viewer.is_admin:
        raise NotFound()
    return viewer


ModeratorUser = Annotated[Viewer, Depends(require_moderator)]
AdminUser = Annotated[Viewer, Depends(require_admin)]
