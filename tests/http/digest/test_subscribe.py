"""Email-only subscribers: double opt-in with a signed, expiring link; the same answer for any address;
rate-limited; nothing starts before the link is followed (with a POST: mail scanners follow GETs)."""

import email
import re
from email import policy

from sqlalchemy import select

from app.core.config import get_settings
from app.digest.models import Subscription
from tests.factories import make_member


def _mails(outbox) -> list:
    return [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in sorted(outbox.glob("*.eml"))]


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/subscribe/confirm/\S+)", message.get_body(("plain",)).get_content()).group(1)


def test_a_visitor_subscribes_confirms_and_is_sent_nothing_before(client, session, outbox):
    page = client.form("/subscribe", {"email": "Reader@Example.org", "frequency": "daily", "weekday": "0"})
    assert page.status_code == 200 and "Check your inbox" in page.text
    subscription = session.execute(select(Subscription).where(Subscription.email == "reader@example.org")).scalar_one()
    assert subscription.confirmed_at is None
    link = _link(_mails(outbox)[-1])
    ask = client.get(link)
    assert ask.status_code == 200 and "Start my digest" in ask.text
    session.refresh(subscription)
    assert subscription.confirmed_at is None  # a GET (a mail scanner's) starts nothing
    done = client.form(link)
    assert done.status_code == 200 and "Your digest is on" in done.text
    session.refresh(subscription)
    assert subscription.confirmed_at is not None and subscription.frequency == "daily"
    assert client.get(link[:-3] + "abc").status_code == 410


def test_the_answer_is_the_same_for_a_members_address_and_a_confirmed_one_is_not_changed(client, session, outbox):
    make_member(session, email="member@example.org")
    known = client.form("/subscribe", {"email": "member@example.org", "frequency": "weekly", "weekday": "2"})
    unknown = client.form("/subscribe", {"email": "new@example.org", "frequency": "weekly", "weekday": "2"})
    strip = re.compile(r'value="[^"]*"|member@example\.org|new@example\.org')
    assert strip.sub("", known.text) == strip.sub("", unknown.text)
    to_member = next(mail for mail in _mails(outbox) if mail["To"] == "member@example.org")
    assert "/settings/digest" in to_member.get_body(("plain",)).get_content()  # pointed to their settings
    assert session.execute(select(Subscription).where(Subscription.email == "member@example.org")).first() is None
    confirmed = Subscription(email="kept@example.org", frequency="weekly", weekday=1,
                             confirmed_at=session.execute(select(Subscription.created_at)).scalars().first())
    session.add(confirmed)
    session.flush()
    client.form("/subscribe", {"email": "kept@example.org", "frequency": "daily", "weekday": "0"})
    session.refresh(confirmed)
    assert (confirmed.frequency, confirmed.weekday) == ("weekly", 1)  # only its owner's click changes it


def test_bad_input_is_kept_and_requests_are_rate_limited(client, session, outbox, monkeypatch):
    monkeypatch.setattr(get_settings(), "signup_limit", 5)
    bad = client.form("/subscribe", {"email": "not an address", "frequency": "hourly", "weekday": "9"})
    assert bad.status_code == 422 and 'value="not an address"' in bad.text and 'class="error-summary"' in bad.text
    for n in range(get_settings().signup_limit):
        assert client.form("/subscribe", {"email": f"r{n}@example.org", "frequency": "weekly",
                                          "weekday": "0"}).status_code == 200
    assert client.form("/subscribe", {"email": "r9@example.org", "frequency": "weekly",
                                      "weekday": "0"}).status_code == 429


def test_a_member_is_sent_to_their_settings(client_as, session):
    assert client_as(make_member(session)).get("/subscribe").headers["location"] == "/settings/digest"


def test_odd_numbers_and_lists_of_addresses_are_refused_not_a_500(client, client_as, session):
    assert client.form("/subscribe", {"email": "a@example.org", "frequency": "weekly",
                                      "weekday": "\u00b2"}).status_code == 422
    for address in ("x,member2@example.org", "<member2@example.org>", "\u00fc@example.net", "a" * 250 + "@ex.org"):
        assert client.form("/subscribe", {"email": address, "frequency": "weekly",
                                          "weekday": "0"}).status_code == 422, address
    member = client_as(make_member(session))
    assert member.form("/settings/digest", {"frequency": "weekly", "weekday": "\u00b2"}).status_code == 422
    assert member.form("/settings/digest", {"frequency": "weekly", "weekday": "1", "scope": "chosen",
                                            "channels": "9" * 5000}).status_code == 422
