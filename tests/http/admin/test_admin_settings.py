"""Site settings: an admin's choice applies at once, and an emptied setting follows the environment again."""

from datetime import timedelta

from sqlalchemy import select

from app.core import site_settings
from app.core.config import get_settings
from app.core.timeutil import utcnow
from app.forum import lifecycle
from app.forum.models import ChannelKind, Visibility
from tests.factories import make_channel, make_member

SIGNUP = {"email": "nia@example.org", "handle": "nia_set", "display_name": "Nia", "password":
          "violet ferry lantern orchard"}
EMPTY = {name: "" for name in site_settings.EDITABLE}


def test_the_registration_mode_changes_at_once_and_falls_back_when_reset(client, client_as, session):
    admin = client_as(make_member(session, role="admin"))
    page = admin.get("/admin/settings").text
    assert "Default: Open: anyone can create an account" in page and "Leave it empty for the default: 0." in page
    response = admin.form("/admin/settings", EMPTY | {"registration_mode": "invitation"})
    assert response.status_code == 303 and response.headers["location"] == "/admin/settings"
    assert "The site settings are saved." in admin.get("/admin/settings").text
    assert session.execute(select(site_settings.SiteSetting.value)).scalars().all() == ["invitation"]
    refused = client.form("/signup", SIGNUP)
    assert refused.status_code == 422 and "Sign-up is by invitation" in refused.text
    assert "By invitation only" in admin.get("/admin/members").text
    htmx = admin.form("/admin/settings", EMPTY, htmx=True)
    assert htmx.status_code == 200 and htmx.headers["hx-location"] == "/admin/settings"
    assert session.execute(select(site_settings.SiteSetting)).first() is None
    assert site_settings.effective("registration_mode") == get_settings().registration_mode == "open"
    assert client.form("/signup", SIGNUP).status_code == 303


def test_the_release_interval_shows_where_members_read_it(client_as, session):
    make_channel(session, slug="safe-space", name="Safe space", kind=ChannelKind.safe_space,
                 visibility=Visibility.members, is_anonymous=True)
    admin = client_as(make_member(session, role="admin"))
    member = client_as(make_member(session))
    assert "releases every" not in member.get("/c/safe-space").text  # 0 in the tests' environment
    saved = admin.form("/admin/settings", EMPTY | {"safe_space_release_minutes": "30",
                                                   "transparency_names_moderators": "true"})
    assert saved.status_code == 303
    assert "releases every 30 minutes on the clock" in member.get("/c/safe-space").text
    assert (site_settings.effective("safe_space_release_minutes"),
            site_settings.effective("transparency_names_moderators")) == (30, True)
    page = admin.get("/admin/settings").text
    assert 'value="30"' in page and '<option value="true" selected>' in page
    admin.form("/admin/settings", EMPTY)
    assert "releases every" not in member.get("/c/safe-space").text


def test_an_admin_cannot_change_the_new_member_days_that_hold_safe_space_posts(client_as, session):
    admin = client_as(make_member(session, role="admin"))
    page = admin.get("/admin/settings").text
    assert 'name="safe_space_new_member_days"' not in page and "Only the server's operator can change this" in page
    assert admin.form("/admin/settings", EMPTY | {"safe_space_new_member_days": "400"}).status_code == 303
    assert session.execute(select(site_settings.SiteSetting)).first() is None
    # A row left by an earlier version is not read either.
    session.add(site_settings.SiteSetting(key="safe_space_new_member_days", value="300"))
    session.flush()
    site_settings.clear_cache()
    newcomer = make_member(session, created_at=utcnow() - timedelta(days=2 * get_settings().safe_space_new_member_days))
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
    assert not lifecycle.needs_approval(newcomer, safe)


def test_bad_settings_are_refused_with_the_input_kept_and_nothing_changes(client_as, session):
    admin = client_as(make_member(session, role="admin"))
    admin.form("/admin/settings", EMPTY | {"safe_space_release_minutes": "15"})
    for form, message in (({"safe_space_release_minutes": "1441"}, "from 15 to 1440"),
                          ({"safe_space_release_minutes": "-5"}, "from 15 to 1440"),
                          ({"safe_space_release_minutes": "0"}, "from 15 to 1440"),  # off: the operator's only
                          ({"registration_mode": "closed"}, "Choose open, open with approval, or by invitation."),
                          ({"transparency_names_moderators": "maybe"}, "Choose yes, no or the default.")):
        response = admin.form("/admin/settings", EMPTY | {"registration_mode": "approval"} | form)
        assert response.status_code == 422 and message in response.text, form
        (name, value), = form.items()
        assert name.startswith("safe_space") is (f'value="{value}"' in response.text)  # the typed text is kept
        assert name == "registration_mode" or '<option value="approval" selected>' in response.text
    htmx = admin.form("/admin/settings", EMPTY | {"safe_space_release_minutes": "x"}, htmx=True)
    assert htmx.status_code == 422 and "<html" not in htmx.text and "error-summary" in htmx.text
    assert site_settings.effective("safe_space_release_minutes") == 15
    assert site_settings.effective("registration_mode") == "open"
