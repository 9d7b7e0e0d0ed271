"""Unsubscribing from a digest's link, without signing in: GET shows a confirm page (mail scanners
follow links), POST unsubscribes at once (a person's button, or a mail program's one-click POST)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.background import BackgroundTask

from app.accounts import service as accounts_service
from app.accounts.deps import CurrentUser, OptionalUser, load_viewer
from app.core import csrf, ratelimit
from app.core import email as email_transport
from app.core.browser import client_address, flash
from app.core.config import get_settings
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


def _small_number(value: str) -> bool:
    """Plain ASCII digits, a few of them ("²" is a digit to str.isdigit, and int() refuses it)."""
    return value.isascii() and value.isdigit() and len(value) <= 9


def _one_address(address: str) -> bool:
    """One plain address: no list, no display name, nothing a To: header would read as more."""
    return (len(address) <= 254 and address.isascii() and bool(accounts_service.EMAIL_RE.match(address))
            and not any(mark in address for mark in ',;<>()[]"\\:'))


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
    chosen = tuple(int(value) for value in channels if _small_number(value))
    choice = service.Choice(frequency=frequency, weekday=int(weekday) if _small_number(weekday) else -1,
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


subscribe_router = APIRouter(prefix="/subscribe", dependencies=[Depends(load_viewer)])


def _subscribe_page(request, form: dict, problems: dict, sent: bool = False, status_code: int = 200):
    context = {"form": form, "problems": problems, "sent": sent, "weekdays": weekdays()}
    return render(request, "digest/subscription_new.html", context, status_code=status_code)


@subscribe_router.get("")
def new_subscription(request: Request, viewer: OptionalUser):
    if viewer is not None:  # a member's digest is in their settings
        return redirect(request, "/settings/digest")
    return _subscribe_page(request, {"frequency": "weekly", "weekday": "0"}, {})


@subscribe_router.post("")
def create_subscription(request: Request, session: SessionDep, email: FormStr = "", frequency: FormStr = "weekly",
                        weekday: FormStr = "0"):
    address = accounts_service.normalise_email(email)
    form = {"email": email, "frequency": frequency, "weekday": weekday}
    problems = {}
    if not _one_address(address):
        problems["email"] = _("Enter an email address like name@example.org.")
    if frequency not in ("daily", "weekly"):
        problems["frequency"] = _("Choose daily or weekly.")
    if not _small_number(weekday) or not 0 <= int(weekday) <= 6:
        problems["weekday"] = _("Choose a day of the week.")
    if problems:
        return _subscribe_page(request, form, problems, status_code=422)
    if not ratelimit.hit(session, "subscribe-address", client_address(request), limit=get_settings().signup_limit,
                         period=3600):
        wait = ratelimit.seconds_left(3600)
        problems["email"] = _("Too many requests from this network. Try again in %(minutes)s minutes.",
                              minutes=ratelimit.minutes(wait))
        page = _subscribe_page(request, form, problems, status_code=429)
        page.headers["Retry-After"] = str(wait)
        return page
    message = None
    # Per address, silently; and the same answer whether or not it is known.
    if ratelimit.hit(session, "subscribe-email", address, limit=3, period=3600):
        base = get_settings().base_url.rstrip("/")
        message = service.request_subscription(session, email=address, frequency=frequency, weekday=int(weekday),
                                               confirm_url_for=lambda token: f"{base}/subscribe/confirm/{token}")
    response = _subscribe_page(request, form, {}, sent=True)
    if message is not None:
        response.background = BackgroundTask(email_transport.send, message)
    return response


@subscribe_router.get("/confirm/{token}")
def show_confirmation(request: Request, session: SessionDep, token: str):
    found = service.pending_confirmation(session, token)
    return render(request, "digest/subscription_confirm.html", {"token": token, "found": found is not None,
                                                                "done": False}, status_code=200 if found else 410)


@subscribe_router.post("/confirm/{token}")
def confirm_subscription(request: Request, session: SessionDep, token: str):
    found = service.pending_confirmation(session, token)
    if found is None:
        return render(request, "digest/subscription_confirm.html", {"token": token, "found": False, "done": False},
                      status_code=410)
    subscription, frequency, weekday = found
    service.confirm(session, subscription, frequency=frequency, weekday=weekday)
    return render(request, "digest/subscription_confirm.html", {"token": token, "found": True, "done": True,
                                                                "frequency": frequency})
