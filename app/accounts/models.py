"""Members, their organisations and pilots, sessions and invitations."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from app.core.timeutil import utcnow


class OrganisationKind(StrEnum):
    university = "university"
    local_authority = "local_authority"
    business = "business"
    voluntary = "voluntary"
    public_body = "public_body"
    other = "other"


class Role(StrEnum):
    member = "member"
    moderator = "moderator"
    admin = "admin"


class MemberStatus(StrEnum):
    active = "active"
    pending = "pending"  # waiting for admin approval
    suspended = "suspended"


class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    kind: str = Field(max_length=30, default=OrganisationKind.other)


class Member(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)  # stored lower-cased
    handle: str = Field(max_length=30, unique=True)  # stored lower-cased
    display_name: str = Field(max_length=80)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=20, default=Role.member)
    status: str = Field(max_length=20, default=MemberStatus.active)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    bio: str = Field(default="", max_length=500)
    locale: str = Field(default="", max_length=10)
    created_at: datetime = Field(default_factory=utcnow)
    # Visits, to the hour (a finer clock beside the safe space's posts would narrow down who wrote
    # them): the hour last seen, and where the visit before the present one ended (accounts.visits).
    visited_at: datetime | None = None
    previous_visit_at: datetime | None = None

    @property
    def is_moderator(self) -> bool:
        return self.role in (Role.moderator, Role.admin)

    @property
    def is_site_moderator(self) -> bool:
        return self.role in (Role.moderator, Role.admin)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin


class PilotAffiliation(SQLModel, table=True):
    __tablename__ = "pilot_affiliation"
    member_id: int = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")
    channel_id: int = Field(foreign_key="channel.id", primary_key=True, ondelete="CASCADE")


class ChannelModerator(SQLModel, table=True):
    """A moderator of one channel (site moderators and admins moderate every channel without a row)."""

    __tablename__ = "channel_moderator"
    member_id: int = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")
    channel_id: int = Field(foreign_key="channel.id", primary_key=True, ondelete="CASCADE")


class UserSession(SQLModel, table=True):
    """A signed-in browser; the cookie carries the key, the table only its hash."""

    __tablename__ = "user_session"
    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64, unique=True)
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)


class Invitation(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("token_hash"),)
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    token_hash: str = Field(max_length=64)
    role: str = Field(max_length=20, default=Role.member)
    invited_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    accepted_at: datetime | None = None


@dataclass(frozen=True)
class Viewer:
    """The signed-in member as a request sees them: a snapshot that outlives the session."""

    id: int
    handle: str
    display_name: str
    role: str
    status: str
    created_at: datetime
    unread: int = 0  # unread notifications, for the header
    moderates: frozenset[int] = frozenset()  # ids of the channels they moderate (ChannelModerator)
    waiting: int = 0  # items in their review queue, for a moderator's header
    visited_at: datetime | None = None  # as stored (see Member), for accounts.visits
    previous_visit_at: datetime | None = None

    @classmethod
    def of(cls, member, unread: int = 0, moderates: frozenset[int] = frozenset()) -> "Viewer":
        """From a Member, or any row with its id, handle, display_name, role, status and created_at
        (and, if it has them, its visit times)."""
        return cls(id=member.id, handle=member.handle, display_name=member.display_name, role=member.role,
                   status=member.status, created_at=member.created_at, unread=unread, moderates=moderates,
                   visited_at=getattr(member, "visited_at", None),
                   previous_visit_at=getattr(member, "previous_visit_at", None))

    @property
    def is_moderator(self) -> bool:
        """Moderates some channel, or all of them: may open the moderators' pages."""
        return self.role in (Role.moderator, Role.admin) or bool(self.moderates)

    @property
    def is_site_moderator(self) -> bool:
        return self.role in (Role.moderator, Role.admin)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin
