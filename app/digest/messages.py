"""Digest emails: text and HTML (CSS inlined), with the list headers of RFC 2369 and RFC 8058 and a
signed unsubscribe link that needs no sign-in."""

import secrets
from email.message import EmailMessage
from urllib.parse import urlsplit

from itsdangerous import BadSignature

from app.core import email
from app.core.config import get_settings
from app.core.i18n import _
from app.core.security import serializer
from app.core.templating import date_text, templates
from app.digest.content import Digest
from app.digest.models import Frequency, Subscription


def unsubscribe_token(subscription: Subscription) -> str:
    """A signed token of the subscription: it never expires (old digests must still unsubscribe)."""
    return serializer(get_settings().secret_key, "unsubscribe").dumps(subscription.token)


def token_value(token: str) -> str | None:
    """The subscription token inside a signed unsubscribe token, or None for a forged one."""
    try:
        value = serializer(get_settings().secret_key, "unsubscribe").loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def title(digest: Digest, site_name: str) -> str:
    when = date_text(digest.period.start)
    if digest.period.frequency == Frequency.daily:
        return _("%(site)s: what's new on %(date)s", site=site_name, date=when)
    return _("%(site)s: what's new in the week of %(date)s", site=site_name, date=when)


# Where each reader's own unsubscribe link goes in a rendering shared by every reader of the same digest.
_UNSUBSCRIBE = f"https://unsubscribe.invalid/{secrets.token_hex(16)}"  # no post can hold it


def render(digest: Digest, *, member: bool) -> tuple[str, str, str]:
    """Subject, text and HTML (CSS inlined) of a digest, with a stand-in for the unsubscribe link:
    every reader of the same digest shares one rendering (``digest_message`` fills the link in)."""
    settings = get_settings()
    base_url = settings.base_url.rstrip("/")
    context = {"digest": digest, "base_url": base_url, "unsubscribe_url": _UNSUBSCRIBE,
               "settings_url": f"{base_url}/settings/digest" if member else "",
               "site_name": settings.site_name, "title": title(digest, settings.site_name), "locale": "en"}
    text = templates.get_template("digest/digest_email.txt").render(context)
    html = email.inline_css(templates.get_template("digest/digest_email.html").render(context))
    return context["title"], text, html


def digest_message(digest: Digest, subscription: Subscription, *, to: str, delivery_id: int,
                   rendered: tuple[str, str, str] | None = None) -> EmailMessage:
    """The email of this digest, to this address. Its Message-ID is the delivery's: sent again after
    a run died between sending and recording it, mail programs see the same message."""
    settings = get_settings()
    base_url = settings.base_url.rstrip("/")
    host = urlsplit(base_url).hostname or "localhost"
    unsubscribe_url = f"{base_url}/digest/unsubscribe/{unsubscribe_token(subscription)}"
    subject, text, html = rendered or render(digest, member=subscription.member_id is not None)
    text, html = text.replace(_UNSUBSCRIBE, unsubscribe_url), html.replace(_UNSUBSCRIBE, unsubscribe_url)
    message = email.build_message(to=to, subject=subject, text=text, html=html, headers={
        "List-Id": f"{settings.site_name} digest <digest.{host}>",
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    })
    message.replace_header("Message-ID", f"<digest-{delivery_id}-{digest.period.key}@{host}>")
    return message
