"""Fixed-window rate limits kept in the database, so every app instance shares them.

Keys are HMACs of what is limited (an address, an email, a member), so the table holds no
addresses or ids in clear; rows are deleted as soon as their window ends.
"""

import hashlib
import hmac
import time

from sqlalchemy import delete, select
from sqlmodel import Field, Session, SQLModel

from app.core import db
from app.core.config import get_settings


class RateLimitHit(SQLModel, table=True):
    __tablename__ = "rate_limit"
    key: str = Field(primary_key=True, max_length=64)
    window: int = Field(primary_key=True)  # seconds since the epoch // period
    expires: int = Field(index=True)  # seconds since the epoch
    count: int = 0


def _key(name: str, identity: str) -> str:
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, f"ratelimit:{name}:{identity}".encode(), hashlib.sha256).hexdigest()


def hit(session: Session, name: str, identity: str, *, limit: int, period: int) -> bool:
    """Count one attempt; False when this identity has used up ``limit`` attempts in the current window."""
    now = int(time.time())
    window = now // period
    values = {"key": _key(name, identity), "window": window, "expires": (window + 1) * period, "count": 1}
    statement = (
        db.upsert(session, RateLimitHit).values(**values)
        .on_conflict_do_update(index_elements=["key", "window"], set_={"count": RateLimitHit.count + 1})
        .returning(RateLimitHit.count)
    )
    count = session.execute(statement).scalar_one()
    # Spent windows go at once: a row that outlives its window would only be a trace of activity.
    session.execute(delete(RateLimitHit).where(RateLimitHit.expires < now))
    return count <= limit


def wait(session: Session, name: str, identity: str, *, limit: int, period: int) -> int:
    """Seconds until this identity may try again, having used up ``limit`` in the current window
    (0: it may); counts nothing. With ``hit`` for failures only, a limit stops attempts that fail."""
    window = int(time.time()) // period
    count = session.execute(select(RateLimitHit.count).where(
        RateLimitHit.key == _key(name, identity), RateLimitHit.window == window)).scalar()
    return seconds_left(period) if count is not None and count >= limit else 0


def seconds_left(period: int) -> int:
    """Until the current window of ``period`` seconds ends: when a refused identity may try again."""
    now = int(time.time())
    return (now // period + 1) * period - now


def minutes(seconds: int) -> int:
    """Whole minutes, rounded up, for a page that says when to try again."""
    return max(1, -(-seconds // 60))
