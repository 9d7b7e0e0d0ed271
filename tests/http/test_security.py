"""CSRF, security headers and the templates' CSP discipline."""

import re
from pathlib import Path

from sqlalchemy import select

from app.forum.models import Post, Thread
from tests.factories import make_channel, make_member, make_thread

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_post_without_csrf_token_is_refused_and_changes_nothing(client_as, session):
    channel = make_channel(session)
    browser = client_as(make_member(session))
    response = browser.post(f"/c/{channel.slug}/new", data={"title": "Sneaky", "body": "Forged"})
    assert response.status_code == 403 and "That did not work" in response.text
    wrong = browser.post(f"/c/{channel.slug}/new", data={"title": "Sneaky", "body": "Forged", "csrf_token": "0" * 40})
    assert wrong.status_code == 403
    header = browser.post(f"/c/{channel.slug}/new", data={"title": "Sneaky", "body": "Forged"},
                          headers={"X-CSRF-Token": "nope"})
    assert header.status_code == 403
    accented = browser.post(f"/c/{channel.slug}/new", data={"title": "Sneaky", "body": "Forged", "csrf_token": "é"})
    assert accented.status_code == 403  # compare_digest alone would raise on non-ASCII text
    assert session.execute(select(Thread).where(Thread.channel_id == channel.id)).first() is None


def test_csrf_token_from_another_browser_is_refused(client_as, session):
    thread = make_thread(session)
    alice, bob = client_as(make_member(session)), client_as(make_member(session))
    response = bob.post(f"/t/{thread.public_id}/reply", data={"body": "Forged", "csrf_token": alice.csrf})
    assert response.status_code == 403
    assert session.execute(select(Post).where(Post.thread_id == thread.id, Post.number == 2)).first() is None


def test_htmx_header_token_is_accepted(client_as, session):
    thread = make_thread(session)
    browser = client_as(make_member(session))
    response = browser.post(f"/t/{thread.public_id}/reply", data={"body": "Via htmx"},
                            headers={"HX-Request": "true", "X-CSRF-Token": browser.csrf})
    assert response.status_code == 200


def test_a_request_from_another_site_is_refused_even_with_the_token(client_as, session):
    thread = make_thread(session)
    browser = client_as(make_member(session))
    form = {"body": "From elsewhere", "csrf_token": browser.csrf}
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        refused = browser.post(f"/t/{thread.public_id}/reply", data=form, headers=headers)
        assert refused.status_code == 403 and "That did not work" in refused.text, headers
    assert session.execute(select(Post).where(Post.thread_id == thread.id, Post.number == 2)).first() is None
    for headers in ({"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}, {}):
        assert browser.post(f"/t/{thread.public_id}/reply", data=form, headers=headers).status_code == 303, headers
        form["body"] += " again"


def test_one_click_unsubscribe_still_comes_from_mail_programs(client):
    # Signed tokens of their own: a mail provider posts them from its own origin, or none.
    response = client.post("/notifications/unsubscribe/not-a-real-token", headers={"Origin": "https://mail.example"},
                           data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 404  # judged by its token (forged here), not refused as cross-site


def test_sign_in_without_cookie_is_refused(bound_app):
    from fastapi.testclient import TestClient

    with TestClient(bound_app) as fresh:
        response = fresh.post("/signin", data={"email": "a@example.org", "password": "x", "csrf_token": "x"})
    assert response.status_code == 403


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_session_cookie_flags(client, session):
    response = client.get("/signin")  # a page with a form fixes the browser's session cookie
    del client.cookies["cg_session"]
    response = client.get("/signin")
    cookie = response.headers["set-cookie"]
    assert "cg_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_templates_have_no_inline_script_style_or_handlers():
    offenders = []
    pattern = re.compile(r"<script>|<script [^>]*>[^<]|\son[a-z]+=|\sstyle=|hx-on", re.IGNORECASE)
    for template in TEMPLATES.rglob("*.html"):
        if pattern.search(template.read_text()):
            offenders.append(template.name)
    assert offenders == []


def test_static_files_are_cached_for_a_year(client):
    page = client.get("/").text
    script = re.search(r'src="(/static/js/site.js\?v=[0-9a-f]+)"', page).group(1)
    response = client.get(script)
    assert response.status_code == 200 and "immutable" in response.headers["cache-control"]


def test_our_stylesheet_and_script_are_served_minified(client):
    page = client.get("/").text
    for kind, pattern in (("css", r'href="(/static/css/site.css\?v=[0-9a-f]+)"'),
                          ("js", r'src="(/static/js/site.js\?v=[0-9a-f]+)"')):
        url = re.search(pattern, page).group(1)
        source = (TEMPLATES.parent / "static" / kind / f"site.{kind}").read_text()
        response = client.get(url)
        assert response.status_code == 200 and "immutable" in response.headers["cache-control"]
        assert response.headers["content-type"].startswith("text/css" if kind == "css" else "text/javascript")
        assert len(response.content) < len(source) * 0.9 and "/*" not in response.text and "//" not in response.text
        again = client.get(url, headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304
    htmx = re.search(r'src="(/static/vendor/htmx.min.js\?v=[0-9a-f]+)"', page).group(1)
    assert client.get(htmx).content == (TEMPLATES.parent / "static/vendor/htmx.min.js").read_bytes()
