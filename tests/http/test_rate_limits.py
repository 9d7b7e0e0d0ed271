"""Rate limits on sign-in, sign-up, password resets and posting (anonymous posts included)."""

import pytest
from sqlalchemy import select

from app.core.config import get_settings
from app.core.ratelimit import RateLimitHit
from app.core.security import new_token
from app.forum.models import ChannelKind, Visibility
from tests.factories import PASSWORD, make_channel, make_member, make_thread


@pytest.fixture
def small_limits(monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "signin_limit", 3)
    monkeypatch.setattr(settings, "signup_limit", 2)
    monkeypatch.setattr(settings, "posting_limit", 2)


def test_failed_sign_ins_stop_where_they_fail_and_keep_the_address(client, session, small_limits):
    make_member(session, email="kay@example.org")
    for _ in range(3):
        assert client.form("/signin", {"email": "kay@example.org", "password": "wrong guess here"}).status_code == 422
    blocked = client.form("/signin", {"email": "kay@example.org", "password": "plenty of words make a good passphrase"})
    assert blocked.status_code == 429 and "Too many failed sign-ins" in blocked.text
    assert 0 < int(blocked.headers["Retry-After"]) <= 900 and "minutes" in blocked.text
    assert 'value="kay@example.org"' in blocked.text
    keys = session.execute(select(RateLimitHit.key)).scalars().all()
    assert keys and all("kay" not in key and "testclient" not in key for key in keys)


def test_an_attacker_failing_from_one_address_never_locks_the_member_out_elsewhere(bound_app, client, session,
                                                                                   small_limits):
    make_member(session, email="kay@example.org")
    member = client
    attacker = type(client)(bound_app, base_url="http://testserver", follow_redirects=False,
                            client=("203.0.113.9", 50000))
    attacker.use_browser_key(new_token())
    for _ in range(50):
        assert attacker.form("/signin", {"email": "kay@example.org", "password": "a wrong guess"}).status_code in (
            422, 429)
    assert attacker.form("/signin", {"email": "kay@example.org", "password": PASSWORD}).status_code == 429
    assert member.form("/signin", {"email": "kay@example.org", "password": PASSWORD}).status_code == 303
    # Successes count for nothing: colleagues behind one address sign in as often as they like.
    for _ in range(5):
        member.form("/signout")
        assert member.form("/signin", {"email": "kay@example.org", "password": PASSWORD}).status_code == 303


def test_a_new_password_starts_the_accounts_count_again(client, session, small_limits):
    from app.accounts.service import hash_password

    kay = make_member(session, email="kay@example.org")
    for _ in range(3):
        client.form("/signin", {"email": "kay@example.org", "password": "a wrong guess"})
    assert client.form("/signin", {"email": "kay@example.org", "password": PASSWORD}).status_code == 429
    kay.password_hash = hash_password("a brand new passphrase of words")  # as a reset does
    session.add(kay)
    session.flush()
    assert client.form("/signin", {"email": "kay@example.org", "password": "a brand new passphrase of words"}
                       ).status_code == 303


def test_guessing_across_accounts_from_one_address_is_stopped_too(client, small_limits):
    for n in range(15):  # five times the limit, each account failing once
        assert client.form("/signin", {"email": f"guess{n}@example.org", "password": "x"}).status_code == 422
    assert client.form("/signin", {"email": "another@example.org", "password": "x"}).status_code == 429


def test_sign_up_is_limited_per_address(client, small_limits):
    for n in range(2):
        form = {"email": f"new{n}@example.org", "handle": f"newbie{n}", "display_name": "New Person",
                "password": "violet ferry lantern orchard"}
        assert client.form("/signup", form).status_code == 303
        client.form("/signout")
    refused = client.form("/signup", {"email": "new9@example.org", "handle": "newbie9", "display_name": "Nine",
                                      "password": "violet ferry lantern orchard"})
    assert refused.status_code == 429 and "Too many accounts" in refused.text and "newbie9" in refused.text
    assert int(refused.headers["Retry-After"]) <= 3600


def test_password_resets_are_limited(client, small_limits):
    for _ in range(2):
        assert client.form("/password/forgot", {"email": "a@example.org"}).status_code == 200
    refused = client.form("/password/forgot", {"email": "a@example.org"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) <= 3600


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
