"""The email transport delivers through a real SMTP server, a folder, or the console."""

import email

import pytest
from aiosmtpd.controller import Controller

from app.core.email import build_message, send
from tests.smtp_server import Collector, free_port, running


@pytest.fixture
def smtp_server():
    handler = Collector()
    with running(handler) as url:
        yield url, handler


def test_smtp_transport_delivers_multipart(smtp_server):
    url, handler = smtp_server
    message = build_message(to="ana@example.org", subject="Digest", text="Plain words", html="<p>Rich words</p>",
                            headers={"List-Unsubscribe": "<https://example.org/u/1>"})
    send(message, url)
    assert len(handler.messages) == 1
    received = handler.messages[0]
    assert received["To"] == "ana@example.org" and received["List-Unsubscribe"] == "<https://example.org/u/1>"
    parts = {part.get_content_type(): part.get_payload(decode=True).decode() for part in received.walk()
             if not part.is_multipart()}
    assert "Plain words" in parts["text/plain"] and "<p>Rich words</p>" in parts["text/html"]


def test_file_transport_writes_eml(tmp_path):
    send(build_message(to="bo@example.org", subject="Hello", text="Body"), f"file://{tmp_path}")
    files = list(tmp_path.glob("*.eml"))
    assert len(files) == 1
    assert email.message_from_bytes(files[0].read_bytes())["Subject"] == "Hello"


def test_console_transport_prints(capsys):
    send(build_message(to="cy@example.org", subject="Printed", text="Body"), "console://")
    assert "Subject: Printed" in capsys.readouterr().out


def test_unknown_transport_is_an_error():
    with pytest.raises(ValueError):
        send(build_message(to="d@example.org", subject="x", text="y"), "pigeon://loft")


def test_one_connection_sends_many_and_reconnects_when_the_server_drops_it():
    from app.core.email import Connection

    handler, port = Collector(), free_port()
    first = Controller(handler, hostname="127.0.0.1", port=port)
    first.start()
    url = f"smtp://127.0.0.1:{port}"
    with Connection(url) as connection:
        for n in range(3):
            connection.send(build_message(to=f"n{n}@example.org", subject=f"Digest {n}", text="Words"))
        first.stop()  # the server goes away and comes back on the same port
        second = Controller(handler, hostname="127.0.0.1", port=port)
        second.start()
        try:
            connection.send(build_message(to="after@example.org", subject="After", text="Words"))
        finally:
            second.stop()
    assert [m["To"] for m in handler.messages] == ["n0@example.org", "n1@example.org", "n2@example.org",
                                                    "after@example.org"]


def test_a_connection_to_a_folder_writes_each_message(tmp_path):
    from app.core.email import Connection

    with Connection(f"file://{tmp_path}") as connection:
        connection.send(build_message(to="bo@example.org", subject="Hello", text="Body"))
    assert len(list(tmp_path.glob("*.eml"))) == 1
