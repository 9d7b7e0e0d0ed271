"""HEAD answers as GET does, without a body; a request body over MAX_BODY_BYTES is refused with 413
while it is read, before CSRF or form parsing, declared or not."""

from app.core.config import get_settings
from tests.factories import make_channel, make_thread


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
