"""The moderation log and sanctions. Neither names the author of a post: sanctions hold a member seal."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from app.core.timeutil import utcnow
from app.forum.models import new_public_id


class ActionKind(StrEnum):
    hide_post = "hide_post"
    restore_post = "restore_post"
    approve_post = "approve_post"
    edit_post = "edit_post"
    dismiss_reports = "dismiss_reports"
    warn_author = "warn_author"
    suspend_author = "suspend_author"
    lift_sanction = "lift_sanction"
    suspend_member = "suspend_member"  # a named member, by an admin (not through a post)
    pin_thread = "pin_thread"
    unpin_thread = "unpin_thread"
    lock_thread = "lock_thread"
    unlock_thread = "unlock_thread"
    move_thread = "move_thread"
    merge_thread = "merge_thread"
    split_thread = "split_thread"
    edit_thread = "edit_thread"  # title and tags
    mark_key_learning = "mark_key_learning"
    edit_key_learning = "edit_key_learning"
    unmark_key_learning = "unmark_key_learning"
    # An admin's, about named members (withheld from the transparency log)
    approve_member = "approve_member"
    change_role = "change_role"
    set_channel_moderators = "set_channel_moderators"
    invite_member = "invite_member"
    revoke_invitation = "revoke_invitation"
    # An admin's, about channels and the site (in the transparency log)
    create_channel = "create_channel"
    edit_channel = "edit_channel"
    reorder_channels = "reorder_channels"
    archive_channel = "archive_channel"
    unarchive_channel = "unarchive_channel"
    change_site_settings = "change_site_settings"


class SanctionKind(StrEnum):
    warning = "warning"
    suspension = "suspension"


class SanctionScope(StrEnum):
    safe_space = "safe_space"  # posting in anonymous channels
    channel = "channel"  # posting in one channel (Sanction.channel_id)
    site = "site"  # posting in every named channel (the safe space has its own: see active_suspension)


class ReportReason(StrEnum):
    off_topic = "off_topic"
    inappropriate = "inappropriate"
    personal_information = "personal_information"
    spam = "spam"
    other = "other"


class ReportOutcome(StrEnum):
    hidden = "hidden"  # a moderator hid the post
    dismissed = "dismissed"  # a moderator found nothing to do
    sanctioned = "sanctioned"  # the author was warned or suspended


class ModerationAction(SQLModel, table=True):
    """One line of the moderation log: what was done to which post, by whom, and why."""

    __tablename__ = "moderation_action"
    id: int | None = Field(default=None, primary_key=True)
    # In URLs: a sequence would show a channel's moderators that lines they cannot see were written between theirs.
    public_id: str = Field(default_factory=new_public_id, max_length=12, unique=True)
    action: str = Field(max_length=30)
    post_id: int | None = Field(default=None, foreign_key="post.id", index=True)
    thread_id: int | None = Field(default=None, foreign_key="thread.id")
    channel_id: int | None = Field(default=None, foreign_key="channel.id")
    sanction_id: int | None = Field(default=None, foreign_key="sanction.id")  # a sanction's line, and its lifting's
    moderator_id: int = Field(foreign_key="member.id")
    reason: str = Field(default="", max_length=500)
    detail: str = Field(default="", max_length=300)  # what the action itself says: "from A to B"
    # Members see only that it happened (personal information in the reason, say).
    is_staff_only: bool = False
    # Never in the transparency log: about an anonymous post or thread before anyone but its author and
    # the moderators could see it, or an admin's line about a named member (see log.record).
    withheld: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Report(SQLModel, table=True):
    """A member's report of a post, until a moderator deals with it. The post's author is never told who."""

    __table_args__ = (UniqueConstraint("post_id", "reporter_id"),)
    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", ondelete="CASCADE")
    reporter_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    reason: str = Field(max_length=30)
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = Field(default=None, index=True)
    resolved_by_id: int | None = Field(default=None, foreign_key="member.id")
    outcome: str | None = Field(default=None, max_length=20)


class Sanction(SQLModel, table=True):
    """A warning or suspension of "the author of this post". The member id is encrypted with a random IV,
    so two sanctions of one person cannot be linked, nor a sanction to a public post, from the table."""

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=new_public_id, max_length=12, unique=True)  # in URLs, as a log line's
    sealed_member: str = Field(max_length=400)
    kind: str = Field(max_length=20)
    scope: str = Field(max_length=20, default=SanctionScope.safe_space)
    channel_id: int | None = Field(default=None, foreign_key="channel.id")  # for SanctionScope.channel
    reason: str = Field(max_length=500)
    post_id: int | None = Field(default=None, foreign_key="post.id")
    created_by_id: int = Field(foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
