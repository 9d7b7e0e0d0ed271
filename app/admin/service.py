"""What admins change: members' roles and the channels they moderate, the channels themselves, and the
site settings; the lists they work from. Approval and invitations are app.accounts' rules, suspensions
app.moderation's. Each change is a line of the moderation log: those about named members are withheld
from the transparency log, those about channels and the site are not."""

import re
from dataclasses import dataclass

from sqlalchemy import case, delete, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.accounts import invitations
from app.accounts import service as accounts
from app.accounts.models import ChannelModerator, Invitation, Member, MemberStatus, Role
from app.core import site_settings
from app.core.config import RegistrationMode
from app.core.i18n import _
from app.core.problems import Problems
from app.core.timeutil import utcnow
from app.forum import lifecycle
from app.forum.models import Channel, ChannelKind, Visibility
from app.forum.service import Page, page_of
from app.moderation.log import record
from app.moderation.models import ActionKind

PER_PAGE = 50
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
MEMBER_STATUSES = (MemberStatus.active, MemberStatus.pending)
INVITATION_STATES = ("open", "accepted", "expired")
# Not 0 (releases off, every post's time its author's) from here: only the operator may turn them off.
RELEASE_MINUTES = (15, 24 * 60)


def _like(text: str) -> str:
    """A LIKE pattern matching the text anywhere, its own % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# Members ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MemberFilters:
    q: str = ""  # part of a name, handle or email address
    role: str = ""  # a Role, or any
    status: str = ""  # active or pending, or any
    page: int = 1


def member_filters(q: str, role: str, status: str, page: int) -> MemberFilters:
    """The filters as given, with any value not offered dropped."""
    return MemberFilters(q=" ".join(q.split())[:100], role=role if role in Role.__members__ else "",
                         status=status if status in MEMBER_STATUSES else "", page=page)


def members_page(session: Session, filters: MemberFilters) -> tuple[list, Page]:
    """One page of members matching the filters, by name."""
    conditions = []
    if filters.q:
        pattern = _like(filters.q.lower())
        conditions.append(or_(*(column.ilike(pattern, escape="\\")
                                for column in (Member.display_name, Member.handle, Member.email))))
    if filters.role:
        conditions.append(Member.role == filters.role)
    if filters.status:
        conditions.append(Member.status == filters.status)
    total = session.execute(select(func.count()).select_from(Member).where(*conditions)).scalar_one()
    page = page_of(filters.page, total, PER_PAGE)
    query = (select(Member.id, Member.handle, Member.display_name, Member.email, Member.role, Member.status,
                    Member.created_at)
             .where(*conditions).order_by(func.lower(Member.display_name), Member.id)
             .offset((page.number - 1) * PER_PAGE).limit(PER_PAGE))
    return session.execute(query).all(), page


def change_role(session: Session, *, member: Member, role: str, admin) -> Problems:
    """Make the member a member, moderator or admin; never the acting admin's own role (someone must stay admin)."""
    problems = Problems()
    if role not in Role.__members__:
        problems.add("role", _("Choose member, moderator or admin."))
    elif member.id == admin.id and role != member.role:
        problems.add("role", _("You cannot change your own role: ask another admin."))
    if problems or role == member.role:
        return problems
    detail = f"@{member.handle}: {member.role} → {role}"
    member.role = role
    session.add(member)
    record(session, action=ActionKind.change_role, moderator=admin, channel=None, detail=detail)
    return problems


def approve_member(session: Session, *, member: Member, admin) -> bool:
    """Let a member waiting for approval sign in; False if they were not waiting."""
    if member.status != MemberStatus.pending:
        return False
    accounts.approve_member(session, member)
    record(session, action=ActionKind.approve_member, moderator=admin, channel=None, detail=f"@{member.handle}")
    return True


def invite_member(session: Session, *, email: str, role: str, days: str, admin) -> tuple[str | None, Problems]:
    """invitations.invite_member, on the record."""
    token, problems = invitations.invite_member(session, email=email, role=role, days=days, invited_by=admin)
    if token is not None:
        record(session, action=ActionKind.invite_member, moderator=admin, channel=None,
               detail=f"{accounts.normalise_email(email)} ({role})")
    return token, problems


def revoke_invitation(session: Session, *, invitation: Invitation, admin) -> Problems:
    email = invitation.email
    problems = invitations.revoke_invitation(session, invitation)
    if not problems:
        record(session, action=ActionKind.revoke_invitation, moderator=admin, channel=None, detail=email)
    return problems


def moderated_channel_ids(session: Session, member: Member) -> set[int]:
    query = select(ChannelModerator.channel_id).where(ChannelModerator.member_id == member.id)
    return set(session.execute(query).scalars())


def set_moderated_channels(session: Session, *, member: Member, channel_ids: list[str], admin) -> Problems:
    """Make the member a moderator of exactly these channels (ids as the form sends them)."""
    problems = Problems()
    wanted = {int(value) for value in channel_ids if value.isascii() and value.isdigit() and len(value) < 10}
    known = set(session.execute(select(Channel.id).where(Channel.id.in_(wanted))).scalars()) if wanted else set()
    if len(wanted) != len(channel_ids) or known != wanted:
        problems.add("channels", _("Choose channels from the list."))
        return problems
    if wanted == moderated_channel_ids(session, member):
        return problems
    session.execute(delete(ChannelModerator).where(ChannelModerator.member_id == member.id))
    session.add_all(ChannelModerator(member_id=member.id, channel_id=channel_id) for channel_id in sorted(wanted))
    names = session.execute(select(Channel.name).where(Channel.id.in_(wanted)).order_by(Channel.name)).scalars()
    record(session, action=ActionKind.set_channel_moderators, moderator=admin, channel=None,
           detail=f"@{member.handle}: {', '.join(names) or _('none')}")
    return problems


# Channels ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChannelInput:
    slug: str
    name: str
    description: str = ""
    kind: str = ChannelKind.general
    visibility: str = Visibility.public
    is_premoderated: bool = False


def all_channels(session: Session) -> list[Channel]:
    """Every channel, archived ones too, in the home page's order."""
    return list(session.execute(select(Channel).order_by(Channel.position, Channel.name, Channel.id)).scalars())


def channel_by_slug(session: Session, slug: str) -> Channel | None:
    return session.execute(select(Channel).where(Channel.slug == slug)).scalar_one_or_none()


def _check_channel(session: Session, form: ChannelInput, channel: Channel | None) -> Problems:
    problems = Problems()
    if not SLUG_RE.match(form.slug):
        problems.add("slug", _("Use 1 to 60 lower-case letters, digits and hyphens, starting with a letter or digit."))
    else:
        other = channel_by_slug(session, form.slug)
        if other is not None and (channel is None or other.id != channel.id):
            problems.add("slug", _("Another channel has this address. Choose another."))
    if not form.name.strip():
        problems.add("name", _("Give the channel a name."))
    elif len(form.name) > 100:
        problems.add("name", _("Use a name of at most 100 characters."))
    if len(form.description) > 500:
        problems.add("description", _("Keep the description to at most 500 characters."))
    if form.kind not in ChannelKind.__members__:
        problems.add("kind", _("Choose the kind of channel."))
    elif channel is not None and (form.kind == ChannelKind.safe_space) != channel.is_anonymous:
        # Either way round, the posts already written would change hands: named ones would lose their
        # authors, or anonymous ones would sit among named channels' rules.
        problems.add("kind", _("This channel is anonymous and stays a safe space: changing that would expose or "
                               "re-label its posts.") if channel.is_anonymous else
                     _("A named channel cannot become a safe space: its posts would be re-labelled. Create a new "
                       "safe-space channel instead."))
    if form.visibility not in Visibility.__members__:
        problems.add("visibility", _("Choose who can read the channel."))
    elif form.kind == ChannelKind.safe_space and form.visibility != Visibility.members:
        problems.add("visibility", _("A safe space is always for members only."))
    return problems


def _apply(channel: Channel, form: ChannelInput) -> None:
    channel.slug, channel.name, channel.description = form.slug, form.name.strip(), form.description.strip()
    channel.kind, channel.visibility, channel.is_premoderated = form.kind, form.visibility, form.is_premoderated


def create_channel(session: Session, *, form: ChannelInput, admin) -> tuple[Channel | None, Problems]:
    """A new channel, last in the order; a safe space is anonymous for good."""
    problems = _check_channel(session, form, None)
    if problems:
        return None, problems
    last = session.execute(select(func.max(Channel.position))).scalar_one()
    channel = Channel(slug=form.slug, name="", is_anonymous=form.kind == ChannelKind.safe_space,
                      position=(last if last is not None else -1) + 1)
    _apply(channel, form)
    session.add(channel)
    session.flush()
    record(session, action=ActionKind.create_channel, moderator=admin, channel=channel)
    return channel, problems


def _settings_of(channel: Channel) -> tuple:
    return (channel.slug, channel.name, channel.description, channel.kind, channel.visibility,
            channel.is_premoderated)


def update_channel(session: Session, *, channel: Channel, form: ChannelInput, admin) -> Problems:
    """Change a channel's address, name, description, kind, readers or pre-moderation; never its anonymity."""
    problems = _check_channel(session, form, channel)
    if problems:
        return problems
    before = _settings_of(channel)
    _apply(channel, form)
    if _settings_of(channel) != before:
        session.add(channel)
        record(session, action=ActionKind.edit_channel, moderator=admin, channel=channel,
               detail=_("was “%(name)s”", name=before[1]) if before[1] != channel.name else "")
    return problems


def move_channel(session: Session, *, channel: Channel, direction: str, admin) -> Problems:
    """Swap the channel with its neighbour of the same kind above or below (the home page lists the
    channels by kind); positions are numbered afresh from 0."""
    problems = Problems()
    channels = all_channels(session)
    kin = [i for i, row in enumerate(channels) if row.kind == channel.kind]
    place = next(n for n, i in enumerate(kin) if channels[i].id == channel.id)
    step = {"up": -1, "down": 1}.get(direction)
    if step is None:
        problems.add("direction", _("Move a channel up or down."))
    elif not 0 <= place + step < len(kin):
        problems.add("direction", _("%(channel)s is already first of its kind.", channel=channel.name)
                     if direction == "up" else _("%(channel)s is already last of its kind.", channel=channel.name))
    if problems:
        return problems
    index, other = kin[place], kin[place + step]
    channels[index], channels[other] = channels[other], channels[index]
    for position, row in enumerate(channels):
        if row.position != position:
            row.position = position
            session.add(row)
    record(session, action=ActionKind.reorder_channels, moderator=admin, channel=channel,
           detail=_("up") if direction == "up" else _("down"))
    return problems


def set_archived(session: Session, *, channel: Channel, archived: bool, admin) -> None:
    """Archive a channel (read-only, off the home page) or bring it back; a repeated request changes nothing."""
    if archived == (channel.archived_at is not None):
        return
    channel.archived_at = utcnow() if archived else None
    session.add(channel)
    record(session, action=ActionKind.archive_channel if archived else ActionKind.unarchive_channel,
           moderator=admin, channel=channel)


# Invitations ------------------------------------------------------------------------------------

def invitations_page(session: Session, state: str, page_number: int) -> tuple[list, Page]:
    """One page of invitations, newest first, each open, accepted or expired (a revoked one is expired)."""
    now = utcnow()
    inviter = aliased(Member)
    state_of = case((Invitation.accepted_at.is_not(None), "accepted"), (Invitation.expires_at > now, "open"),
                    else_="expired")
    conditions = [state_of == state] if state in INVITATION_STATES else []
    total = session.execute(select(func.count()).select_from(Invitation).where(*conditions)).scalar_one()
    page = page_of(page_number, total, PER_PAGE)
    query = (select(Invitation.id, Invitation.email, Invitation.role, Invitation.created_at, Invitation.expires_at,
                    Invitation.accepted_at, state_of.label("state"), inviter.display_name.label("inviter_name"))
             .outerjoin(inviter, inviter.id == Invitation.invited_by_id).where(*conditions)
             .order_by(Invitation.created_at.desc(), Invitation.id.desc())
             .offset((page.number - 1) * PER_PAGE).limit(PER_PAGE))
    return session.execute(query).all(), page


# Site settings ----------------------------------------------------------------------------------

def _whole_number(text: str, bounds: tuple[int, int]) -> bool:
    return text.isascii() and text.isdigit() and len(text) < 6 and bounds[0] <= int(text) <= bounds[1]


def update_site_settings(session: Session, *, values: dict[str, str], admin) -> Problems:
    """Store the admin's overrides; an empty value goes back to the environment's. All or nothing."""
    problems = Problems()
    values = {name: values.get(name, "").strip() for name in site_settings.EDITABLE}
    if values["registration_mode"] not in ("", *RegistrationMode.__members__):
        problems.add("registration_mode", _("Choose open, open with approval, or by invitation."))
    minutes = values["safe_space_release_minutes"]
    if minutes and not _whole_number(minutes, RELEASE_MINUTES):
        problems.add("safe_space_release_minutes", _("Enter a whole number from %(low)s to %(high)s, or leave it "
                                                     "empty for the default.", low=RELEASE_MINUTES[0],
                                                     high=RELEASE_MINUTES[1]))
    if values["transparency_names_moderators"] not in ("", "true", "false"):
        problems.add("transparency_names_moderators", _("Choose yes, no or the default."))
    if problems:
        return problems
    before = site_settings.overrides()
    for name, value in values.items():
        site_settings.save(session, name, str(int(value)) if value.isdigit() else value)
    after = site_settings.overrides()
    names = {"registration_mode": _("who can create an account"),
             "safe_space_release_minutes": _("minutes between the safe space's releases"),
             "transparency_names_moderators": _("this log names moderators")}
    changed = [f"{names[name]}: {after.get(name) or _('the default')}" for name in site_settings.EDITABLE
               if before.get(name) != after.get(name)]
    if before.get("safe_space_release_minutes") != after.get("safe_space_release_minutes"):
        lifecycle.reschedule(session)
    if changed:
        record(session, action=ActionKind.change_site_settings, moderator=admin, channel=None,
               detail="; ".join(changed))
    return problems
