"""Sign-up, sign-in, password reset and profiles (admins approve members in app.admin)."""

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from starlette.background import BackgroundTask

from app.accounts import service
from app.accounts.deps import CurrentUser, OptionalUser, load_viewer
from app.accounts.models import OrganisationKind
from app.accounts.service import ProfileInput
from app.core import email as email_transport
from app.core import ratelimit, site_settings
from app.core.browser import browser_key, client_address, flash, rotate_browser_key
from app.core.config import get_settings
from app.core.deps import SessionDep
from app.core.htmx import redirect, render
from app.core.i18n import _
from app.core.problems import Problems

SIGNIN_WINDOW = 900  # seconds: failed sign-ins are counted in quarter hours
ADDRESS_TIMES = 5  # one address may fail this many times SIGNIN_LIMIT, over every account
router = APIRouter(dependencies=[Depends(load_viewer)])
FormStr = Annotated[str, Form()]


def safe_next(value: str | None) -> str:
    """Only same-site paths, so sign-in can't be used to send people elsewhere.

    Browsers drop tabs and newlines and read backslashes as slashes, so any of those, or anything
    with a scheme or host once parsed, falls back to the home page.
    """
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value or any(ord(c) < 33 or c.isspace() for c in value):
        return "/"
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else "/"


def organisation_kinds() -> list[tuple[str, str]]:
    labels = {
        "university": _("University"), "local_authority": _("Local authority"), "business": _("Business"),
        "voluntary": _("Voluntary or community organisation"), "public_body": _("Public body"),
        "other": _("Other"),
    }
    return [(kind.value, labels[kind.value]) for kind in OrganisationKind]


def _profile_form(display_name: str, bio: str, organisation_name: str, organisation_kind: str,
                  pilot_ids: list[str]) -> ProfileInput:
    return ProfileInput(
        display_name=display_name, bio=bio, organisation_name=organisation_name,
        organisation_kind=organisation_kind,
        pilot_ids=tuple(int(p) for p in pilot_ids if p.isascii() and p.isdigit() and len(p) < 10),
    )


def _signup_page(request: Request, session, form: dict, problems: dict, status_code: int = 200):
    context = {
        "form": form, "problems": problems, "kinds": organisation_kinds(),
        "pilots": service.pilot_choices(session), "mode": site_settings.effective("registration_mode"),
    }
    return render(request, "accounts/signup.html", context, status_code=status_code)


@router.get("/signup")
def show_signup(request: Request, session: SessionDep, viewer: OptionalUser, invite: str = ""):
    if viewer:
        return redirect(request, "/")
    if invite and service.invitation_for_token(session, invite) is None:
        problems = {"invitation": _("This invitation link has been used, revoked or has expired. Ask the person "
                                    "who invited you for a new one.")}
        return _signup_page(request, session, {"invite": "", "pilot_ids": []}, problems)
    return _signup_page(request, session, {"invite": invite, "pilot_ids": []}, {})


@router.post("/signup")
def create_account(
    request: Request, session: SessionDep, email: FormStr = "", handle: FormStr = "",
    display_name: FormStr = "", password: FormStr = "", organisation_name: FormStr = "",
    organisation_kind: FormStr = "other", bio: FormStr = "", invite: FormStr = "",
    pilot_ids: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
):
    profile = _profile_form(display_name, bio, organisation_name, organisation_kind, pilot_ids)
    wait = 0
    if not ratelimit.hit(session, "signup", client_address(request), limit=get_settings().signup_limit,
                         period=3600):
        member, problems, wait = None, Problems(), ratelimit.seconds_left(3600)
        problems.add("email", _("Too many accounts were created from this network recently. Try again in "
                                "%(minutes)s minutes.", minutes=ratelimit.minutes(wait)))
    else:
        member, problems = service.sign_up(
            session, email=email, handle=handle, password=password, profile=profile, invitation_token=invite
        )
    if member is None:
        form = {"email": email, "handle": handle, "display_name": display_name, "bio": bio, "invite": invite,
                "organisation_name": organisation_name, "organisation_kind": organisation_kind,
                "pilot_ids": list(profile.pilot_ids)}
        page = _signup_page(request, session, form, problems.fields, status_code=429 if wait else 422)
        if wait:
            page.headers["Retry-After"] = str(wait)
        return page
    if member.status == "pending":
        flash(request, _("Thanks. An administrator will approve your account, then you can sign in."))
        return redirect(request, "/")
    service.start_session(session, member, rotate_browser_key(request))
    flash(request, _("Welcome to Common Ground, %(name)s.", name=member.display_name))
    return redirect(request, f"/u/{member.handle}")


@router.get("/signin")
def show_signin(request: Request, viewer: OptionalUser, next: str = "/"):
    if viewer:
        return redirect(request, safe_next(next))
    return render(request, "accounts/signin.html", {"form": {"next": safe_next(next)}, "problems": {}})


@router.post("/signin")
def sign_in(request: Request, session: SessionDep, email: FormStr = "", password: FormStr = "",
            next: FormStr = "/"):
    # Only failures count: for one account from one address, and (more of them, for guessing across
    # accounts) from one address. Whoever keeps guessing is stopped where they guess; the member with
    # the right password, from anywhere else, is never refused, and a new password (a reset) starts
    # the account's count again.
    limit, address = get_settings().signin_limit, client_address(request)
    account = f"{service.signin_identity(session, email)}|{address}"
    limits = (("signin-failed-account", account, limit), ("signin-failed-address", address, limit * ADDRESS_TIMES))
    wait = max(ratelimit.wait(session, name, identity, limit=most, period=SIGNIN_WINDOW)
               for name, identity, most in limits)
    member = service.authenticate(session, email, password) if not wait else None
    if not wait and member is None:
        for name, identity, most in limits:
            ratelimit.hit(session, name, identity, limit=most, period=SIGNIN_WINDOW)
    problem = None
    if wait:
        problem = _("Too many failed sign-ins from here. Try again in %(minutes)s minutes, or reset your password.",
                    minutes=ratelimit.minutes(wait))
    elif member is None:
        problem = _("Enter the email address and password of your account. If you have forgotten "
                    "your password, you can reset it.")
    elif member.status == "pending":
        problem = _("Your account is waiting for an administrator's approval.")
    elif member.status != "active":
        problem = _("This account is suspended. Contact the hub team if you think this is a mistake.")
    if problem:
        context = {"form": {"email": email, "next": safe_next(next)}, "problems": {"email": problem}}
        return render(request, "accounts/signin.html", context, status_code=429 if wait else 422,
                      headers={"Retry-After": str(wait)} if wait else None)
    service.start_session(session, member, rotate_browser_key(request))
    flash(request, _("You are signed in."))
    return redirect(request, safe_next(next))


@router.post("/signout")
def sign_out(request: Request, session: SessionDep):
    service.end_session(session, browser_key(request))
    rotate_browser_key(request)
    flash(request, _("You are signed out."))
    return redirect(request, "/")


@router.get("/password/forgot")
def show_password_forgot(request: Request):
    return render(request, "accounts/password_forgot.html", {"form": {}, "problems": {}, "sent": False})


@router.post("/password/forgot")
def request_password_reset(request: Request, session: SessionDep, email: FormStr = ""):
    if not service.EMAIL_RE.match(service.normalise_email(email)):
        context = {"form": {"email": email}, "sent": False,
                   "problems": {"email": _("Enter an email address like name@example.org.")}}
        return render(request, "accounts/password_forgot.html", context, status_code=422)
    if not ratelimit.hit(session, "reset-address", client_address(request), limit=get_settings().signup_limit,
                         period=3600):
        wait = ratelimit.seconds_left(3600)
        problem = _("Too many reset requests from this network. Try again in %(minutes)s minutes.",
                    minutes=ratelimit.minutes(wait))
        context = {"form": {"email": email}, "sent": False, "problems": {"email": problem}}
        return render(request, "accounts/password_forgot.html", context, status_code=429,
                      headers={"Retry-After": str(wait)})
    message = None
    # Per address, silently: saying so would tell a stranger the email has an account.
    if ratelimit.hit(session, "reset-email", service.normalise_email(email), limit=3, period=3600):
        base = get_settings().base_url.rstrip("/")
        message = service.password_reset_email(session, email, lambda token: f"{base}/password/reset/{token}")
    response = render(request, "accounts/password_forgot.html",
                      {"form": {"email": email}, "problems": {}, "sent": True})
    if message is not None:
        # Sent after the response, so its timing does not tell whether the address has an account.
        response.background = BackgroundTask(email_transport.send, message)
    return response


@router.get("/password/reset/{token}")
def show_password_reset(request: Request, session: SessionDep, token: str):
    member = service.member_for_reset_token(session, token)
    return render(request, "accounts/password_reset.html",
                  {"token": token, "valid": member is not None, "problems": {}},
                  status_code=200 if member else 410)


@router.post("/password/reset/{token}")
def reset_password(request: Request, session: SessionDep, token: str, password: FormStr = ""):
    member = service.member_for_reset_token(session, token)
    if member is None:
        return render(request, "accounts/password_reset.html",
                      {"token": token, "valid": False, "problems": {}}, status_code=410)
    problems = service.reset_password(session, member, password)
    if problems:
        return render(request, "accounts/password_reset.html",
                      {"token": token, "valid": True, "problems": problems.fields}, status_code=422)
    rotate_browser_key(request)
    flash(request, _("Your password has been changed. Sign in with your new password."))
    return redirect(request, "/signin")


def _profile_page(request: Request, session, form: dict, problems: dict, status_code: int = 200):
    context = {"form": form, "problems": problems, "kinds": organisation_kinds(),
               "pilots": service.pilot_choices(session)}
    return render(request, "accounts/profile_edit.html", context, status_code=status_code)


@router.get("/settings/profile")
def edit_profile(request: Request, session: SessionDep, viewer: CurrentUser):
    member = session.get(service.Member, viewer.id)
    organisation = service.organisation_of(session, member)
    form = {"display_name": member.display_name, "bio": member.bio,
            "organisation_name": organisation.name if organisation else "",
            "organisation_kind": organisation.kind if organisation else "other",
            "pilot_ids": service.pilot_ids_of(session, member)}
    return _profile_page(request, session, form, {})


@router.post("/settings/profile")
def update_profile(
    request: Request, session: SessionDep, viewer: CurrentUser, display_name: FormStr = "", bio: FormStr = "",
    organisation_name: FormStr = "", organisation_kind: FormStr = "other",
    pilot_ids: Annotated[list[str], Form()] = [],  # noqa: B006
):
    profile = _profile_form(display_name, bio, organisation_name, organisation_kind, pilot_ids)
    problems = service.update_profile(session, session.get(service.Member, viewer.id), profile)
    if problems:
        form = {"display_name": display_name, "bio": bio, "organisation_name": organisation_name,
                "organisation_kind": organisation_kind, "pilot_ids": list(profile.pilot_ids)}
        return _profile_page(request, session, form, problems.fields, status_code=422)
    flash(request, _("Your profile has been saved."))
    return redirect(request, f"/u/{viewer.handle}")
