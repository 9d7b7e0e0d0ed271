"""Digest subscriptions (a member's, or a confirmed email address's) and the delivery ledger."""

import secrets
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from app.core.timeutil import utcnow


class Frequency(StrEnum):
    daily = "daily"
    weekly = "weekly"


class DeliveryStatus(StrEnum):
    sending = "sending"  # claimed by a run (a run that died leaves it for the next)
    sent = "sent"
    empty = "empty"  # nothing new in the period: nothing sent, nothing to send later
    failed = "failed"  # the transport refused or failed; tried again later, up to a limit


def new_token() -> str:
    return secrets.token_urlsafe(18)


class Subscription(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(default_factory=new_token, max_length=32, unique=True)  # signed into unsubscribe links
    member_id: int | None = Field(default=None, foreign_key="member.id", unique=True, ondelete="CASCADE")
    email: str | None = Field(default=None, max_length=320, unique=True)  # an email-only subscriber's
    frequency: str = Field(default=Frequency.weekly, max_length=10)
    weekday: int = 0  # for weekly digests: the day it comes (0 Monday), for the week before
    all_channels: bool = True  # or only the channels in subscription_channel
    confirmed_at: datetime | None = None  # an email-only subscriber's double opt-in; members' at once
    suspended_at: datetime | None = None  # the address was refused for good
    suspended_reason: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow)


class SubscriptionChannel(SQLModel, table=True):
    __tablename__ = "subscription_channel"
    subscription_id: int = Field(foreign_key="subscription.id", primary_key=True, ondelete="CASCADE")
    channel_id: int = Field(foreign_key="channel.id", primary_key=True, ondelete="CASCADE")


class DigestDelivery(SQLModel, table=True):
    """One digest of one period for one subscription: sent once, whatever runs and crashes."""

    __tablename__ = "digest_delivery"
    __table_args__ = (UniqueConstraint("subscription_id", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscription.id", ondelete="CASCADE")
    period: str = Field(max_length=12)  # 2026-12-01, or 2026-W48
    status: str = Field(max_length=10, default=DeliveryStatus.sending)
    attempts: int = 0
    claimed_at: datetime | None = None  # when a run took it to send: another run leaves it alone a while
    last_error: str = Field(default="", max_length=300)
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
