"""Subscriptions: a member's digest settings, email-only subscribers, unsubscribing by a signed link."""

from dataclasses import dataclass

from itsdangerous import BadSignature
from sqlalchemy import delete, select
from sqlmodel import Session

from app.accounts import service as accounts_service
from app.core import email as email_transport
from app.core.config import get_settings
from app.core.i18n import _
from app.core.problems import Problems
from app.core.security import serializer
from app.core.timeutil import utcnow
from app.digest import messages
from app.digest.models import Frequency, Subscription, SubscriptionChannel


def subscription_for_token(session: Session, token: str) -> Subscription | None:
    """The subscription an unsubscribe link names (None for a forged link or one already used)."""
    value = messages.token_value(token)
    if value is None:
        return None
    return session.execute(select(Subscription).where(Subscription.token == value)).scalar_one_or_none()


def unsubscribe(session: Session, subscription: Subscription) -> None:
    """No more digests: an email-only subscriber is forgotten; a member's digest is turned off."""
    session.delete(subscription)
    session.flush()


def subscribe_member(session: Session, *, member_id: int, frequency: str = Frequency.weekly,
                     weekday: int = 0) -> Subscription:
    """A member's digest (confirmed at once: they signed in to ask for it)."""
    subscription = session.execute(select(Subscription).where(Subscription.member_id == member_id)
                                   ).scalar_one_or_none() or Subscription(member_id=member_id)
    subscription.frequency, subscription.weekday = frequency, weekday
    subscription.confirmed_at = subscription.confirmed_at or utcnow()
    session.add(subscription)
    session.flush()
    return subscription


@dataclass(frozen=True)
class Choice:
    """What a member asks for in their settings: no digest, or daily or weekly, everywhere or in chosen channels."""

    frequency: str = ""  # "" for none
    weekday: int = 0
    all_channels: bool = True
    channel_ids: tuple[int, ...] = ()


def member_subscription(session: Session, member_id: int) -> Subscription | None:
    return session.execute(select(Subscription).where(Subscription.member_id == member_id)).scalar_one_or_none()


def chosen_channels(session: Session, subscription: Subscription | None) -> list[int]:
    if subscription is None:
        return []
    return list(session.execute(select(SubscriptionChannel.channel_id)
                                .where(SubscriptionChannel.subscription_id == subscription.id)).scalars())


def save_choice(session: Session, *, member_id: int, choice: Choice, readable_ids: set[int]) -> Problems:
    """Save a member's digest settings (saving again also lifts a suspension for a refused address:
    they have seen why and may have mended it)."""
    problems = Problems()
    if choice.frequency not in ("", *Frequency):
        problems.add("frequency", _("Choose how often, or no digest."))
    if not 0 <= choice.weekday <= 6:
        problems.add("weekday", _("Choose a day of the week."))
    if choice.frequency and not choice.all_channels and not set(choice.channel_ids) & readable_ids:
        problems.add("channels", _("Choose at least one channel, or every channel."))
    if problems:
        return problems
    subscription = member_subscription(session, member_id)
    if not choice.frequency:
        if subscription is not None:
            unsubscribe(session, subscription)
        return problems
    subscription = subscribe_member(session, member_id=member_id, frequency=choice.frequency, weekday=choice.weekday)
    subscription.all_channels = choice.all_channels
    subscription.suspended_at, subscription.suspended_reason = None, ""
    session.add(subscription)
    session.execute(delete(SubscriptionChannel).where(SubscriptionChannel.subscription_id == subscription.id))
    if not choice.all_channels:
        session.add_all([SubscriptionChannel(subscription_id=subscription.id, channel_id=channel_id)
                         for channel_id in sorted(set(choice.channel_ids) & readable_ids)])
    session.flush()
    return problems


CONFIRM_MAX_AGE = 3 * 24 * 3600  # seconds a confirmation link works


def _confirm_serializer():
    return serializer(get_settings().secret_key, "digest-confirm")


def request_subscription(session: Session, *, email: str, frequency: str, weekday: int, confirm_url_for):
    """The email that confirms a digest for this address (double opt-in): nothing changes until its
    link is followed, and what it asks for travels in the signed link, so that a stranger cannot
    change someone's confirmed digest. An address with an account is pointed to its settings."""
    site, base = get_settings().site_name, get_settings().base_url.rstrip("/")
    if accounts_service.member_by_email(session, email) is not None:
        text = _("Hello,\n\nSomeone asked for the %(site)s digest at this address, which has an account. "
                 "Choose your digest in your settings:\n\n%(link)s\n\nIf it was not you, ignore this email.\n",
                 site=site, link=f"{base}/settings/digest")
        return email_transport.build_message(to=email, subject=_("Your %(site)s digest", site=site), text=text)
    subscription = session.execute(select(Subscription).where(Subscription.email == email)).scalar_one_or_none()
    if subscription is None:
        subscription = Subscription(email=email, frequency=frequency, weekday=weekday)
        session.add(subscription)
        session.flush()
    token = _confirm_serializer().dumps({"s": subscription.token, "f": frequency, "w": weekday})
    every = _("each day") if frequency == Frequency.daily else _("each week")
    text = _("Hello,\n\nSomeone asked for the %(site)s digest %(every)s at this address: new key learnings and "
             "threads in its public channels. To start it, confirm here (the link works for three days):\n\n"
             "%(link)s\n\nIf it was not you, ignore this email: nothing will be sent.\n",
             site=site, every=every, link=confirm_url_for(token))
    return email_transport.build_message(to=email, subject=_("Confirm your %(site)s digest", site=site), text=text)


def pending_confirmation(session: Session, token: str) -> tuple[Subscription, str, int] | None:
    """The subscription, frequency and weekday a confirmation link asks for, or None (forged, expired, gone)."""
    try:
        asked = _confirm_serializer().loads(token, max_age=CONFIRM_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(asked, dict) or asked.get("f") not in tuple(Frequency) or asked.get("w") not in range(7):
        return None
    subscription = session.execute(select(Subscription).where(Subscription.token == asked.get("s"))
                                   ).scalar_one_or_none()
    return (subscription, asked["f"], asked["w"]) if subscription is not None else None


def confirm(session: Session, subscription: Subscription, *, frequency: str, weekday: int) -> None:
    subscription.frequency, subscription.weekday = frequency, weekday
    subscription.confirmed_at = subscription.confirmed_at or utcnow()
    subscription.suspended_at, subscription.suspended_reason = None, ""
    session.add(subscription)
    session.flush()
