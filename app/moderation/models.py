"""The moderation log and sanctions. Neither names the author of a post: sanctions hold a member seal."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.core.timeutil import utcnow


class ActionKind(StrEnum):
    hide_post = "hide_post"
    restore_post = "restore_post"
    approve_post = "approve_post"
    warn_author = "warn_author"
    suspend_author = "suspend_author"


class SanctionKind(StrEnum):
    warning = "warning"
    suspension = "suspension"


class SanctionScope(StrEnum):
    safe_space = "safe_space"  # posting in anonymous channels
    site = "site"  # posting anywhere


class ModerationAction(SQLModel, table=True):
    """One line of the moderation log: what was done to which post, by whom, and why."""

    __tablename__ = "moderation_action"
    id: int | None = Field(default=None, primary_key=True)
    action: str = Field(max_length=30)
    post_id: int | None = Field(default=None, foreign_key="post.id", index=True)
    thread_id: int | None = Field(default=None, foreign_key="thread.id")
    channel_id: int | None = Field(default=None, foreign_key="channel.id")
    moderator_id: int = Field(foreign_key="member.id")
    reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class Sanction(SQLModel, table=True):
    """A warning or suspension of "the author of this post". The member id is encrypted with a random IV,
    so two sanctions of one person cannot be linked, nor a sanction to a public post, from the table."""

    id: int | None = Field(default=None, primary_key=True)
    sealed_member: str = Field(max_length=400)
    kind: str = Field(max_length=20)
    scope: str = Field(max_length=20, default=SanctionScope.safe_space)
    reason: str = Field(max_length=500)
    post_id: int | None = Field(default=None, foreign_key="post.id")
    created_by_id: int = Field(foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
