"""Forum pages and actions; each handler parses, calls the service, and picks a response."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse

from app.accounts import service as accounts_service
from app.accounts.deps import CurrentUser, OptionalUser, load_viewer
from app.core.browser import flash
from app.core.config import get_settings
from app.core.db import write_apart
from app.core.deps import NotFound, SessionDep
from app.core.htmx import redirect, render, wants_fragment
from app.core.i18n import _
from app.core.problems import Problems
from app.core.timeutil import to_site_time
from app.forum import latest, lessons, lifecycle, policies, posting, profiles, reading, service
from app.forum.deps import (
    channel_for_page_or_404,
    channel_or_404,
    page_number,
    post_or_404,
    thread_or_404,
)
from app.forum.markdown import quote_markdown
from app.forum.models import ReactionKind
from app.forum.presenters import render_posts, render_thread_rows
from app.safespace import service as safespace

router = APIRouter(dependencies=[Depends(load_viewer)])
FormStr = Annotated[str, Form()]


def thread_url(thread) -> str:
    return f"/t/{thread.public_id}-{thread.slug}"


def needs_guidelines(session, viewer, channel) -> bool:
    """A first-time poster in the safe space confirms the guidelines with the form."""
    return bool(viewer and channel.is_anonymous and not safespace.has_confirmed_guidelines(session, viewer.id))


def post_context(request, session, thread, channel, viewer, rows, **options) -> dict:
    """What _posts.html needs: the posts' HTML for this viewer (rows from service.thread_posts or post_rows)."""
    can_reply = policies.can_reply(viewer, channel, thread)
    posts = render_posts(
        rows, viewer=viewer, channel=channel, reaction_kinds=reaction_labels(), can_reply=can_reply,
        max_depth=get_settings().max_nesting_depth, **options,
    )
    return {"thread": thread, "channel": channel, "posts": posts, "can_reply": can_reply,
            "needs_guidelines": needs_guidelines(session, viewer, channel), "thread_url": thread_url(thread),
            "will_be_held": can_reply and lifecycle.needs_approval(viewer, channel)}


def reaction_labels() -> list[tuple[str, str]]:
    return [(ReactionKind.helpful.value, _("Helpful")), (ReactionKind.same_here.value, _("Same here"))]


# The hot read pages (home, channel, thread) are coroutines: their few indexed reads run on the event
# loop, which is faster than a hop to a worker thread and back (README, "Benchmarks"). Handlers that
# write, or may read for long, stay plain functions and run in a worker thread.
@router.get("/")
async def show_home(request: Request, session: SessionDep, viewer: OptionalUser):
    groups = service.channel_overview(session, viewer)
    return render(request, "forum/home.html", {"groups": groups, "kind_names": kind_names()})


@router.get("/latest")
def show_latest(request: Request, session: SessionDep, viewer: OptionalUser, page: str = "1", tag: str = ""):
    tag = tag.strip().lower()[:40]  # as tags are stored
    entries, pager = latest.latest(session, viewer, page_number(page), tag)
    since, earlier = [e for e in entries if e.since_last_visit], [e for e in entries if not e.since_last_visit]
    return render(request, "forum/latest_show.html", {"tag": tag, "page": pager, "entries": entries,
                                                      "since": since, "earlier": earlier}, block="thread_list")


def kind_names() -> dict[str, str]:
    return {"pilot": _("Pilot partnerships"), "theme": _("Themes"), "safe_space": _("Safe space"),
            "general": _("General")}


@router.get("/c/{slug}")
async def show_channel(request: Request, session: SessionDep, viewer: OptionalUser, slug: str, page: str = "1"):
    channel = channel_for_page_or_404(session, slug, viewer)
    threads, pager = service.channel_threads(session, channel, page_number(page), viewer)
    context = {
        "channel": channel, "threads": threads, "page": pager,
        "thread_rows": render_thread_rows(threads, anonymous=channel.is_anonymous),
        "can_start": policies.can_start_thread(viewer, channel),
        "waiting": service.waiting_threads(session, channel, viewer) if pager.number == 1 else [],
        "notes": [note for note in service.channel_notes(session, channel=channel, viewer=viewer) if note]
        if pager.number == 1 and not wants_fragment(request) else [],
    }
    return render(request, "forum/channel_show.html", context, block="thread_list")


def _new_thread_page(request, session, viewer, channel, form: dict, problems: dict, status_code: int = 200,
                     focus_body: bool = False):
    context = {"channel": channel, "form": form, "problems": problems, "focus_body": focus_body,
               "refusal": None if problems else posting.refusal(session, viewer, channel),
               "needs_guidelines": needs_guidelines(session, viewer, channel),
               "will_be_held": lifecycle.needs_approval(viewer, channel)}
    return render(request, "forum/thread_new.html", context, status_code=status_code)


@router.get("/c/{slug}/new")
def new_thread(request: Request, session: SessionDep, viewer: CurrentUser, slug: str, template: str = ""):
    channel = channel_or_404(session, slug, viewer)
    if not policies.can_start_thread(viewer, channel):
        if channel.archived_at is None:
            raise NotFound()
        flash(request, posting.archived_message(), "error")
        return redirect(request, f"/c/{channel.slug}")
    # The lesson template is offered everywhere, and suggested (filled in) in the safe space.
    suggested = channel.is_anonymous and template != "blank"
    body = lessons.with_template("", anonymous=channel.is_anonymous) if template == "lesson" or suggested else ""
    return _new_thread_page(request, session, viewer, channel, {"title": "", "body": body, "tags": ""}, {})


@router.post("/c/{slug}/new")
def create_thread(request: Request, session: SessionDep, viewer: CurrentUser, slug: str,
                  title: FormStr = "", body: FormStr = "", tags: FormStr = "", guidelines: FormStr = "",
                  template: FormStr = ""):
    channel = channel_or_404(session, slug, viewer)
    if template == "lesson":  # the form's "Add the lesson template" button: nothing is posted yet
        form = {"title": title, "body": lessons.with_template(body, anonymous=channel.is_anonymous), "tags": tags}
        return _new_thread_page(request, session, viewer, channel, form, {}, focus_body=True)
    thread, problems = None, Problems()
    if posting.within_posting_limit(session, viewer, channel, problems):
        thread, problems = posting.start_thread(session, channel=channel, author=viewer, title=title, body=body,
                                                tags=tags, confirmed_guidelines=guidelines == "yes")
    if thread is None:
        form = {"title": title, "body": body, "tags": tags}
        return _new_thread_page(request, session, viewer, channel, form, problems.fields, status_code=422)
    flash(request, _("Your thread has been started.") if not thread.is_pending else waiting_message(
        session, thread, opening=True))
    return redirect(request, thread_url(thread))


def waiting_message(session, post_or_thread, *, opening: bool = False) -> str:
    """What the author is told of a post (or thread) that others cannot see yet."""
    post = service.opening_post(session, post_or_thread) if opening else post_or_thread
    if post.status == "pending":
        return (_("Your thread is waiting for a moderator's approval. Only you can see it until then.") if opening
                else _("Your reply is waiting for a moderator's approval. Only you can see it until then."))
    at = f"{to_site_time(post.release_at):%H:%M}"
    if opening:
        return _("Your thread is started. Others will see it from %(time)s (UK time), at the safe space's next "
                 "release.", time=at)
    return _("Your reply is posted. Others will see it from %(time)s (UK time), at the safe space's next release.",
             time=at)


@router.get("/t/{ref}")
async def show_thread(request: Request, session: SessionDep, viewer: OptionalUser, ref: str, page: str = "1"):
    public_id, _, slug = ref.partition("-")
    found = service.thread_for_page(session, public_id, viewer)
    if found is None:  # perhaps merged into another thread, whose address this now is
        merged = service.merged_into(session, public_id, viewer)
        if merged is None:
            raise NotFound()
        return RedirectResponse(thread_url(merged), status_code=301)
    thread, channel, tags, read = found
    if slug != thread.slug:
        query = f"?page={page_number(page)}" if page != "1" else ""
        return RedirectResponse(thread_url(thread) + query, status_code=301)
    posts, pager = service.thread_posts(session, thread, page_number(page), viewer)
    context = post_context(request, session, thread, channel, viewer, posts)
    notes = (service.thread_notes(session, thread=thread, channel=channel, viewer=viewer)
             if pager.number == 1 and not wants_fragment(request) else [])
    context.update(page=pager, tags=tags, form={"body": ""}, problems={}, parent=None,
                   moderator=policies.can_moderate(viewer, channel), notes=[note for note in notes if note])
    if viewer and thread.post_count > read:  # only when there is news for them
        await write_apart(request, reading.mark_read, viewer.id, thread.public_id, thread.post_count)
    return render(request, "forum/thread_show.html", context, block="more_posts")


@router.get("/t/{thread_id}/unread")
def show_first_unread(session: SessionDep, viewer: CurrentUser, thread_id: str):
    """Where a member's news in a thread begins: its first post after what they had seen."""
    found = service.thread_for_page(session, thread_id, viewer)
    if found is None:
        raise NotFound()
    post_id = reading.first_unread(session, found.thread.id, found.read)
    return RedirectResponse(f"/p/{post_id}" if post_id else thread_url(found.thread), status_code=303)


def _reply_page(request, session, viewer, thread, channel, parent, body: str, problems: dict,
                status_code: int = 200, focus_body: bool = False):
    parents = service.post_rows(session, [parent.id], viewer) if parent else []
    context = post_context(request, session, thread, channel, viewer, parents)
    context.update(parent=parents[0] if parents else None, form={"body": body}, problems=problems,
                   focus_body=focus_body,
                   inline=wants_fragment(request),
                   refusal=None if problems else posting.refusal(session, viewer, channel))
    if problems and wants_fragment(request):
        form_id = f"reply-form-{parent.public_id}" if parent else "reply-form"
        return render(request, "forum/_reply_form.html", context, status_code=status_code,
                      headers={"HX-Retarget": f"#{form_id}", "HX-Reswap": "outerHTML"})
    return render(request, "forum/post_reply.html", context, status_code=status_code, block="reply_form")


@router.get("/t/{thread_id}/reply")
def show_thread_reply(request: Request, session: SessionDep, viewer: CurrentUser, thread_id: str):
    thread, channel = thread_or_404(session, thread_id, viewer)
    if not policies.can_reply(viewer, channel, thread):
        return _no_reply(request, thread, channel)
    return _reply_page(request, session, viewer, thread, channel, None, "", {})


def _no_reply(request, thread, channel):
    """A reply page for a thread that takes none: say why, on the thread (an unlisted one stays unknown)."""
    if thread.is_pending:
        raise NotFound()
    flash(request, posting.reply_refusal(channel, thread), "error")
    return redirect(request, thread_url(thread))


@router.post("/t/{thread_id}/reply")
def create_reply(request: Request, session: SessionDep, viewer: CurrentUser, thread_id: str,
                 body: FormStr = "", parent_id: FormStr = "", guidelines: FormStr = "", template: FormStr = ""):
    thread, channel = thread_or_404(session, thread_id, viewer)
    parent_key = parent_id or None
    post, problems = None, Problems()
    if template == "lesson":  # "Add the lesson template": nothing is posted yet
        parent = _answered(session, viewer, thread, parent_key)
        return _reply_page(request, session, viewer, thread, channel, parent,
                           lessons.with_template(body, anonymous=channel.is_anonymous), {}, focus_body=True)
    if posting.within_posting_limit(session, viewer, channel, problems):
        post, problems = posting.reply_to_thread(session, thread=thread, channel=channel, author=viewer, body=body,
                                                 parent_id=parent_key, confirmed_guidelines=guidelines == "yes")
    if post is None:
        parent = _answered(session, viewer, thread, parent_key)
        return _reply_page(request, session, viewer, thread, channel, parent, body, problems.fields,
                           status_code=422)
    announcement = (_("Your reply has been posted.") if post.status == "published"
                    else waiting_message(session, post))
    if not wants_fragment(request):
        flash(request, announcement)
        return redirect(request, f"/p/{post.public_id}")
    posts = service.post_rows(session, [post.id], viewer)
    context = post_context(request, session, thread, channel, viewer, posts, focus=True)
    context.update(parent_id=parent_key, form={"body": ""}, problems={}, parent=None, announcement=announcement)
    return render(request, "forum/reply_created.html", context)


def _answered(session, viewer, thread, parent_key: str | None):
    """The post a reply form answers, if it is still in this thread for this viewer."""
    found = service.post_with_context(session, parent_key, viewer) if parent_key else None
    return found[0] if found and found[1].id == thread.id else None


@router.get("/p/{post_id}")
def show_post(session: SessionDep, viewer: OptionalUser, post_id: str):
    post, thread, channel = post_or_404(session, post_id, viewer)
    page = service.page_of_post(session, post, channel, viewer)
    query = f"?page={page}" if page > 1 else ""
    return RedirectResponse(f"{thread_url(thread)}{query}#post-{post.public_id}", status_code=303)


@router.get("/p/{post_id}/reply")
def show_post_reply(request: Request, session: SessionDep, viewer: CurrentUser, post_id: str, quote: str = ""):
    post, thread, channel = post_or_404(session, post_id, viewer)
    if post.status != "published":
        raise NotFound()
    if not policies.can_reply(viewer, channel, thread):
        return _no_reply(request, thread, channel)
    body = ""
    if quote:
        body = quote_markdown(post.body_md, posting.author_label(session, post))
    return _reply_page(request, session, viewer, thread, channel, post, body, {})


def _edit_page(request, session, viewer, post, thread, channel, form: dict, problems: dict, status_code=200,
               focus_body: bool = False):
    context = {"post": post, "thread": thread, "channel": channel, "form": form, "problems": problems,
               "thread_url": thread_url(thread), "focus_body": focus_body}
    return render(request, "forum/post_edit.html", context, status_code=status_code, block="edit_form")


@router.get("/p/{post_id}/edit")
def edit_post(request: Request, session: SessionDep, viewer: CurrentUser, post_id: str):
    post, thread, channel = post_or_404(session, post_id, viewer)
    if not policies.can_edit_post(viewer, post):
        raise NotFound()
    form = {"body": post.pending_body_md if post.pending_body_md is not None else post.body_md,
            "title": post.pending_title or thread.title}
    return _edit_page(request, session, viewer, post, thread, channel, form, {})


@router.post("/p/{post_id}/edit")
def update_post(request: Request, session: SessionDep, viewer: CurrentUser, post_id: str, body: FormStr = "",
                title: Annotated[str | None, Form()] = None, template: FormStr = ""):
    post, thread, channel = post_or_404(session, post_id, viewer)
    if not policies.can_edit_post(viewer, post):
        raise NotFound()
    if template == "lesson":  # "Add the lesson template": nothing is saved yet
        form = {"body": lessons.with_template(body, anonymous=channel.is_anonymous),
                "title": title if title is not None else thread.title}
        return _edit_page(request, session, viewer, post, thread, channel, form, {}, focus_body=True)
    problems = posting.edit_post(session, post=post, thread=thread, channel=channel, editor=viewer, body=body,
                                 title=title)
    if problems:
        form = {"body": body, "title": title if title is not None else thread.title}
        return _edit_page(request, session, viewer, post, thread, channel, form, problems.fields, 422)
    if post.pending_body_md is not None:
        updated = _("Your changes are saved. Others will see them from %(time)s (UK time), at the safe space's "
                    "next release.", time=f"{to_site_time(post.edit_due_at):%H:%M}")
    elif post.status == "pending":
        updated = _("Your post has been updated. It is still waiting for a moderator's approval.")
    else:
        updated = _("Your post has been updated.")
    if not wants_fragment(request):
        flash(request, updated)
        return redirect(request, f"/p/{post.public_id}")
    return _post_fragment(request, session, viewer, post, thread, channel, updated)


def _post_fragment(request, session, viewer, post, thread, channel, announcement: str):
    posts = service.post_rows(session, [post.id], viewer)
    context = post_context(request, session, thread, channel, viewer, posts, focus=True)
    context.update(announcement=announcement)
    return render(request, "forum/post_updated.html", context)


@router.get("/p/{post_id}/delete")
def confirm_delete_post(request: Request, session: SessionDep, viewer: CurrentUser, post_id: str):
    post, thread, channel = post_or_404(session, post_id, viewer)
    if not policies.can_delete_post(viewer, post):
        raise NotFound()
    context = {"post": post, "thread": thread, "channel": channel, "thread_url": thread_url(thread)}
    return render(request, "forum/post_delete.html", context)


@router.post("/p/{post_id}/delete")
def delete_post(request: Request, session: SessionDep, viewer: CurrentUser, post_id: str):
    post, thread, channel = post_or_404(session, post_id, viewer)
    remains = True
    if policies.can_delete_post(viewer, post):
        remains = lifecycle.delete_post(session, post=post, thread=thread)
    elif not (policies.is_own_post(viewer, post) and post.status == "deleted"):
        raise NotFound()  # deleting twice is a quiet success, deleting others' posts is not allowed
    if not remains:  # nobody else had seen it: it is gone, and so is its page
        flash(request, _("Your post has been deleted."))
        return redirect(request, f"/c/{channel.slug}" if post.number == 1 else thread_url(thread))
    if not wants_fragment(request):
        flash(request, _("Your post has been deleted."))
        return redirect(request, f"/p/{post.public_id}")
    return _post_fragment(request, session, viewer, post, thread, channel, _("Your post has been deleted."))


@router.post("/react")
def react_from_page_form(request: Request, session: SessionDep, viewer: CurrentUser, set: FormStr = ""):
    """The page's one reactions form (forum/_reaction_form.html): ``set`` is "post:kind:1" or "post:kind:0"
    from the clicked button."""
    post_id, _sep, choice = set.partition(":")
    kind, _sep, on = choice.partition(":")
    return _react(request, session, viewer, post_id, kind, on)


@router.post("/p/{post_id}/react")
def react_to_post(request: Request, session: SessionDep, viewer: CurrentUser, post_id: str,
                  set: FormStr = "", kind: FormStr = "", on: FormStr = "1"):
    """One post's reaction: ``set`` is "kind:1" or "kind:0", as the buttons of pages served before the page
    had one reactions form send it; ``kind`` and ``on`` are accepted too."""
    if set:
        kind, _sep, on = set.partition(":")
    return _react(request, session, viewer, post_id, kind, on)


def _react(request, session, viewer, post_id: str, kind: str, on: str):
    post, thread, channel = post_or_404(session, post_id, viewer)
    posting.set_reaction(session, post=post, member=viewer, kind=kind, on=on == "1")
    if not wants_fragment(request):
        return redirect(request, f"/p/{post.public_id}")
    posts = service.post_rows(session, [post.id], viewer)
    context = post_context(request, session, thread, channel, viewer, posts)
    return render(request, "forum/_posts.html", context,
                  headers={"HX-Retarget": f"#post-{post.public_id}", "HX-Reswap": "outerHTML"})


@router.get("/p/{post_id}/revisions")
def show_revisions(request: Request, session: SessionDep, viewer: OptionalUser, post_id: str):
    post, thread, channel = post_or_404(session, post_id, viewer)
    if not policies.can_see_post_body(viewer, post, channel=channel):
        raise NotFound()
    context = {"post": post, "thread": thread, "channel": channel, "thread_url": thread_url(thread),
               "revisions": service.revisions_of(session, post), "staff": policies.can_moderate(viewer, channel)}
    return render(request, "forum/post_revisions.html", context)


@router.get("/u/{handle}")
def show_member(request: Request, session: SessionDep, viewer: OptionalUser, handle: str):
    """A member's page: who they are and their latest named posts; on their own page, also their posts
    that others cannot see yet (the safe space's among them, shown to them alone)."""
    member = accounts_service.member_by_handle(session, handle)
    if member is None or member.status == "pending":
        raise NotFound()
    context = {
        "member": member, "organisation": accounts_service.organisation_of(session, member),
        "pilots": service.channels_by_ids(session, accounts_service.pilot_ids_of(session, member)),
        "activity": profiles.member_activity(session, member, viewer),
        "waiting": profiles.waiting_posts(session, viewer) if viewer and viewer.id == member.id else [],
    }
    return render(request, "accounts/member_show.html", context)
