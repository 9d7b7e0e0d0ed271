"""Sending digests through the delivery ledger: one row per (subscription, period), claimed before a
digest is built and marked when it is sent, so that a repeated, crashed or concurrent run sends each
digest once.

Each digest is claimed in a short transaction of its own (on PostgreSQL with FOR UPDATE SKIP LOCKED,
so two runs at once never take the same row; SQLite takes one writer at a time), built and sent with
no transaction open, then marked in another. A run that dies between sending and marking leaves the
row "sending": after STALE another run sends it again, under the same Message-ID. Failures are kept
on the row and tried again with backoff, up to MAX_ATTEMPTS; an address refused for good (a 5xx
reply for it) suspends its subscription, and its owner's settings say why.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosmtplib
from sqlalchemy import select
from sqlmodel import Session

from app.accounts.models import Member
from app.core import db, email
from app.core.db import Database, get_database
from app.core.timeutil import as_utc, utcnow
from app.digest import content, messages, windows
from app.digest.models import DeliveryStatus, DigestDelivery, Subscription, SubscriptionChannel

log = logging.getLogger("common_ground.digest")
MAX_ATTEMPTS = 5
STALE = timedelta(minutes=15)
BACKOFF = timedelta(minutes=10)  # doubled after each failure


@dataclass
class Summary:
    sent: int = 0
    empty: int = 0
    failed: int = 0
    already: int = 0  # sent before, given up, waiting for a retry, or being sent by another run

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


def due(session: Session, now: datetime, *, frequency: str | None = None, period: str | None = None) -> list:
    """(subscription id, period) for every active subscription with a digest due now, or of ``period``;
    and every earlier digest that failed and may be tried again. A subscription has no digest of a
    period that was over when it was confirmed (turned off and on again, it is not sent again)."""
    named = windows.parse(period) if period else None
    query = select(Subscription.id, Subscription.frequency, Subscription.weekday, Subscription.confirmed_at).where(
        Subscription.confirmed_at.is_not(None), Subscription.suspended_at.is_(None))
    if frequency or named:
        query = query.where(Subscription.frequency == (named.frequency if named else frequency))
    found = {}
    for key, every, weekday, confirmed in session.execute(query.order_by(Subscription.id)).all():
        when = named or windows.due(every, now, weekday)
        if when.end > as_utc(confirmed):
            found[(key, when.key)] = when
    if named is None:  # earlier periods left unsent by failures (a daily one is "due" for one day only)
        active = query.subquery("active")
        unfinished = (select(DigestDelivery.subscription_id, DigestDelivery.period)
                      .join(active, active.c.id == DigestDelivery.subscription_id)
                      .where(DigestDelivery.status.in_((DeliveryStatus.failed, DeliveryStatus.sending)),
                             DigestDelivery.attempts < MAX_ATTEMPTS))
        for key, earlier in session.execute(unfinished).all():
            found.setdefault((key, earlier), windows.parse(earlier))
    return [(key, when) for (key, _period), when in found.items()]


def run(*, now: datetime | None = None, frequency: str | None = None, period: str | None = None,
        database: Database | None = None, progress: Callable[[int, int], None] | None = None,
        transport: Callable | None = None) -> Summary:
    """Send every digest due (or of ``period``) that is not sent yet; ``progress(done, total)``.
    ``transport``: how to send one message (by default, one connection of EMAIL_URL's for the run)."""
    if transport is None:
        with email.Connection() as connection:
            return run(now=now, frequency=frequency, period=period, database=database, progress=progress,
                       transport=connection.send)
    database = database or get_database()
    now = now or utcnow()
    with database.session(write=False) as session:
        todo = due(session, now, frequency=frequency, period=period)
    summary, shared = Summary(), {}
    for done, (subscription_id, when) in enumerate(todo, start=1):
        try:
            outcome = deliver(database, subscription_id, when, now=now, transport=transport, shared=shared)
        except Exception:  # one digest's trouble (a bug, a subscription gone meanwhile) stops no other
            log.exception("digest %s for subscription %s failed", when.key, subscription_id)
            outcome = "failed"
        summary.add(outcome)
        if progress:
            progress(done, len(todo))
    return summary


def deliver(database: Database, subscription_id: int, period: windows.Period, *, now: datetime,
            transport: Callable, shared: dict | None = None) -> str:
    """Claim, build, send and record one digest; returns what became of it (a Summary field).
    ``shared``: a run's digests and renderings by what they depend on (the reader's audience, their
    channels, the period), so that readers of the same digest share one."""
    shared = {} if shared is None else shared
    with database.session() as session:
        if session.get(Subscription, subscription_id) is None:
            return "already"  # unsubscribed since the run began
        delivery_id = _claim(session, subscription_id, period.key, now)
        session.commit()
    if delivery_id is None:
        return "already"
    with database.session(write=False) as session:
        subscription = session.get(Subscription, subscription_id)
        member = session.get(Member, subscription.member_id) if subscription.member_id else None
        chosen = None if subscription.all_channels else set(session.execute(
            select(SubscriptionChannel.channel_id).where(SubscriptionChannel.subscription_id == subscription_id)
        ).scalars())
        reader = content.audience(member)
        key = (reader.is_member, None if chosen is None else frozenset(chosen), period.key, member is not None)
        if key not in shared:
            digest = content.build(session, reader=reader, channel_ids=chosen, period=period)
            shared[key] = (digest, None if digest.is_empty else messages.render(digest, member=member is not None))
        digest, rendered = shared[key]
        address = member.email if member else subscription.email
        message = None if digest.is_empty else messages.digest_message(
            digest, subscription, to=address, delivery_id=delivery_id, rendered=rendered)
    if message is None:
        return _record(database, delivery_id, DeliveryStatus.empty, now=now)
    try:
        transport(message)
    except (aiosmtplib.SMTPException, OSError) as error:
        return _failed(database, delivery_id, subscription_id, error, now=now)
    return _record(database, delivery_id, DeliveryStatus.sent, now=now)


def _claim(session: Session, subscription_id: int, period: str, now: datetime) -> int | None:
    """The ledger row of this digest, taken for this run; None if it is not this run's to send."""
    session.execute(db.upsert(session, DigestDelivery).values(subscription_id=subscription_id, period=period,
                                                  status=DeliveryStatus.failed, attempts=0, last_error="",
                                                  created_at=now)
                    .on_conflict_do_nothing(index_elements=["subscription_id", "period"]))
    query = select(DigestDelivery).where(DigestDelivery.subscription_id == subscription_id,
                                         DigestDelivery.period == period)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    delivery = session.execute(query).scalar_one_or_none()
    if delivery is None or not _mine(delivery, now):
        return None
    delivery.status, delivery.claimed_at, delivery.attempts = DeliveryStatus.sending, now, delivery.attempts + 1
    session.add(delivery)
    session.flush()
    return delivery.id


def _mine(delivery: DigestDelivery, now: datetime) -> bool:
    if delivery.status in (DeliveryStatus.sent, DeliveryStatus.empty):
        return False
    if delivery.attempts >= MAX_ATTEMPTS:
        return False
    if delivery.status == DeliveryStatus.sending:
        return delivery.claimed_at is None or as_utc(delivery.claimed_at) <= now - STALE
    return (
        delivery.next_attempt_at is None or as_utc(delivery.next_attempt_at) <= now)


def _record(database: Database, delivery_id: int, status: str, *, now: datetime) -> str:
    with database.session() as session:
        delivery = session.get(DigestDelivery, delivery_id)
        delivery.status, delivery.last_error, delivery.next_attempt_at = status, "", None
        delivery.sent_at = now if status == DeliveryStatus.sent else None
        session.add(delivery)
        session.commit()
    return "sent" if status == DeliveryStatus.sent else "empty"


def _failed(database: Database, delivery_id: int, subscription_id: int, error: Exception, *, now: datetime) -> str:
    # Only the address refused for good suspends its digest: a refused sender or a failed sign-in is
    # the site's trouble, and every digest waits for a later run.
    refused = isinstance(error, aiosmtplib.SMTPRecipientsRefused) and any(
        500 <= getattr(each, "code", 0) < 600 for each in error.recipients)
    with database.session() as session:
        delivery = session.get(DigestDelivery, delivery_id)
        delivery.status, delivery.last_error = DeliveryStatus.failed, f"{type(error).__name__}: {error}"[:300]
        delivery.next_attempt_at = now + BACKOFF * 2 ** (delivery.attempts - 1)
        session.add(delivery)
        if refused:
            subscription = session.get(Subscription, subscription_id)
            subscription.suspended_at, subscription.suspended_reason = now, delivery.last_error
            session.add(subscription)
        session.commit()
    return "failed"
