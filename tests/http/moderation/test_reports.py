"""Members report posts; the reporter hears what became of the report; the author never learns who."""

from sqlalchemy import func, select

from app.core.config import get_settings
from app.forum.models import ChannelKind, Visibility
from app.moderation.models import Report
from app.notifications.models import Notification
from tests.factories import make_channel, make_member, make_reply, make_thread


def _reports(session, post) -> int:
    return session.execute(select(func.count()).where(Report.post_id == post.id)).scalar_one()


def test_a_member_reports_a_post_without_js(client_as, session):
    thread = make_thread(session)
    post = make_reply(session, thread, body="Buy cheap widgets at example.com")
    reporter = client_as(make_member(session, display_name="Rhian Reporter"))
    form = reporter.get(f"/report/{post.public_id}")
    assert form.status_code == 200 and "The post's author is never told who reported it." in form.text
    response = reporter.form(f"/report/{post.public_id}", {"reason": "spam", "note": ""})
    assert response.status_code == 303 and response.headers["location"] == f"/p/{post.public_id}"
    queue = client_as(make_member(session, role="moderator")).get("/mod/queue").text
    assert "Buy cheap widgets" in queue and "<strong>Spam</strong>" in queue and "Rhian Reporter" in queue


def test_a_member_reports_a_post_with_htmx(client_as, session):
    post = make_reply(session, make_thread(session), body="Off on a tangent")
    response = client_as(make_member(session)).form(f"/report/{post.public_id}", {"reason": "off_topic"}, htmx=True)
    assert response.status_code == 200 and "<html" not in response.text
    assert "the moderators will look at this post" in response.text
    assert _reports(session, post) == 1


def test_reporting_twice_keeps_one_report(client_as, session):
    post = make_reply(session, make_thread(session))
    reporter = client_as(make_member(session))
    for _ in range(2):
        assert reporter.form(f"/report/{post.public_id}", {"reason": "inappropriate"}).status_code == 303
    assert _reports(session, post) == 1
    assert "You have reported this post already" in reporter.get(f"/report/{post.public_id}").text


def test_a_report_needs_a_reason_and_other_needs_words_and_the_text_is_kept(client_as, session):
    post = make_reply(session, make_thread(session))
    reporter = client_as(make_member(session))
    missing = reporter.form(f"/report/{post.public_id}", {"note": "my careful words"})
    assert missing.status_code == 422 and "Choose why you are reporting this post." in missing.text
    assert "my careful words" in missing.text and 'class="error-summary"' in missing.text
    other = reporter.form(f"/report/{post.public_id}", {"reason": "other", "note": " "})
    assert other.status_code == 422 and "Say what is wrong with the post." in other.text
    too_long = reporter.form(f"/report/{post.public_id}", {"reason": "other", "note": "x" * 501})
    assert too_long.status_code == 422
    assert _reports(session, post) == 0


def test_members_cannot_report_their_own_posts_and_visitors_must_sign_in(client, client_as, session):
    author = make_member(session)
    post = make_reply(session, make_thread(session), author=author)
    browser = client_as(author)
    assert browser.get(f"/report/{post.public_id}").status_code == 404
    assert browser.form(f"/report/{post.public_id}", {"reason": "spam"}).status_code == 422
    assert client.get(f"/report/{post.public_id}").status_code == 303  # to sign in
    assert _reports(session, post) == 0


def test_reports_are_rate_limited(client_as, session, monkeypatch):
    monkeypatch.setattr(get_settings(), "report_limit", 2)
    thread = make_thread(session)
    posts = [make_reply(session, thread, body=f"Post {n}") for n in range(3)]
    reporter = client_as(make_member(session))
    answers = [reporter.form(f"/report/{post.public_id}", {"reason": "spam"}).status_code for post in posts]
    assert answers == [303, 303, 422]
    assert _reports(session, posts[2]) == 0


def test_the_reporter_is_told_the_outcome_and_the_author_never_who_reported(client_as, session):
    author = make_member(session)
    post = make_reply(session, make_thread(session), author=author, body="Names a resident")
    reporter_member = make_member(session, display_name="Secret Reporter", handle="secretreporter")
    client_as(reporter_member).form(f"/report/{post.public_id}", {"reason": "personal_information"})
    moderator = client_as(make_member(session, role="moderator"))
    assert moderator.form(f"/mod/posts/{post.public_id}/hide", {"reason": "Personal details"}).status_code == 303
    told = session.execute(select(Notification.event).where(Notification.member_id == reporter_member.id)).scalars()
    assert list(told) == ["report_hidden"]
    assert "reviewed your report and hid the post" in client_as(reporter_member).get("/notifications").text
    author_page = client_as(author).get("/notifications").text
    assert "A moderator hid your post: Personal details" in author_page
    assert "Secret Reporter" not in author_page and "secretreporter" not in author_page
    author_view = client_as(author).get(f"/p/{post.public_id}", follow_redirects=True).text
    assert "Secret Reporter" not in author_view


def test_dismissing_reports_tells_the_reporters(client_as, session):
    post = make_reply(session, make_thread(session), body="Fine really")
    reporter_member = make_member(session)
    client_as(reporter_member).form(f"/report/{post.public_id}", {"reason": "off_topic"})
    moderator = client_as(make_member(session, role="moderator"))
    assert moderator.form(f"/mod/posts/{post.public_id}/dismiss", {"reason": ""}).status_code == 303
    again = moderator.form(f"/mod/posts/{post.public_id}/dismiss", {"next": "/mod/queue"})
    assert again.status_code == 303
    told = list(session.execute(select(Notification.event).where(Notification.member_id == reporter_member.id))
                .scalars())
    assert told == ["report_dismissed"]
    assert "left the post as it is" in client_as(reporter_member).get("/notifications").text
    assert "Fine really" not in moderator.get("/mod/queue").text


def test_a_safe_space_post_can_be_reported_and_its_author_stays_unknown(client_as, session):
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
    author = make_member(session, display_name="Hidden Hand")
    post = make_reply(session, make_thread(session, channel=safe), author=author, body="A risky admission")
    client_as(make_member(session)).form(f"/report/{post.public_id}", {"reason": "inappropriate"})
    queue = client_as(make_member(session, role="moderator")).get("/mod/queue").text
    assert "A risky admission" in queue and "Hidden Hand" not in queue and "Participant B" in queue
