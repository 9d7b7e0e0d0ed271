"""Unsubscribing from a digest's link, without signing in: GET shows a confirm page (mail scanners
follow links), POST unsubscribes at once (a person's button, or a mail program's one-click POST)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request

from app.accounts.deps import CurrentUser, load_viewer
from app.core import csrf
from app.core.browser import flash
from app.core.deps import SessionDep
from app.core.htmx import redirect, render
from app.core.i18n import _
from app.digest import service
from app.forum import policies
from app.forum.service import readable_channels_query

router = APIRouter(prefix="/digest", dependencies=[Depends(load_viewer)])
settings_router = APIRouter(dependencies=[Depends(load_viewer)])
csrf.exempt_token_path("/digest/unsubscribe/")
FormStr = Annotated[str, Form()]


def _channels(session, viewer) -> list:
    return list(session.execute(readable_channels_query(policies.audience(viewer))).scalars())


def weekdays() -> list[tuple[str, str]]:
    names = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]
    return [(str(n), name) for n, name in enumerate(names)]


def _settings_page(request, session, viewer, form: dict, problems: dict, status_code: int = 200):
    subscription = service.member_subscription(session, viewer.id)
    context = {"form": form, "problems": problems, "channels": _channels(session, viewer), "weekdays": weekdays(),
               "suspended": subscription.suspended_reason if subscription and subscription.suspended_at else ""}
    return render(request, "digest/digest_settings_edit.html", context, status_code=status_code)


@settings_router.get("/settings/digest")
def edit_digest_settings(request: Request, session: SessionDep, viewer: CurrentUser):
    subscription = service.member_subscription(session, viewer.id)
    form = {"frequency": subscription.frequency if subscription else "",
            "weekday": str(subscription.weekday if subscription else 0),
            "scope": "all" if subscription is None or subscription.all_channels else "chosen",
            "channels": [str(n) for n in service.chosen_channels(session, subscription)]}
    return _settings_page(request, session, viewer, form, {})


@settings_router.post("/settings/digest")
def update_digest_settings(request: Request, session: SessionDep, viewer: CurrentUser, frequency: FormStr = "",
                           weekday: FormStr = "0", scope: FormStr = "all",
                           channels: Annotated[list[str], Form()] = ()):
    chosen = tuple(int(value) for value in channels if value.isdigit())
    choice = service.Choice(frequency=frequency, weekday=int(weekday) if weekday.isdigit() else -1,
                            all_channels=scope != "chosen", channel_ids=chosen)
    readable = {channel.id for channel in _channels(session, viewer)}
    problems = service.save_choice(session, member_id=viewer.id, choice=choice, readable_ids=readable)
    if problems:
        form = {"frequency": frequency, "weekday": weekday, "scope": scope, "channels": list(channels)}
        return _settings_page(request, session, viewer, form, problems.fields, status_code=422)
    flash(request, _("Your digest settings are saved.") if frequency else _("You will get no digest."))
    return redirect(request, "/settings/digest")


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
