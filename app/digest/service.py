"""Subscriptions: a member's digest settings, email-only subscribers, unsubscribing by a signed link."""

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlmodel import Session

from app.core.i18n import _
from app.core.problems import Problems
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
