"""In-app notifications. Ones that would tie a member to an anonymous post are stored sealed."""

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.core.timeutil import utcnow


class NotificationKind(StrEnum):
    reply = "reply"  # someone answered your post or thread
    mention = "mention"
    moderation = "moderation"  # a moderator acted on your post


class Notification(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    kind: str = Field(max_length=20)
    post_id: int | None = Field(default=None, foreign_key="post.id", ondelete="CASCADE")
    message: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


class SealedNotification(SQLModel, table=True):
    """A notification whose recipient is encrypted, so the table cannot link a member to an anonymous post.

    ``bucket`` (one hex digit of a member seal) narrows the rows to decrypt to about 1/16 while telling
    a reader of the database almost nothing. Rows are deleted once read: nothing stays behind.
    """

    __tablename__ = "sealed_notification"
    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=1, index=True)
    sealed: str = Field(max_length=2000)
    created_on: date = Field(default_factory=lambda: utcnow().date())
