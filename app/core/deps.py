"""Dependency aliases shared by every router that know no domain (the viewer's are app.accounts.deps)."""

from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from app.core.db import get_read_session, get_session, get_write_session

SessionDep = Annotated[Session, Depends(get_session, scope="function")]
WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]


class SignInRequired(Exception):
    """Raised when a page needs a signed-in member; answered with a redirect to sign in."""


class NotFound(Exception):
    """Raised for anything the viewer may not see: a 404, never a 403, so nothing can be probed."""


class Forbidden(Exception):
    """Raised for what the viewer may see but not do (a channel moderator outside their channels): a
    403 that says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
