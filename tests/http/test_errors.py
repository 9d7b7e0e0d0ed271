"""Error pages in the site's layout, and no 500 from anything a user can type."""

from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import first_post, make_channel, make_member, make_thread


def test_unexpected_errors_get_the_500_page(bound_app, monkeypatch):
    from app.forum import service

    def broken(*_args, **_kwargs):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(service, "channel_overview", broken)
    with TestClient(bound_app, raise_server_exceptions=False) as browser:
        response = browser.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.text and "<html" in response.text
    assert "simulated failure" not in response.text


def test_method_not_allowed_and_bad_input_pages(client):
    assert client.put("/").status_code == 405
    response = client.get("/c/x?page=" + "9" * 50)
    assert response.status_code == 404 and "Page not found" in response.text


text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300) | st.sampled_from(
    ["", " ", "\x00", "0", "-1", "²", "١٢", "99999", "../../etc/passwd", "<script>", "%00", "9" * 40, "a" * 21_000,
     "' OR 1=1 --", "@" * 50, "[x](javascript:alert(1))"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=text, body=text, tags=text, parent=text, kind=text, handle=text, query=text)
def test_no_user_input_produces_a_server_error(client_as, session, title, body, tags, parent, kind, handle, query):
    channel = make_channel(session)
    member = make_member(session)
    thread = make_thread(session, channel=channel, author=member)
    post = first_post(session, thread)
    browser = client_as(member)
    moderator = client_as(make_member(session, role="moderator"))
    responses = [
        browser.form(f"/c/{channel.slug}/new", {"title": title, "body": body, "tags": tags}),
        browser.form(f"/t/{thread.public_id}/reply", {"body": body, "parent_id": parent}),
        browser.form(f"/t/{thread.public_id}/reply", {"body": body, "parent_id": parent}, htmx=True),
        browser.form(f"/p/{post.public_id}/edit", {"body": body, "title": title}),
        browser.form("/react", {"set": kind}),
        browser.form("/react", {"set": f"{post.public_id}:{kind}:{query}"}),
        browser.form(f"/p/{post.public_id}/react", {"kind": kind, "on": query}),
        browser.form("/settings/profile", {"display_name": title, "bio": body, "organisation_name": tags,
                                           "organisation_kind": kind, "pilot_ids": parent}),
        browser.form("/signup", {"email": handle, "handle": handle, "display_name": title, "password": body}),
        browser.form("/password/forgot", {"email": handle}),
        browser.get("/c/" + channel.slug, params={"page": query}),
        browser.get(f"/t/{thread.public_id}-x", params={"page": query}),
        browser.get("/u/" + (quote(handle, safe="") or "x")),
        moderator.form(f"/mod/posts/{post.public_id}/sanction", {"kind": kind, "days": query, "reason": body,
                                                                 "scope": tags}),
        moderator.form(f"/mod/posts/{post.public_id}/hide", {"reason": title}),
    ]
    for response in responses:
        assert response.status_code < 500, (response.request.url, response.status_code)


def test_a_visitor_at_a_members_only_page_can_sign_in_and_come_back(client, session):
    from app.forum.models import Visibility
    from tests.factories import PASSWORD

    make_channel(session, slug="members-room", visibility=Visibility.members)
    member = make_member(session)
    page = client.get("/c/members-room")
    missing = client.get("/c/no-such-room")
    assert page.status_code == missing.status_code == 404  # the same answer: nothing says it exists
    assert 'href="/signin?next=%2Fc%2Fmembers-room"' in page.text and "Sign in to see it" in missing.text
    signed_in = client.form("/signin", {"email": member.email, "password": PASSWORD, "next": "/c/members-room"})
    assert signed_in.headers["location"] == "/c/members-room"
    assert client.get("/c/members-room").status_code == 200
