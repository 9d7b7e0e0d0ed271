"""Moderators' pages: the review queue, the log, and actions on posts (a confirm page, then a POST)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request

from app.accounts.deps import ModeratorUser, load_viewer
from app.core.browser import flash
from app.core.deps import SessionDep
from app.core.htmx import redirect, render
from app.core.i18n import _
from app.forum.deps import post_or_404
from app.moderation import service
from app.moderation.models import SanctionKind, SanctionScope

router = APIRouter(dependencies=[Depends(load_viewer)])
FormStr = Annotated[str, Form()]


@router.get("/mod/queue")
def show_queue(request: Request, session: SessionDep, viewer: ModeratorUser):
    return render(request, "moderation/queue_show.html", {"posts": service.pending_posts(session)})


@router.get("/mod/log")
def show_log(request: Request, session: SessionDep, viewer: ModeratorUser):
    return render(request, "moderation/log_show.html", {"entries": service.log_entries(session)})


def _action_page(request, post, thread, channel, action: str, form: dict, problems: dict, status_code=200):
    context = {"post": post, "thread": thread, "channel": channel, "action": action, "form": form,
               "problems": problems, "kinds": SanctionKind, "scopes": SanctionScope}
    return render(request, "moderation/post_action.html", context, status_code=status_code)


@router.get("/mod/posts/{post_id}/{action}")
def confirm_post_action(request: Request, session: SessionDep, viewer: ModeratorUser, post_id: str, action: str):
    post, thread, channel = post_or_404(session, post_id, viewer)
    if action not in ("hide", "restore", "approve", "sanction"):
        return redirect(request, f"/p/{post.public_id}")
    return _action_page(request, post, thread, channel, action, {"kind": "warning", "days": "7"}, {})


@router.post("/mod/posts/{post_id}/hide")
def hide_post(request: Request, session: SessionDep, viewer: ModeratorUser, post_id: str, reason: FormStr = ""):
    post, thread, channel = post_or_404(session, post_id, viewer)
    problems = service.hide_post(session, post=post, thread=thread, channel=channel, moderator=viewer,
                                 reason=reason)
    if problems:
        return _action_page(request, post, thread, channel, "hide", {"reason": reason}, problems.fields, 422)
    flash(request, _("The post is hidden. The moderation log records why."))
    return redirect(request, f"/p/{post.public_id}")


@router.post("/mod/posts/{post_id}/restore")
def restore_post(request: Request, session: SessionDep, viewer: ModeratorUser, post_id: str,
                 reason: FormStr = ""):
    post, thread, channel = post_or_404(session, post_id, viewer)
    problems = service.restore_post(session, post=post, thread=thread, channel=channel, moderator=viewer,
                                    reason=reason)
    if problems:
        return _action_page(request, post, thread, channel, "restore", {"reason": reason}, problems.fields, 422)
    flash(request, _("The post is visible again."))
    return redirect(request, f"/p/{post.public_id}")


@router.post("/mod/posts/{post_id}/approve")
def approve_post(request: Request, session: SessionDep, viewer: ModeratorUser, post_id: str):
    post, thread, channel = post_or_404(session, post_id, viewer)
    problems = service.approve_post(session, post=post, thread=thread, channel=channel, moderator=viewer)
    if problems:
        flash(request, problems.fields["post"])
    elif post.status == "published":
        flash(request, _("The post is approved and published."))
    elif post.release_at is not None:
        flash(request, _("The post is approved. It joins the safe space's next release."))
    else:
        flash(request, _("The post is approved. It appears once the post it answers is approved."))
    return redirect(request, "/mod/queue")


@router.post("/mod/posts/{post_id}/sanction")
def sanction_author(request: Request, session: SessionDep, viewer: ModeratorUser, post_id: str,
                    kind: FormStr = "", scope: FormStr = "safe_space", days: FormStr = "", reason: FormStr = ""):
    post, thread, channel = post_or_404(session, post_id, viewer)
    problems = service.sanction_author(session, post=post, channel=channel, moderator=viewer, kind=kind,
                                       scope=scope, days=days, reason=reason)
    if problems:
        form = {"kind": kind, "scope": scope, "days": days, "reason": reason}
        return _action_page(request, post, thread, channel, "sanction", form, problems.fields, 422)
    flash(request, _("The author of this post has been warned.") if kind == "warning"
          else _("The author of this post is suspended from posting."))
    return redirect(request, f"/p/{post.public_id}")
