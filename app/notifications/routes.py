"""The notifications page, watching threads and channels, and the settings of notification emails."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request

from app.accounts.deps import CurrentUser, load_viewer
from app.core import csrf
from app.core.browser import flash
from app.core.deps import NotFound, SessionDep, WriteSessionDep
from app.core.htmx import redirect, render
from app.core.i18n import _
from app.forum import service as forum_service
from app.forum.deps import channel_or_404
from app.notifications import emails, service, watching
from app.notifications.models import WatchLevel

router = APIRouter(dependencies=[Depends(load_viewer)])
csrf.exempt_token_path("/notifications/unsubscribe/")
FormStr = Annotated[str, Form()]


@router.get("/notifications")
def show_notifications(request: Request, session: SessionDep, viewer: CurrentUser):
    items = service.for_member(session, viewer.id)
    return render(request, "notifications/notifications_show.html",
                  {"groups": service.by_thread(items), "any_unread": any(not item.is_read for item in items)})


@router.post("/notifications/read")
def mark_notifications_read(request: Request, session: SessionDep, viewer: CurrentUser):
    service.mark_all_read(session, viewer.id)
    flash(request, _("All your notifications are marked read."))
    return redirect(request, "/notifications")


@router.get("/notifications/{key}")
def open_notification(request: Request, session: WriteSessionDep, viewer: CurrentUser, key: str):
    """Opening a notification reads it: it leads to its post."""
    item = service.mark_read(session, viewer.id, key)
    if item is None:
        raise NotFound()
    return redirect(request, f"/p/{item.post_public_id}" if item.post_public_id else "/notifications")


@router.post("/notifications/{key}/read")
def mark_notification_read(request: Request, session: SessionDep, viewer: CurrentUser, key: str):
    item = service.mark_read(session, viewer.id, key)
    if item is None:
        raise NotFound()
    if item.is_sealed:  # gone once read: back to the list's top, told so
        flash(request, _("The notification is read and deleted."))
        return redirect(request, "/notifications")
    return redirect(request, f"/notifications#{item.key}")  # back where they were


def _level_message(level: str, *, thread: bool) -> str:
    if level == watching.AS_CHANNEL:
        return _("This thread now follows your setting for its channel.")
    if level == WatchLevel.watching:
        return (_("You are watching this thread: you will be told of every new post.") if thread
                else _("You are watching this channel: you will be told of every new thread and post."))
    if level == WatchLevel.muted:
        return (_("This thread is muted: nothing from it will reach you.") if thread
                else _("This channel is muted: nothing from it will reach you, unless you watch one of its threads."))
    return (_("You will be told of replies to you and mentions in this thread.") if thread
            else _("You will be told of replies to you and mentions in this channel."))


@router.post("/t/{thread_id}/watch")
def watch_thread(request: Request, session: SessionDep, viewer: CurrentUser, thread_id: str, level: FormStr = ""):
    found = forum_service.thread_for_page(session, thread_id, viewer)
    if found is None:
        raise NotFound()
    thread = found[0]
    if not watching.choose(session, member_id=viewer.id, thread_id=thread.id, level=level):
        flash(request, _("Choose watching, normal or muted."), "error")
    else:
        flash(request, _level_message(level, thread=True))
    return redirect(request, f"/t/{thread.public_id}-{thread.slug}")


@router.post("/c/{slug}/watch")
def watch_channel(request: Request, session: SessionDep, viewer: CurrentUser, slug: str, level: FormStr = ""):
    channel = channel_or_404(session, slug, viewer)
    if not watching.choose(session, member_id=viewer.id, channel_id=channel.id, level=level):
        flash(request, _("Choose watching, normal or muted."), "error")
    else:
        flash(request, _level_message(level, thread=False))
    return redirect(request, f"/c/{channel.slug}")


@forum_service.thread_notes.connect
def thread_watch_form(session, *, thread, channel, viewer):
    """A member's level for the thread, at its top, with the form that changes it."""
    if viewer is None:
        return None
    choice = watching.level_of(session, member_id=viewer.id, thread_id=thread.id, channel_id=channel.id)
    return "notifications/_watch_form.html", {"level": choice.level, "from_channel": choice.source == "channel",
                                              "own_choice": choice.source == "thread",
                                              "channel_level": choice.channel_level,
                                              "action": f"/t/{thread.public_id}/watch", "for_thread": True}


@forum_service.channel_notes.connect
def channel_watch_form(session, *, channel, viewer):
    if viewer is None:
        return None
    level = watching.level_of(session, member_id=viewer.id, channel_id=channel.id).level
    return "notifications/_watch_form.html", {"level": level, "from_channel": False, "own_choice": False,
                                              "action": f"/c/{channel.slug}/watch", "for_thread": False}


# Notification emails --------------------------------------------------------------------------------

def _settings_page(request, form: dict, status_code: int = 200):
    return render(request, "notifications/notification_settings_edit.html",
                  {"form": form, "kinds": emails.kind_names()}, status_code=status_code)


@router.get("/settings/notifications")
def edit_notification_settings(request: Request, session: SessionDep, viewer: CurrentUser):
    return _settings_page(request, emails.choices(session, viewer.id))


@router.post("/settings/notifications")
def update_notification_settings(request: Request, session: SessionDep, viewer: CurrentUser,
                                 email: Annotated[list[str], Form()] = ()):
    emails.choose(session, viewer.id, set(email))
    flash(request, _("Your notification settings are saved."))
    return redirect(request, "/settings/notifications")


def _unsubscribing(token: str) -> int:
    member_id = emails.token_member(token)
    if member_id is None:
        raise NotFound()
    return member_id


@router.get("/notifications/unsubscribe/{token}")
def confirm_unsubscribe(request: Request, token: str):
    _unsubscribing(token)
    return render(request, "notifications/notification_unsubscribe.html", {"token": token, "done": False})


@router.post("/notifications/unsubscribe/{token}")
def unsubscribe(request: Request, session: SessionDep, token: str):
    """One click (RFC 8058) or a person's button: every notification email stops, no sign-in needed."""
    emails.choose(session, _unsubscribing(token), set())
    return render(request, "notifications/notification_unsubscribe.html", {"token": token, "done": True})
