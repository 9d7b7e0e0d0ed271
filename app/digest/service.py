"""Subscriptions: a member's digest settings, email-only subscribers, unsubscribing by a signed link."""

from sqlalchemy import select
from sqlmodel import Session

from app.core.timeutil import utcnow
from app.digest import messages
from app.digest.models import Frequency, Subscription


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
