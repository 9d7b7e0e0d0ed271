"""Email transport chosen by EMAIL_URL: a folder of .eml files, the console, or SMTP."""

import asyncio
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiosmtplib
import css_inline

from app.core.config import get_settings

_inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def inline_css(html: str) -> str:
    """An HTML email's <style> moved into style attributes: many mail programs ignore <style>."""
    return _inliner.inline(html)


def build_message(
    *, to: str, subject: str, text: str, html: str | None = None, headers: dict[str, str] | None = None
) -> EmailMessage:
    """A multipart message (text, and HTML when given) from the site's sender."""
    settings = get_settings()
    # Lines up to RFC 5322's 998 characters: folding a long header with no space in it (a
    # List-Unsubscribe URL) would turn it into encoded words that mail programs cannot follow.
    message = EmailMessage(policy=policy.default.clone(max_line_length=998))
    message["From"] = settings.email_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=urlsplit(settings.base_url).hostname or "localhost")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


async def send_async(message: EmailMessage, email_url: str | None = None) -> None:
    """Deliver one message through the configured transport."""
    url = urlsplit(email_url or get_settings().email_url)
    if url.scheme == "file":
        folder = Path(unquote(url.netloc + url.path))
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{formatdate(usegmt=True)[5:25].replace(' ', '-').replace(':', '')}-{uuid.uuid4().hex[:8]}"
        # Written under a temporary name and renamed, so a reader of the folder never sees half a file.
        partial = folder / f".{name}.partial"
        partial.write_bytes(message.as_bytes())
        partial.rename(folder / f"{name}.eml")
    elif url.scheme == "console":
        sys.stdout.write(message.as_string() + "\n")
        sys.stdout.flush()
    elif url.scheme in ("smtp", "smtps"):
        await aiosmtplib.send(
            message,
            hostname=url.hostname or "localhost",
            port=url.port or (465 if url.scheme == "smtps" else 25),
            username=unquote(url.username) if url.username else None,
            password=unquote(url.password) if url.password else None,
            use_tls=url.scheme == "smtps",
            start_tls=None if url.scheme == "smtp" else False,
            timeout=30,
        )
    else:
        raise ValueError(f"unknown email transport: {url.scheme!r}")


def send(message: EmailMessage, email_url: str | None = None) -> None:
    """Deliver from synchronous code (request handlers run in worker threads)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(send_async(message, email_url))
        return
    # This thread already runs an event loop: deliver from a thread of its own instead.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, send_async(message, email_url)).result()


class Connection:
    """Many messages through one transport connection: for SMTP one session, on an event loop of its
    own, connected again when the server drops it (a run of digests would otherwise pay a connection,
    a greeting and a goodbye for each). Use as a context manager; ``send`` is the transport."""

    def __init__(self, email_url: str | None = None) -> None:
        self.url = email_url or get_settings().email_url
        self._smtp: aiosmtplib.SMTP | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "Connection":
        if urlsplit(self.url).scheme in ("smtp", "smtps"):
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="smtp", daemon=True)
            self._thread.start()
        return self

    def send(self, message: EmailMessage) -> None:
        if self._loop is None:
            send(message, self.url)
            return
        asyncio.run_coroutine_threadsafe(self._send(message), self._loop).result(timeout=60)

    async def _send(self, message: EmailMessage) -> None:
        for attempt in (1, 2):
            if self._smtp is None or not self._smtp.is_connected:
                url = urlsplit(self.url)
                self._smtp = aiosmtplib.SMTP(
                    hostname=url.hostname or "localhost", port=url.port or (465 if url.scheme == "smtps" else 25),
                    username=unquote(url.username) if url.username else None,
                    password=unquote(url.password) if url.password else None,
                    use_tls=url.scheme == "smtps", start_tls=None if url.scheme == "smtp" else False, timeout=30)
                await self._smtp.connect()
            try:
                await self._smtp.send_message(message)
                return
            except aiosmtplib.SMTPServerDisconnected:
                self._smtp = None
                if attempt == 2:
                    raise

    async def _close(self) -> None:
        if self._smtp is not None and self._smtp.is_connected:
            try:
                await self._smtp.quit()
            except aiosmtplib.SMTPException:
                self._smtp.close()

    def __exit__(self, *exc) -> None:
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()
