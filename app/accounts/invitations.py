"""Invitations: single-use signed sign-up links with an expiry, sent by email. The admins' page and
`forum invite` both invite through here; sign-up redeems them (service.invitation_for_token)."""

from datetime import timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from app.accounts.models import Invitation, Member, Role
from app.accounts.service import EMAIL_RE, member_by_email, normalise_email
from app.core import email as email_transport
from app.core.config import get_settings
from app.core.i18n import _
from app.core.problems import Problems
from app.core.security import new_token, token_hash
from app.core.timeutil import utcnow

INVITATION_DAYS = (1, 90)  # how long an invitation may stay open, in days


def create_invitation(session: Session, *, email: str, role: str = Role.member, invited_by: Member | None = None,
                      days: int = 14) -> str:
    """Store an invitation and return its one-time token (only its hash is kept)."""
    token = new_token()
    session.add(Invitation(
        email=normalise_email(email), token_hash=token_hash(token), role=role,
        invited_by_id=invited_by.id if invited_by else None, expires_at=utcnow() + timedelta(days=days),
    ))
    session.flush()
    return token


def invite_member(session: Session, *, email: str, role: str, days: str | int = 14,
                  invited_by=None) -> tuple[str | None, Problems]:
    """Check an invitation's details and store it: its one-time token, or what is wrong. The admins' page
    and `forum invite` both invite through here."""
    problems = Problems()
    address, days = normalise_email(email), str(days).strip()
    if not EMAIL_RE.match(address) or len(address) > 254:
        problems.add("email", _("Enter an email address like name@example.org."))
    elif member_by_email(session, address) is not None:
        problems.add("email", _("This address already has an account."))
    elif _open_invitation(session, address):
        problems.add("email", _("An invitation to this address is still open: revoke it first to send a new one."))
    if role not in Role.__members__:
        problems.add("role", _("Choose member, moderator or admin."))
    low, high = INVITATION_DAYS
    if not (days.isascii() and days.isdigit() and len(days) < 4) or not low <= int(days) <= high:
        problems.add("days", _("Enter a number of days from %(low)s to %(high)s.", low=low, high=high))
    if problems:
        return None, problems
    return create_invitation(session, email=address, role=role, invited_by=invited_by, days=int(days)), problems


def _open_invitation(session: Session, address: str) -> bool:
    query = select(Invitation.id).where(Invitation.email == address, Invitation.accepted_at.is_(None),
                                        Invitation.expires_at > utcnow()).limit(1)
    return session.execute(query).first() is not None


def invitation_link(token: str) -> str:
    return f"{get_settings().base_url.rstrip('/')}/signup?invite={token}"


def invitation_email(*, email: str, link: str, days: int | str, inviter_name: str = ""):
    """The email that carries an invitation's sign-up link to its address."""
    site = get_settings().site_name
    who = inviter_name or _("The %(site)s team", site=site)
    text = _(
        "Hello,\n\n%(who)s invited you to join %(site)s, a community of practice for place-based policy "
        "partnerships.\nCreate your account here (the link works once, for %(days)s days):\n\n%(link)s\n\n"
        "If you did not expect this invitation, ignore this email.\n",
        who=who, site=site, days=days, link=link,
    )
    return email_transport.build_message(to=email, subject=_("Your invitation to %(site)s", site=site), text=text)


def revoke_invitation(session: Session, invitation: Invitation) -> Problems:
    """Close an open invitation at once (it then reads as expired); one accepted or expired stays as it is."""
    problems = Problems()
    now = utcnow()
    closed = session.execute(update(Invitation).where(
        Invitation.id == invitation.id, Invitation.accepted_at.is_(None), Invitation.expires_at > now,
    ).values(expires_at=now)).rowcount
    if not closed:
        problems.add("invitation", _("This invitation is no longer open: nothing has changed."))
    session.expire(invitation)
    return problems
