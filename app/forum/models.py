"""Channels, threads, posts, revisions, reactions and tags."""

import base64
import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import text
from sqlmodel import Field, Index, SQLModel, UniqueConstraint

from app.core.timeutil import utcnow


def new_public_id() -> str:
    """A short random id for URLs and DOM ids: reveals neither order nor time, unlike a sequence."""
    return base64.b32encode(secrets.token_bytes(5)).decode().lower()


class ChannelKind(StrEnum):
    pilot = "pilot"
    theme = "theme"
    safe_space = "safe_space"
    general = "general"


class Visibility(StrEnum):
    public = "public"
    members = "members"


class PostStatus(StrEnum):
    """A post's states: app/forum/visibility.py says who sees each, app/forum/lifecycle.py moves between them."""

    published = "published"
    pending = "pending"  # held for a moderator
    queued = "queued"  # waiting for the safe space's next release
    hidden = "hidden"
    deleted = "deleted"


class ReactionKind(StrEnum):
    helpful = "helpful"
    same_here = "same_here"


class Channel(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=60, unique=True)
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=500)
    kind: str = Field(max_length=20, default=ChannelKind.general)
    visibility: str = Field(max_length=20, default=Visibility.public)
    is_anonymous: bool = False
    is_premoderated: bool = False
    position: int = 0
    archived_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Thread(SQLModel, table=True):
    __table_args__ = (
        Index("ix_thread_channel_activity", "channel_id", "is_pinned", "last_activity_at"),
        Index("ix_thread_activity", "last_activity_at"),  # the Latest page, across channels
        # The few threads not yet listed, for their authors and moderators (forum.service.waiting_threads).
        Index("ix_thread_waiting", "channel_id", sqlite_where=text("is_pending = 1"),
              postgresql_where=text("is_pending")),
    )
    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=new_public_id, max_length=12, unique=True)
    channel_id: int = Field(foreign_key="channel.id")
    title: str = Field(max_length=200)
    slug: str = Field(max_length=80)
    author_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    is_pinned: bool = False
    is_locked: bool = False
    is_pending: bool = False  # not listed yet: the opening post is held or waits for the next release
    post_count: int = 0  # the highest post number given, deleted posts included
    reply_count: int = 0  # published replies, post 1 excluded
    created_at: datetime = Field(default_factory=utcnow)
    last_activity_at: datetime = Field(default_factory=utcnow)


class Post(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("thread_id", "number"),
        Index("ix_post_thread_path", "thread_id", "path"),
        # The few posts held for a moderator, for the review queue and its count in every moderator's header.
        Index("ix_post_held", "thread_id", sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
    )
    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=new_public_id, max_length=12, unique=True)
    thread_id: int = Field(foreign_key="thread.id")
    number: int | None = None  # 1 is the opening post; replies are numbered when published
    parent_id: int | None = Field(default=None, foreign_key="post.id")
    # Depth-first order of the reply tree: parent's path + this post's zero-padded number
    # ("~" and the public id until it has a number, which sorts after its published siblings).
    path: str = Field(max_length=400)
    depth: int = 0
    # Null in an anonymous channel: see app/safespace for seal, sealed_author and pseudonym.
    author_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    seal: str | None = Field(default=None, max_length=64)
    sealed_author: str | None = Field(default=None, max_length=400)
    pseudonym: str | None = Field(default=None, max_length=8)
    body_md: str
    body_html: str
    status: str = Field(max_length=20, default=PostStatus.published)
    hidden_from: str | None = Field(default=None, max_length=20)  # the status a restore returns to
    hidden_reason: str | None = Field(default=None, max_length=500)  # shown to the author and moderators
    # In the safe space, the release a queued post waits for (or at which a held one reaches the
    # moderators); null otherwise. A release time, not the time it was written.
    release_at: datetime | None = None
    # While a post waits (held or queued): a keyed mark of its author (safespace.member_seal), so the
    # author's own pages find it in one indexed read, whatever else waits; cleared when it is published.
    waiting_mark: str | None = Field(default=None, max_length=64, index=True)
    # In the safe space an edit of a post others can read (published, or in the moderators' queue)
    # reaches them at the next release too (edit_due_at): until then its author alone sees the new
    # words (and, for post 1, title).
    edit_due_at: datetime | None = None
    pending_body_md: str | None = None
    pending_body_html: str | None = None
    pending_title: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    edited_at: datetime | None = None


class ThreadRedirect(SQLModel, table=True):
    """The address of a thread merged into another: its old public id now leads there."""

    __tablename__ = "thread_redirect"
    public_id: str = Field(primary_key=True, max_length=12)
    thread_id: int = Field(foreign_key="thread.id", index=True, ondelete="CASCADE")


class PostRevision(SQLModel, table=True):
    __tablename__ = "post_revision"
    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True, ondelete="CASCADE")
    body_md: str
    # Who replaced these words, when it was a moderator rather than the author (never the author:
    # in the safe space that would name them). Members are told "a moderator".
    moderator_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow)


class Reaction(SQLModel, table=True):
    post_id: int = Field(foreign_key="post.id", primary_key=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")
    kind: str = Field(max_length=20, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)


class Tag(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, unique=True)


class ThreadRead(SQLModel, table=True):
    """How far a member has read a thread: its highest post number when they last opened it. Keyed by
    a member seal of (member, thread), so that without the key the table says nobody read anything,
    the safe space's threads included (forum.reading)."""

    __tablename__ = "thread_read"
    key: str = Field(primary_key=True, max_length=64)
    number: int


class ThreadTag(SQLModel, table=True):
    __tablename__ = "thread_tag"
    thread_id: int = Field(foreign_key="thread.id", primary_key=True, ondelete="CASCADE")
    tag_id: int = Field(foreign_key="tag.id", primary_key=True, ondelete="CASCADE")
