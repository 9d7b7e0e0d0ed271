"""Creating, counting and listing notifications; sealed ones keep anonymous authorship hidden."""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from types import MappingProxyType

from sqlalchemy import bindparam, delete, func, select, update
from sqlmodel import Session

from app.accounts import service as accounts_service
from app.accounts.models import Member
from app.core.timeutil import utcnow
from app.forum import lifecycle
from app.forum.markdown import render_markdown
from app.forum.models import Post, Thread
from app.forum.posting import author_label
from app.notifications.models import Notification, NotificationKind, SealedNotification
from app.safespace import service as safespace

MAX_MENTIONS = 10  # members notified by one post; more mentions still link, but notify nobody


@dataclass(frozen=True)
class Item:
    """One notification as the notifications page shows it."""

    kind: str
    message: str
    post_public_id: str | None
    thread_title: str | None
    created_at: datetime
    is_read: bool
    is_sealed: bool


# Sealed notifications are decrypted to be found: look at a bounded number, and let old ones go.
SEALED_SCAN_LIMIT = 200
SEALED_KEEP_DAYS = 30


def _bucket(member_id: int) -> str:
    return safespace.member_seal(member_id, "notify")[0]


def notify(session: Session, *, member_id: int, kind: str, post, message: str = "", sealed: bool = False) -> None:
    """Tell a member about a post; ``sealed`` when knowing they are told would reveal they wrote a post."""
    if sealed:
        oldest = utcnow().date() - timedelta(days=SEALED_KEEP_DAYS)
        session.execute(delete(SealedNotification).where(SealedNotification.created_on < oldest))
        payload = json.dumps({"m": member_id, "k": kind, "p": post.public_id, "msg": message})
        session.add(SealedNotification(bucket=_bucket(member_id), sealed=safespace.encrypt(payload.encode())))
    else:
        # A post in the safe space carries only its day; so does news of it.
        created = post.created_at if post.seal else utcnow()
        session.add(Notification(member_id=member_id, kind=kind, post_id=post.id, message=message,
                                 created_at=created))
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
        payload = _opened(keys, row.sealed)
        if payload.get("m") == member_id:
            found.append((row, payload))
    return found


@lru_cache(maxsize=8192)
def _opened(keys: safespace.Keys, sealed: str) -> MappingProxyType:
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


def for_member(session: Session, member_id: int, limit: int = 50) -> list[Item]:
    """Newest first: sealed (always unread until cleared), then the rest."""
    sealed = _sealed_for(session, member_id)
    titles = {}
    if sealed:
        ids = [payload["p"] for _, payload in sealed]
        query = select(Post.public_id, Thread.title).join(Thread, Thread.id == Post.thread_id)
        titles = dict(session.execute(query.where(Post.public_id.in_(ids))).all())
    items = [
        Item(kind=payload["k"], message=payload.get("msg", ""), post_public_id=payload["p"],
             thread_title=titles.get(payload["p"]), created_at=safespace.day_only_date(row.created_on),
             is_read=False, is_sealed=True)
        for row, payload in sealed
    ]
    query = (
        select(Notification.kind, Notification.message, Notification.created_at, Notification.read_at,
               Post.public_id, Thread.title)
        .outerjoin(Post, Post.id == Notification.post_id)
        .outerjoin(Thread, Thread.id == Post.thread_id)
        .where(Notification.member_id == member_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    for kind, message, created_at, read_at, public_id, title in session.execute(query):
        items.append(Item(kind=kind, message=message, post_public_id=public_id, thread_title=title,
                          created_at=created_at, is_read=read_at is not None, is_sealed=False))
    return items


def mark_all_read(session: Session, member_id: int) -> None:
    """Read ones are kept; sealed ones are deleted, so no trace of them stays in the database (a worker
    remembers opened payloads in memory, beside the key that opens them: see _opened)."""
    session.execute(update(Notification).where(Notification.member_id == member_id, Notification.read_at.is_(None))
                    .values(read_at=utcnow()))
    ids = [row.id for row, _ in _sealed_for(session, member_id)]
    if ids:
        session.execute(delete(SealedNotification).where(SealedNotification.id.in_(ids)))


REPLY = NotificationKind.reply
MENTION = NotificationKind.mention
MODERATION = NotificationKind.moderation


@lifecycle.published.connect
def notify_about_post(session: Session, *, post, thread, channel) -> None:
    """Once a post is published, tell the author of what it answers, and the members it mentions."""
    writer = safespace.author_id_of(post)
    label = author_label(session, post)
    target = session.get(Post, post.parent_id) if post.parent_id else None
    if target is None and post.number > 1:
        target = session.execute(select(Post).where(Post.thread_id == thread.id, Post.number == 1)).scalar_one()
    told = {writer}
    if target is not None:
        target_author = safespace.author_id_of(target)
        if target_author not in told:
            notify(session, member_id=target_author, kind=REPLY, post=post, message=label,
                   sealed=target.seal is not None)
            told.add(target_author)
    handles = render_markdown(post.body_md).mentions[:MAX_MENTIONS]
    if handles:
        mentioned = session.execute(select(Member.id).where(Member.handle.in_(handles))).scalars()
        for member_id in mentioned:
            if member_id not in told:
                notify(session, member_id=member_id, kind=MENTION, post=post, message=label)
                told.add(member_id)


@safespace.rekeying.connect
def rekey(session: Session, old: safespace.Keys, new: safespace.Keys) -> None:
    """Re-encrypt sealed notifications under a new key (``forum rotate-anonymity-key``)."""
    for row in session.execute(select(SealedNotification)).scalars():
        payload = json.loads(safespace.decrypt(row.sealed, old))
        row.sealed = safespace.encrypt(json.dumps(payload).encode(), new)
        row.bucket = safespace.member_seal(payload["m"], "notify", new)[0]
        session.add(row)
    session.flush()
