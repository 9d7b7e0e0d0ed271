"""Request and response hygiene that every route shares: security headers, HEAD, body limits,
control characters, query counts."""

import re
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.db import query_counter


class SecurityHeadersMiddleware:
    """A strict CSP and the usual hardening headers on every response."""

    CSP = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", self.CSP.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"x-frame-options", b"DENY"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *self.headers]
                # Pages are per viewer (and the safe space must never sit in a shared cache);
                # static files set their own long-lived Cache-Control.
                if not any(name == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"private, no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class QueryCountMiddleware:
    """Adds X-Query-Count (SQL statements run for the request); on only when COUNT_QUERIES is set."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        counter = [0]
        query_counter.set(counter)

        async def send_with_count(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-query-count", str(counter[0]).encode())]
            await send(message)

        await self.app(scope, receive, send_with_count)


class ControlCharacterMiddleware:
    """Takes C0 control characters but tab and line breaks (NUL first of all) out of paths, query
    strings and form bodies, after percent-decoding, in this one place.

    No user text needs them, and PostgreSQL refuses NUL in text, so left in they would turn a typing
    accident or a probe into a server error. Decoding first: a filter of the encoded text would turn
    ``%%0000`` into ``%00``, which then decodes to NUL.
    """

    # Worth decoding: an encoded or a raw control character (most queries and bodies have neither).
    _SUSPECT = re.compile(rb"%[01][0-9a-f]|[\x00-\x08\x0b\x0c\x0e-\x1f]", re.IGNORECASE)
    _CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @classmethod
    def cleaned(cls, raw: bytes) -> bytes:
        """A urlencoded query or body without control characters (as is when it has none)."""
        if not cls._SUSPECT.search(raw):
            return raw
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace")
        return urlencode([(cls._CONTROLS.sub("", key), cls._CONTROLS.sub("", value)) for key, value in pairs]).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope["path"] = self._CONTROLS.sub("", scope["path"])
        scope["query_string"] = self.cleaned(scope.get("query_string", b""))
        kind = self._form_kind(scope)
        if kind is None:
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        # Multipart is not percent-encoded: its NUL bytes go as they are (no form here takes files).
        cleaned = self.cleaned(bytes(body)) if kind == "urlencoded" else bytes(body).replace(b"\x00", b"")
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": cleaned, "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    def _form_kind(scope: Scope) -> str | None:
        for name, value in scope.get("headers", []):
            if name == b"content-type":
                if value.startswith(b"application/x-www-form-urlencoded"):
                    return "urlencoded"
                return "multipart" if value.startswith(b"multipart/form-data") else None
        return None


class HeadMiddleware:
    """HEAD answers as GET would, without the body (uptime monitors ask with HEAD)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body"):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuses a request body over ``max_bytes`` while it is read, before anything parses it (a
    declared length at once): ``refuse`` (an ASGI app) answers instead, with 413."""

    def __init__(self, app: ASGIApp, max_bytes: Callable[[], int], refuse: ASGIApp) -> None:
        self.app, self.max_bytes, self.refuse = app, max_bytes, refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):  # no body to read: no cost
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes()
        declared = next((value for name, value in scope.get("headers", []) if name == b"content-length"), b"")
        if declared.isdigit() and int(declared) > limit:
            await self.refuse(scope, receive, send)
            return
        seen, started = 0, False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return message

        async def noting_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, noting_send)
        except BodyTooLarge:
            if started:
                raise
            await self.refuse(scope, receive, send)
