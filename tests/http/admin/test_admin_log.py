"""Every admin action is a line of the moderation log: those about named members (approval, role,
channels moderated, invitations) reach moderators only; those about channels and the site settings
are in the transparency log too. Nothing changed, no line."""

from sqlalchemy import func, select

from app.accounts.models import Invitation, MemberStatus
from app.moderation.models import ModerationAction
from tests.factories import make_channel, make_member


def _lines(session) -> int:
    return session.execute(select(func.count()).select_from(ModerationAction)).scalar_one()


def test_admins_actions_on_members_are_on_the_record_for_moderators_only(client_as, session):
    admin = client_as(make_member(session, role="admin", display_name="Ada Admin"))
    waiting = make_member(session, handle="waiting_one", status=MemberStatus.pending)
    promoted = make_member(session, handle="promoted_one")
    channel = make_channel(session, name="Procurement")
    assert admin.form(f"/admin/members/{waiting.handle}/approve").status_code == 303
    assert admin.form(f"/admin/members/{promoted.handle}/role", {"role": "moderator"}).status_code == 303
    assert admin.form(f"/admin/members/{promoted.handle}/channels",
                      {"channel_ids": [str(channel.id)]}).status_code == 303
    assert admin.form("/admin/invitations", {"email": "guest@example.org", "role": "member", "days": "7"}
                      ).status_code == 303
    invitation = session.execute(select(Invitation)).scalar_one()
    assert admin.form(f"/admin/invitations/{invitation.id}/revoke").status_code == 303
    staff = client_as(make_member(session, role="moderator")).get("/mod/log").text
    for line in ("Approved an account", "@waiting_one", "Changed a member&#39;s role", "member → moderator",
                 "Changed who moderates channels", "@promoted_one: Procurement", "Invited someone",
                 "guest@example.org (member)", "Revoked an invitation"):
        assert line in staff, line
    public = client_as(make_member(session)).get("/moderation").text
    for private in ("waiting_one", "promoted_one", "guest@example.org", "Approved an account", "Invited someone",
                    "Changed a member"):
        assert private not in public, private
    before = _lines(session)
    admin.form(f"/admin/members/{promoted.handle}/role", {"role": "moderator"})  # already
    admin.form(f"/admin/members/{waiting.handle}/approve")  # no longer waiting
    admin.form(f"/admin/invitations/{invitation.id}/revoke")  # already revoked
    assert _lines(session) == before


def test_admins_actions_on_channels_and_settings_are_in_the_transparency_log(client, client_as, session):
    admin = client_as(make_member(session, role="admin"))
    make_channel(session, position=0)
    form = {"slug": "data-sharing", "name": "Sharing data", "description": "", "kind": "theme",
            "visibility": "public"}
    assert admin.form("/admin/channels/new", form).status_code == 303
    assert admin.form("/admin/channels/data-sharing/edit", form | {"name": "Data sharing"}).status_code == 303
    assert admin.form("/admin/channels/data-sharing/move", {"direction": "up"}).status_code == 303
    assert admin.form("/admin/channels/data-sharing/archive").status_code == 303
    assert admin.form("/admin/channels/data-sharing/unarchive").status_code == 303
    assert admin.form("/admin/settings", {"registration_mode": "approval", "safe_space_release_minutes": "",
                                          "transparency_names_moderators": ""}).status_code == 303
    public = client.get("/moderation").text
    for line in ("Created a channel: Data sharing", "Edited a channel: Data sharing (was “Sharing data”)",
                 "Reordered the channels: Data sharing (up)", "Archived a channel", "Reopened a channel",
                 "Changed the site settings (who can create an account: approval)"):
        assert line in public, line
    before = _lines(session)
    admin.form("/admin/channels/data-sharing/edit", form | {"name": "Data sharing"})  # nothing changes
    admin.form("/admin/channels/data-sharing/unarchive")
    admin.form("/admin/settings", {"registration_mode": "approval", "safe_space_release_minutes": "",
                                   "transparency_names_moderators": ""})
    assert _lines(session) == before
