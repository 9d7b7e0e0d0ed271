"""Watching, following normally and muting threads and channels.

A thread's own choice wins over its channel's; no row at all means "normal" (replies to me and
mentions).
Posting in a thread watches it, except in the safe space: a watch stored because someone posted
would say who wrote there. Anyone may still choose to watch a safe-space thread.
"""

from typing import NamedTuple

from sqlalchemy import bindparam, delete, or_, select
from sqlmodel import Session

from app.core import db
from app.notifications.models import Watch, WatchLevel

LEVELS = (WatchLevel.watching, WatchLevel.normal, WatchLevel.muted)
AS_CHANNEL = "channel"  # for a thread: no choice of its own, so its channel's applies


def choose(session: Session, *, member_id: int, level: str, thread_id: int | None = None,
           channel_id: int | None = None) -> bool:
    """Set a member's level for one thread or one channel (or AS_CHANNEL, for a thread); False for a
    level that does not exist."""
    as_channel = level == AS_CHANNEL and thread_id is not None
    if (level not in LEVELS and not as_channel) or (thread_id is None) == (channel_id is None):
        return False
    place = Watch.thread_id == thread_id if thread_id is not None else Watch.channel_id == channel_id
    session.execute(delete(Watch).where(Watch.member_id == member_id, place))
    # "normal" for a thread overrides its channel; AS_CHANNEL leaves it no row
    if not as_channel and (level != WatchLevel.normal or thread_id is not None):
        session.add(Watch(member_id=member_id, thread_id=thread_id, channel_id=channel_id, level=level))
    session.flush()
    return True


def watch_after_posting(session: Session, *, member_id: int, thread_id: int) -> None:
    """Posting in a thread watches it, unless its member already chose something for it."""
    session.execute(db.upsert(session, Watch)
                    .values(member_id=member_id, thread_id=thread_id, level=WatchLevel.watching)
                    .on_conflict_do_nothing(index_elements=["member_id", "thread_id"]))


def levels(session: Session, *, thread_id: int, channel_id: int) -> dict[int, str]:
    """Every member with a choice touching this thread, and the level that applies to them."""
    chosen: dict[int, str] = {}
    query = (select(Watch.member_id, Watch.level, Watch.thread_id)
             .where(or_(Watch.thread_id == thread_id, Watch.channel_id == channel_id)))
    for member_id, level, for_thread in session.execute(query):
        if for_thread is not None or member_id not in chosen:
            chosen[member_id] = level
    return chosen


# Built once: on a signed-in thread page, building this select cost more than running it.
_LEVELS_OF_MEMBER = select(Watch.level, Watch.thread_id).where(
    Watch.member_id == bindparam("member_id"),
    or_(Watch.channel_id == bindparam("channel_id"), Watch.thread_id == bindparam("thread_id")))


class Choice(NamedTuple):
    level: str  # the level that applies
    source: str  # where it comes from: "thread", "channel" or "" (nobody chose: normal)
    channel_level: str  # what the member chose for the channel (normal if nothing)


def level_of(session: Session, *, member_id: int, thread_id: int | None = None, channel_id: int) -> Choice:
    """The member's level for this thread or channel, and where it comes from."""
    params = {"member_id": member_id, "channel_id": channel_id, "thread_id": thread_id}
    found = {("thread" if for_thread is not None else "channel"): level
             for level, for_thread in session.connection().execute(_LEVELS_OF_MEMBER, params)}
    channel_level = found.get("channel", WatchLevel.normal)
    if "thread" in found:
        return Choice(found["thread"], "thread", channel_level)
    return Choice(channel_level, "channel" if "channel" in found else "", channel_level)

