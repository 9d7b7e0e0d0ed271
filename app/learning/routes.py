"""The learning library's pages: a GET form that works without JavaScript (htmx swaps the results)."""

from fastapi import APIRouter, Depends, Request

from app.accounts.deps import OptionalUser, load_viewer
from app.core.deps import SessionDep
from app.core.htmx import render, wants_fragment
from app.forum import service as forum_service
from app.forum.deps import page_number
from app.learning import library
from app.search.service import MAX_QUERY_LENGTH

router = APIRouter(prefix="/learning", dependencies=[Depends(load_viewer)])


def library_url(filters: library.Filters, **changes) -> str:
    query = library.query_string(filters, **changes)
    return f"/learning?{query}" if query else "/learning"


def feed_url(filters: library.Filters) -> str:
    """The Atom feed of the same filters (its first page)."""
    query = library.query_string(filters, page="")
    return f"/feeds/learning.atom?{query}" if query else "/feeds/learning.atom"


@router.get("")
def show_library(request: Request, session: SessionDep, viewer: OptionalUser, pilot: str = "", theme: str = "",
                 channel: str = "", q: str = "", lessons: str = "", page: str = "1"):
    filters = library.Filters(pilot=pilot, theme=theme, channel=channel, q=q, lessons=lessons == "1",
                              page=page_number(page))
    shelf, matrix = library.shelf(session, viewer, filters), library.matrix(session, viewer)
    context = {"filters": filters, "shelf": shelf, "problems": shelf.problems.fields, "matrix": matrix,
               "library_url": library_url, "no_filters": library.Filters(),
               "feed_url": feed_url(filters),
               "pilot_options": [(row.slug, row.name) for row in matrix.pilots],
               "theme_options": [(row.slug, row.name) for row in matrix.themes],
               "channels": forum_service.readable_channels(session, viewer), "max_length": MAX_QUERY_LENGTH,
               "announce": wants_fragment(request)}
    return render(request, "learning/library_show.html", context, block="results",
                  status_code=422 if shelf.problems else 200)
