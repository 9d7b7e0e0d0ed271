"""The per-post HTML cache: bounded, and keyed by everything a post's markup shows."""

import html
import re
import sys
import threading
from collections import OrderedDict

from app.accounts.models import Viewer
from app.forum import presenters, service
from app.forum.models import Channel, Reaction, ReactionKind
from tests.factories import make_member, make_reply, make_thread

KINDS = [(ReactionKind.helpful.value, "Helpful"), (ReactionKind.same_here.value, "Same here")]


def _html(session, thread, viewer) -> str:
    channel = session.get(Channel, thread.channel_id)
    rows, _page = service.thread_posts(session, thread, 1, viewer)
    return str(presenters.render_posts(rows, viewer=viewer, channel=channel, reaction_kinds=KINDS, max_depth=3,
                                       can_reply=viewer is not None))


def test_cache_stays_within_its_size(session, monkeypatch):
    monkeypatch.setattr(presenters, "_cache", OrderedDict())
    monkeypatch.setattr(presenters, "CACHE_SIZE", 3)
    thread = make_thread(session, replies=5)
    html = _html(session, thread, None)
    assert html.count("<article") == 6 and len(presenters._cache) == 3
    assert _html(session, thread, None) == html  # evicted posts render again, the same


def test_a_new_reaction_or_another_viewer_misses_the_cache(session, monkeypatch):
    monkeypatch.setattr(presenters, "_cache", OrderedDict())
    thread = make_thread(session)
    reader = Viewer.of(make_member(session))
    before = _html(session, thread, reader)
    assert 'aria-pressed="false">Helpful <b>0</b>' in before
    opening = service.thread_posts(session, thread, 1, None)[0][0]
    session.add(Reaction(post_id=opening.id, member_id=reader.id, kind=ReactionKind.helpful.value))
    session.flush()
    after = _html(session, thread, reader)
    assert 'aria-pressed="true">Helpful <b>1</b>' in after
    assert "Helpful <b>1</b>" in _html(session, thread, None)
    assert 'aria-pressed="true"' not in _html(session, thread, Viewer.of(make_member(session)))


def test_members_who_see_a_post_alike_share_its_entry(session, monkeypatch):
    monkeypatch.setattr(presenters, "_cache", OrderedDict())
    thread = make_thread(session, replies=2)
    first = _html(session, thread, Viewer.of(make_member(session)))
    entries = len(presenters._cache)
    assert _html(session, thread, Viewer.of(make_member(session))) == first
    assert len(presenters._cache) == entries == 3 and "csrf" not in first


def test_threads_sharing_a_full_cache_never_fail(session, monkeypatch):
    """The event loop and handler threads render posts at once; eviction must not raise."""
    monkeypatch.setattr(presenters, "_cache", OrderedDict())
    monkeypatch.setattr(presenters, "CACHE_SIZE", 2)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    thread = make_thread(session, replies=7)
    channel = session.get(Channel, thread.channel_id)
    rows, _page = service.thread_posts(session, thread, 1, None)
    failures = []

    def render_many(offset: int) -> None:
        try:
            for i in range(300):
                chosen = rows[(offset + i) % len(rows):][:3]
                presenters.render_posts(chosen, viewer=None, channel=channel, reaction_kinds=KINDS, max_depth=3,
                                        can_reply=False)
        except Exception as error:  # noqa: BLE001 - any failure is the finding
            failures.append(error)

    try:
        workers = [threading.Thread(target=render_many, args=(n,)) for n in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        sys.setswitchinterval(interval)
    assert failures == [] and len(presenters._cache) <= 2


def test_posts_are_kept_ascii_and_read_the_same(session, monkeypatch):
    """Other characters become references, so one "ŵ" cannot make Python hold the whole page at two
    bytes a character (presenters._render)."""
    monkeypatch.setattr(presenters, "_cache", OrderedDict())
    author = make_member(session, display_name="Siân Ŵyn")
    thread = make_thread(session, author=author, body="Mae’r “prosiect” yn gweithio — 🙂\x92\n\n`ŷ & <b>`")
    page = _html(session, thread, None)
    assert page.isascii() and "Si&#226;n" in page and "&#146;" not in page  # a C1 control is dropped
    text = html.unescape(re.sub(r"<[^>]*>", "", page))
    assert "Siân Ŵyn" in text and "Mae’r “prosiect” yn gweithio — 🙂" in text and "ŷ & <b>" in text


def test_thread_rows_are_shared_by_every_viewer_and_miss_the_cache_when_they_change(session, monkeypatch):
    monkeypatch.setattr(presenters, "_thread_rows", OrderedDict())
    thread = make_thread(session, title="Cafés that host our “drop-ins”")
    channel = session.get(Channel, thread.channel_id)

    def rows_html(viewer) -> str:
        rows, _page = service.channel_threads(session, channel, 1, viewer)
        return presenters.render_thread_rows(rows, anonymous=channel.is_anonymous)

    before = rows_html(None)
    assert rows_html(Viewer.of(make_member(session))) == before and len(presenters._thread_rows) == 1
    assert "0 replies" in before and before.isascii() and "Caf&#233;s" in before
    make_reply(session, thread)
    after = rows_html(None)
    assert "1 reply" in after and len(presenters._thread_rows) == 2


def test_reaction_summary_counts_each_kind_and_marks_the_viewers_own():
    assert service.reaction_summary(None) == ({}, set())
    assert service.reaction_summary("helpful,same_here*,helpful") == ({"helpful": 2, "same_here": 1}, {"same_here"})
