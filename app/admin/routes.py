"""The admins' pages (/admin/...): members, invitations, channels and site settings. Anyone but an admin
gets a 404. Every action is a plain form POST that redirects with a flash (htmx: HX-Location); bad input
re-renders its page with the input kept, status 422."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from starlette.background import BackgroundTask

from app.accounts import invitations
from app.accounts import service as accounts_service
from app.accounts.deps import AdminUser, load_viewer
from app.accounts.models import Invitation, Member, Role
from app.admin import service
from app.core import email as email_transport
from app.core import site_settings
from app.core.browser import flash
from app.core.config import RegistrationMode
from app.core.deps import NotFound, SessionDep
from app.core.htmx import redirect, render
from app.core.i18n import _
from app.forum import service as forum_service
from app.forum.deps import page_number
from app.forum.models import Channel, ChannelKind, Visibility
from app.moderation import service as moderation_service

router = APIRouter(dependencies=[Depends(load_viewer)])
FormStr = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]


def role_names() -> dict[str, str]:
    return {Role.member: _("Member"), Role.moderator: _("Moderator"), Role.admin: _("Admin")}


def mode_names() -> dict[str, str]:
    return {RegistrationMode.open: _("Open: anyone can create an account"),
            RegistrationMode.approval: _("Open, with an admin's approval"),
            RegistrationMode.invitation: _("By invitation only")}


def kind_names() -> dict[str, str]:
    return {ChannelKind.pilot: _("Pilot partnership"), ChannelKind.theme: _("Theme"),
            ChannelKind.safe_space: _("Safe space (anonymous)"), ChannelKind.general: _("General")}


def _page(request: Request, template: str, context: dict, status_code: int = 200):
    """An admin page; its form again after bad input, which htmx swaps into the page's main region."""
    context = {"role_names": role_names(), **context}
    return render(request, template, context, status_code=status_code, block="content" if status_code == 422 else None)


def _id(value: str) -> int:
    if not (value.isascii() and value.isdigit() and len(value) < 12):
        raise NotFound()
    return int(value)


@router.get("/admin")
def show_admin(request: Request, viewer: AdminUser):
    return redirect(request, "/admin/members")


# Members ----------------------------------------------------------------------------------------

def member_or_404(session, handle: str) -> Member:
    member = accounts_service.member_by_handle(session, handle)
    if member is None:
        raise NotFound()
    return member


@router.get("/admin/members")
def list_members(request: Request, session: SessionDep, viewer: AdminUser, q: str = "", role: str = "",
                 status: str = "", page: str = "1"):
    filters = service.member_filters(q, role, status, page_number(page))
    members, pager = service.members_page(session, filters)
    suspensions = moderation_service.member_suspensions(session, [row.id for row in members])
    channel_ids = [s.channel_id for each in suspensions.values() for s in each if s.channel_id]
    context = {"members": members, "page": pager, "filters": filters, "suspensions": suspensions,
               "channel_names": {c.id: c.name for c in forum_service.channels_by_ids(session, channel_ids)},
               "query": urlencode({"q": filters.q, "role": filters.role, "status": filters.status}),
               "mode": mode_names()[site_settings.effective("registration_mode")]}
    return _page(request, "admin/members_list.html", context)


def _member_page(request: Request, session, member: Member, *, form: dict | None = None, failed: str = "",
                 problems: dict | None = None, status_code: int = 200):
    """The member's page; ``failed`` names the form whose ``problems`` it shows ("lift-<id>": that
    suspension's)."""
    channels = service.all_channels(session)
    names = {channel.id: channel.name for channel in channels}
    form = {"role": member.role, "channel_ids": service.moderated_channel_ids(session, member), "channel": "",
            "days": "", "reason": "", "lift_reason": ""} | (form or {})
    context = {"member": member, "organisation": accounts_service.organisation_of(session, member),
               "suspensions": moderation_service.member_suspensions(session, [member.id]).get(member.id, []),
               "channel_names": names, "channels": channels, "form": form, "failed": failed,
               "problems": problems or {},
               "suspendable": [c for c in channels if not c.is_anonymous and c.archived_at is None]}
    return _page(request, "admin/member_show.html", context, status_code)


@router.get("/admin/members/{handle}")
def show_member(request: Request, session: SessionDep, viewer: AdminUser, handle: str):
    return _member_page(request, session, member_or_404(session, handle))


def _back(next_url: str, fallback: str) -> str:
    """Back to the admin page the action came from, or the fallback (never elsewhere)."""
    safe = next_url.startswith("/admin/") and "//" not in next_url and "\\" not in next_url
    return next_url if safe else fallback


@router.post("/admin/members/{handle}/approve")
def approve_member(request: Request, session: SessionDep, viewer: AdminUser, handle: str,
                   next_url: Annotated[str, Form(alias="next")] = ""):
    member = member_or_404(session, handle)
    if service.approve_member(session, member=member, admin=viewer):
        flash(request, _("%(name)s can now sign in.", name=member.display_name))
    else:
        flash(request, _("%(name)s is not waiting for approval: nothing has changed.", name=member.display_name),
              "error")
    return redirect(request, _back(next_url, "/admin/members"))


@router.post("/admin/members/{handle}/role")
def change_role(request: Request, session: SessionDep, viewer: AdminUser, handle: str, role: FormStr = ""):
    member = member_or_404(session, handle)
    problems = service.change_role(session, member=member, role=role, admin=viewer)
    if problems:
        return _member_page(request, session, member, form={"role": role}, failed="role", problems=problems.fields,
                            status_code=422)
    flash(request, _("%(name)s's role is now: %(role)s.", name=member.display_name, role=role_names()[role]))
    return redirect(request, f"/admin/members/{member.handle}")


@router.post("/admin/members/{handle}/channels")
def set_moderated_channels(request: Request, session: SessionDep, viewer: AdminUser, handle: str,
                           channel_ids: FormList = []):  # noqa: B006 (FastAPI copies defaults)
    member = member_or_404(session, handle)
    problems = service.set_moderated_channels(session, member=member, channel_ids=channel_ids, admin=viewer)
    if problems:
        ticked = {int(value) for value in channel_ids if value.isascii() and value.isdigit() and len(value) < 10}
        return _member_page(request, session, member, form={"channel_ids": ticked}, failed="channels",
                            problems=problems.fields, status_code=422)
    flash(request, _("The channels %(name)s moderates are saved.", name=member.display_name))
    return redirect(request, f"/admin/members/{member.handle}")


@router.post("/admin/members/{handle}/suspend")
def suspend_member(request: Request, session: SessionDep, viewer: AdminUser, handle: str, channel: FormStr = "",
                   days: FormStr = "", reason: FormStr = ""):
    member = member_or_404(session, handle)
    target = service.channel_by_slug(session, channel) if channel else None
    if channel and (target is None or target.is_anonymous or target.archived_at is not None):
        problems = {"channel": _("Choose a channel from the list, or every channel.")}
    else:
        problems = moderation_service.suspend_member(session, member=member, moderator=viewer, channel=target,
                                                     days=days, reason=reason).fields
    if problems:
        form = {"channel": channel, "days": days, "reason": reason}
        return _member_page(request, session, member, form=form, failed="suspend", problems=problems, status_code=422)
    flash(request, _("%(name)s is suspended from posting %(where)s. They can still sign in, read and export their "
                     "data.", name=member.display_name,
                     where=_("in %(channel)s", channel=target.name) if target
                     else _("in every channel but the safe space")))
    return redirect(request, f"/admin/members/{member.handle}")


@router.post("/admin/members/{handle}/suspensions/{sanction_id}/lift")
def lift_suspension(request: Request, session: SessionDep, viewer: AdminUser, handle: str, sanction_id: str,
                    lift_reason: FormStr = ""):
    member = member_or_404(session, handle)
    suspension = next((s for s in moderation_service.member_suspensions(session, [member.id]).get(member.id, [])
                       if s.public_id == sanction_id), None)
    if suspension is None:
        raise NotFound()  # not this member's, or one this page never shows (the safe space's)
    channel = session.get(Channel, suspension.channel_id) if suspension.channel_id else None
    problems = moderation_service.lift_sanction(session, sanction=suspension, channel=channel, moderator=viewer,
                                                reason=lift_reason)
    if problems and moderation_service.ALREADY_DONE not in problems.fields:
        return _member_page(request, session, member, form={"lift_reason": lift_reason},
                            failed=f"lift-{suspension.public_id}", problems={"lift_reason": problems.fields["reason"]},
                            status_code=422)
    if problems:
        flash(request, problems.fields[moderation_service.ALREADY_DONE], "error")
    else:
        flash(request, _("The suspension is lifted: %(name)s can post again.", name=member.display_name))
    return redirect(request, f"/admin/members/{member.handle}")


# Invitations ------------------------------------------------------------------------------------

def _invitations_page(request: Request, session, *, state: str = "", page: int = 1, form: dict | None = None,
                      problems: dict | None = None, status_code: int = 200):
    state = state if state in service.INVITATION_STATES else ""
    invitations, pager = service.invitations_page(session, state, page)
    context = {"invitations": invitations, "page": pager, "state": state, "query": urlencode({"state": state}),
               "form": form or {"email": "", "role": Role.member, "days": "14"}, "problems": problems or {}}
    return _page(request, "admin/invitations_list.html", context, status_code)


@router.get("/admin/invitations")
def list_invitations(request: Request, session: SessionDep, viewer: AdminUser, state: str = "", page: str = "1"):
    return _invitations_page(request, session, state=state, page=page_number(page))


@router.post("/admin/invitations")
def create_invitation(request: Request, session: SessionDep, viewer: AdminUser, email: FormStr = "",
                      role: FormStr = Role.member, days: FormStr = "14"):
    token, problems = service.invite_member(session, email=email, role=role, days=days, admin=viewer)
    if token is None:
        form = {"email": email, "role": role, "days": days}
        return _invitations_page(request, session, form=form, problems=problems.fields, status_code=422)
    address, link = accounts_service.normalise_email(email), invitations.invitation_link(token)
    message = invitations.invitation_email(email=address, link=link, days=int(days),
                                                inviter_name=viewer.display_name)
    flash(request, _("The invitation is emailed to %(email)s. Its link, shown only now, works once within %(days)s "
                     "days:", email=address, days=int(days)), link=link)
    response = redirect(request, "/admin/invitations")
    response.background = BackgroundTask(email_transport.send, message)  # once the invitation is committed
    return response


@router.post("/admin/invitations/{invitation_id}/revoke")
def revoke_invitation(request: Request, session: SessionDep, viewer: AdminUser, invitation_id: str):
    invitation = session.get(Invitation, _id(invitation_id))
    if invitation is None:
        raise NotFound()
    email = invitation.email
    problems = service.revoke_invitation(session, invitation=invitation, admin=viewer)
    if problems:
        flash(request, problems.fields["invitation"], "error")
    else:
        flash(request, _("The invitation to %(email)s is revoked: its link no longer works.", email=email))
    return redirect(request, "/admin/invitations")


# Channels ---------------------------------------------------------------------------------------

def channel_or_404(session, slug: str) -> Channel:
    channel = service.channel_by_slug(session, slug)
    if channel is None:
        raise NotFound()
    return channel


def _channel_input(slug: str, name: str, description: str, kind: str, visibility: str,
                   premoderated: str) -> service.ChannelInput:
    return service.ChannelInput(slug=slug.strip(), name=name, description=description, kind=kind,
                                visibility=visibility, is_premoderated=premoderated == "yes")


def _channel_form(channel) -> dict:
    return {"slug": channel.slug, "name": channel.name, "description": channel.description, "kind": channel.kind,
            "visibility": channel.visibility, "is_premoderated": channel.is_premoderated}


def _channel_page(request: Request, template: str, form: dict, problems: dict, channel: Channel | None = None,
                  status_code: int = 200):
    context = {"form": form, "problems": problems, "channel": channel, "kind_names": kind_names(),
               "visibilities": [(Visibility.public, _("Everyone, signed in or not")),
                                (Visibility.members, _("Members only"))]}
    return _page(request, template, context, status_code)


@router.get("/admin/channels")
def list_channels(request: Request, session: SessionDep, viewer: AdminUser):
    channels = service.all_channels(session)
    kinds = [channel.kind for channel in channels]
    # Channels move among their own kind (the home page groups them so): the ends of each kind stay put.
    ends = {"first": {c.id for i, c in enumerate(channels) if c.kind not in kinds[:i]},
            "last": {c.id for i, c in enumerate(channels) if c.kind not in kinds[i + 1:]}}
    return _page(request, "admin/channels_list.html", {"channels": channels, "ends": ends,
                                                       "kind_names": kind_names()})


@router.get("/admin/channels/new")
def new_channel(request: Request, viewer: AdminUser):
    form = {"slug": "", "name": "", "description": "", "kind": ChannelKind.theme, "visibility": Visibility.public,
            "is_premoderated": False}
    return _channel_page(request, "admin/channel_new.html", form, {})


@router.post("/admin/channels/new")
def create_channel(request: Request, session: SessionDep, viewer: AdminUser, slug: FormStr = "", name: FormStr = "",
                   description: FormStr = "", kind: FormStr = "", visibility: FormStr = "",
                   premoderated: FormStr = ""):
    form = _channel_input(slug, name, description, kind, visibility, premoderated)
    channel, problems = service.create_channel(session, form=form, admin=viewer)
    if channel is None:
        return _channel_page(request, "admin/channel_new.html", _channel_form(form), problems.fields,
                             status_code=422)
    flash(request, _("The channel %(name)s is created, last in the list.", name=channel.name))
    return redirect(request, "/admin/channels")


@router.get("/admin/channels/{slug}/edit")
def edit_channel(request: Request, session: SessionDep, viewer: AdminUser, slug: str):
    channel = channel_or_404(session, slug)
    return _channel_page(request, "admin/channel_edit.html", _channel_form(channel), {}, channel)


@router.post("/admin/channels/{slug}/edit")
def update_channel(request: Request, session: SessionDep, viewer: AdminUser, slug: str, new_slug: Annotated[
                   str, Form(alias="slug")] = "", name: FormStr = "", description: FormStr = "", kind: FormStr = "",
                   visibility: FormStr = "", premoderated: FormStr = ""):
    channel = channel_or_404(session, slug)
    form = _channel_input(new_slug, name, description, kind, visibility, premoderated)
    problems = service.update_channel(session, channel=channel, form=form, admin=viewer)
    if problems:
        return _channel_page(request, "admin/channel_edit.html", _channel_form(form), problems.fields, channel,
                             status_code=422)
    flash(request, _("The channel %(name)s is saved.", name=channel.name))
    return redirect(request, "/admin/channels")


@router.post("/admin/channels/{slug}/move")
def move_channel(request: Request, session: SessionDep, viewer: AdminUser, slug: str, direction: FormStr = ""):
    channel = channel_or_404(session, slug)
    problems = service.move_channel(session, channel=channel, direction=direction, admin=viewer)
    if problems:
        flash(request, problems.fields["direction"], "error")
    else:
        flash(request, _("%(name)s moved up.", name=channel.name) if direction == "up"
              else _("%(name)s moved down.", name=channel.name))
    return redirect(request, "/admin/channels")


def _set_archived(request: Request, session, viewer, slug: str, archived: bool):
    channel = channel_or_404(session, slug)
    service.set_archived(session, channel=channel, archived=archived, admin=viewer)
    flash(request, _("%(name)s is archived: it is read-only and no longer on the home page.", name=channel.name)
          if archived else _("%(name)s is open again.", name=channel.name))
    return redirect(request, "/admin/channels")


@router.post("/admin/channels/{slug}/archive")
def archive_channel(request: Request, session: SessionDep, viewer: AdminUser, slug: str):
    return _set_archived(request, session, viewer, slug, True)


@router.post("/admin/channels/{slug}/unarchive")
def unarchive_channel(request: Request, session: SessionDep, viewer: AdminUser, slug: str):
    return _set_archived(request, session, viewer, slug, False)


# Site settings ----------------------------------------------------------------------------------

def _settings_page(request: Request, form: dict, problems: dict, status_code: int = 200):
    context = {"form": form, "problems": problems, "modes": mode_names(),
               "defaults": {name: site_settings.default(name) for name in site_settings.EDITABLE}}
    return _page(request, "admin/settings_edit.html", context, status_code)


@router.get("/admin/settings")
def edit_settings(request: Request, viewer: AdminUser):
    form = {name: "" for name in site_settings.EDITABLE} | site_settings.overrides()
    return _settings_page(request, form, {})


@router.post("/admin/settings")
def update_settings(request: Request, session: SessionDep, viewer: AdminUser, registration_mode: FormStr = "",
                    safe_space_release_minutes: FormStr = "", transparency_names_moderators: FormStr = ""):
    form = {"registration_mode": registration_mode, "safe_space_release_minutes": safe_space_release_minutes,
            "transparency_names_moderators": transparency_names_moderators}
    problems = service.update_site_settings(session, values=form, admin=viewer)
    if problems:
        return _settings_page(request, form, problems.fields, status_code=422)
    flash(request, _("The site settings are saved. Empty ones follow the server's configuration."))
    return redirect(request, "/admin/settings")
