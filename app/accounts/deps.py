"""The signed-in viewer, as dependencies: OptionalUser, CurrentUser, ModeratorUser, AdminUser."""

from typing import Annotated

from fastapi import Depends, Request

from app.accounts import service, visits
from app.accounts.models import Viewer
from app.core.db import write_apart
from app.core.deps import NotFound, ReadSessionDep, SignInRequired
from app.core.timeutil import utcnow


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
                request.state.viewer = service.viewer_for_browser(reader, request.state.browser_key)
            if request.state.viewer and visits.is_due(request.state.viewer, now := utcnow()):
                await write_apart(request, visits.record, request.state.viewer, now)  # at most once an hour
    return request.state.viewer


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
