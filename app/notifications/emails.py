"""Notification emails: what a member is told in the app, also by email for the kinds they choose.

At most one email per member and thread a quarter hour: a run sends each member, for each thread,
what waits unread; what comes within the quarter hour waits for a later run and goes in one email.
Each email's notifications and its quarter hour are claimed before it is sent, so two runs at once
(two instances) never send one twice; a failed send gives them back for a later run. What a member
has read in the app is not mailed. Safe-space notifications are sealed, and made only when the post
is released, so their emails come no sooner; they name writers by pseudonym only, as the site does.
"""

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from urllib.parse import urlsplit

import aiosmtplib
from itsdangerous import BadSignature
from sqlalchemy import select, update
from sqlmodel import Session

from app.accounts.models import Member, MemberStatus
from app.core import db, email, i18n
from app.core.config import get_settings
from app.core.db import Database, get_database
from app.core.i18n import _
from app.core.security import serializer
from app.core.templating import templates
from app.core.timeutil import as_utc, utcnow
from app.forum import visibility
from app.forum.markdown import plain_excerpt
from app.forum.models import Channel, Post, Thread
from app.notifications import messages, service
from app.notifications.models import (
    Notification,
    NotificationEmail,
    NotificationKind,
    NotificationSetting,
    SealedNotification,
)
from app.safespace import service as safespace

log = logging.getLogger("common_ground.notifications")
BATCH = timedelta(minutes=15)
MAX_AGE = timedelta(days=3)  # unread news older than this is not worth an email any more
PER_EMAIL = 20
SEALED = 0  # the "thread" of a member's safe-space notifications: one email for all of them
# Safe-space news is emailed once a day, in the first run from this hour (UTC), and only news of
# earlier days: an email soon after a reply or a moderator's action would let whoever reads the
# mailboxes of a few members, and knows when it happened, tell whose post it was.
SAFE_SPACE_HOUR = 7
_FIELDS = {NotificationKind.reply: "email_reply", NotificationKind.mention: "email_mention",
           NotificationKind.moderation: "email_moderation", NotificationKind.watching: "email_watching"}


def kind_names() -> dict[str, str]:
    return {NotificationKind.reply: _("Replies to my posts and threads"),
            NotificationKind.mention: _("Mentions of me"),
            NotificationKind.moderation: _("Moderators' actions on my posts and reports"),
            NotificationKind.watching: _("New posts in threads and channels I watch")}


def choices(session: Session, member_id: int) -> dict:
    """The settings form: the kinds the member gets by email."""
    setting = session.get(NotificationSetting, member_id) or NotificationSetting(member_id=member_id)
    return {"email": [kind for kind, field in _FIELDS.items() if getattr(setting, field)]}


def choose(session: Session, member_id: int, kinds: set[str]) -> None:
    """Email these kinds (unknown ones are ignored), and no other."""
    values = {field: kind in kinds for kind, field in _FIELDS.items()}
    session.execute(db.upsert(session, NotificationSetting).values(member_id=member_id, **values)
                    .on_conflict_do_update(index_elements=["member_id"], set_=values))


def unsubscribe_token(member_id: int) -> str:
    """A signed token of the member: it never expires (old emails must still unsubscribe)."""
    return serializer(get_settings().secret_key, "notification-unsubscribe").dumps(member_id)


def token_member(token: str) -> int | None:
    try:
        value = serializer(get_settings().secret_key, "notification-unsubscribe").loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Pending:
    """One notification waiting for its email."""

    sealed: bool
    id: int
    member_id: int
    kind: str
    event: str
    values: MappingProxyType
    post_public_id: str
    thread_id: int
    day: date  # the UTC day it was made (all a sealed one keeps)
    # About the safe space: emailed as a bare count, with the sealed ones. A reporter's plain news
    # of their report there would still show a mailbox's reader what the thread is about.
    in_safe_space: bool


@dataclass
class Summary:
    sent: int = 0
    waiting: int = 0  # the member had an email about the thread in the last quarter hour
    failed: int = 0
    skipped: int = 0  # turned off, no longer visible, or taken by another run

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


def pending(session: Session, now: datetime) -> list[Pending]:
    """Unread, unmailed notifications of the last MAX_AGE, plain and sealed."""
    since = now - MAX_AGE
    query = (select(Notification.id, Notification.member_id, Notification.kind, Notification.event,
                    Notification.details, Notification.created_at, Post.public_id, Post.thread_id,
                    Channel.is_anonymous)
             .join(Post, Post.id == Notification.post_id)
             .join(Thread, Thread.id == Post.thread_id)
             .join(Channel, Channel.id == Thread.channel_id)
             .where(Notification.emailed_at.is_(None), Notification.read_at.is_(None),
                    Notification.created_at >= since))
    found = [Pending(sealed=False, id=row.id, member_id=row.member_id, kind=row.kind, event=row.event,
                     values=MappingProxyType(json.loads(row.details or "{}")), post_public_id=row.public_id,
                     thread_id=row.thread_id, day=as_utc(row.created_at).date(), in_safe_space=row.is_anonymous)
             for row in session.execute(query)]
    sealed = []
    keys = safespace.keys()
    rows = session.execute(
        select(SealedNotification.id, SealedNotification.sealed, SealedNotification.created_on)
        .where(SealedNotification.emailed.is_(False), SealedNotification.created_on >= since.date()))
    for row in rows:
        payload = service.opened(keys, row.sealed)
        if payload.get("m") is not None:
            sealed.append((row.id, row.created_on, payload))
    threads = dict(session.execute(select(Post.public_id, Post.thread_id).where(
        Post.public_id.in_({payload["p"] for _, _, payload in sealed}))).all()) if sealed else {}
    for row_id, day, payload in sealed:
        event, values = service.payload_event(payload)
        if payload["p"] in threads:
            found.append(Pending(sealed=True, id=row_id, member_id=payload["m"], kind=payload["k"], event=event,
                                 values=values, post_public_id=payload["p"], thread_id=threads[payload["p"]],
                                 day=day, in_safe_space=True))
    return found


def run(*, now: datetime | None = None, database: Database | None = None,
        transport: Callable | None = None) -> Summary:
    """Send what is due; ``transport`` sends one message (by default one connection of EMAIL_URL's)."""
    if transport is None:
        with email.Connection() as connection:
            return run(now=now, database=database, transport=connection.send)
    database = database or get_database()
    now = now or utcnow()
    with database.session(write=False) as session:
        waiting = pending(session, now)
        ids = {item.member_id for item in waiting}
        members = {member.id: member for member in session.execute(
            select(Member).where(Member.id.in_(ids))).scalars()} if ids else {}
        settings = {setting.member_id: setting for setting in session.execute(
            select(NotificationSetting).where(NotificationSetting.member_id.in_(ids))).scalars()} if ids else {}
        session.expunge_all()
    groups: dict[tuple[int, int], list[Pending]] = defaultdict(list)
    summary, unwanted = Summary(), []
    for item in waiting:
        member = members.get(item.member_id)
        setting = settings.get(item.member_id) or NotificationSetting(member_id=item.member_id)
        if member is None or member.status != MemberStatus.active or not getattr(setting, _FIELDS[item.kind], False):
            unwanted.append(item)
        elif not item.in_safe_space:
            groups[(item.member_id, item.thread_id)].append(item)
        elif safe_space_due(item, now):  # in one email of its own, which names no thread (see deliver)
            groups[(item.member_id, SEALED)].append(item)
    if unwanted:  # settled, so later runs do not look at them again
        with database.session() as session:
            _claim_items(session, unwanted, now)
            session.commit()
    for (member_id, thread_id), items in groups.items():
        try:
            outcome = deliver(database, members[member_id], thread_id, items, now=now, transport=transport)
        except Exception:  # one email's trouble stops no other
            log.exception("notification email for a thread failed")
            outcome = "failed"
        summary.add(outcome)
    return summary


def safe_space_due(item: Pending, now: datetime) -> bool:
    """Whether safe-space news may be emailed now: from SAFE_SPACE_HOUR, if it is of an earlier day."""
    return now.astimezone(UTC).hour >= SAFE_SPACE_HOUR and item.day < now.astimezone(UTC).date()


def _batch_key(member_id: int, thread_id: int) -> str:
    return safespace.member_seal(member_id, f"notification-email:{thread_id}")


def _claim_quarter_hour(session: Session, key: str, now: datetime) -> bool:
    """Take this member's and thread's quarter hour; False if an email about it went out within one."""
    statement = (db.upsert(session, NotificationEmail).values(key=key, sent_at=now)
                 .on_conflict_do_update(index_elements=["key"], set_={"sent_at": now},
                                        where=NotificationEmail.sent_at <= now - BATCH)
                 .returning(NotificationEmail.key))
    return session.execute(statement).first() is not None


def _claim_items(session: Session, items: list[Pending], now: datetime) -> set[tuple[bool, int]]:
    """Mark the notifications emailed, unless they were read or claimed meanwhile; the ones taken."""
    plain = [item.id for item in items if not item.sealed]
    sealed = [item.id for item in items if item.sealed]
    taken = set()
    if plain:
        statement = (update(Notification).where(Notification.id.in_(plain), Notification.emailed_at.is_(None),
                                                Notification.read_at.is_(None))
                     .values(emailed_at=now).returning(Notification.id))
        taken |= {(False, row_id) for row_id in session.execute(statement).scalars()}
    if sealed:
        statement = (update(SealedNotification).where(SealedNotification.id.in_(sealed),
                                                      SealedNotification.emailed.is_(False))
                     .values(emailed=True).returning(SealedNotification.id))
        taken |= {(True, row_id) for row_id in session.execute(statement).scalars()}
    return taken


def _give_back(database: Database, items: list[Pending]) -> None:
    plain = [item.id for item in items if not item.sealed]
    sealed = [item.id for item in items if item.sealed]
    with database.session() as session:
        if plain:
            session.execute(update(Notification).where(Notification.id.in_(plain)).values(emailed_at=None))
        if sealed:
            session.execute(update(SealedNotification).where(SealedNotification.id.in_(sealed)).values(emailed=False))
        session.commit()


def deliver(database: Database, member: Member, thread_id: int, items: list[Pending], *, now: datetime,
            transport: Callable) -> str:
    """Claim, build and send one member's email about one thread; what became of it (a Summary field)."""
    with database.session() as session:
        if not _claim_quarter_hour(session, _batch_key(member.id, thread_id), now):
            session.rollback()
            return "waiting"
        taken = _claim_items(session, items, now)
        session.commit()
    items = [item for item in items if (item.sealed, item.id) in taken]
    try:
        with database.session(write=False) as session:
            message = message_for(session, member, thread_id, items)
        if message is None:
            return "skipped"
        transport(message)
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        log.warning("notification email to member %s failed; it is tried again later", member.id)
        _give_back(database, items)
        return "failed"
    except Exception:  # a bug: given back too, so nothing is lost once it is mended
        _give_back(database, items)
        raise
    return "sent"


def message_for(session: Session, member: Member, thread_id: int, items: list[Pending]):
    """The email of these notifications, or None if nothing in them may still be told."""
    with i18n.speaking(member.locale or "en"):
        if thread_id == SEALED:
            return sealed_message(member) if items else None
        lines = _lines(session, items)
        thread = session.execute(select(Thread.public_id, Thread.slug, Thread.title)
                                 .where(Thread.id == thread_id)).one_or_none()
        return notification_message(member, thread, lines) if lines and thread is not None else None


@dataclass(frozen=True)
class Line:
    """One notification in an email."""

    text: str
    path: str
    excerpt: str


def _lines(session: Session, items: list[Pending]) -> list[tuple[Pending, str, str]]:
    """(notification, link path, excerpt) for those still worth telling. News of a post is told only
    while members may read it, checked now; moderators' news is the member's own, and quotes nothing."""
    public_ids = {item.post_public_id for item in items}
    readable = visibility.published_filter(visibility.Audience(member_id=0), Post, Thread, Channel)
    visible = dict(session.execute(
        select(Post.public_id, Post.body_html).join(Thread, Thread.id == Post.thread_id)
        .join(Channel, Channel.id == Thread.channel_id)
        .where(Post.public_id.in_(public_ids), readable)).all())
    lines = []
    for item in sorted(items, key=lambda item: (item.sealed, item.id))[:PER_EMAIL]:
        if item.kind == NotificationKind.moderation:
            lines.append((item, f"/p/{item.post_public_id}", ""))
        elif item.post_public_id in visible:
            lines.append((item, f"/p/{item.post_public_id}", plain_excerpt(visible[item.post_public_id])))
    return lines


def _email(member: Member, subject: str, context: dict, references: str = ""):
    """Text and HTML (CSS inlined) with the list headers; ``references`` groups a thread's emails."""
    settings = get_settings()
    base_url = settings.base_url.rstrip("/")
    host = urlsplit(base_url).hostname or "localhost"
    unsubscribe_url = f"{base_url}/notifications/unsubscribe/{unsubscribe_token(member.id)}"
    context = context | {"base_url": base_url, "site_name": settings.site_name, "subject": subject,
                         "unsubscribe_url": unsubscribe_url, "locale": i18n.current_locale(),
                         "settings_url": f"{base_url}/settings/notifications"}
    text = templates.get_template("notifications/notification_email.txt").render(context)
    html = email.inline_css(templates.get_template("notifications/notification_email.html").render(context))
    headers = {"List-Id": f"{settings.site_name} notifications <notifications.{host}>",
               "List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
               "Auto-Submitted": "auto-generated"}
    if references:
        headers["References"] = f"<{references}@{host}>"
    return email.build_message(to=member.email, subject=subject, text=text, html=html, headers=headers)


def sealed_message(member: Member):
    """News about safe-space posts says only that there is news, not even how much: a reply to a
    member's post, or a moderator's word about it, would tell anyone who reads their mailbox what they
    wrote there, and a count could be set by whoever makes the news (hide and restore a post, twice)."""
    subject = _("%(site)s: you have new notifications", site=get_settings().site_name)
    return _email(member, subject, {"thread": None, "lines": []})


def notification_message(member: Member, thread, lines: list[tuple[Pending, str, str]]):
    """The email of one thread's notifications."""
    settings = get_settings()
    shown = [Line(text=messages.sentence(item.event, item.values), path=path, excerpt=excerpt)
             for item, path, excerpt in lines]
    first = " ".join(shown[0].text.split())  # a moderator's reason may hold line breaks; a header may not
    title = " ".join(thread.title.split())
    subject = (_("%(site)s: %(news)s in “%(title)s”", site=settings.site_name, news=first[:120].rstrip("."),
                 title=title) if len(shown) == 1 else
               _("%(site)s: %(num)s notifications in “%(title)s”", site=settings.site_name, num=len(shown),
                 title=title))
    return _email(member, subject, {"lines": shown, "thread": thread}, references=f"thread-{thread.public_id}")

