"""Moderators' pages: the review queue, the logs, sanctions, and actions on posts (a form or confirm
page, then a POST); members' reports and the transparency log."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request

from app.accounts.deps import CurrentUser, ModeratorUser, OptionalUser, load_viewer
from app.core import site_settings
from app.core.browser import flash
from app.core.deps import Forbidden, NotFound, SessionDep
from app.core.htmx import redirect, render, wants_fragment
from app.core.i18n import _
from app.forum import policies
from app.forum import service as forum_service
from app.forum.deps import page_number, post_or_404
from app.moderation import log, queue, reports, service
from app.moderation.deps import post_to_moderate
from app.moderation.models import SanctionKind, SanctionScope

router = APIRouter(dependencies=[Depends(load_viewer)])
FormStr = Annotated[str, Form()]
NextForm = Annotated[str, Form(alias="next")]  # where the action came from (back_to)
POST_ACTIONS = ("hide", "restore", "approve", "sanction", "dismiss", "edit")


def _is_public_id(value: str) -> bool:
    """A public id from the path (new_public_id's letters and digits), before it reaches a query."""
    return value.isascii() and value.isalnum() and len(value) <= 12


def back_to(next_url: str, fallback: str) -> str:
    """Where to go after an action: the queue page it came from, or the fallback (never elsewhere)."""
    return next_url if next_url.startswith("/mod/queue") and "//" not in next_url else fallback


def done(request: Request, session, message: str, url: str, *, problem: bool = False):
    """After a queue item's action: htmx replaces the item with the message (and the counts); a
    browser goes back."""
    if wants_fragment(request) and url.startswith("/mod/queue"):
        context = {"message": message, "problem": problem,
                   "review_waiting": queue.waiting_count(session, request.state.viewer)}
        return render(request, "moderation/_queue_done.html", context)
    flash(request, message, "error" if problem else "success")
    return redirect(request, url)


# The queue, the logs and sanctions ---------------------------------------------------------------

@router.get("/mod/queue")
def show_queue(request: Request, session: SessionDep, viewer: ModeratorUser, channel: str = "", kind: str = "",
               page: str = "1"):
    channels = queue.moderated_channels(session, viewer)
    chosen = next((row for row in channels if row.slug == channel), None)
    filters = queue.QueueFilters(channel=chosen.slug if chosen else "", kind=kind if kind in queue.KINDS else "",
                                 page=page_number(page))
    items, pager = queue.queue_page(session, viewer, filters, chosen.id if chosen else None)
    context = {"items": items, "page": pager, "filters": filters,
               "channel_options": [(row.slug, row.name) for row in channels],
               "reasons": reports.reason_names(), "here": str(request.url.path) + (
                   f"?{request.url.query}" if request.url.query else "")}
    return render(request, "moderation/queue_show.html", context, block="queue")


def _log_filters(channel: str, moderator: str, action: str, page: str) -> log.LogFilters:
    return log.LogFilters(channel=channel[:60], moderator=moderator[:30], action=action[:30], page=page_number(page))


@router.get("/mod/log")
def show_log(request: Request, session: SessionDep, viewer: ModeratorUser, channel: str = "", moderator: str = "",
             action: str = "", page: str = "1"):
    filters = _log_filters(channel, moderator, action, page)
    entries, pager = log.log_entries(session, viewer, filters)
    context = {"entries": entries, "page": pager, "filters": filters, "action_names": log.action_names(),
               "channel_options": [(row.slug, row.name) for row in queue.moderated_channels(session, viewer)],
               "moderator_options": [(row.handle, row.display_name) for row in log.moderators(session)]}
    return render(request, "moderation/log_show.html", context)


@router.post("/mod/log/{entry_id}/staff-only")
def mark_staff_only(request: Request, session: SessionDep, viewer: ModeratorUser, entry_id: str,
                    staff_only: FormStr = "1"):
    if not _is_public_id(entry_id):
        raise NotFound()
    if not log.set_staff_only(session, public_id=entry_id, viewer=viewer, staff_only=staff_only == "1"):
        raise NotFound()
    flash(request, _("Members now see only that this action happened.") if staff_only == "1"
          else _("Members see this action's details again."))
    return redirect(request, "/mod/log")


@router.get("/moderation")
def show_transparency_log(request: Request, session: SessionDep, viewer: OptionalUser, channel: str = "",
                          action: str = "", page: str = "1"):
    """Every moderator action members may know of; the moderator named only if the site says so."""
    filters = _log_filters(channel, "", action, page)
    entries, pager = log.transparency_entries(session, viewer, filters)
    context = {"entries": entries, "page": pager, "filters": filters, "action_names": log.action_names(public=True),
               "channel_options": [(row.slug, row.name) for row in forum_service.readable_channels(session, viewer)],
               "names_moderators": site_settings.effective("transparency_names_moderators")}
    return render(request, "moderation/transparency_show.html", context)


@router.get("/mod/sanctions")
def show_sanctions(request: Request, session: SessionDep, viewer: ModeratorUser):
    return render(request, "moderation/sanctions_show.html",
                  {"sanctions": service.active_sanctions(session, viewer), "scopes": SanctionScope})


@router.post("/mod/sanctions/{sanction_id}/lift")
def lift_sanction(request: Request, session: SessionDep, viewer: ModeratorUser, sanction_id: str,
                  reason: FormStr = ""):
    sanction = service.sanction_by_public_id(session, sanction_id) if _is_public_id(sanction_id) else None
    if sanction is None or not policies.can_moderate_in(viewer, sanction.channel_id):
        raise NotFound()  # a channel moderator does not see other channels' sanctions
    if sanction.scope == SanctionScope.site and not policies.can_moderate(viewer):
        raise Forbidden(_("Only a moderator of every channel can lift a suspension from every channel."))
    channel = forum_service.channels_by_ids(session, [sanction.channel_id])[0] if sanction.channel_id else None
    problems = service.lift_sanction(session, sanction=sanction, channel=channel, moderator=viewer, reason=reason)
    if problems:
        flash(request, list(problems.fields.values())[0], "error")
    else:
        flash(request, _("The sanction is lifted."))
    return redirect(request, "/mod/sanctions")


# Actions on posts ----------------------------------------------------------------------------------

def _action_title(action: str, post) -> str:
    what = _("post %(n)s", n=post.number) if post.number else _("the waiting post")
    return {"hide": _("Hide %(what)s", what=what), "restore": _("Restore %(what)s", what=what),
            "approve": _("Approve %(what)s", what=what),
            "sanction": _("Warn or suspend the author of %(what)s", what=what),
            "dismiss": _("Dismiss the reports of %(what)s", what=what),
            "edit": _("Edit %(what)s as a moderator", what=what)}[action]


def _action_page(request, post, thread, channel, action: str, form: dict, problems: dict, status_code=200,
                 moot: str | None = None):
    """The action's form; refused from a queue item by htmx, the item becomes the form."""
    form = form | {"next": back_to(form.get("next", ""), "")}  # only ever back to the queue
    in_queue = wants_fragment(request) and form["next"].startswith("/mod/queue")
    context = {"post": post, "thread": thread, "channel": channel, "action": action, "form": form,
               "problems": problems, "kinds": SanctionKind, "scopes": SanctionScope, "in_queue": in_queue,
               "moot": moot,
               "title": _action_title(action, post), "site_wide": policies.can_moderate(request.state.viewer)}
    template = "moderation/_queue_retry.html" if in_queue else "moderation/post_action.html"
    return render(request, template, context, status_code=status_code)


@router.get("/mod/posts/{post_id}/{action}")
def confirm_post_action(request: Request, session: SessionDep, viewer: ModeratorUser, post_id: str, action: str,
                        next_url: Annotated[str, Query(alias="next")] = ""):
    post, thread, channel = post_to_moderate(session, post_id, viewer)
    if action not in POST_ACTIONS:
        raise NotFound()
    form = {"kind": "warning", "days": "7", "next": back_to(next_url, ""), "body": post.body_md,
            "title": thread.title}
    return _action_page(request, post, thread, channel, action, form, {}, moot=_moot(action, post))


def _moot(action: str, post) -> str | None:
    """Why the action has nothing to do on this post now (the page then offers none)."""
    if action == "hide" and post.status not in ("published", "pending"):
        return _("This post is hidden already.") if post.status == "hidden" else _("This post was deleted.")
    if action == "restore" and post.status != "hidden":
        return _("This post is not hidden: there is nothing to restore.")
    if action == "approve" and post.status != "pending":
        return _("This post is not waiting for approval.")
    return None


def _after_post_action(request, session, found, problems, form: dict, action: str, message: str):
    """The form again for bad input; otherwise the message, also when another moderator came first."""
    post, thread, channel = found
    if problems and service.ALREADY_DONE not in problems.fields:
        return _action_page(request, post, thread, channel, action, form, problems.fields, 422)
    url = back_to(form.get("next", ""), f"/p/{post.public_id}")
    if problems:
        return done(request, session, problems.fields[service.ALREADY_DONE], url, problem=True)
    return done(request, session, message, url)


@router.post("/mod/posts/{post_id}/hide")
def hide_post(request: Request, session: SessionDep, viewer: ModeratorUser, post_id: str, reason: FormStr = "",
              next_url: NextForm = ""):
    found = post_to_moderate(session, post_id, viewer)
    post, thread, channel = found
    problems = service.hide_post(session, post=post, thread=thread, channel=channel, moderator=viewer, reason=reason)
    return _after_post_action(request, session, found, problems, {"reason": reason, "next": next_url}, "hide",
                              _("The post is hidden. Its author is told why, and the log records it."))


@router.post("/mod/posts/{post_id}/restore")
def restore_post(request: Request, session: SessionDep, viewer: ModeratorUser, post_id: str, reason: FormStr = "",
                 next_url: NextForm = ""):
    found = post_to_moderate(session, post_id, viewer)
    post, thread, channel = found
    problems = service.restore_post(session, post=post, thread=thread, channel=channel, moderator=viewer,
                                    reason=reason)
    return _after_post_action(request, session, found, problems, {"reason": reason, "next": next_url}, "restore",
                              _("The post is visible again."))


@router.post("/mod/posts/{post_id}/dismiss")
def dismiss_reports(request: Request, session: SessionDep, viewer: ModeratorUser, post_id: str,
                    reason: FormStr = "", next_url: NextForm = ""):
    found = post_to_moderate(session, post_id, viewer)
    post, thread, channel = found
    problems = reports.dismiss(session, post=post, thread=thread, channel=channel, moderator=viewer, reason=reason)
    if problems and "reason" in problems.fields and len(reason) <= 500:
        problems.fields[service.ALREADY_DONE] = problems.fields.pop("reason")
    return _after_post_action(request, session, found, problems, {"reason": reason, "next": next_url}, "dismiss",
                              _("The reports are dismissed; the reporters are told."))


@router.post("/mod/posts/{post_id}/approve")
def approve_post(request: Request, session: SessionDep, viewer: ModeratorUser, post_id: str, next_url: NextForm = ""):
    post, thread, channel = post_to_moderate(session, post_id, viewer)
    problems = service.approve_post(session, post=post, thread=thread, channel=channel, moderator=viewer)
    url = back_to(next_url, "/mod/queue")
    if problems:
        return done(request, session, list(problems.fields.values())[0], url, problem=True)
    if post.status == "published":
        message = _("The post is approved and published.")
    elif post.release_at is not None:
        message = _("The post is approved. It joins the safe space's next release.")
    else:
        message = _("The post is approved. It appears once the post it answers is approved.")
    return done(request, session, message, url)


@router.post("/mod/posts/{post_id}/sanction")
def sanction_author(request: Request, session: SessionDep, viewer: ModeratorUser, post_id: str,
                    kind: FormStr = "", scope: FormStr = "", days: FormStr = "", reason: FormStr = "",
                    next_url: NextForm = ""):
    post, thread, channel = post_to_moderate(session, post_id, viewer)
    scope = scope or (SanctionScope.safe_space if channel.is_anonymous else SanctionScope.channel)
    problems = service.sanction_author(session, post=post, channel=channel, moderator=viewer, kind=kind,
                                       scope=scope, days=days, reason=reason)
    if problems:
        form = {"kind": kind, "scope": scope, "days": days, "reason": reason, "next": next_url}
        return _action_page(request, post, thread, channel, "sanction", form, problems.fields, 422)
    return done(request, session, _("The author of this post has been warned.") if kind == "warning"
                else _("The author of this post is suspended from posting."), back_to(next_url, f"/p/{post.public_id}"))


@router.post("/mod/posts/{post_id}/edit")
def edit_post(request: Request, session: SessionDep, viewer: ModeratorUser, post_id: str, body: FormStr = "",
              title: Annotated[str | None, Form()] = None, reason: FormStr = ""):
    post, thread, channel = post_to_moderate(session, post_id, viewer)
    problems = service.edit_post(session, post=post, thread=thread, channel=channel, moderator=viewer, body=body,
                                 title=title, reason=reason)
    if problems:
        form = {"body": body, "title": title if title is not None else thread.title, "reason": reason}
        return _action_page(request, post, thread, channel, "edit", form, problems.fields, 422)
    flash(request, _("The post is changed. Its revisions say a moderator changed it."))
    return redirect(request, f"/p/{post.public_id}")


# Members' reports --------------------------------------------------------------------------------

def _report_page(request, post, thread, channel, form: dict, problems: dict, status_code=200, already=False,
                 thanks: str = ""):
    context = {"post": post, "thread": thread, "channel": channel, "form": form, "problems": problems,
               "reasons": reports.reason_labels(), "already": already, "thanks": thanks}
    return render(request, "moderation/report_new.html", context, status_code=status_code, block="report_form")


@router.get("/report/{post_id}")
def new_report(request: Request, session: SessionDep, viewer: CurrentUser, post_id: str):
    post, thread, channel = post_or_404(session, post_id, viewer)
    if post.status != "published" or policies.is_own_post(viewer, post):
        raise NotFound()
    already = reports.own_report(session, post, viewer) is not None
    return _report_page(request, post, thread, channel, {"reason": "", "note": ""}, {}, already=already)


@router.post("/report/{post_id}")
def create_report(request: Request, session: SessionDep, viewer: CurrentUser, post_id: str, reason: FormStr = "",
                  note: FormStr = ""):
    post, thread, channel = post_or_404(session, post_id, viewer)
    problems = reports.report_post(session, post=post, reporter=viewer, reason=reason, note=note)
    if problems:
        return _report_page(request, post, thread, channel, {"reason": reason, "note": note}, problems.fields, 422)
    message = _("Thank you: the moderators will look at this post. You will be told what they decide; its author "
                "is not told who reported it.")
    if wants_fragment(request):
        return _report_page(request, post, thread, channel, {}, {}, already=True, thanks=message)
    flash(request, message)
    return redirect(request, f"/p/{post.public_id}")
