"""Unsubscribing from a digest's link, without signing in: GET shows a confirm page (mail scanners
follow links), POST unsubscribes at once (a person's button, or a mail program's one-click POST)."""

from fastapi import APIRouter, Depends, Request

from app.accounts.deps import load_viewer
from app.core import csrf
from app.core.deps import SessionDep
from app.core.htmx import render
from app.digest import service

router = APIRouter(prefix="/digest", dependencies=[Depends(load_viewer)])
csrf.exempt_token_path("/digest/unsubscribe/")


@router.get("/unsubscribe/{token}")
def confirm_unsubscribe(request: Request, session: SessionDep, token: str):
    subscription = service.subscription_for_token(session, token)
    return render(request, "digest/unsubscribe_show.html", {"token": token, "found": subscription is not None,
                                                            "done": False}, status_code=200 if subscription else 404)


@router.post("/unsubscribe/{token}")
def unsubscribe(request: Request, session: SessionDep, token: str):
    subscription = service.subscription_for_token(session, token)
    if subscription is not None:
        service.unsubscribe(session, subscription)
    # The same answer whether or not it was still subscribed: a second click, or a mail program's
    # POST before the person's, is not an error.
    return render(request, "digest/unsubscribe_show.html", {"token": token, "found": True, "done": True})
