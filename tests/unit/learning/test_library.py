"""The learning library shows a reader only the key learnings whose posts they may read; its
filters, search, count and pilot × theme matrix agree."""

import itertools
import re

import pytest
from sqlalchemy import select

from app.accounts.models import Viewer
from app.core.config import get_settings
from app.forum import lifecycle, posting
from app.forum.models import Channel, ChannelKind, Post, Thread, Visibility
from app.learning import library
from app.learning import service as learning
from app.learning.models import KeyLearning, Lesson
from tests.factories import first_post, make_channel, make_member, make_reply, make_thread


def _mark(session, post, *concerns, summary="What we learned"):
    thread = session.get(Thread, post.thread_id)
    channel = session.get(Channel, thread.channel_id)
    marking = learning.Marking(summary=summary, concerns=tuple(c.slug for c in concerns), confirmed=True)
    key_learning, _, problems = learning.save(session, post=post, thread=thread, channel=channel, marking=marking)
    assert key_learning is not None, problems.fields
    return key_learning


@pytest.fixture
def shelf_world(session):
    """Key learnings in a public pilot, a members-only theme and the safe space, and on posts later
    hidden or deleted; plus a post still held for a moderator."""
    pilots = [make_channel(session, kind=ChannelKind.pilot, name=f"Pilot {n}") for n in (1, 2)]
    themes = [make_channel(session, kind=ChannelKind.theme, name=f"Theme {n}") for n in (1, 2)]
    members_only = make_channel(session, kind=ChannelKind.theme, visibility=Visibility.members, name="Leaders")
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
    public = make_thread(session, channel=pilots[0], title="Harbour careers fair",
                         body="## What we tried\n\nA careers fair.\n\n## What we learned\n\nSchools came.\n")
    reply = make_reply(session, public, body="The pier was the draw")
    leaders = make_thread(session, channel=members_only, title="Chairing by rotation")
    sealed = make_thread(session, channel=safe, title="Our pilot stalled")
    doomed = make_thread(session, channel=pilots[1], title="A thread whose post will be hidden")
    gone = make_thread(session, channel=pilots[1], title="A thread whose post will be deleted")
    marks = {
        "public": _mark(session, first_post(session, public), pilots[0], themes[0], summary="Fairs on the pier work"),
        "reply": _mark(session, reply, pilots[0], themes[1], summary="Piers draw crowds"),
        "members": _mark(session, first_post(session, leaders), pilots[1], themes[0], summary="Rotate the chair"),
        "sealed": _mark(session, first_post(session, sealed), themes[1], summary="Stalls need naming early"),
        "hidden": _mark(session, first_post(session, doomed), pilots[1], themes[1], summary="Hidden later"),
        "deleted": _mark(session, first_post(session, gone), pilots[1], themes[0], summary="Deleted later"),
    }
    lifecycle.hide(session, post=first_post(session, doomed), thread=doomed, reason="Off topic")
    lifecycle.delete_post(session, post=first_post(session, gone), thread=gone)
    return {"pilots": pilots, "themes": themes, "marks": marks, "safe": safe, "public": public,
            "member": Viewer.of(make_member(session))}


def _summaries(session, viewer, **filters) -> set[str]:
    found = library.shelf(session, viewer, library.Filters(**filters))
    assert not found.problems, found.problems.fields
    return {re.sub("</?mark>", "", str(entry.summary)) for entry in found.entries}


def test_a_visitor_sees_public_key_learnings_and_a_member_members_only_and_safe_space_ones_too(session, shelf_world):
    assert _summaries(session, None) == {"Fairs on the pier work", "Piers draw crowds"}
    assert _summaries(session, shelf_world["member"]) == {
        "Fairs on the pier work", "Piers draw crowds", "Rotate the chair", "Stalls need naming early"}
    moderator = Viewer.of(make_member(session, role="moderator"))  # hidden and deleted posts stay out for them too
    assert not {"Hidden later", "Deleted later"} & _summaries(session, moderator)


def test_a_held_post_cannot_be_marked(session, shelf_world, monkeypatch):
    monkeypatch.setattr(get_settings(), "safe_space_new_member_days", 365)
    newcomer = make_member(session)
    held, _ = posting.reply_to_thread(session, thread=session.get(Thread, first_post(
        session, shelf_world["public"]).thread_id), channel=shelf_world["pilots"][0], author=newcomer, body="Hi")
    assert held.status in ("published",)  # named channels hold no one by default...
    sealed_thread = make_thread(session, channel=shelf_world["safe"], author=newcomer, title="Held opening")
    opening = first_post(session, sealed_thread)
    assert opening.status == "pending"  # ...the safe space holds a new member's posts
    marking = learning.Marking(summary="Too soon", concerns=(shelf_world["themes"][0].slug,), confirmed=True)
    key_learning, _, problems = learning.save(session, post=opening, thread=sealed_thread, channel=shelf_world["safe"],
                                              marking=marking)
    assert key_learning is None and "published" in problems.fields["summary"]


def test_every_matrix_cell_and_total_counts_what_its_filter_lists(session, shelf_world):
    for viewer in (None, shelf_world["member"]):
        matrix = library.matrix(session, viewer)
        assert matrix.total == len(_summaries(session, viewer))
        for pilot, theme in itertools.product(matrix.pilots, matrix.themes):
            listed = _summaries(session, viewer, pilot=pilot.slug, theme=theme.slug)
            assert matrix.cells.get((pilot.id, theme.id), 0) == len(listed), (pilot.name, theme.name)
        for channel in matrix.pilots + matrix.themes:
            kind = "pilot" if channel.kind == ChannelKind.pilot else "theme"
            assert matrix.totals.get(channel.id, 0) == len(_summaries(session, viewer, **{kind: channel.slug}))
    member_matrix = library.matrix(session, shelf_world["member"])
    pilot, theme = shelf_world["pilots"][1], shelf_world["themes"][0]
    assert member_matrix.cells[(pilot.id, theme.id)] == 1  # "Rotate the chair"; the deleted one is not counted


def test_filters_by_channel_and_lesson_posts_and_words(session, shelf_world):
    member = shelf_world["member"]
    assert _summaries(session, member, channel=shelf_world["safe"].slug) == {"Stalls need naming early"}
    assert _summaries(session, member, lessons=True) == {"Fairs on the pier work"}
    assert _summaries(session, member, q="pier") == {"Fairs on the pier work", "Piers draw crowds"}
    assert _summaries(session, member, q="rotation") == {"Rotate the chair"}  # the thread's title is searched
    assert _summaries(session, None, q="rotation") == set()
    found = library.shelf(session, member, library.Filters(q="careers"))
    assert "<mark>" in str(found.entries[0].excerpt)
    problem = library.shelf(session, member, library.Filters(pilot="no-such-pilot"))
    assert problem.problems and not problem.entries


def test_safe_space_entries_carry_the_pseudonym_and_no_author(session, shelf_world):
    entry = next(e for e in library.shelf(session, shelf_world["member"], library.Filters()).entries
                 if e.is_anonymous)
    assert entry.pseudonym == "A" and entry.author_handle is None and entry.author_name is None


def test_a_lesson_posts_parts_follow_its_edits_and_go_with_its_deletion(session, shelf_world):
    post = first_post(session, shelf_world["public"])
    assert session.get(Lesson, post.id).learned == "Schools came."
    channel = shelf_world["pilots"][0]
    author = Viewer.of(session.get(posting.Member, post.author_id))
    posting.edit_post(session, post=post, thread=shelf_world["public"], channel=channel, editor=author,
                      body="## What we learned\n\nSchools and parents came.\n\n## What happened\n\n")
    session.refresh(post)
    assert post.body_md == "## What we learned\n\nSchools and parents came.\n"  # the empty part is gone
    assert session.get(Lesson, post.id).learned == "Schools and parents came."
    lifecycle.delete_post(session, post=post, thread=shelf_world["public"])
    assert session.get(Lesson, post.id) is None
    assert learning.rebuild_lessons(session) == 0


def test_unmarking_takes_a_key_learning_out_of_the_library_and_its_search(session, shelf_world):
    learning.remove(session, shelf_world["marks"]["reply"])
    assert _summaries(session, None) == {"Fairs on the pier work"}
    assert _summaries(session, None, q="draw") == set()
    assert session.execute(select(KeyLearning).where(KeyLearning.post_id == Post.id, Post.number > 1)).first() is None


def test_a_deleted_posts_words_leave_its_key_learnings_search(session, shelf_world):
    reply = session.get(Post, shelf_world["marks"]["reply"].post_id)
    member = shelf_world["member"]
    assert _summaries(session, member, q="draw") == {"Piers draw crowds"}  # the summary
    assert _summaries(session, member, q="pier") == {"Fairs on the pier work", "Piers draw crowds"}
    lifecycle.delete_post(session, post=reply, thread=shelf_world["public"])
    reindexed = session.execute(select(KeyLearning).where(KeyLearning.post_id == reply.id)).scalar_one()
    learning.remove(session, shelf_world["marks"]["public"])  # leaves only the deleted post's row to match
    row = session.connection().exec_driver_sql(
        "SELECT body FROM learning_search WHERE " + (
            "key_learning_id" if session.connection().dialect.name == "postgresql" else "rowid")
        + f" = {reindexed.id}").scalar_one()
    assert "pier was the draw" not in row.lower()


def test_a_members_only_themes_name_is_for_members(session, shelf_world):
    leaders = make_channel(session, kind=ChannelKind.theme, visibility=Visibility.members, name="Board room")
    _mark(session, first_post(session, shelf_world["public"]), shelf_world["pilots"][0], leaders,
          summary="Fairs on the pier work")
    assert "Board room" not in [row.name for row in library.matrix(session, None).themes]
    entry = next(e for e in library.shelf(session, None, library.Filters()).entries if e.post_number == 1)
    assert "Board room" not in [name for _, name, _ in entry.concerns]
    assert library.shelf(session, None, library.Filters(theme=leaders.slug)).problems
    assert "Board room" in [row.name for row in library.matrix(session, shelf_world["member"]).themes]


def test_identifying_details_in_a_summary_are_found(session):
    from app.accounts.models import Organisation

    organisation = Organisation(name="Firthside Engineering", kind="business")
    session.add(organisation)
    session.flush()
    make_member(session, display_name="Niamh Carragher", handle="niamh_c", organisation_id=organisation.id)
    make_member(session, display_name="Waiting Person", handle="waiter", status="pending")
    make_channel(session, kind=ChannelKind.pilot, name="Lough Ardan Partnership")
    found = learning.identifying_details(
        session, "In Lough Ardan, Carragher (niamh_c) at Firthside Engineering; see council.gov.uk, call 028 9012 3456")
    for detail in ("Lough Ardan", "Carragher", "niamh_c", "Firthside Engineering", "council.gov.uk", "028 9012 3456"):
        assert detail in found, (detail, found)
    assert learning.identifying_details(session, "A waiting person asked about the loughs") == []
    make_member(session, display_name="Siân Morgan-Price")
    assert "Siân" in learning.identifying_details(session, "Sian said so")  # accents or none
