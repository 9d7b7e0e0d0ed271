"""Sign-up, sign-in, sign-out, password reset, profiles and approval."""

import email
import re

import pytest
from sqlalchemy import select

from app.accounts.models import Member, UserSession
from app.core.config import RegistrationMode, get_settings
from tests.factories import PASSWORD, make_channel, make_member, make_thread

GOOD_PASSWORD = "violet ferry lantern orchard"


def signup_form(**overrides) -> dict:
    return {"email": "Nia.Jones@Example.org", "handle": "nia_jones", "display_name": "Nia Jones",
            "password": GOOD_PASSWORD, "organisation_name": "Cwm Taf Council",
            "organisation_kind": "local_authority", "bio": "Economic development officer."} | overrides


def test_sign_up_without_js_signs_in_and_rotates_the_session(client, session):
    pilot = make_channel(session, kind="pilot", name="Ystrad pilot")
    before = client.browser_key
    response = client.form("/signup", signup_form(pilot_ids=str(pilot.id)))
    assert response.status_code == 303 and response.headers["location"] == "/u/nia_jones"
    client.pick_up_session()
    assert client.browser_key != before
    member = session.execute(select(Member).where(Member.handle == "nia_jones")).scalar_one()
    assert member.email == "nia.jones@example.org" and member.password_hash.startswith("$argon2id$")
    profile = client.get("/u/nia_jones")
    assert "Cwm Taf Council" in profile.text and "Ystrad pilot" in profile.text
    assert "Welcome to Common Ground, Nia Jones." in profile.text and "Sign out" in profile.text


def test_sign_up_problems_keep_the_text(client, session):
    make_member(session, handle="taken")
    response = client.form("/signup", signup_form(handle="taken", password="short", bio="Keep <me>"))
    assert response.status_code == 422
    assert "That handle is taken" in response.text and "at least 15 characters" in response.text
    assert 'value="Nia.Jones@Example.org"' in response.text and "Keep &lt;me&gt;" in response.text
    assert 'href="#field-handle"' in response.text and 'aria-invalid="true"' in response.text
    assert GOOD_PASSWORD not in response.text


@pytest.mark.parametrize("password,message", [
    ("aaaaaaaaaaaaaaaaaaaa", "too easy to guess"),
    ("password1234567890", "too easy to guess"),
    ("nia_jones and some words", "does not contain your name"),
    ("x" * 257, "at most 256"),
])
def test_sign_up_refuses_weak_passwords(client, password, message):
    response = client.form("/signup", signup_form(password=password))
    assert response.status_code == 422 and message in response.text


def test_long_passwords_are_scored_without_error(client):
    """zxcvbn refuses more than 72 characters since 4.5: long passwords must still get an answer."""
    weak = client.form("/signup", signup_form(password="password" * 30))
    assert weak.status_code == 422 and "too easy to guess" in weak.text
    words = ("heron quartz lantern meadow violet ferry orchard copper whistle glacier thimble saffron "
             "harbour juniper velvet marble pepper lilac cobalt falcon tundra willow ember kestrel")
    assert client.form("/signup", signup_form(password=words)).status_code == 303


def test_password_is_checked_exactly_as_typed(client, session):
    spaced = "  violet ferry lantern orchard  "
    assert client.form("/signup", signup_form(password=spaced)).status_code == 303
    fresh = client.form("/signin", {"email": "nia.jones@example.org", "password": spaced.strip()})
    assert fresh.status_code == 422


def test_sign_up_with_a_used_email_does_not_say_so_directly(client, session):
    make_member(session, email="nia.jones@example.org")
    response = client.form("/signup", signup_form())
    assert response.status_code == 422 and "We could not create an account with these details" in response.text


def test_approval_mode_creates_pending_accounts(client, client_as, session, monkeypatch):
    monkeypatch.setattr(get_settings(), "registration_mode", RegistrationMode.approval)
    response = client.form("/signup", signup_form())
    assert response.status_code == 303 and response.headers["location"] == "/"
    member = session.execute(select(Member).where(Member.handle == "nia_jones")).scalar_one()
    assert member.status == "pending"
    assert client.form("/signin", {"email": "nia.jones@example.org", "password": GOOD_PASSWORD}).status_code == 422
    admin = client_as(make_member(session, role="admin"))
    assert "Nia Jones" in admin.get("/admin/members").text
    assert admin.form(f"/admin/members/{member.handle}/approve").status_code == 303
    session.refresh(member)
    assert member.status == "active"
    assert client_as(make_member(session)).get("/admin/members").status_code == 404


def test_invitation_mode_needs_an_invitation(client, session, monkeypatch):
    from app.accounts.invitations import create_invitation

    monkeypatch.setattr(get_settings(), "registration_mode", RegistrationMode.invitation)
    refused = client.form("/signup", signup_form())
    assert refused.status_code == 422 and "Sign-up is by invitation" in refused.text
    token = create_invitation(session, email="nia.jones@example.org", role="moderator")
    assert f'value="{token}"' in client.get(f"/signup?invite={token}").text
    assert client.form("/signup", signup_form(invite=token)).status_code == 303
    member = session.execute(select(Member).where(Member.handle == "nia_jones")).scalar_one()
    assert member.role == "moderator"
    again = client.form("/signup", signup_form(invite=token, email="other@example.org", handle="other"))
    assert again.status_code == 422  # an invitation works once


def test_sign_in_and_out(client, session):
    member = make_member(session, email="kay@example.org")
    before = client.browser_key
    wrong = client.form("/signin", {"email": "kay@example.org", "password": "not the password at all"})
    unknown = client.form("/signin", {"email": "nobody@example.org", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 422
    assert _problem(wrong.text) == _problem(unknown.text)  # no account enumeration
    assert 'value="kay@example.org"' in wrong.text
    response = client.form("/signin", {"email": "KAY@example.org", "password": PASSWORD, "next": "/c/x"})
    assert response.status_code == 303 and response.headers["location"] == "/c/x"
    client.pick_up_session()
    assert client.browser_key != before  # session id rotated on sign-in
    assert member.display_name in client.get("/").text
    assert client.form("/signout").status_code == 303
    assert session.execute(select(UserSession).where(UserSession.member_id == member.id)).first() is None
    client.pick_up_session()
    assert "Sign in" in client.get("/").text


def test_sign_in_refuses_offsite_next(client, session):
    make_member(session, email="kay@example.org")
    response = client.form("/signin", {"email": "kay@example.org", "password": PASSWORD,
                                       "next": "//evil.example/"})
    assert response.headers["location"] == "/"


def _problem(text: str) -> str:
    return re.search(r'<p class="error-message"[^>]*>(.*?)</p>', text, re.S).group(1)


def test_password_reset_by_emailed_single_use_link(client, session, outbox):
    member = make_member(session, email="rhys@example.org")
    response = client.form("/password/forgot", {"email": "rhys@example.org"})
    unknown = client.form("/password/forgot", {"email": "nobody@example.org"})
    assert response.status_code == unknown.status_code == 200
    assert "If an account uses that address" in response.text and "If an account uses that address" in unknown.text
    messages = [email.message_from_bytes(f.read_bytes()) for f in outbox.glob("*.eml")]
    assert len(messages) == 1 and messages[0]["To"] == "rhys@example.org"
    link = re.search(r"http://testserver(/password/reset/\S+)", messages[0].get_payload(decode=True).decode()).group(1)
    assert client.get(link).status_code == 200
    weak = client.form(link, {"password": "short"})
    assert weak.status_code == 422 and "at least 15 characters" in weak.text
    assert client.form(link, {"password": "a brand new long passphrase"}).status_code == 303
    assert client.get(link).status_code == 410  # single use
    assert client.form(link, {"password": "another brand new passphrase"}).status_code == 410
    session.refresh(member)
    signin = client.form("/signin", {"email": "rhys@example.org", "password": "a brand new long passphrase"})
    assert signin.status_code == 303


def test_password_reset_links_expire(client, session, monkeypatch):
    from app.accounts.service import password_reset_token

    member = make_member(session)
    token = password_reset_token(member)
    monkeypatch.setattr(get_settings(), "password_reset_max_age", -1)
    assert client.get(f"/password/reset/{token}").status_code == 410
    assert client.get("/password/reset/garbage").status_code == 410


def test_profile_edit(client_as, session):
    member = make_member(session)
    browser = client_as(member)
    assert browser.get("/settings/profile").status_code == 200
    bad = browser.form("/settings/profile", {"display_name": "", "bio": "Stay"})
    assert bad.status_code == 422 and "Enter your name" in bad.text and ">Stay</textarea>" in bad.text
    good = browser.form("/settings/profile", {"display_name": "Dr Ffion Hughes", "organisation_name": "Aber Uni",
                                              "organisation_kind": "university"})
    assert good.status_code == 303
    session.refresh(member)
    assert member.display_name == "Dr Ffion Hughes"
    assert "Aber Uni" in browser.get(f"/u/{member.handle}").text


def test_profile_lists_public_activity_only(client, session):
    from app.forum.models import Visibility

    member = make_member(session)
    make_thread(session, author=member, title="Public thread title")
    make_thread(session, author=member, title="Members thread title",
                channel=make_channel(session, visibility=Visibility.members))
    page = client.get(f"/u/{member.handle}")
    assert "Public thread title" in page.text and "Members thread title" not in page.text


def test_settings_need_sign_in(client):
    response = client.get("/settings/profile")
    assert response.status_code == 303 and response.headers["location"] == "/signin?next=/settings/profile"


@pytest.mark.parametrize("next_url", ["/%09/evil.example", "/\\evil.example", "https://evil.example",
                                      "/%0d%0aSet-Cookie:x=1", "//evil.example"])
def test_next_never_leaves_the_site(client_as, session, next_url):
    response = client_as(make_member(session)).get("/signin", params={"next": next_url.replace("%09", "\t")
                                                                      .replace("%0d%0a", "\r\n")})
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_non_ascii_paths_redirect_without_errors(client_as, client, session):
    assert client_as(make_member(session)).get("/signin?next=/%E2%82%AC").headers["location"] == "/%E2%82%AC"
    response = client.get("/c/%E2%82%AC/new")
    assert response.status_code == 303 and "%E2%82%AC" in response.headers["location"]


def test_profiles_and_admin_pages_give_the_month_someone_joined_not_the_day(client, client_as, session):
    from datetime import UTC, datetime

    member = make_member(session, handle="joined_late", created_at=datetime(2026, 11, 26, 9, 30, tzinfo=UTC))
    profile = client.get("/u/joined_late").text
    assert "member since November 2026" in profile and "26 Nov" not in profile
    admin = client_as(make_member(session, role="admin"))
    for page in (admin.get("/admin/members?q=joined_late").text, admin.get(f"/admin/members/{member.handle}").text):
        assert "November 2026" in page and "26 Nov 2026" not in page
