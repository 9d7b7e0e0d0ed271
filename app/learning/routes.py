"""The learning library's pages: a GET form that works without JavaScript (htmx swaps the results)."""

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentUser, OptionalUser, load_viewer
from app.core.config import get_settings
from app.core.deps import SessionDep
from app.core.htmx import render, wants_fragment
from app.forum import service as forum_service
from app.forum.deps import page_number
from app.learning import briefing, library, pulse
from app.search.service import MAX_QUERY_LENGTH

router = APIRouter(prefix="/learning", dependencies=[Depends(load_viewer)])
pulse_router = APIRouter(dependencies=[Depends(load_viewer)])


def library_url(filters: library.Filters, **changes) -> str:
    return library.filtered_url("/learning", filters, **changes)


@router.get("")
def show_library(request: Request, session: SessionDep, viewer: OptionalUser, pilot: str = "", theme: str = "",
                 channel: str = "", q: str = "", lessons: str = "", page: str = "1"):
    filters = library.Filters(pilot=pilot, theme=theme, channel=channel, q=q, lessons=lessons == "1",
                              page=page_number(page))
    shelf, matrix = library.shelf(session, viewer, filters), library.matrix(session, viewer)
    context = {"filters": filters, "shelf": shelf, "problems": shelf.problems.fields, "matrix": matrix,
               "library_url": library_url, "no_filters": library.Filters(),
               "feed_url": library.filtered_url("/feeds/learning.atom", filters, page=""),
               "briefing_url": library.filtered_url("/learning/briefing", filters, page=""),
               "pilot_options": [(row.slug, row.name) for row in matrix.pilots],
               "theme_options": [(row.slug, row.name) for row in matrix.themes],
               "channels": forum_service.readable_channels(session, viewer), "max_length": MAX_QUERY_LENGTH,
               "announce": wants_fragment(request)}
    return render(request, "learning/library_show.html", context, block="results",
                  status_code=422 if shelf.problems else 200)


PickQuery = Annotated[list[str], Query()]


@dataclass(frozen=True)
class BriefingQuery:
    """A briefing's query: the library's filters, or hand-picked key learnings; public: as a visitor reads it."""

    filters: library.Filters
    picks: tuple[str, ...]
    chosen: bool
    public: bool

    def url(self, path: str, **changes) -> str:
        public = changes.get("public", self.public)
        query = urlencode([*self.filters.query(page="").items(), *(("pick", value) for value in self.picks),
                           *([("public", "1")] if public else [])])
        return f"{path}?{query}" if query else path


def briefing_query(pilot: str = "", theme: str = "", channel: str = "", q: str = "", lessons: str = "",
                   pick: PickQuery = (), chosen: str = "", public: str = "") -> BriefingQuery:
    filters = library.Filters(pilot=pilot, theme=theme, channel=channel, q=q, lessons=lessons == "1")
    return BriefingQuery(filters=filters, picks=tuple(dict.fromkeys(value for value in pick if value)),
                         chosen=chosen == "1", public=public == "1")


BriefingDep = Annotated[BriefingQuery, Depends(briefing_query)]


def _make(session, viewer, asked: BriefingQuery) -> briefing.Briefing:
    return briefing.make(session, viewer, asked.filters, asked.picks, chosen=asked.chosen, public=asked.public)


@router.get("/briefing")
def show_briefing(request: Request, session: SessionDep, viewer: OptionalUser, asked: BriefingDep):
    made = _make(session, viewer, asked)
    context = {"briefing": made, "filters": asked.filters, "problems": made.problems.fields,
               "base_url": get_settings().base_url.rstrip("/"), "lesson_parts": briefing.lesson_parts,
               "title": briefing.title, "source": briefing.source, "concern_names": briefing.concern_names,
               "sharing_notice": briefing.sharing_notice(made) if made.members_only else "",
               "markdown_url": asked.url("/learning/briefing.md"),
               "public_url": asked.url("/learning/briefing", public=True), "back_url": library_url(asked.filters)}
    return render(request, "learning/briefing_show.html", context, status_code=422 if made.problems else 200)


@router.get("/briefing.md")
def download_briefing(session: SessionDep, viewer: OptionalUser, asked: BriefingDep):
    made = _make(session, viewer, asked)
    if made.problems:
        return Response(" ".join(made.problems.fields.values()), status_code=422, media_type="text/plain")
    settings = get_settings()
    text = briefing.markdown(made, base_url=settings.base_url.rstrip("/"), site_name=settings.site_name,
                             library_path=library_url(asked.filters))
    named = "-".join(filter(None, [asked.filters.pilot, asked.filters.theme, "chosen" if asked.picks else ""]))
    return Response(text, media_type="text/markdown; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="key-learnings-{named + "-" if named else ""}'
                               f'{made.made_at:%Y-%m-%d}.md"'})


@pulse_router.get("/pulse")
def show_pulse(request: Request, session: SessionDep, viewer: CurrentUser):
    """The network pulse, for members."""
    return render(request, "learning/pulse_show.html", {"pulse": pulse.pulse(session)})
