"""A real SMTP server for tests (aiosmtpd on loopback) that keeps what it receives, parsed."""

import email
import socket
from contextlib import contextmanager
from email import policy

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message


class Collector(Message):
    """Keeps each message; refuses one address for good (550), as a server does for a mailbox gone."""

    def __init__(self, refuse: str = "") -> None:
        super().__init__()
        self.messages, self.refuse = [], refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if self.refuse and address == self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def handle_message(self, message) -> None:
        self.messages.append(email.message_from_bytes(message.as_bytes(), policy=policy.default))

    def to(self, address: str) -> list:
        return [message for message in self.messages if message["To"] == address]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(handler: Collector, port: int | None = None):
    """The server on loopback while the block runs: yields its smtp:// URL."""
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}"
    finally:
        controller.stop()
