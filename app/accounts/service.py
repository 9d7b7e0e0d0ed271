"""Accounts: sign-up (by invitation too: invitation_for_token), sign-in sessions, password reset and
profiles. Invitations themselves are app.accounts.invitations."""

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import Row, String, bindparam, cast, delete, func, literal_column, select
from sqlmodel import Session

from app.accounts.models import (
    ChannelModerator,
    Invitation,
    Member,
    MemberStatus,
    Organisation,
    OrganisationKind,
    PilotAffiliation,
    Role,
    UserSession,
    Viewer,
)
from app.accounts.passwords import password_problems
from app.core import email as email_transport
from app.core import site_settings
from app.core.config import RegistrationMode, get_settings
from app.core.hooks import Hook
from app.core.i18n import _
from app.core.problems import Problems
from app.core.security import (
    hash_password,
    password_needs_rehash,
    serializer,
    token_hash,
    unsign,
    verify_password,
)
from app.core.timeutil import utcnow

HANDLE_RE = re.compile(r"^[a-z0-9_-]{3,30}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
RESERVED_HANDLES = frozenset({"admin", "moderator", "mod", "staff", "system", "anonymous", "everyone"})


@dataclass(frozen=True)
class ProfileInput:
    display_name: str
    bio: str = ""
    organisation_name: str = ""
    organisation_kind: str = OrganisationKind.other
    pilot_ids: tuple[int, ...] = ()


def normalise_email(value: str) -> str:
    return value.strip().lower()


def normalise_handle(value: str) -> str:
    return value.strip().lstrip("@").lower()


def member_by_email(session: Session, email: str) -> Member | None:
    return session.execute(select(Member).where(Member.email == normalise_email(email))).scalar_one_or_none()


def member_by_handle(session: Session, handle: str) -> Member | None:
    return session.execute(select(Member).where(Member.handle == normalise_handle(handle))).scalar_one_or_none()


def check_profile(profile: ProfileInput, problems: Problems) -> None:
    if not profile.display_name.strip():
        problems.add("display_name", _("Enter your name as other members should see it."))
    elif len(profile.display_name) > 80:
        problems.add("display_name", _("Use a name of at most 80 characters."))
    if len(profile.bio) > 500:
        problems.add("bio", _("Keep your bio to at most 500 characters."))
    if len(profile.organisation_name) > 120:
        problems.add("organisation_name", _("Use an organisation name of at most 120 characters."))
    if profile.organisation_kind not in OrganisationKind.__members__:
        problems.add("organisation_kind", _("Choose the kind of organisation."))


def check_sign_up(
    session: Session, *, email: str, handle: str, password: str, profile: ProfileInput, allow_reserved: bool = False
) -> Problems:
    """Everything wrong with a sign-up form, field by field."""
    problems = Problems()
    email, handle = normalise_email(email), normalise_handle(handle)
    if not EMAIL_RE.match(email) or len(email) > 254:
        problems.add("email", _("Enter an email address like name@example.org."))
    if not HANDLE_RE.match(handle):
        problems.add("handle", _("Use 3 to 30 lower-case letters, digits, hyphens or underscores."))
    elif (handle in RESERVED_HANDLES and not allow_reserved) or member_by_handle(session, handle):
        problems.add("handle", _("That handle is taken. Try another."))
    check_profile(profile, problems)
    for message in password_problems(password, email=email, handle=handle, name=profile.display_name):
        problems.add("password", message)
    return problems


def organisation_named(session: Session, name: str, kind: str) -> Organisation | None:
    """The organisation with this name, created on first mention."""
    name = " ".join(name.split())
    if not name:
        return None
    found = session.execute(select(Organisation).where(Organisation.name == name)).scalar_one_or_none()
    if found is None:
        found = Organisation(name=name, kind=kind)
        session.add(found)
        session.flush()
    return found


def create_member(
    session: Session,
    *,
    email: str,
    handle: str,
    password: str,
    profile: ProfileInput,
    role: str = Role.member,
    status: str = MemberStatus.active,
) -> Member:
    """Store a new member; the caller has checked the input."""
    organisation = organisation_named(session, profile.organisation_name, profile.organisation_kind)
    member = Member(
        email=normalise_email(email),
        handle=normalise_handle(handle),
        display_name=profile.display_name.strip(),
        password_hash=hash_password(password),
        role=role,
        status=status,
        bio=profile.bio.strip(),
        organisation_id=organisation.id if organisation else None,
    )
    session.add(member)
    session.flush()
    set_pilots(session, member, profile.pilot_ids)
    return member


# The pilot partnerships a member can choose: each is a channel, which the forum (above this
# package) knows. Receivers take (session) and return rows with id, slug and name.
pilot_sources = Hook("pilot choices")


def pilot_choices(session: Session) -> list:
    return [pilot for found in pilot_sources(session) for pilot in found]


def set_pilots(session: Session, member: Member, pilot_ids: tuple[int, ...]) -> None:
    """Affiliate the member with these pilots; ids that are not pilot channels are ignored."""
    session.execute(delete(PilotAffiliation).where(PilotAffiliation.member_id == member.id))
    if not pilot_ids:
        return
    valid = {pilot.id for pilot in pilot_choices(session)} & set(pilot_ids)
    for channel_id in sorted(valid):
        session.add(PilotAffiliation(member_id=member.id, channel_id=channel_id))
    session.flush()


def sign_up(
    session: Session,
    *,
    email: str,
    handle: str,
    password: str,
    profile: ProfileInput,
    invitation_token: str = "",
) -> tuple[Member | None, Problems]:
    """Create an account as the registration mode allows; pending when approval is needed."""
    mode = site_settings.effective("registration_mode")
    invitation = invitation_for_token(session, invitation_token) if invitation_token else None
    problems = check_sign_up(session, email=email, handle=handle, password=password, profile=profile)
    if mode == RegistrationMode.invitation and invitation is None:
        problems.add("invitation", _("Sign-up is by invitation. Use the link from your invitation email."))
    if member_by_email(session, email) is not None and "email" not in problems.fields:
        # Not a field error: that would tell anyone which addresses have accounts.
        problems.add("email", _("We could not create an account with these details. If you already "
                                "have one, sign in or reset your password."))
    if problems:
        return None, problems
    status = MemberStatus.active
    if mode == RegistrationMode.approval and invitation is None:
        status = MemberStatus.pending
    role = invitation.role if invitation else Role.member
    member = create_member(
        session, email=email, handle=handle, password=password, profile=profile, role=role, status=status
    )
    if invitation is not None:
        invitation.accepted_at = utcnow()
        session.add(invitation)
    return member, problems


def signin_identity(session: Session, email: str) -> str:
    """What failed sign-ins are counted against: the email, and for an account its password's
    fingerprint too, so that a new password starts the count again."""
    member = member_by_email(session, email)
    address = normalise_email(email)
    return f"{address}:{token_hash(member.password_hash)[:16]}" if member else address


def authenticate(session: Session, email: str, password: str) -> Member | None:
    """The member with these credentials, or None; costs the same whether or not the email exists."""
    member = member_by_email(session, email)
    if not verify_password(member.password_hash if member else None, password):
        return None
    if password_needs_rehash(member.password_hash):
        member.password_hash = hash_password(password)
        session.add(member)
    return member


def start_session(session: Session, member: Member, browser_key: str) -> None:
    session.add(UserSession(key_hash=token_hash(browser_key), member_id=member.id))
    session.flush()


def end_session(session: Session, browser_key: str) -> None:
    session.execute(delete(UserSession).where(UserSession.key_hash == token_hash(browser_key)))


# The ids of the channels a member moderates, as one comma-separated column of the viewer lookup.
_MODERATES = (select(func.aggregate_strings(cast(ChannelModerator.channel_id, String), literal_column("','")))
              .where(ChannelModerator.member_id == Member.id).scalar_subquery().label("moderates"))


def moderated_ids(moderates: str | None) -> frozenset[int]:
    return frozenset(int(part) for part in moderates.split(",")) if moderates else frozenset()


@lru_cache(maxsize=4)
def _member_for_browser_statement(columns: tuple):
    return (
        select(Member.id, Member.handle, Member.display_name, Member.role, Member.status, Member.created_at,
               Member.visited_at, Member.previous_visit_at, _MODERATES, *columns)
        .join(UserSession, UserSession.member_id == Member.id)
        .where(UserSession.key_hash == bindparam("key_hash"), UserSession.created_at > bindparam("oldest"))
        .where(Member.status == MemberStatus.active)
    )


@dataclass(frozen=True)
class UnreadCounter:
    """How many unread notifications a member has: a labelled ``column`` over Member read with the
    member's own row, and ``count(session, member_id, value)``. The notifications domain, above this
    one, supplies it (count_unread_with)."""

    column: object
    count: Callable


_unread_counters: list[UnreadCounter] = []


def count_unread_with(counter: UnreadCounter) -> None:
    _unread_counters[:] = [counter]


# How many items wait in a moderator's review queue: receivers take (session, viewer) and return a
# count (moderation connects its queue's).
review_counts = Hook("review counts")


def viewer_for_browser(session: Session, browser_key: str) -> Viewer | None:
    """The signed-in member as a Viewer, with their unread count, in one query (and the counter's own);
    a moderator's also with the count of their review queue (one more)."""
    counter = _unread_counters[0] if _unread_counters else None
    member = member_for_browser(session, browser_key, columns=(counter.column,) if counter else ())
    if member is None:
        return None
    unread = counter.count(session, member.id, getattr(member, counter.column.name)) if counter else 0
    viewer = Viewer.of(member, unread, moderated_ids(member.moderates))
    if viewer.is_moderator:
        viewer = replace(viewer, waiting=sum(review_counts(session, viewer)))
    return viewer


def member_for_browser(session: Session, browser_key: str, *, columns: tuple = ()) -> Row | None:
    """The active member signed in on this browser, if any: a row of what Viewer.of needs, plus
    ``columns`` (labelled expressions over Member, such as another domain's counts: one query for both)."""
    oldest = utcnow() - timedelta(seconds=get_settings().session_max_age)
    params = {"key_hash": token_hash(browser_key), "oldest": oldest}
    return session.connection().execute(_member_for_browser_statement(columns), params).first()


def _reset_signer():
    return serializer(get_settings().secret_key, "password-reset")


def password_reset_token(member: Member) -> str:
    """A signed token naming the member and a fingerprint of the current hash: spent once the password changes."""
    return _reset_signer().dumps({"m": member.id, "h": token_hash(member.password_hash)[:16]})


def member_for_reset_token(session: Session, token: str) -> Member | None:
    data = unsign(_reset_signer(), token, max_age=get_settings().password_reset_max_age)
    if not isinstance(data, dict) or not isinstance(data.get("m"), int):
        return None
    member = session.get(Member, data["m"])
    if member is None or token_hash(member.password_hash)[:16] != data.get("h"):
        return None
    return member


def password_reset_email(session: Session, email: str, reset_url_for):
    """The reset email for this address if it has an account, else None (the caller says nothing either way)."""
    member = member_by_email(session, email)
    if member is None or member.status == MemberStatus.suspended:
        return None
    link = reset_url_for(password_reset_token(member))
    minutes = get_settings().password_reset_max_age // 60
    text = _(
        "Hello %(name)s,\n\nSomeone asked to reset the password for your %(site)s account.\n"
        "If it was you, choose a new password here (the link works once, for %(minutes)s minutes):\n\n"
        "%(link)s\n\nIf it was not you, ignore this email: your password has not changed.\n",
        name=member.display_name, site=get_settings().site_name, minutes=minutes, link=link,
    )
    return email_transport.build_message(
        to=member.email, subject=_("Reset your %(site)s password", site=get_settings().site_name), text=text
    )


def reset_password(session: Session, member: Member, password: str) -> Problems:
    """Set a new password and sign the member out everywhere."""
    problems = Problems()
    for message in password_problems(password, email=member.email, handle=member.handle, name=member.display_name):
        problems.add("password", message)
    if problems:
        return problems
    member.password_hash = hash_password(password)
    session.add(member)
    session.execute(delete(UserSession).where(UserSession.member_id == member.id))
    session.flush()
    return problems


def update_profile(session: Session, member: Member, profile: ProfileInput) -> Problems:
    problems = Problems()
    check_profile(profile, problems)
    if problems:
        return problems
    organisation = organisation_named(session, profile.organisation_name, profile.organisation_kind)
    member.display_name = profile.display_name.strip()
    member.bio = profile.bio.strip()
    member.organisation_id = organisation.id if organisation else None
    session.add(member)
    set_pilots(session, member, profile.pilot_ids)
    return problems


def organisation_of(session: Session, member: Member) -> Organisation | None:
    return session.get(Organisation, member.organisation_id) if member.organisation_id else None


def pilot_ids_of(session: Session, member: Member) -> list[int]:
    query = select(PilotAffiliation.channel_id).where(PilotAffiliation.member_id == member.id)
    return list(session.execute(query).scalars())


def invitation_for_token(session: Session, token: str) -> Invitation | None:
    query = select(Invitation).where(
        Invitation.token_hash == token_hash(token), Invitation.accepted_at.is_(None), Invitation.expires_at > utcnow()
    )
    return session.execute(query).scalar_one_or_none()


def pending_members(session: Session) -> list[Member]:
    query = select(Member).where(Member.status == MemberStatus.pending).order_by(Member.created_at)
    return list(session.execute(query).scalars())


def approve_member(session: Session, member: Member) -> None:
    member.status = MemberStatus.active
    session.add(member)
