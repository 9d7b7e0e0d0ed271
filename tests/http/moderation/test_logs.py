"""The moderation log for moderators and the transparency log for everyone: what each shows, and what
the transparency log never shows. Hidden posts and moderators' edits, as their authors and members see them."""

from datetime import timedelta

from sqlalchemy import select

from app.core.config import get_settings
from app.core.timeutil import utcnow
from app.forum.models import ChannelKind, Visibility
from app.moderation import log
from app.moderation.models import ModerationAction
from tests.factories import first_post, make_channel, make_member, make_reply, make_thread


def _hide(browser, post, reason: str):
    assert browser.form(f"/mod/posts/{post.public_id}/hide", {"reason": reason}).status_code == 303


def test_the_moderation_log_filters_by_channel_moderator_and_action_and_pages(client_as, session, monkeypatch):
    monkeypatch.setattr(log, "PER_PAGE", 2)
    one, two = make_channel(session, name="Channel one"), make_channel(session, name="Channel two")
    posts = [make_reply(session, make_thread(session, channel=channel)) for channel in (one, one, two)]
    ada, bo = make_member(session, role="moderator", handle="ada"), make_member(session, role="moderator", handle="bo")
    _hide(client_as(ada), posts[0], "Reason one")
    _hide(client_as(ada), posts[2], "Reason three")
    _hide(client_as(bo), posts[1], "Reason two")
    browser = client_as(ada)
    assert "Reason one" in browser.get(f"/mod/log?channel={one.slug}&page=2").text
    by_channel = browser.get(f"/mod/log?channel={two.slug}").text
    assert "Reason three" in by_channel and "Reason one" not in by_channel
    by_moderator = browser.get("/mod/log?moderator=bo").text
    assert "Reason two" in by_moderator and "Reason one" not in by_moderator
    assert "Reason" not in browser.get("/mod/log?action=pin_thread").text.split("<table")[-1]
    assert "Page 1 of 2" in browser.get("/mod/log").text


def test_the_transparency_log_shows_actions_without_naming_moderators(client, client_as, session, monkeypatch):
    post = make_reply(session, make_thread(session, title="A public thread"))
    _hide(client_as(make_member(session, role="moderator", display_name="Mona Moderator")), post, "Off-topic")
    page = client.get("/moderation").text
    assert "Hid a post" in page and "A public thread" in page and "Off-topic" in page
    assert "Mona Moderator" not in page and "A moderator" in page
    monkeypatch.setattr(get_settings(), "transparency_names_moderators", True)
    assert "Mona Moderator" in client.get("/moderation").text


def test_a_staff_only_line_shows_members_only_that_it_happened(client_as, session):
    post = make_reply(session, make_thread(session, title="Thread with a phone number"))
    moderator = client_as(make_member(session, role="moderator"))
    _hide(moderator, post, "Removed Jo Bloggs's phone number 07700 900123")
    entry = session.execute(select(ModerationAction).where(ModerationAction.post_id == post.id)).scalar_one()
    assert moderator.form(f"/mod/log/{entry.public_id}/staff-only", {"staff_only": "1"}).status_code == 303
    page = client_as(make_member(session)).get("/moderation").text
    assert "Hid a post" in page and "Details kept to the moderators." in page
    assert "07700" not in page and "Thread with a phone number" not in page
    assert "07700" in moderator.get("/mod/log").text
    assert client_as(make_member(session)).form(f"/mod/log/{entry.public_id}/staff-only").status_code == 404


def test_the_transparency_log_keeps_held_posts_and_members_channels_to_those_who_may_know(client, client_as, session):
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True,
                        name="Safe space")
    members_only = make_channel(session, visibility=Visibility.members, name="Members corner")
    newcomer = make_member(session, created_at=utcnow() - timedelta(days=1))
    held_thread = make_thread(session, channel=safe, author=newcomer, title="A newcomer's worry")
    held = first_post(session, held_thread)
    assert held.status == "pending"
    moderator = client_as(make_member(session, role="moderator"))
    moderator.form(f"/mod/posts/{held.public_id}/approve")
    _hide(moderator, make_reply(session, make_thread(session, channel=members_only, title="Members talk")), "Rude")
    member_view = client_as(make_member(session)).get("/moderation").text.split("<table")[-1]
    assert "Approved a post" not in member_view and "A newcomer" not in member_view
    assert "Members talk" in member_view
    visitor_view = client.get("/moderation").text
    assert "Members talk" not in visitor_view and "Members corner" not in visitor_view


def test_the_author_reads_their_hidden_post_with_the_reason_and_others_see_a_tombstone(client_as, session):
    author = make_member(session)
    thread = make_thread(session)
    post = make_reply(session, thread, author=author, body="My unguarded words")
    _hide(client_as(make_member(session, role="moderator")), post, "Please keep it civil")
    url = f"/t/{thread.public_id}-{thread.slug}"
    own = client_as(author).get(url).text
    assert "My unguarded words" in own and "Reason: Please keep it civil" in own
    assert "A moderator hid this post: only you and the moderators can read it." in own
    other = client_as(make_member(session)).get(url).text
    assert "My unguarded words" not in other and "This post was hidden by a moderator." in other
    assert "Please keep it civil" not in other


def test_a_moderators_edit_is_on_the_record_as_a_moderator(client_as, session):
    author = make_member(session)
    thread = make_thread(session)
    post = make_reply(session, thread, author=author, body="Call me on 07700 900456")
    moderator_member = make_member(session, role="moderator", display_name="Maz Moderator")
    moderator = client_as(moderator_member)
    form = moderator.get(f"/mod/posts/{post.public_id}/edit")
    assert form.status_code == 200 and "Call me on 07700 900456" in form.text
    missing = moderator.form(f"/mod/posts/{post.public_id}/edit", {"body": "Call me", "reason": ""})
    assert missing.status_code == 422 and "Call me</textarea>" in missing.text
    done = moderator.form(f"/mod/posts/{post.public_id}/edit", {"body": "Call me [number removed]",
                                                                 "reason": "Personal information"})
    assert done.status_code == 303
    history = client_as(make_member(session)).get(f"/p/{post.public_id}/revisions").text
    assert "changed by a moderator" in history and "Maz Moderator" not in history
    assert "changed by Maz Moderator, a moderator" in moderator.get(f"/p/{post.public_id}/revisions").text
    assert "A moderator edited your post: Personal information" in client_as(author).get("/notifications").text


def test_only_an_admin_may_show_members_an_admins_suspension_of_a_named_member(client_as, session):
    from app.moderation import service
    from tests.factories import make_channel_moderator

    channel = make_channel(session)
    admin = make_member(session, role="admin")
    member = make_member(session, handle="suspendee")
    service.suspend_member(session, member=member, moderator=admin, channel=channel, days="3", reason="Abuse")
    entry = session.execute(select(ModerationAction).where(ModerationAction.action == "suspend_member")).scalar_one()
    moderator = client_as(make_channel_moderator(session, channel))
    assert moderator.form(f"/mod/log/{entry.public_id}/staff-only", {"staff_only": "0"}).status_code == 404
    session.refresh(entry)
    assert entry.is_staff_only and "suspendee" not in client_as(make_member(session)).get("/moderation").text


def test_a_sanction_sent_twice_is_given_once(client_as, session):
    from app.moderation.models import Sanction

    post = make_reply(session, make_thread(session))
    moderator = client_as(make_member(session, role="moderator"))
    form = {"kind": "suspension", "scope": "channel", "days": "3", "reason": "Abusive"}
    assert moderator.form(f"/mod/posts/{post.public_id}/sanction", form).status_code == 303
    again = moderator.form(f"/mod/posts/{post.public_id}/sanction", form, follow_redirects=True)
    assert "already suspended for this post" in again.text
    assert len(session.execute(select(Sanction)).all()) == 1
    assert len(session.execute(select(ModerationAction).where(ModerationAction.action == "suspend_author")).all()) == 1
    warning = moderator.form(f"/mod/posts/{post.public_id}/sanction", {"kind": "warning", "reason": "And a warning"})
    assert warning.status_code == 303  # another kind of sanction is another action


def test_lifting_a_staff_only_suspension_is_staff_only_too(client_as, session):
    from app.moderation import service

    admin = make_member(session, role="admin")
    member = make_member(session, handle="suspended_one")
    service.suspend_member(session, member=member, moderator=admin, channel=None, days="", reason="Abuse")
    sanction = service.member_suspensions(session, [member.id])[member.id][0]
    lifted = client_as(admin).form(f"/admin/members/{member.handle}/suspensions/{sanction.public_id}/lift",
                                   {"lift_reason": "Talked with Sian on the phone"})
    assert lifted.status_code == 303
    public = client_as(make_member(session)).get("/moderation").text
    assert "Lifted a sanction" in public and "Talked with Sian" not in public
    assert "Talked with Sian" in client_as(admin).get("/mod/log").text


def test_a_moderator_cannot_sanction_their_own_post(client_as, session):
    moderator_member = make_member(session, role="moderator")
    post = make_reply(session, make_thread(session), author=moderator_member)
    refused = client_as(moderator_member).form(f"/mod/posts/{post.public_id}/sanction",
                                               {"kind": "warning", "reason": "Testing myself"})
    assert refused.status_code == 422 and "This is your own post" in refused.text and "Testing myself" in refused.text


def test_an_action_with_nothing_to_do_offers_no_form(client_as, session):
    post = make_reply(session, make_thread(session))
    moderator = client_as(make_member(session, role="moderator"))
    restore = moderator.get(f"/mod/posts/{post.public_id}/restore").text
    assert "This post is not hidden: there is nothing to restore." in restore and 'name="reason"' not in restore
    _hide(moderator, post, "Off-topic")
    hide = moderator.get(f"/mod/posts/{post.public_id}/hide").text
    assert "This post is hidden already." in hide and 'name="reason"' not in hide


def test_only_an_admin_may_show_members_the_lifting_of_a_named_members_suspension(client_as, session):
    from app.moderation import service

    admin = make_member(session, role="admin")
    member = make_member(session, handle="lifted_one")
    service.suspend_member(session, member=member, moderator=admin, channel=None, days="", reason="Abuse")
    sanction = service.member_suspensions(session, [member.id])[member.id][0]
    client_as(admin).form(f"/admin/members/{member.handle}/suspensions/{sanction.public_id}/lift",
                          {"lift_reason": "Apologised to Sian"})
    lift = session.execute(select(ModerationAction).where(ModerationAction.action == "lift_sanction")).scalar_one()
    moderator = client_as(make_member(session, role="moderator"))
    assert moderator.form(f"/mod/log/{lift.public_id}/staff-only", {"staff_only": "0"}).status_code == 404
    assert "Apologised to Sian" not in client_as(make_member(session)).get("/moderation").text
