"""Atom feeds, read as a public visitor whoever asks: a feed reader carries no session, and a feed
must not show one reader what another may not read."""

import hashlib

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.core.config import get_settings
from app.core.deps import NotFound, SessionDep
from app.core.i18n import _
from app.core.templating import templates
from app.feeds import atom, threads
from app.forum.deps import page_number
from app.forum.markdown import plain_excerpt
from app.learning import briefing, library
from app.safespace import service as safespace

router = APIRouter(prefix="/feeds")
ATOM = "application/atom+xml; charset=utf-8"


def _entry(entry: library.Entry, base_url: str) -> atom.AtomEntry:
    # Day granularity in the safe space, as everywhere (its key learnings are members-only: no feed has them).
    when = safespace.day_only if entry.is_anonymous else (lambda moment: moment)
    content = templates.get_template("feeds/_learning_content.html").render(
        entry=entry, base_url=base_url)
    return atom.AtomEntry(
        id=atom.tag_uri(base_url, f"key-learning/{entry.public_id}"), title=briefing.title(entry),
        link=base_url + entry.path, updated=when(entry.updated_at), published=when(entry.marked_at),
        summary=str(entry.summary), content_html=content,
        author="" if entry.is_anonymous else (entry.author_name or _("Former member")),
        categories=[(slug, name) for slug, name, _kind in entry.concerns])


@router.api_route("/learning.atom", methods=["GET", "HEAD"])
def learning_feed(request: Request, session: SessionDep, pilot: str = "", theme: str = "", channel: str = "",
                  q: str = "", lessons: str = "", page: str = "1"):
    """The newest key learnings of the library (or of one of its filters), as a visitor reads them."""
    filters = library.Filters(pilot=pilot, theme=theme, channel=channel, q=q, lessons=lessons == "1",
                              page=page_number(page))
    shelf = library.shelf(session, None, filters, marked=False)
    if shelf.problems:
        return Response(" ".join(shelf.problems.fields.values()), status_code=422, media_type="text/plain")
    base_url = get_settings().base_url.rstrip("/")
    filtered = library.query_string(filters) != ""
    described = briefing.described(session, None, filters)
    body = atom.document(
        feed_id=atom.tag_uri(base_url, library.filtered_url("learning", filters)),
        title=_("%(site)s: key learnings", site=get_settings().site_name) + (
            f" ({described})" if filtered else ""), author=get_settings().site_name,
        self_url=base_url + library.filtered_url("/feeds/learning.atom", filters),
        alternate_url=base_url + library.filtered_url("/learning", filters),
        entries=[_entry(entry, base_url) for entry in shelf.entries])
    return _atom(request, body)


def _atom(request: Request, body: bytes) -> Response:
    # The same for every reader: shared caches may keep it a minute (a hidden post leaves it that soon).
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": "public, max-age=60", "ETag": tag, "Vary": "Accept-Language"}
    if tag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=ATOM, headers=headers)


def _items_feed(request: Request, *, key: str, name: str, feed_path: str, page_path: str, kind: str,
                items: list[threads.Item]) -> Response:
    """A channel's or a thread's feed: one entry per thread or post (``kind``), ids from public ids."""
    base_url, site = get_settings().base_url.rstrip("/"), get_settings().site_name
    entries = [atom.AtomEntry(id=atom.tag_uri(base_url, f"{kind}/{item.public_id}"), title=item.title,
                              link=base_url + item.path, updated=item.updated, published=item.published,
                              summary=plain_excerpt(item.body_html), content_html=item.body_html,
                              author=item.author or _("Former member"), categories=[])
               for item in items]
    return _atom(request, atom.document(feed_id=atom.tag_uri(base_url, key), title=f"{site}: {name}", author=site,
                                        entries=entries, self_url=base_url + feed_path,
                                        alternate_url=base_url + page_path))


@router.api_route("/c/{slug}.atom", methods=["GET", "HEAD"])
def channel_feed(request: Request, session: SessionDep, slug: str):
    """A public channel's threads, newest activity first."""
    channel = threads.public_channel(session, slug)
    if channel is None:
        raise NotFound()
    return _items_feed(request, key=f"channel/{channel.slug}", name=channel.name, kind="thread",
                       feed_path=f"/feeds/c/{channel.slug}.atom", page_path=f"/c/{channel.slug}",
                       items=threads.channel_items(session, channel))


@router.api_route("/t/{thread_id}.atom", methods=["GET", "HEAD"])
def thread_feed(request: Request, session: SessionDep, thread_id: str):
    """A thread's newest posts, in a public channel."""
    found = threads.public_thread(session, thread_id)
    if found is None:
        raise NotFound()
    thread = found[0]
    return _items_feed(request, key=f"thread/{thread.public_id}", name=thread.title, kind="post",
                       feed_path=f"/feeds/t/{thread.public_id}.atom",
                       page_path=f"/t/{thread.public_id}-{thread.slug}", items=threads.thread_items(session, thread))
