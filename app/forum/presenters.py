"""Posts and a channel's thread rows as HTML, each one cached by everything its markup depends on.

A post looks the same to every request that sees it in the same state, so its HTML is rendered
once per state and kept in a bounded in-process cache. The key holds every input of the template
(the row, the viewer's flags, reaction counts and own reactions, the locale), so an edit, a deletion,
a rename or a new reaction simply misses the cache: nothing needs invalidating, several app instances
need not agree, and a cold cache costs only time. A post holds no secret of the viewer's session (its
reaction buttons submit the page's one form, which carries the CSRF token), so members who see a post
in the same state share its entry. A thread row on a channel page is the same for every viewer (what
differs by viewer is which rows there are), so its key is its row, whether the channel is the safe
space, and the locale.
"""

from collections import OrderedDict
from contextlib import suppress

from app.core import i18n
from app.core.timeutil import as_utc
from app.forum import policies, visibility
from app.forum.service import reaction_summary, tag_list

POST_TEMPLATE = "forum/_post.html"
THREAD_ROW_TEMPLATE = "forum/_thread_row.html"
CACHE_SIZE = 8192
# Key -> HTML, the oldest entry evicted first (each cache holds at most CACHE_SIZE). Their tuple keys
# hash and compare in C, where an lru_cache over the rows themselves did it in Python. Not least
# recently used: moving each hit to the end cost more of a page than the renderings it spares.
# Handler threads and the event loop share them: each OrderedDict call below is atomic, and a race
# costs only a miss.
_cache: OrderedDict[tuple, str] = OrderedDict()  # posts: (row values, viewer flags, page settings)
_thread_rows: OrderedDict[tuple, str] = OrderedDict()  # a channel's thread rows: (row values, (anonymous, locale))
# C1 control characters: no text needs them, and a reference to one (&#146;) is read as a Windows-1252
# character ("’"), where the character itself showed nothing.
_C1_CONTROLS = dict.fromkeys(range(0x80, 0xA0))


def _remember(cache: OrderedDict, key: tuple, html: str) -> str:
    cache[key] = html
    while len(cache) > CACHE_SIZE:
        with suppress(KeyError):  # another thread emptied it meanwhile
            cache.popitem(last=False)
    return html


def _ascii(html: str) -> str:
    """The HTML with any character outside ASCII as a reference (&#373; for "ŵ").

    Cached markup holds no <script> or <style>, where references would not be read. One "’" or "ŵ" in
    a post would otherwise make Python hold the whole page at two bytes a character, and joining and
    encoding it then costs many times more (the templates write their own marks as entities too). A
    reference costs bytes: 6 for "ŵ" where UTF-8 takes 2.
    """
    if html.isascii():
        return html
    return html.translate(_C1_CONTROLS).encode("ascii", "xmlcharrefreplace").decode("ascii")


def _render(row, flags: tuple, page: tuple) -> str:
    from app.core.templating import templates

    own, visible, can_react, moderator = flags
    anonymous, max_depth, can_reply, signed_in, focus, kinds, _locale = page
    counts, mine = reaction_summary(row.reactions)
    html = templates.get_template(POST_TEMPLATE).render(
        post=row, created_at=as_utc(row.created_at), release_at=as_utc(row.release_at) if row.release_at else None,
        edit_due_at=as_utc(row.edit_due_at) if row.edit_due_at else None,
        own=own, visible=visible, can_react=can_react,
        moderator=moderator, counts=counts, mine=mine, anonymous=anonymous, max_depth=max_depth,
        can_reply=can_reply, signed_in=signed_in, focus=focus, reaction_kinds=kinds,
    )
    return _ascii(html)


def render_posts(rows, *, viewer, channel, reaction_kinds: list, max_depth: int, can_reply: bool,
                 focus: bool = False) -> str:
    """The HTML of the posts for this viewer, as one string (per-viewer flags computed here, in one pass).

    The rows carry each post's reaction counts and the viewer's own reactions (service.thread_posts).
    """
    moderator = policies.can_moderate(viewer, channel)
    reads = visibility.body_reader(policies.audience(viewer, channel))
    page = (channel.is_anonymous, max_depth, can_reply and viewer is not None, viewer is not None, focus,
            tuple(reaction_kinds), i18n.current_locale())
    html = []
    for row in rows:
        own = policies.is_own_post(viewer, row)
        visible = reads(row, own)
        flags = (own, visible, visible and policies.can_react(viewer, row, own), moderator)
        key = (row, flags, page)  # rows are tuples (service.PostRow)
        found = _cache.get(key)
        if found is None:
            found = _remember(_cache, key, _render(row, flags, page))
        html.append(found)
    # A plain str, output as is by forum/_posts.html: wrapping it in Markup and escaping it there
    # (which makes another Markup) would copy the whole page's posts twice.
    return "\n".join(html)


def render_thread_rows(rows, *, anonymous: bool) -> str:
    """A channel page's thread rows (service.channel_threads) as one string, escaped like render_posts'."""
    from app.core.templating import templates

    page = (anonymous, i18n.current_locale())
    html = []
    for row in rows:
        key = (row, page)
        found = _thread_rows.get(key)
        if found is None:
            markup = templates.get_template(THREAD_ROW_TEMPLATE).render(
                thread=row, tags=tag_list(row.tags), anonymous=anonymous)
            found = _remember(_thread_rows, key, _ascii(markup))
        html.append(found)
    return "\n".join(html)
