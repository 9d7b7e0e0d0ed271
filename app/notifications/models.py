"""In-app notifications, what members watch, and the settings and ledger of notification emails.
Notifications that would tie a member to an anonymous post are stored sealed."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from app.core.timeutil import utcnow


class NotificationKind(StrEnum):
    """What a notification is about: each kind can be emailed or not (NotificationSetting)."""

    reply = "reply"  # someone answered your post or thread
    mention = "mention"
    moderation = "moderation"  # a moderator acted on your post, or on what you reported
    watching = "watching"  # new activity in a thread or channel you watch


class Notification(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=20)
    post_id: int | None = Field(default=None, foreign_key="post.id", ondelete="CASCADE")
    # What happened and its values (notifications.messages), put into words in the reader's language.
    event: str = Field(default="", max_length=30, sa_column_kwargs={"server_default": ""})
    details: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None
    emailed_at: datetime | None = None  # claimed for an email (or sent); unread and unemailed ones wait


class SealedNotification(SQLModel, table=True):
    """A notification whose recipient is encrypted, so the table cannot link a member to an anonymous post.

    ``bucket`` (one hex digit of a member seal) narrows the rows to decrypt to about 1/16 while telling
    a reader of the database almost nothing. Rows are deleted once read: nothing stays behind.
    """

    __tablename__ = "sealed_notification"
    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=1, index=True)
    sealed: str = Field(max_length=4000)
    created_on: date = Field(default_factory=lambda: utcnow().date())
    emailed: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class WatchLevel(StrEnum):
    watching = "watching"  # every new post (in a channel: every new thread and post)
    normal = "normal"  # replies to me and mentions only (a thread's row says so over its channel's)
    muted = "muted"  # nothing, not even replies and mentions (moderators' messages still come)


class Watch(SQLModel, table=True):
    """A member's choice for one thread or one channel; a thread's choice wins over its channel's.
    No timestamps: when a member began watching says nothing anyone needs."""

    __table_args__ = (UniqueConstraint("member_id", "thread_id", name="uq_watch_member_thread"),
                      UniqueConstraint("member_id", "channel_id", name="uq_watch_member_channel"))
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    thread_id: int | None = Field(default=None, foreign_key="thread.id", ondelete="CASCADE", index=True)
    channel_id: int | None = Field(default=None, foreign_key="channel.id", ondelete="CASCADE", index=True)
    level: str = Field(max_length=10)


class NotificationSetting(SQLModel, table=True):
    """Which kinds of notification a member also gets by email; no row means the defaults (all on)."""

    __tablename__ = "notification_setting"
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", primary_key=True)
    email_reply: bool = True
    email_mention: bool = True
    email_moderation: bool = True
    email_watching: bool = True


class NotificationEmail(SQLModel, table=True):
    """When a member was last emailed about a thread (at most one email per thread a quarter hour).
    Keyed by a member seal of (member, thread), so the table names neither."""

    __tablename__ = "notification_email"
    key: str = Field(max_length=64, primary_key=True)
    sent_at: datetime = Field(default_factory=utcnow)
