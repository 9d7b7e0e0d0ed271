"""The search page: a GET form that works without JavaScript; htmx swaps the results as members type."""

from dataclasses import asdict, replace
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request

from app.accounts.deps import OptionalUser, load_viewer
from app.core.deps import SessionDep
from app.core.htmx import render, wants_fragment
from app.forum import service as forum_service
from app.forum.deps import page_number
from app.search import service

router = APIRouter(dependencies=[Depends(load_viewer)])


# A plain function, run in a worker thread: a search for common words may read for a while.
@router.get("/search")
def search_posts(request: Request, session: SessionDep, viewer: OptionalUser, q: str = "", channel: str = "",
                 by: str = "", sort: str = "relevance", page: str = "1"):
    form = service.SearchForm(q=q, channel=channel, by=by, sort=sort if sort in service.SORTS else "relevance",
                              page=max(1, min(page_number(page), service.MAX_PAGE)))
    results = service.search(session, viewer, form)
    context = {"form": form, "results": results, "problems": results.problems.fields,
               "channels": forum_service.readable_channels(session, viewer), "max_length": service.MAX_QUERY_LENGTH,
               "previous_url": _page_url(form, form.page - 1) if form.page > 1 else None,
               "next_url": _page_url(form, form.page + 1) if results.has_next else None,
               "announce": wants_fragment(request), "paged": "page" in request.query_params}
    return render(request, "search/results_show.html", context, block="results",
                  status_code=422 if results.problems else 200)


def _page_url(form: service.SearchForm, page: int) -> str:
    return "/search?" + urlencode({key: value for key, value in asdict(replace(form, page=page)).items() if value})
