"""Invitations: an admin invites by email with a role and a number of days; the link, shown once and
emailed, signs up once; revoking an open invitation makes its link refused."""

import email
import email.policy
import re
from datetime import timedelta

from sqlalchemy import select

from app.accounts.invitations import create_invitation
from app.accounts.models import Invitation, Member
from app.core.config import RegistrationMode, get_settings
from app.core.timeutil import utcnow
from tests.factories import make_member

GOOD_PASSWORD = "violet ferry lantern orchard"


def _signup(client, token: str, handle: str):
    return client.form("/signup", {"email": f"{handle}@example.org", "handle": handle, "display_name": "New Person",
                                   "password": GOOD_PASSWORD, "invite": token})


def _link(page: str) -> str:
    return re.search(r'<a href="(http://testserver/signup\?invite=[^"]+)"', page).group(1)


def test_an_invitation_is_emailed_shown_once_and_signs_up_once(client, client_as, session, outbox, monkeypatch):
    monkeypatch.setattr(get_settings(), "registration_mode", RegistrationMode.invitation)
    admin = client_as(make_member(session, role="admin", display_name="Ada Admin"))
    response = admin.form("/admin/invitations", {"email": "Nia@Example.org", "role": "moderator", "days": "3"})
    assert response.status_code == 303 and response.headers["location"] == "/admin/invitations"
    page = admin.get("/admin/invitations").text
    assert "The invitation is emailed to nia@example.org" in page and "within 3 days" in page
    link = _link(page)
    assert link not in admin.get("/admin/invitations").text  # shown once
    messages = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                for path in outbox.glob("*.eml")]
    assert [message["To"] for message in messages] == ["nia@example.org"]
    body = messages[0].get_body(preferencelist=("plain",)).get_content()
    assert link in body and "Ada Admin invited you" in body
    token = link.split("invite=")[1]
    invitation = session.execute(select(Invitation).where(Invitation.email == "nia@example.org")).scalar_one()
    assert invitation.role == "moderator" and token not in invitation.token_hash
    assert abs(invitation.expires_at - (utcnow() + timedelta(days=3))) < timedelta(minutes=1)
    listed = admin.get("/admin/invitations?state=open").text
    assert "nia@example.org" in listed and "Revoke" in listed
    assert _signup(client, token, "nia_new").status_code == 303
    member = session.execute(select(Member).where(Member.handle == "nia_new")).scalar_one()
    assert member.role == "moderator"
    again = _signup(client_as(make_member(session)), token, "someone_else")
    assert again.status_code == 422 and "Sign-up is by invitation" in again.text
    accepted = admin.get("/admin/invitations?state=accepted").text
    assert "nia@example.org" in accepted and "Revoke" not in accepted.split("<tbody>")[1]


def test_creating_an_invitation_with_htmx(client_as, session, outbox):
    admin = client_as(make_member(session, role="admin"))
    htmx = admin.form("/admin/invitations", {"email": "bo@example.org", "role": "member", "days": "14"}, htmx=True)
    assert htmx.status_code == 200 and htmx.headers["hx-location"] == "/admin/invitations"
    assert "bo@example.org" in admin.get("/admin/invitations").text
    assert session.execute(select(Invitation).where(Invitation.email == "bo@example.org")).scalar_one()


def test_bad_invitations_are_refused_with_the_input_kept(client_as, session, outbox):
    make_member(session, email="taken@example.org")
    admin = client_as(make_member(session, role="admin"))
    for form, message in (({"email": "not an address", "days": "14"}, "Enter an email address like"),
                          ({"email": "taken@example.org", "days": "14"}, "This address already has an account."),
                          ({"email": "ok@example.org", "role": "king", "days": "14"}, "Choose member, moderator"),
                          ({"email": "ok@example.org", "days": "0"}, "Enter a number of days from 1 to 90."),
                          ({"email": "ok@example.org", "days": "91"}, "Enter a number of days from 1 to 90.")):
        response = admin.form("/admin/invitations", {"role": "member"} | form)
        assert response.status_code == 422 and message in response.text, form
        assert f'value="{form["email"]}"' in response.text and f'value="{form["days"]}"' in response.text
    htmx = admin.form("/admin/invitations", {"email": "x", "days": "14"}, htmx=True)
    assert htmx.status_code == 422 and "<html" not in htmx.text and "error-summary" in htmx.text
    assert session.execute(select(Invitation)).first() is None
    assert list(outbox.glob("*.eml")) == []


def test_a_revoked_invitation_is_refused_without_js_and_with_htmx(client, client_as, session, monkeypatch):
    monkeypatch.setattr(get_settings(), "registration_mode", RegistrationMode.invitation)
    first = create_invitation(session, email="first@example.org")
    second = create_invitation(session, email="second@example.org")
    rows = {row.email: row for row in session.execute(select(Invitation)).scalars()}
    admin = client_as(make_member(session, role="admin"))
    response = admin.form(f"/admin/invitations/{rows['first@example.org'].id}/revoke")
    assert response.status_code == 303
    assert "The invitation to first@example.org is revoked" in admin.get("/admin/invitations").text
    htmx = admin.form(f"/admin/invitations/{rows['second@example.org'].id}/revoke", htmx=True)
    assert htmx.status_code == 200 and htmx.headers["hx-location"] == "/admin/invitations"
    for token, handle in ((first, "first_one"), (second, "second_one")):
        page = client.get("/signup", params={"invite": token}).text  # told before filling the form in
        assert "This invitation link has been used, revoked or has expired" in page
        refused = _signup(client, token, handle)
        assert refused.status_code == 422 and "Sign-up is by invitation" in refused.text
    expired = admin.get("/admin/invitations?state=expired").text
    assert "first@example.org" in expired and "second@example.org" in expired
    again = admin.form(f"/admin/invitations/{rows['first@example.org'].id}/revoke")
    assert again.status_code == 303
    assert "This invitation is no longer open" in admin.get("/admin/invitations").text
    assert admin.form("/admin/invitations/999999/revoke").status_code == 404
    assert admin.form("/admin/invitations/abc/revoke").status_code == 404


def test_invitations_list_filters_by_state(client_as, session):
    create_invitation(session, email="open@example.org")
    create_invitation(session, email="old@example.org", days=-1)
    admin = client_as(make_member(session, role="admin"))
    everything = admin.get("/admin/invitations").text
    assert "open@example.org" in everything and "old@example.org" in everything
    only_open = admin.get("/admin/invitations?state=open").text
    assert "open@example.org" in only_open and "old@example.org" not in only_open
    assert "old@example.org" in admin.get("/admin/invitations?state=expired").text
    assert "open@example.org" in admin.get("/admin/invitations?state=bogus").text  # an odd filter shows all


def test_a_second_open_invitation_to_one_address_is_refused(client_as, session, outbox):
    admin = client_as(make_member(session, role="admin"))
    form = {"email": "twice@example.org", "role": "member", "days": "7"}
    assert admin.form("/admin/invitations", form).status_code == 303
    again = admin.form("/admin/invitations", form)
    assert again.status_code == 422 and "An invitation to this address is still open" in again.text
    assert len(session.execute(select(Invitation).where(Invitation.email == "twice@example.org")).all()) == 1
