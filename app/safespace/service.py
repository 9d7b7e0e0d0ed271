"""The anonymity rules in one place: seals, pseudonyms and sealed authors.

A safe-space post stores no author id. It stores
- a *seal*: HMAC(seal key, member id, thread id). It proves ownership (edit, delete) and keeps one
  pseudonym per person per thread, yet differs from thread to thread and means nothing without the key;
- the author id encrypted with Fernet (AES-128-CBC + HMAC, random IV) under a second derived key, with
  the token's timestamp field fixed at zero (Fernet would otherwise record the exact second), read
  only by the server: to apply a sanction to "the author of this post", to notify the author of
  replies, and for the author's own export and deletion.
Both keys derive from ANONYMITY_KEY, which is kept apart from SECRET_KEY.
"""

import base64
import hashlib
import hmac
import string
from dataclasses import dataclass
from datetime import UTC, datetime, time
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select, update
from sqlmodel import Session

from app.accounts.models import Member
from app.core.config import get_settings
from app.core.hooks import Hook
from app.safespace.models import GuidelinesConsent


@dataclass(frozen=True)
class Keys:
    seal: bytes
    author: Fernet


def derive_keys(anonymity_key: str) -> Keys:
    """Two independent keys from one secret (HMAC-SHA256 as the derivation function)."""
    master = anonymity_key.encode()
    seal = hmac.new(master, b"common-ground/seal/v1", hashlib.sha256).digest()
    author = hmac.new(master, b"common-ground/author/v1", hashlib.sha256).digest()
    return Keys(seal=seal, author=Fernet(base64.urlsafe_b64encode(author)))


@lru_cache(maxsize=4)
def _keys_for(anonymity_key: str) -> Keys:
    return derive_keys(anonymity_key)


def keys() -> Keys:
    return _keys_for(get_settings().anonymity_key)


def seal(member_id: int, thread_id: int, with_keys: Keys | None = None) -> str:
    """The author's seal for one thread."""
    return _seal((with_keys or keys()).seal, member_id, thread_id)


@lru_cache(maxsize=4096)
def _seal(key: bytes, member_id: int, thread_id: int) -> str:
    """Remembered: a page of an anonymous thread checks the viewer's seal against every post."""
    return hmac.new(key, f"post:{member_id}:{thread_id}".encode(), hashlib.sha256).hexdigest()


def member_seal(member_id: int, purpose: str, with_keys: Keys | None = None) -> str:
    """A keyed stand-in for a member id, different for each purpose so tables cannot be joined."""
    return _member_seal((with_keys or keys()).seal, member_id, purpose)


@lru_cache(maxsize=4096)
def _member_seal(key: bytes, member_id: int, purpose: str) -> str:
    """Remembered: every signed-in page asks for some (the notifications' bucket, how far a thread is read)."""
    return hmac.new(key, f"{purpose}:{member_id}".encode(), hashlib.sha256).hexdigest()


def waiting_mark(member_id: int, with_keys: Keys | None = None) -> str:
    """The mark a member's posts carry while they wait (Post.waiting_mark): how their own pages find
    them in one read. A member seal, so without the key it names nobody."""
    return member_seal(member_id, "waiting", with_keys)


def hold_days(member_id: int, days: int) -> int:
    """How many days a new account's safe-space posts wait for a moderator: ``days``, plus a keyed
    0 to ``days`` - 1 of its own, so that the day its posts stop being held does not give away the
    day it joined (a moderator who sees one pseudonym's posts held, then not, would date it)."""
    if days <= 0:
        return 0
    extra = hmac.new(keys().seal, f"hold:{member_id}".encode(), hashlib.sha256).digest()
    return days + int.from_bytes(extra[:4], "big") % days


def encrypt(data: bytes, with_keys: Keys | None = None) -> str:
    """Authenticated encryption with a random IV and no time in the token."""
    return (with_keys or keys()).author.encrypt_at_time(data, 0).decode()


def decrypt(token: str, with_keys: Keys | None = None) -> bytes | None:
    try:
        return (with_keys or keys()).author.decrypt(token.encode())
    except (InvalidToken, ValueError):
        return None


def seal_author(member_id: int, with_keys: Keys | None = None) -> str:
    return encrypt(str(member_id).encode(), with_keys)


def unseal_author(sealed: str | None, with_keys: Keys | None = None) -> int | None:
    """The author id behind a sealed post (or sanction), for the server's own use only."""
    data = decrypt(sealed, with_keys) if sealed else None
    return int(data) if data and data.isdigit() else None


def author_id_of(post) -> int | None:
    """Who wrote the post (any object with author_id and sealed_author), for the server's own use:
    sanctions and notifications. Never shown."""
    return post.author_id if post.author_id is not None else unseal_author(post.sealed_author)


def owns(viewer, post) -> bool:
    """Constant-time check that the viewer wrote this anonymous post (row or object with seal, thread_id)."""
    if viewer is None or not post.seal:
        return False
    return hmac.compare_digest(seal(viewer.id, post.thread_id), post.seal)


def pseudonym_label(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: spreadsheet-style letters."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = string.ascii_uppercase[remainder] + letters
    return letters


def day_only(moment: datetime) -> datetime:
    """What the safe space stores and shows of a time: the day, so times can't be matched to activity."""
    return datetime.combine(moment.astimezone(UTC).date(), time(12, 0), tzinfo=UTC)


def day_only_date(day) -> datetime:
    """A stored date as a datetime at noon UTC, for templates that format times."""
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def has_confirmed_guidelines(session: Session, member_id: int) -> bool:
    return session.get(GuidelinesConsent, member_seal(member_id, "guidelines")) is not None


def confirm_guidelines(session: Session, member_id: int) -> None:
    if not has_confirmed_guidelines(session, member_id):
        session.add(GuidelinesConsent(member_seal=member_seal(member_id, "guidelines")))
        session.flush()


# Each domain re-seals what it sealed (forum: posts; moderation: sanctions; notifications: sealed
# notifications): receivers take (session, old_keys, new_keys) and return how many posts they changed.
rekeying = Hook("rekeying")


def rekey(session: Session, old_key: str, new_key: str) -> int:
    """Re-seal and re-encrypt everything keyed by ANONYMITY_KEY under a new key; returns posts changed."""
    old, new = derive_keys(old_key), derive_keys(new_key)
    for member_id in session.execute(select(Member.id)).scalars():
        session.execute(update(GuidelinesConsent)
                        .where(GuidelinesConsent.member_seal == member_seal(member_id, "guidelines", old))
                        .values(member_seal=member_seal(member_id, "guidelines", new)))
    changed = sum(count or 0 for count in rekeying(session, old, new))
    session.flush()
    return changed
