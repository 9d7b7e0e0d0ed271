"""A digest's unsubscribe link works without signing in: one POST (a mail program's one-click, or the
confirm page's button) unsubscribes; a GET only asks."""

from sqlalchemy import func, select

from app.digest.messages import unsubscribe_token
from app.digest.models import Subscription
from app.digest.service import subscribe_member
from tests.factories import make_member


def _count(session) -> int:
    return session.execute(select(func.count()).select_from(Subscription)).scalar_one()


def test_a_get_asks_and_a_one_click_post_unsubscribes_without_a_session(client, session):
    subscription = Subscription(email="visitor@example.org", confirmed_at=None)
    session.add(subscription)
    session.flush()
    url = f"/digest/unsubscribe/{unsubscribe_token(subscription)}"
    page = client.get(url)
    assert page.status_code == 200 and f'action="{url}"' in page.text and _count(session) == 1
    # RFC 8058: the mail program posts List-Unsubscribe=One-Click, with no cookie and no form token.
    client.cookies.clear()
    done = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in done.text and _count(session) == 0
    assert client.post(url).status_code == 200  # again: still fine, nothing to do


def test_a_members_digest_is_turned_off_and_a_forged_link_unsubscribes_no_one(client, session):
    member = make_member(session)
    subscription = subscribe_member(session, member_id=member.id, frequency="daily")
    token = unsubscribe_token(subscription)
    assert client.get(f"/digest/unsubscribe/{token[:-2]}xx").status_code == 404
    client.post(f"/digest/unsubscribe/{token[:-2]}xx")
    assert _count(session) == 1
    client.post(f"/digest/unsubscribe/{token}")
    assert _count(session) == 0


def test_other_posts_still_need_their_csrf_token(client, session):
    assert client.post("/signout").status_code == 403


def test_a_member_sets_their_digest_and_bad_choices_are_kept_with_an_error(client_as, session):
    from tests.factories import make_channel

    channel = make_channel(session, name="Skills")
    member = make_member(session)
    browser = client_as(member)
    assert 'id="frequency-none" name="frequency" value="" checked' in browser.get("/settings/digest").text
    refused = browser.form("/settings/digest", {"frequency": "weekly", "weekday": "3", "scope": "chosen"})
    assert refused.status_code == 422 and "Choose at least one channel" in refused.text
    assert 'value="3" selected' in refused.text  # the choice kept
    saved = browser.form("/settings/digest", {"frequency": "weekly", "weekday": "3", "scope": "chosen",
                                               "channels": str(channel.id)})
    assert saved.status_code == 303
    subscription = session.execute(select(Subscription).where(Subscription.member_id == member.id)).scalar_one()
    assert (subscription.frequency, subscription.weekday, subscription.all_channels) == ("weekly", 3, False)
    assert subscription.confirmed_at is not None
    browser.form("/settings/digest", {"frequency": ""})
    assert _count(session) == 0
    assert client_as(make_member(session)).get("/settings/digest").status_code == 200
