"""HEAD answers as GET does, without a body; a request body over MAX_BODY_BYTES is refused with 413
while it is read, before CSRF or form parsing, declared or not; control characters are taken out of
form values and queries after decoding."""

from sqlalchemy import select

from app.core.config import get_settings
from app.core.middleware import ControlCharacterMiddleware as Cleaner
from app.forum.models import Post
from tests.factories import make_channel, make_member, make_thread


def test_head_answers_every_page_as_get_without_the_body(client, session):
    thread = make_thread(session, channel=make_channel(session, slug="harbour"))
    for url in ("/", "/healthz", "/latest", "/c/harbour", f"/t/{thread.public_id}-{thread.slug}", "/no/such/page",
                "/static/css/site.css"):
        got, head = client.get(url), client.head(url)
        assert head.status_code == got.status_code, url
        assert head.content == b"", url
        assert head.headers["content-type"] == got.headers["content-type"], url
    assert client.head("/signin").status_code == 200


def _form(size: int) -> bytes:
    return b"email=a%40example.org&password=" + b"x" * size


def test_a_body_over_the_limit_is_refused_with_the_sites_error_page(client, monkeypatch):
    monkeypatch.setattr(get_settings(), "max_body_bytes", 64 * 1024)
    headers = {"content-type": "application/x-www-form-urlencoded"}
    declared = client.post("/signin", content=_form(100 * 1024), headers=headers)
    assert declared.status_code == 413 and "That is too large" in declared.text and "0.1 MB" in declared.text
    assert "<html" in declared.text

    def chunks():  # no Content-Length: counted as it comes
        for _ in range(10):
            yield b"x" * 10_000

    streamed = client.post("/signin", content=chunks(), headers=headers)
    assert streamed.status_code == 413 and "That is too large" in streamed.text
    # Under the limit, the form goes on to CSRF and the page as before.
    assert client.post("/signin", content=_form(1000), headers=headers).status_code == 403
    refused = client.form("/signin", {"email": "nobody@example.org", "password": "x" * 1000})
    assert refused.status_code == 422 and "That is too large" not in refused.text  # a wrong password, read



def test_control_characters_are_taken_out_after_decoding(client_as, session):
    assert Cleaner.cleaned(b"q=%%0000") == b"q=%2500"  # "%" and "00": no NUL, however it was hidden
    assert Cleaner.cleaned(b"body=a%01b%09c%0Ad%0D%0Ae%1Ff%00") == b"body=ab%09c%0Ad%0D%0Aef"
    assert Cleaner.cleaned(b"q=caf%C3%A9+bar") == b"q=caf%C3%A9+bar"  # nothing to take out: as it came
    thread = make_thread(session)
    browser = client_as(make_member(session))
    form = b"csrf_token=" + browser.csrf.encode() + b"&body=Two%%0000lines%0Aof%01text"
    response = browser.post(f"/t/{thread.public_id}/reply", content=form,
                            headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 303
    stored = session.execute(select(Post.body_md).order_by(Post.id.desc())).scalars().first()
    assert stored == "Two%00lines\noftext"


def test_readyz_says_when_the_migrations_are_not_this_codes(client, monkeypatch):
    from app import main

    assert client.get("/readyz").json() == {"database": "ok", "migrations": "ok"}
    assert client.head("/readyz").status_code == 200
    monkeypatch.setattr(main, "head_revision", lambda: "9999")
    behind = client.get("/readyz")
    assert behind.status_code == 503 and "run forum migrate" in behind.json()["migrations"]
