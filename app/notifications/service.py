"""Creating, counting and listing notifications; sealed ones keep anonymous authorship hidden."""

import hashlib
import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from types import MappingProxyType

from sqlalchemy import bindparam, delete, func, select, update
from sqlmodel import Session

from app.accounts import service as accounts_service
from app.accounts.models import Member, MemberStatus
from app.core.timeutil import utcnow
from app.forum import lifecycle
from app.forum.markdown import render_markdown
from app.forum.models import Channel, Post, Thread
from app.notifications import messages, watching
from app.notifications.models import Notification, NotificationKind, SealedNotification, WatchLevel
from app.safespace import service as safespace

MAX_MENTIONS = 10  # members notified by one post; more mentions still link, but notify nobody


@dataclass(frozen=True)
class Item:
    """One notification as the notifications page shows it."""

    key: str  # "n<id>" for a plain notification, "s" and a hash of its ciphertext for a sealed one
    kind: str
    event: str
    values: MappingProxyType
    post_public_id: str | None
    thread_title: str | None
    thread_path: str | None
    created_at: datetime
    is_read: bool
    is_sealed: bool
    in_safe_space: bool  # its time is a day only (sealed ones are all about the safe space)

    @property
    def text(self) -> str:
        return messages.sentence(self.event, self.values)


# Sealed notifications are decrypted to be found: look at a bounded number, and let old ones go.
SEALED_SCAN_LIMIT = 200
SEALED_KEEP_DAYS = 30


def _bucket(member_id: int) -> str:
    return safespace.member_seal(member_id, "notify")[0]


def notify(session: Session, *, member_id: int, kind: str, event: str, post, values: dict | None = None,
           sealed: bool = False) -> None:
    """Tell a member about a post; ``sealed`` when knowing they are told would reveal they wrote a post."""
    values = values or {}
    if sealed:
        oldest = utcnow().date() - timedelta(days=SEALED_KEEP_DAYS)
        session.execute(delete(SealedNotification).where(SealedNotification.created_on < oldest))
        payload = json.dumps({"m": member_id, "k": kind, "e": event, "v": values, "p": post.public_id})
        session.add(SealedNotification(bucket=_bucket(member_id), sealed=safespace.encrypt(payload.encode())))
    else:
        # A post in the safe space carries only its day; so does news of it.
        created = post.created_at if post.seal else utcnow()
        session.add(Notification(member_id=member_id, kind=kind, event=event, details=json.dumps(values),
                                 post_id=post.id, created_at=created))
    session.flush()


_SEALED_IN_BUCKET = (select(SealedNotification.id, SealedNotification.sealed, SealedNotification.created_on)
                     .where(SealedNotification.bucket == bindparam("bucket"))
                     .order_by(SealedNotification.id.desc()).limit(SEALED_SCAN_LIMIT))
# The member's unread plain notifications, as a column of a query over Member (the viewer lookup's).
UNREAD_COLUMN = (select(func.count()).where(Notification.member_id == Member.id, Notification.read_at.is_(None))
                 .scalar_subquery().label("unread"))


def _sealed_for(session: Session, member_id: int) -> list[tuple]:
    """The member's sealed notifications: (row with id, sealed and created_on; decrypted payload)."""
    found = []
    keys = safespace.keys()
    for row in session.connection().execute(_SEALED_IN_BUCKET, {"bucket": _bucket(member_id)}):
        payload = opened(keys, row.sealed)
        if payload.get("m") == member_id:
            found.append((row, payload))
    return found


@lru_cache(maxsize=8192)
def opened(keys: safespace.Keys, sealed: str) -> MappingProxyType:
    """A sealed notification's payload (empty if it will not open), decrypted once per process and key.

    Every signed-in page counts the member's unread notifications, which means opening the sealed ones
    in their bucket, most of them other members': up to SEALED_SCAN_LIMIT Fernet decryptions a page.
    A token never changes, so its payload is remembered; the key is part of the cache key, so a token
    that opened under a retired key does not open under the next.
    """
    data = safespace.decrypt(sealed, keys)
    return MappingProxyType(json.loads(data) if data else {})


def unread_count(session: Session, member_id: int, clear: int | None = None) -> int:
    """All unread notifications: the plain ones (``clear``, when the caller selected UNREAD_COLUMN)
    and the sealed ones."""
    if clear is None:
        clear = session.execute(select(UNREAD_COLUMN).where(Member.id == member_id)).scalar_one()
    return clear + len(_sealed_for(session, member_id))


accounts_service.count_unread_with(accounts_service.UnreadCounter(column=UNREAD_COLUMN, count=unread_count))


def sealed_key(sealed: str) -> str:
    """A sealed notification's address: from its ciphertext, not its row id, whose gaps between two
    members' notifications of one post would count the members told in between."""
    return "s" + hashlib.sha256(sealed.encode()).hexdigest()[:24]


def payload_event(payload: MappingProxyType) -> tuple[str, MappingProxyType]:
    """A sealed payload's event and values; one sealed before events were stored says its old text."""
    if "e" in payload:
        return payload["e"], MappingProxyType(payload.get("v") or {})
    if payload.get("k") in (REPLY, MENTION):
        return payload["k"], MappingProxyType({"who": payload.get("msg", "")})
    return "said", MappingProxyType({"text": payload.get("msg", "")})


def _plain_query(member_id: int):
    return (
        select(Notification.id, Notification.kind, Notification.event, Notification.details,
               Notification.created_at, Notification.read_at, Post.public_id, Thread.title,
               Thread.public_id.label("thread_public_id"), Thread.slug, Channel.is_anonymous)
        .outerjoin(Post, Post.id == Notification.post_id)
        .outerjoin(Thread, Thread.id == Post.thread_id)
        .outerjoin(Channel, Channel.id == Thread.channel_id)
        .where(Notification.member_id == member_id)
    )


def _plain_item(row) -> Item:
    return Item(key=f"n{row.id}", kind=row.kind, event=row.event,
                values=MappingProxyType(json.loads(row.details or "{}")), post_public_id=row.public_id,
                thread_title=row.title, thread_path=_thread_path(row), created_at=row.created_at,
                is_read=row.read_at is not None, is_sealed=False, in_safe_space=bool(row.is_anonymous))


def _thread_path(row) -> str | None:
    return f"/t/{row.thread_public_id}-{row.slug}" if row.thread_public_id else None


def _sealed_items(session: Session, sealed: list[tuple]) -> list[Item]:
    threads = {}
    if sealed:
        ids = [payload["p"] for _, payload in sealed]
        query = (select(Post.public_id, Thread.title, Thread.public_id.label("thread_public_id"), Thread.slug)
                 .join(Thread, Thread.id == Post.thread_id))
        threads = {row.public_id: row for row in session.execute(query.where(Post.public_id.in_(ids)))}
    items = []
    for row, payload in sealed:
        event, values = payload_event(payload)
        thread = threads.get(payload["p"])
        items.append(Item(key=sealed_key(row.sealed), kind=payload["k"], event=event, values=values,
                          post_public_id=payload["p"], thread_title=thread.title if thread else None,
                          thread_path=_thread_path(thread) if thread else None,
                          created_at=safespace.day_only_date(row.created_on), is_read=False, is_sealed=True,
                          in_safe_space=True))
    return items


def for_member(session: Session, member_id: int, limit: int = 50) -> list[Item]:
    """Newest first: sealed (always unread until cleared), then the rest."""
    items = _sealed_items(session, _sealed_for(session, member_id))
    query = _plain_query(member_id).order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    items.extend(_plain_item(row) for row in session.execute(query))
    return items


def by_thread(items: list[Item]) -> list[tuple[Item | None, list[Item]]]:
    """The items grouped by their thread, unread ones and their groups first, each group where its
    newest item came (a group headed by None holds those about no thread, such as a suspension)."""
    groups: dict[str | None, list[Item]] = {}
    for item in sorted(items, key=lambda item: item.is_read):  # stable: newest first within each
        groups.setdefault(item.thread_path, []).append(item)
    return [(found[0] if path else None, found) for path, found in groups.items()]


def mark_read(session: Session, member_id: int, key: str) -> Item | None:
    """Mark one notification read (a sealed one is deleted); None if the member has no such notification."""
    if key.startswith("n") and key[1:].isascii() and key[1:].isdigit() and len(key) < 19:
        row = session.execute(_plain_query(member_id).where(Notification.id == int(key[1:]))).one_or_none()
        if row is None:
            return None
        session.execute(update(Notification).where(Notification.id == row.id, Notification.read_at.is_(None))
                        .values(read_at=utcnow()))
        return _plain_item(row)
    if key.startswith("s"):
        sealed = [(row, payload) for row, payload in _sealed_for(session, member_id) if sealed_key(row.sealed) == key]
        if sealed:
            session.execute(delete(SealedNotification).where(SealedNotification.id == sealed[0][0].id))
            return _sealed_items(session, sealed)[0]
    return None


def mark_all_read(session: Session, member_id: int) -> None:
    """Read ones are kept; sealed ones are deleted, so no trace of them stays in the database (a worker
    remembers opened payloads in memory, beside the key that opens them: see opened)."""
    session.execute(update(Notification).where(Notification.member_id == member_id, Notification.read_at.is_(None))
                    .values(read_at=utcnow()))
    ids = [row.id for row, _ in _sealed_for(session, member_id)]
    if ids:
        session.execute(delete(SealedNotification).where(SealedNotification.id.in_(ids)))


REPLY = NotificationKind.reply
MENTION = NotificationKind.mention
MODERATION = NotificationKind.moderation
WATCHING = NotificationKind.watching


def writer_values(session: Session, post) -> dict:
    """How a notification names a post's writer: the pseudonym letter in the safe space."""
    if post.pseudonym:
        return {"letter": post.pseudonym}
    name = session.execute(select(Member.display_name).where(Member.id == post.author_id)).scalar_one_or_none()
    return {"who": name} if name else {}


@lifecycle.published.connect
def notify_about_post(session: Session, *, post, thread, channel) -> None:
    """Once a post is published, tell the author of what it answers, the members it mentions and those
    watching its thread or channel; nobody who muted them, nobody twice. In the safe space every one of
    these is sealed: a plain row for each reader but one would say who that one is."""
    writer = safespace.author_id_of(post)
    if writer is not None and not channel.is_anonymous:
        watching.watch_after_posting(session, member_id=writer, thread_id=thread.id)
    target = session.get(Post, post.parent_id) if post.parent_id else None
    if target is None and post.number > 1:
        target = session.execute(select(Post).where(Post.thread_id == thread.id, Post.number == 1)).scalar_one()
    told: dict[int, tuple[str, str]] = {}
    if target is not None and (target_author := safespace.author_id_of(target)) is not None:
        told[target_author] = (REPLY, "reply")
    handles = render_markdown(post.body_md).mentions[:MAX_MENTIONS]
    if handles:
        for member_id in session.execute(select(Member.id).where(Member.handle.in_(handles))).scalars():
            told.setdefault(member_id, (MENTION, "mention"))
    levels = watching.levels(session, thread_id=thread.id, channel_id=channel.id)
    for member_id, level in levels.items():
        if level == WatchLevel.watching:
            told.setdefault(member_id, (WATCHING, "watched_thread" if post.number == 1 else "watched_reply"))
    told.pop(writer, None)
    if channel.is_anonymous and writer is not None and levels.get(writer) == WatchLevel.watching:
        # A watcher hears of every post of the thread, their own too: news one short of its posts
        # would tell whoever reads their notification emails which post was theirs.
        told[writer] = (WATCHING, "watched_thread" if post.number == 1 else "watched_reply")
    for member_id in [member_id for member_id in told if levels.get(member_id) == WatchLevel.muted]:
        del told[member_id]
    if not told:
        return
    active = set(session.execute(select(Member.id).where(Member.id.in_(told), Member.status == MemberStatus.active))
                 .scalars())
    values = writer_values(session, post)
    order = list(told.items())
    random.shuffle(order)  # rows in member order would let their ids be read against members'
    for member_id, (kind, event) in order:
        if member_id in active:
            notify(session, member_id=member_id, kind=kind, event=event, post=post, values=values,
                   sealed=channel.is_anonymous or post.seal is not None)


@safespace.rekeying.connect
def rekey(session: Session, old: safespace.Keys, new: safespace.Keys) -> None:
    """Re-encrypt sealed notifications under a new key (``forum rotate-anonymity-key``)."""
    for row in session.execute(select(SealedNotification)).scalars():
        payload = json.loads(safespace.decrypt(row.sealed, old))
        row.sealed = safespace.encrypt(json.dumps(payload).encode(), new)
        row.bucket = safespace.member_seal(payload["m"], "notify", new)[0]
        session.add(row)
    session.flush()
