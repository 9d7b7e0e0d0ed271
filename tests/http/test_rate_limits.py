"""Rate limits on sign-in, sign-up, password resets and posting (anonymous posts included)."""

import pytest
from sqlalchemy import select

from app.core.config import get_settings
from app.core.ratelimit import RateLimitHit
from app.forum.models import ChannelKind, Visibility
from tests.factories import make_channel, make_member, make_thread


@pytest.fixture
def small_limits(monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "signin_limit", 3)
    monkeypatch.setattr(settings, "signup_limit", 2)
    monkeypatch.setattr(settings, "posting_limit", 2)


def test_sign_in_is_limited_per_email_and_keeps_the_address(client, session, small_limits):
    make_member(session, email="kay@example.org")
    for _ in range(3):
        assert client.form("/signin", {"email": "kay@example.org", "password": "wrong guess here"}).status_code == 422
    blocked = client.form("/signin", {"email": "kay@example.org", "password": "plenty of words make a good passphrase"})
    assert blocked.status_code == 429 and "Too many sign-in attempts" in blocked.text
    assert 'value="kay@example.org"' in blocked.text
    keys = session.execute(select(RateLimitHit.key)).scalars().all()
    assert keys and all("kay" not in key and "testclient" not in key for key in keys)


def test_sign_up_is_limited_per_address(client, small_limits):
    for n in range(2):
        form = {"email": f"new{n}@example.org", "handle": f"newbie{n}", "display_name": "New Person",
                "password": "violet ferry lantern orchard"}
        assert client.form("/signup", form).status_code == 303
        client.form("/signout")
    refused = client.form("/signup", {"email": "new9@example.org", "handle": "newbie9", "display_name": "Nine",
                                      "password": "violet ferry lantern orchard"})
    assert refused.status_code == 422 and "Too many accounts" in refused.text and "newbie9" in refused.text


def test_password_resets_are_limited(client, small_limits):
    for _ in range(2):
        assert client.form("/password/forgot", {"email": "a@example.org"}).status_code == 200
    assert client.form("/password/forgot", {"email": "a@example.org"}).status_code == 429


def test_posting_is_limited_and_anonymous_posts_count_separately(client_as, session, small_limits):
    member = make_member(session)
    thread = make_thread(session)
    browser = client_as(member)
    for n in range(2):
        assert browser.form(f"/t/{thread.public_id}/reply", {"body": f"reply {n}"}).status_code == 303
    refused = browser.form(f"/t/{thread.public_id}/reply", {"body": "one too many"})
    assert refused.status_code == 422 and "posted a lot" in refused.text and "one too many" in refused.text
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
    safe_thread = make_thread(session, channel=safe)
    for n in range(2):
        assert browser.form(f"/t/{safe_thread.public_id}/reply",
                            {"body": f"anonymous {n}", "guidelines": "yes"}).status_code == 303
    assert browser.form(f"/t/{safe_thread.public_id}/reply", {"body": "again"}).status_code == 422
