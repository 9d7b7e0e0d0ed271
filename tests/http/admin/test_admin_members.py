"""Admins' members pages: finding members, approving sign-ups, roles, channel moderators, and
suspending a member from one channel or everywhere (they keep signing in and reading) and lifting it."""

from sqlalchemy import select

from app.accounts.models import ChannelModerator
from app.admin import service
from app.forum.models import ChannelKind, Visibility
from app.moderation.models import ActionKind, ModerationAction, Sanction, SanctionScope
from app.safespace import service as safespace
from tests.factories import PASSWORD, make_channel, make_member, make_thread


def _admin(client_as, session, **overrides):
    return client_as(make_member(session, role="admin", display_name="Ada Admin", **overrides))


def test_members_are_found_by_name_handle_or_email_and_filtered_by_role_and_status(client_as, session):
    make_member(session, display_name="Rhiannon Evans", handle="rhi", email="r.evans@council.example")
    make_member(session, display_name="Tomos Price", handle="tomos_p", email="tomos@uni.example", role="moderator")
    make_member(session, display_name="Sian Waiting", handle="sianw", email="sian@example.org", status="pending")
    admin = _admin(client_as, session)
    for query, found, not_found in (("rhiannon", "Rhiannon Evans", "Tomos Price"),
                                    ("TOMOS_", "Tomos Price", "Rhiannon Evans"),
                                    ("council.example", "Rhiannon Evans", "Tomos Price"),
                                    ("%", "No members match.", "Rhiannon Evans")):
        page = admin.get("/admin/members", params={"q": query}).text
        assert found in page and not_found not in page, query
    moderators = admin.get("/admin/members?role=moderator").text
    assert "Tomos Price" in moderators and "Rhiannon Evans" not in moderators
    pending = admin.get("/admin/members?status=pending").text
    assert "Sian Waiting" in pending and "Rhiannon Evans" not in pending and "Approve" in pending
    assert 'value="rhi"' in admin.get("/admin/members?q=rhi&role=nonsense").text  # odd filters are dropped


def test_the_members_list_pages_by_50_keeping_the_filters(client_as, session, monkeypatch):
    monkeypatch.setattr(service, "PER_PAGE", 2)
    for n in range(5):
        make_member(session, display_name=f"Paged Person {n}")
    admin = _admin(client_as, session)
    first = admin.get("/admin/members?q=paged").text
    assert "Page 1 of 3" in first and "Paged Person 0" in first and "Paged Person 2" not in first
    assert 'href="?q=paged&amp;role=&amp;status=&amp;page=2"' in first
    last = admin.get("/admin/members?q=paged&page=99").text  # clamped into range
    assert "Page 3 of 3" in last and "Paged Person 4" in last


def test_approving_a_pending_sign_up_without_js_and_with_htmx(client_as, session):
    first, second = make_member(session, status="pending"), make_member(session, status="pending")
    admin = _admin(client_as, session)
    response = admin.form(f"/admin/members/{first.handle}/approve", {"next": "/admin/members?status=pending"})
    assert response.status_code == 303 and response.headers["location"] == "/admin/members?status=pending"
    assert f"{first.display_name} can now sign in." in admin.get(response.headers["location"]).text
    htmx = admin.form(f"/admin/members/{second.handle}/approve", {"next": "https://elsewhere.example/"}, htmx=True)
    assert htmx.status_code == 200 and htmx.headers["hx-location"] == "/admin/members"
    session.expire_all()
    assert first.status == second.status == "active"
    assert admin.form("/admin/members/nobody-here/approve").status_code == 404
    assert admin.get("/admin/members/nobody-here").status_code == 404


def test_changing_a_members_role_without_js_and_with_htmx(client_as, session):
    member = make_member(session, display_name="Gwen Role")
    admin = _admin(client_as, session)
    response = admin.form(f"/admin/members/{member.handle}/role", {"role": "moderator"})
    assert response.status_code == 303 and response.headers["location"] == f"/admin/members/{member.handle}"
    assert "Gwen Role&#39;s role is now: Moderator." in admin.get(response.headers["location"]).text
    session.refresh(member)
    assert member.role == "moderator"
    assert client_as(member).get("/mod/queue").status_code == 200
    htmx = admin.form(f"/admin/members/{member.handle}/role", {"role": "member"}, htmx=True)
    assert htmx.status_code == 200 and htmx.headers["hx-location"] == f"/admin/members/{member.handle}"
    session.refresh(member)
    assert member.role == "member"
    assert client_as(member).get("/mod/queue").status_code == 404


def test_a_bad_role_and_demoting_yourself_are_refused_with_422(client_as, session):
    member = make_member(session)
    me = make_member(session, role="admin")
    admin = client_as(me)
    bad = admin.form(f"/admin/members/{member.handle}/role", {"role": "overlord"})
    assert bad.status_code == 422 and "Choose member, moderator or admin." in bad.text
    assert 'href="#role-field-role"' in bad.text
    own = admin.form(f"/admin/members/{me.handle}/role", {"role": "member"})
    assert own.status_code == 422 and "You cannot change your own role" in own.text
    htmx = admin.form(f"/admin/members/{me.handle}/role", {"role": "moderator"}, htmx=True)
    assert htmx.status_code == 422 and "<html" not in htmx.text and "error-summary" in htmx.text
    session.expire_all()
    assert member.role == "member" and me.role == "admin"


def test_assigning_a_channel_moderator_opens_the_review_queue_for_that_channel(client_as, session):
    one, two = make_channel(session, name="Channel one"), make_channel(session, name="Channel two")
    member = make_member(session)
    admin = _admin(client_as, session)
    assert client_as(member).get("/mod/queue").status_code == 404
    page = admin.get(f"/admin/members/{member.handle}").text
    assert f'id="moderates-{one.id}"' in page
    response = admin.form(f"/admin/members/{member.handle}/channels", {"channel_ids": [str(one.id), str(two.id)]})
    assert response.status_code == 303
    query = select(ChannelModerator.channel_id).where(ChannelModerator.member_id == member.id)
    assert set(session.execute(query).scalars()) == {one.id, two.id}
    queue = client_as(member).get("/mod/queue")
    assert queue.status_code == 200 and "Channel one" in queue.text
    assert f'id="moderates-{one.id}" name="channel_ids" value="{one.id}" checked' in admin.get(
        f"/admin/members/{member.handle}").text
    htmx = admin.form(f"/admin/members/{member.handle}/channels", {}, htmx=True)  # none ticked: unassigned
    assert htmx.status_code == 200 and htmx.headers["hx-location"] == f"/admin/members/{member.handle}"
    assert list(session.execute(query).scalars()) == []
    assert client_as(member).get("/mod/queue").status_code == 404


def test_unknown_channels_are_refused_and_nothing_changes(client_as, session):
    channel = make_channel(session)
    member = make_member(session)
    session.add(ChannelModerator(member_id=member.id, channel_id=channel.id))
    session.flush()
    admin = _admin(client_as, session)
    response = admin.form(f"/admin/members/{member.handle}/channels", {"channel_ids": [str(channel.id), "999999"]})
    assert response.status_code == 422 and "Choose channels from the list." in response.text
    other = make_channel(session)
    kept = admin.form(f"/admin/members/{member.handle}/channels", {"channel_ids": [str(other.id), "x"]})
    assert kept.status_code == 422 and f'value="{other.id}" checked' in kept.text  # the ticks are kept
    assert f'value="{channel.id}" checked' not in kept.text
    query = select(ChannelModerator.channel_id).where(ChannelModerator.member_id == member.id)
    assert list(session.execute(query).scalars()) == [channel.id]


def _start(browser, channel, title="Still here?"):
    return browser.form(f"/c/{channel.slug}/new", {"title": title, "body": "Posting while suspended?"})


def test_a_suspension_from_one_channel_refuses_posting_there_with_the_reason(client, client_as, session):
    theirs, other = make_channel(session, name="Suspended here"), make_channel(session, name="Still open")
    member = make_member(session, email="sus@example.org", display_name="Sully Spended")
    thread = make_thread(session, channel=theirs, title="Readable still")
    admin = _admin(client_as, session)
    response = admin.form(f"/admin/members/{member.handle}/suspend",
                          {"channel": theirs.slug, "days": "7", "reason": "Repeated personal attacks"})
    assert response.status_code == 303 and response.headers["location"] == f"/admin/members/{member.handle}"
    page = admin.get(response.headers["location"]).text
    assert "Sully Spended is suspended from posting in Suspended here" in page
    assert "Suspended from posting in Suspended here" in page and "Repeated personal attacks" in page
    assert "Suspended in Suspended here" in admin.get("/admin/members").text
    browser = client_as(member)
    refused = _start(browser, theirs)
    assert refused.status_code == 422 and "Reason: Repeated personal attacks" in refused.text
    assert _start(browser, other).status_code == 303
    assert browser.get(f"/c/{theirs.slug}").status_code == 200
    assert "Readable still" in browser.get(f"/t/{thread.public_id}-{thread.slug}").text
    signed_in = client.form("/signin", {"email": "sus@example.org", "password": PASSWORD})
    assert signed_in.status_code == 303  # suspension never stops signing in
    session.refresh(member)
    assert member.status == "active"
    entry = session.execute(select(ModerationAction).where(ModerationAction.action == ActionKind.suspend_member)
                            ).scalar_one()
    assert entry.is_staff_only and entry.channel_id == theirs.id


def test_a_suspension_from_everywhere_with_htmx_and_lifting_it_lets_the_member_post_again(client_as, session):
    one, two = make_channel(session), make_channel(session)
    member = make_member(session)
    admin = _admin(client_as, session)
    htmx = admin.form(f"/admin/members/{member.handle}/suspend", {"channel": "", "days": "", "reason": "Spam"},
                      htmx=True)
    assert htmx.status_code == 200 and htmx.headers["hx-location"] == f"/admin/members/{member.handle}"
    browser = client_as(member)
    for channel in (one, two):
        refused = _start(browser, channel)
        assert refused.status_code == 422 and "until further notice" in refused.text
    sanction = session.execute(select(Sanction)).scalars().all()[-1]
    assert sanction.scope == SanctionScope.site and sanction.expires_at is None
    page = admin.get(f"/admin/members/{member.handle}").text
    assert "Suspended from posting in every channel but the safe space" in page and "until it is lifted" in page
    lifted = admin.form(f"/admin/members/{member.handle}/suspensions/{sanction.public_id}/lift",
                        {"lift_reason": "Apologised"})
    assert lifted.status_code == 303
    assert "The suspension is lifted" in admin.get(lifted.headers["location"]).text
    assert _start(browser, one).status_code == 303
    again = admin.form(f"/admin/members/{member.handle}/suspensions/{sanction.public_id}/lift", {"lift_reason": ""})
    assert again.status_code == 404  # no longer in force


def test_every_suspension_in_force_shows_and_each_lifts_on_its_own_with_its_reason_logged(client_as, session):
    one, two = make_channel(session, name="Channel one"), make_channel(session, name="Channel two")
    member = make_member(session)
    admin = _admin(client_as, session)
    for channel in (one, two):
        admin.form(f"/admin/members/{member.handle}/suspend", {"channel": channel.slug, "reason": "Cooling off"})
    listed = admin.get(f"/admin/members?q={member.handle}").text
    assert "Suspended in Channel one" in listed and "Suspended in Channel two" in listed
    page = admin.get(f"/admin/members/{member.handle}").text
    assert page.count("Lift the suspension") == 2 and page.count('id="lift-') == 2 * page.count("Lift the suspension")
    first, second = session.execute(select(Sanction).order_by(Sanction.id)).scalars().all()[-2:]
    too_long = admin.form(f"/admin/members/{member.handle}/suspensions/{second.public_id}/lift",
                          {"lift_reason": "x" * 501})
    assert too_long.status_code == 422 and too_long.text.count('class="error-summary"') == 1
    assert admin.form(f"/admin/members/{member.handle}/suspensions/{first.public_id}/lift",
                      {"lift_reason": "Talked it through"}).status_code == 303
    page = admin.get(f"/admin/members/{member.handle}").text
    assert "Suspended from posting in Channel two" in page and "Suspended from posting in Channel one" not in page
    assert "Talked it through" in admin.get("/mod/log").text


def test_lifting_with_htmx(client_as, session):
    channel = make_channel(session)
    member = make_member(session)
    admin = _admin(client_as, session)
    admin.form(f"/admin/members/{member.handle}/suspend", {"channel": channel.slug, "reason": "Cooling off"})
    sanction = session.execute(select(Sanction)).scalars().all()[-1]
    htmx = admin.form(f"/admin/members/{member.handle}/suspensions/{sanction.public_id}/lift", {}, htmx=True)
    assert htmx.status_code == 200 and htmx.headers["hx-location"] == f"/admin/members/{member.handle}"
    session.refresh(sanction)
    assert sanction.revoked_at is not None


def test_bad_suspensions_are_refused_with_the_input_kept(client_as, session):
    channel = make_channel(session)
    member = make_member(session)
    me = make_member(session, role="admin")
    admin = client_as(me)
    for form, message in (({"days": "400", "reason": "Keep <this>"}, "Enter a number of days from 1 to 365"),
                          ({"days": "3", "reason": " "}, "Give a reason"),
                          ({"channel": "no-such-channel", "reason": "Keep <this>"}, "Choose a channel from the list")):
        response = admin.form(f"/admin/members/{member.handle}/suspend", form)
        assert response.status_code == 422 and message in response.text, form
        assert 'href="#suspend-field-' in response.text
        if "Keep" in form["reason"]:
            assert "Keep &lt;this&gt;" in response.text
    assert 'value="400"' in admin.form(f"/admin/members/{member.handle}/suspend", {"days": "400"}).text
    own = admin.form(f"/admin/members/{me.handle}/suspend", {"channel": channel.slug, "reason": "Test"})
    assert own.status_code == 422 and "You cannot suspend yourself." in own.text
    htmx = admin.form(f"/admin/members/{member.handle}/suspend", {"reason": ""}, htmx=True)
    assert htmx.status_code == 422 and "<html" not in htmx.text
    assert session.execute(select(Sanction)).first() is None


def test_the_safe_space_is_not_offered_and_its_sanctions_never_show_or_lift_here(client_as, session):
    safe = make_channel(session, slug="safe-space", name="Safe space", kind=ChannelKind.safe_space,
                        visibility=Visibility.members, is_anonymous=True)
    member = make_member(session)
    # A suspension reached through one of their anonymous posts: the admin must not learn it is theirs.
    sanction = Sanction(sealed_member=safespace.seal_author(member.id), kind="suspension",
                        scope=SanctionScope.safe_space, channel_id=safe.id, reason="Through a post",
                        created_by_id=make_member(session, role="moderator").id)
    session.add(sanction)
    session.flush()
    admin = _admin(client_as, session)
    page = admin.get(f"/admin/members/{member.handle}").text
    assert 'value="safe-space"' not in page and "Through a post" not in page and "Suspended from" not in page
    assert "Suspended" not in admin.get("/admin/members").text.split("<tbody>")[1]
    refused = admin.form(f"/admin/members/{member.handle}/suspend", {"channel": "safe-space", "reason": "No"})
    assert refused.status_code == 422
    lift = admin.form(f"/admin/members/{member.handle}/suspensions/{sanction.public_id}/lift", {})
    assert lift.status_code == 404
    session.refresh(sanction)
    assert sanction.revoked_at is None


def test_a_named_suspension_from_every_channel_does_not_reach_the_safe_space(client_as, session):
    make_channel(session, slug="safe-space", name="Safe space", kind=ChannelKind.safe_space,
                        visibility=Visibility.members, is_anonymous=True)
    named = make_channel(session)
    member = make_member(session)
    admin = _admin(client_as, session)
    assert admin.form(f"/admin/members/{member.handle}/suspend", {"channel": "", "reason": "Abuse"}).status_code == 303
    browser = client_as(member)
    assert _start(browser, named).status_code == 422
    # Watching which pseudonym fell silent would tell the admin which safe-space posts were theirs.
    posted = browser.form("/c/safe-space/new", {"title": "Still here", "body": "Anonymously", "guidelines": "yes"})
    assert posted.status_code == 303
