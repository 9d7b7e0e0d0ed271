"""The notifications page."""

from fastapi import APIRouter, Depends, Request

from app.accounts.deps import CurrentUser, load_viewer
from app.core.deps import SessionDep
from app.core.htmx import redirect, render
from app.notifications import service

router = APIRouter(dependencies=[Depends(load_viewer)])


@router.get("/notifications")
def show_notifications(request: Request, session: SessionDep, viewer: CurrentUser):
    return render(request, "notifications/notifications_show.html",
                  {"items": service.for_member(session, viewer.id)})


@router.post("/notifications/read")
def mark_notifications_read(request: Request, session: SessionDep, viewer: CurrentUser):
    service.mark_all_read(session, viewer.id)
    return redirect(request, "/notifications")
