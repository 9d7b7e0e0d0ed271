"""Moderators' forms for key learnings: mark a thread or a post (or change its mark), and unmark."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request

from app.accounts.deps import ModeratorUser, load_viewer
from app.core.browser import flash
from app.core.deps import NotFound, SessionDep
from app.core.htmx import redirect, render
from app.core.i18n import _
from app.forum import service as forum_service
from app.forum.models import Post
from app.forum.routes import thread_url
from app.learning import service as learning
from app.learning.models import MAX_OTHERS_COULD_TRY, MAX_SUMMARY
from app.moderation import learnings
from app.moderation.deps import post_to_moderate, thread_to_moderate

router = APIRouter(prefix="/mod/learning", dependencies=[Depends(load_viewer)])
FormStr = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]


def _form_page(request, session, post, thread, channel, *, form: dict | None = None,
               problems: dict | None = None, status_code: int = 200):
    covers_thread = post.number == 1
    key_learning = learning.learning_on(session, post)
    if form is None:
        form = ({"summary": key_learning.summary, "others_could_try": key_learning.others_could_try,
                 "concerns": learning.concern_slugs(session, key_learning)} if key_learning is not None
                else {"summary": "", "others_could_try": "",
                      "concerns": [channel.slug] if channel.kind in learning.CONCERN_KINDS else []})
    context = {"post": post, "thread": thread, "channel": channel, "key_learning": key_learning, "form": form,
               "problems": problems or {}, "covers_thread": covers_thread, "thread_url": thread_url(thread),
               "concern_channels": learning.concern_channels(session), "max_summary": MAX_SUMMARY,
               "max_others": MAX_OTHERS_COULD_TRY, "markable": learning.can_be_marked(post, thread),
               "action_url": f"/mod/learning/threads/{thread.public_id}" if covers_thread
               else f"/mod/learning/posts/{post.public_id}"}
    return render(request, "moderation/key_learning_edit.html", context, status_code=status_code)


def _save(request, session, viewer, post, thread, channel, *, summary: str, others_could_try: str,
          concerns: list[str], confirm: str):
    marking = learning.Marking(summary=summary, others_could_try=others_could_try, concerns=tuple(concerns),
                               confirmed=confirm == "yes")
    existed = learning.learning_on(session, post) is not None
    key_learning, problems = learnings.mark(session, moderator=viewer, post=post, thread=thread, channel=channel,
                                            marking=marking)
    if key_learning is None:
        form = {"summary": summary, "others_could_try": others_could_try, "concerns": concerns, "confirm": confirm}
        return _form_page(request, session, post, thread, channel, form=form,
                          problems=problems.fields, status_code=422)
    flash(request, _("The key learning is changed.") if existed
          else _("Marked as a key learning: it is in the learning library now."))
    return redirect(request, thread_url(thread) if post.number == 1 else f"/p/{post.public_id}")


@router.get("/threads/{thread_id}")
def edit_thread_learning(request: Request, session: SessionDep, viewer: ModeratorUser, thread_id: str):
    thread, channel = thread_to_moderate(session, thread_id, viewer)
    opening = forum_service.opening_post(session, thread)
    return _form_page(request, session, opening, thread, channel)


@router.post("/threads/{thread_id}")
def save_thread_learning(request: Request, session: SessionDep, viewer: ModeratorUser, thread_id: str,
                         summary: FormStr = "", others_could_try: FormStr = "", concerns: FormList = (),
                         confirm: FormStr = ""):
    thread, channel = thread_to_moderate(session, thread_id, viewer)
    opening = forum_service.opening_post(session, thread)
    return _save(request, session, viewer, opening, thread, channel, summary=summary,
                 others_could_try=others_could_try, concerns=list(concerns), confirm=confirm)


@router.get("/posts/{post_id}")
def edit_post_learning(request: Request, session: SessionDep, viewer: ModeratorUser, post_id: str):
    post, thread, channel = post_to_moderate(session, post_id, viewer)
    if post.number == 1:  # the opening post's mark is the thread's
        return redirect(request, f"/mod/learning/threads/{thread.public_id}")
    return _form_page(request, session, post, thread, channel)


@router.post("/posts/{post_id}")
def save_post_learning(request: Request, session: SessionDep, viewer: ModeratorUser, post_id: str,
                       summary: FormStr = "", others_could_try: FormStr = "", concerns: FormList = (),
                       confirm: FormStr = ""):
    post, thread, channel = post_to_moderate(session, post_id, viewer)
    return _save(request, session, viewer, post, thread, channel, summary=summary,
                 others_could_try=others_could_try, concerns=list(concerns), confirm=confirm)


def _marked(session, viewer, public_id: str):
    key_learning = learning.learning_by_public_id(session, public_id)
    if key_learning is None:
        raise NotFound()
    post = session.get(Post, key_learning.post_id)
    return (key_learning, *post_to_moderate(session, post.public_id, viewer))


def _unmark_page(request, key_learning, post, thread, channel, form: dict, problems: dict, status_code: int = 200):
    context = {"key_learning": key_learning, "post": post, "thread": thread, "channel": channel, "form": form,
               "problems": problems, "thread_url": thread_url(thread)}
    return render(request, "moderation/key_learning_unmark.html", context, status_code=status_code)


@router.get("/{public_id}/unmark")
def confirm_unmark_learning(request: Request, session: SessionDep, viewer: ModeratorUser, public_id: str):
    key_learning, post, thread, channel = _marked(session, viewer, public_id)
    return _unmark_page(request, key_learning, post, thread, channel, {"reason": ""}, {})


@router.post("/{public_id}/unmark")
def unmark_learning(request: Request, session: SessionDep, viewer: ModeratorUser, public_id: str,
                    reason: FormStr = ""):
    key_learning, post, thread, channel = _marked(session, viewer, public_id)
    problems = learnings.unmark(session, moderator=viewer, key_learning=key_learning, post=post, thread=thread,
                                channel=channel, reason=reason)
    if problems:
        return _unmark_page(request, key_learning, post, thread, channel, {"reason": reason}, problems.fields, 422)
    flash(request, _("The key learning is unmarked: it is no longer in the learning library."))
    return redirect(request, thread_url(thread))
