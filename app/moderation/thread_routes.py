"""Moderators' actions on threads: pin and lock in one click; move, merge, split and edit through a
form that says what will happen (the confirm page a plain browser needs)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request

from app.accounts.deps import ModeratorUser, load_viewer
from app.core.browser import flash
from app.core.deps import NotFound, SessionDep
from app.core.htmx import redirect, render, wants_fragment
from app.core.i18n import _
from app.forum import service as forum_service
from app.forum.routes import thread_url
from app.moderation import threads
from app.moderation.deps import thread_to_moderate

router = APIRouter(prefix="/mod/threads", dependencies=[Depends(load_viewer)])
FormStr = Annotated[str, Form()]
FORMS = ("move", "merge", "split", "edit")
SWITCHES = {
    "pin": (threads.set_pinned, "pinned", True, lambda: _("The thread is pinned to the top of its channel.")),
    "unpin": (threads.set_pinned, "pinned", False, lambda: _("The thread is no longer pinned.")),
    "lock": (threads.set_locked, "locked", True, lambda: _("The thread is locked: nobody can reply.")),
    "unlock": (threads.set_locked, "locked", False, lambda: _("The thread is unlocked: members can reply again.")),
}


def _form_page(request, session, viewer, thread, channel, action: str, form: dict, problems: dict,
               status_code: int = 200):
    context = {"thread": thread, "channel": channel, "action": action, "form": form, "problems": problems,
               "thread_url": thread_url(thread)}
    if action == "move":
        context["channels"] = [row for row in threads.destinations(session, viewer) if row.id != channel.id]
    if action == "split":
        context["replies"] = threads.replies_to_choose(session, thread)
    return render(request, "moderation/thread_action.html", context, status_code=status_code)


@router.get("/{thread_id}/{action}")
def show_thread_action(request: Request, session: SessionDep, viewer: ModeratorUser, thread_id: str, action: str):
    thread, channel = thread_to_moderate(session, thread_id, viewer)
    if action not in FORMS:
        raise NotFound()
    form = {"title": thread.title, "tags": ", ".join(forum_service.thread_tags(session, thread))}
    return _form_page(request, session, viewer, thread, channel, action, form, {})


@router.post("/{thread_id}/move")
def move_thread(request: Request, session: SessionDep, viewer: ModeratorUser, thread_id: str,
                channel: FormStr = "", reason: FormStr = "", confirm: FormStr = ""):
    thread, current = thread_to_moderate(session, thread_id, viewer)
    problems = threads.move_thread(session, thread=thread, channel=current, moderator=viewer, target_slug=channel,
                                   reason=reason, confirmed=confirm == "yes")
    if problems:
        form = {"channel": channel, "reason": reason, "confirm": confirm}
        return _form_page(request, session, viewer, thread, current, "move", form, problems.fields, 422)
    flash(request, _("The thread is moved. The moderation log records it."))
    return redirect(request, thread_url(thread))


@router.post("/{thread_id}/merge")
def merge_thread(request: Request, session: SessionDep, viewer: ModeratorUser, thread_id: str,
                 target: FormStr = "", reason: FormStr = "", confirm: FormStr = ""):
    thread, channel = thread_to_moderate(session, thread_id, viewer)
    into, problems = threads.merge_threads(session, thread=thread, channel=channel, moderator=viewer, target=target,
                                           reason=reason, confirmed=confirm == "yes")
    if problems:
        form = {"target": target, "reason": reason, "confirm": confirm}
        return _form_page(request, session, viewer, thread, channel, "merge", form, problems.fields, 422)
    flash(request, _("The threads are merged: the old address and its posts' links lead here."))
    return redirect(request, thread_url(into))


@router.post("/{thread_id}/split")
def split_thread(request: Request, session: SessionDep, viewer: ModeratorUser, thread_id: str,
                 posts: Annotated[list[str], Form()] = (), title: FormStr = "", reason: FormStr = ""):
    thread, channel = thread_to_moderate(session, thread_id, viewer)
    new, problems = threads.split_thread(session, thread=thread, channel=channel, moderator=viewer,
                                         post_ids=list(posts), title=title, reason=reason)
    if problems:
        form = {"posts": list(posts), "title": title, "reason": reason}
        return _form_page(request, session, viewer, thread, channel, "split", form, problems.fields, 422)
    flash(request, _("The replies are in a new thread, with the replies below them."))
    return redirect(request, thread_url(new))


@router.post("/{thread_id}/edit")
def edit_thread(request: Request, session: SessionDep, viewer: ModeratorUser, thread_id: str,
                title: FormStr = "", tags: FormStr = "", reason: FormStr = ""):
    thread, channel = thread_to_moderate(session, thread_id, viewer)
    problems = threads.edit_thread(session, thread=thread, channel=channel, moderator=viewer, title=title, tags=tags,
                                   reason=reason)
    if problems:
        form = {"title": title, "tags": tags, "reason": reason}
        return _form_page(request, session, viewer, thread, channel, "edit", form, problems.fields, 422)
    flash(request, _("The thread's title and tags are saved."))
    return redirect(request, thread_url(thread))


@router.post("/{thread_id}/{switch}")
def switch_thread(request: Request, session: SessionDep, viewer: ModeratorUser, thread_id: str, switch: str,
                  reason: FormStr = ""):
    """Pin, unpin, lock or unlock: one click, and a repeat changes nothing."""
    thread, channel = thread_to_moderate(session, thread_id, viewer)
    if switch not in SWITCHES:
        raise NotFound()
    action, name, value, message = SWITCHES[switch]
    problems = action(session, thread=thread, channel=channel, moderator=viewer, reason=reason, **{name: value})
    said = list(problems.fields.values())[0] if problems else message()
    if wants_fragment(request) and not problems:
        context = {"thread": thread, "channel": channel, "tags": forum_service.thread_tags(session, thread),
                   "moderator": True, "announcement": said}
        return render(request, "forum/_thread_head.html", context)
    flash(request, said, "error" if problems else "success")
    return redirect(request, thread_url(thread))
