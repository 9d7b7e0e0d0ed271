"""Accessibility: axe (WCAG 2.0-2.2, A and AA) on every page template and after htmx swaps, with
zero violations allowed; a keyboard-only reply; announcements and focus after htmx swaps.

Every page template must appear in PAGES (template -> who looks, which URL, and something only
that template draws): a new page template without an entry fails
test_every_page_template_has_axe_coverage.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Responses htmx swaps into a page; they are checked in place by test_axe_after_htmx_swaps.
FRAGMENT_TEMPLATES = {"forum/reply_created.html", "forum/post_updated.html"}
# Emails, not pages (tests/unit/digest checks what they hold).
EMAIL_TEMPLATES = {"digest/digest_email.html", "notifications/notification_email.html"}

# template -> (signed in as, URL ({placeholders} from the Sample), what only that template draws)
PAGES = {
    "forum/home.html": (None, "/", ".channel-group"),
    "forum/channel_show.html": (None, "/c/marlholme-bay", "#thread-list"),
    "forum/latest_show.html": ("member", "/latest", ".thread-row .badge.unread"),
    "forum/thread_show.html": ("member2", "{thread}", "#posts .post"),
    "forum/thread_new.html": ("member", "/c/marlholme-bay/new", "form[action$='/new']"),
    "forum/post_reply.html": ("member2", "/p/{opening}/reply?quote=1", "section.answering"),
    "forum/post_edit.html": ("member", "/p/{edited}/edit", "form.edit-form"),
    "forum/post_delete.html": ("member", "/p/{edited}/delete", "form[action$='/delete']"),
    "forum/post_revisions.html": (None, "/p/{edited}/revisions", "pre.revision"),
    "accounts/signup.html": (None, "/signup", "form[action='/signup']"),
    "accounts/signin.html": (None, "/signin", "form[action='/signin']"),
    "accounts/password_forgot.html": (None, "/password/forgot", "form[action='/password/forgot']"),
    "accounts/password_reset.html": (None, "{reset}", "form[action^='/password/reset/']"),
    "accounts/member_show.html": (None, "/u/member", "h1 .handle"),
    "accounts/profile_edit.html": ("member", "/settings/profile", "form[action$='/profile']"),
    "notifications/notifications_show.html": ("member", "/notifications", ".notification"),
    "moderation/queue_show.html": ("moderator", "/mod/queue", ".queue-item"),
    "moderation/log_show.html": ("moderator", "/mod/log", "table.table td"),
    "moderation/post_action.html": ("moderator", "/mod/posts/{reply}/sanction", "#kind-warning"),
    "moderation/report_new.html": ("member", "/report/{reply}", "form[action^='/report/'] #reason-spam"),
    "moderation/sanctions_show.html": ("moderator", "/mod/sanctions", ".mod-nav [aria-current]"),
    "moderation/thread_action.html": ("moderator", "/mod/threads/{thread_id}/split", "#field-posts input"),
    "moderation/transparency_show.html": ("member", "/moderation", "table.table td"),
    "errors/error.html": (None, "/no/such/page", "h1:text('Page not found')"),
    "search/results_show.html": ("member", "/search?q=evaluation+plan", ".result-list .result mark"),
    "admin/members_list.html": ("admin", "/admin/members", "form[action='/admin/members'] #field-q"),
    "admin/member_show.html": ("admin", "/admin/members/member", "form[action$='/suspend']"),
    "admin/invitations_list.html": ("admin", "/admin/invitations", "form[action='/admin/invitations']"),
    "admin/channels_list.html": ("admin", "/admin/channels", "form[action$='/move']"),
    "admin/channel_new.html": ("admin", "/admin/channels/new", "form[action='/admin/channels/new']"),
    "admin/channel_edit.html": ("admin", "/admin/channels/marlholme-bay/edit", "form[action$='/edit'] #field-slug"),
    "admin/settings_edit.html": ("admin", "/admin/settings", "form[action='/admin/settings']"),
    "learning/library_show.html": (None, "/learning", ".learning-list .learning"),
    "learning/briefing_show.html": ("member", "/learning/briefing?theme=sharing-data", ".briefing-entry h3"),
    "learning/pulse_show.html": ("member", "/pulse", "svg.chart rect.bar"),
    "digest/unsubscribe_show.html": (None, "/digest/unsubscribe/not-a-real-token", "main a[href='/']"),
    "digest/digest_settings_edit.html": ("member", "/settings/digest", "#field-frequency input"),
    "digest/subscription_new.html": (None, "/subscribe", "form[action='/subscribe']"),
    "digest/subscription_confirm.html": (None, "/subscribe/confirm/not-a-real-token", "a[href='/subscribe']"),
    "moderation/key_learning_edit.html": ("moderator", "/mod/learning/threads/{thread_id}", "#field-concerns input"),
    "notifications/notification_settings_edit.html": ("member", "/settings/notifications", "#email-watching"),
    "notifications/notification_unsubscribe.html": (None, "{notices_off}", "form[action^='/notifications/unsub']"),
    "moderation/key_learning_unmark.html": ("moderator", "/mod/learning/{key_learning}/unmark",
                                            "form[action$='/unmark']"),
}

# More states of the same templates that draw different things: signed in or not, the safe space,
# a moderator's view of hidden posts, and pages showing an error summary.
MORE_STATES = {
    "home, signed in": ("member", "/", ".channel-group"),
    "latest, by tag": (None, "/latest?tag=evaluation", ".thread-row a.tag"),
    "safe space channel": ("member", "/c/safe-space", "section.promise"),
    "safe space, new thread": ("new", "/c/safe-space/new", "#field-guidelines"),
    "thread, signed out": (None, "{thread}", "#posts .post"),
    "thread, as moderator": ("moderator", "{thread}", ".post .notice"),
    "thread, as its author": ("member", "{thread}", "a[href$='/edit']"),
    "hide a post": ("moderator", "/mod/posts/{reply}/hide", "form[action$='/hide']"),
    "edit a post as moderator": ("moderator", "/mod/posts/{reply}/edit", "#field-body"),
    "move a thread": ("moderator", "/mod/threads/{thread_id}/move", "#field-channel"),
    "merge a thread": ("moderator", "/mod/threads/{thread_id}/merge", "#field-target"),
    "edit a thread": ("moderator", "/mod/threads/{thread_id}/edit", "#field-tags"),
    "review queue, held only": ("moderator", "/mod/queue?kind=held", ".queue-item"),
    "transparency log, signed out": (None, "/moderation", "table.table td"),
    "expired reset link": (None, "/password/reset/not-a-token", "a[href='/password/forgot']"),
    "search, before searching": (None, "/search", "form[role=search]"),
    "search, no results": (None, "/search?q=zzzyzzy+nothing", "h2:text('No posts match')"),
    "search, with errors": (None, "/search?q=evaluation&by=nobody-at-all", ".error-summary"),
    "search, a second page": ("member", "/search?q=work&page=2", ".result-list .result"),
    "library, searched by a member": ("member", "/learning?q=data", ".learning mark"),
    "library, a matrix cell": (None, "/learning?pilot=ystrad-celyn&theme=inclusive-sustainable-growth", ".learning"),
    "library, with errors": (None, "/learning?pilot=nowhere", ".error-summary"),
    "thread with a key learning, as moderator": ("moderator", "{thread}", ".key-learnings a[href$='/unmark']"),
    "channel, as a member": ("member", "/c/marlholme-bay", "form.watch-form button[value=muted]"),
    "mark a reply as a key learning": ("moderator", "/mod/learning/posts/{reply}", "#field-summary"),
}


def page_templates() -> set[str]:
    """Templates of whole pages: not includes (_*.html), base.html or htmx fragments."""
    found = {p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")}
    pages = {t for t in found if not Path(t).name.startswith("_") and t != "base.html"}
    return pages - FRAGMENT_TEMPLATES - EMAIL_TEMPLATES


def test_every_page_template_has_axe_coverage():
    assert set(PAGES) == page_templates(), (
        "PAGES must map every page template to a URL that axe checks; "
        f"missing: {sorted(page_templates() - set(PAGES))}, "
        f"stale: {sorted(set(PAGES) - page_templates())}"
    )


def _visit(open_page, sample, who, url, marker):
    page = open_page(who)
    response = page.goto(url.format(**vars(sample)))
    assert response is not None and response.status < 500
    expect(page.locator(marker).first).to_be_attached()
    return page


@pytest.mark.parametrize("template", sorted(PAGES))
def test_axe_on_every_page_template(open_page, sample, axe_check, template):
    who, url, marker = PAGES[template]
    page = _visit(open_page, sample, who, url, marker)
    axe_check(page, template)


@pytest.mark.parametrize("state", sorted(MORE_STATES))
def test_axe_on_more_page_states(open_page, sample, axe_check, state):
    page = _visit(open_page, sample, *MORE_STATES[state])
    axe_check(page, state)


def test_axe_on_error_summaries(open_page, axe_check):
    page = open_page()
    page.goto("/signin")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".error-summary")).to_be_focused()
    axe_check(page, "sign-in errors")

    page = open_page("member")
    page.goto("/c/marlholme-bay/new")
    page.get_by_role("button", name="Start thread").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    axe_check(page, "new thread errors")
    summary.get_by_role("link").first.click()  # each problem links to its field
    expect(page.get_by_label("Title")).to_be_focused()


def test_axe_after_htmx_swaps(open_page, forum, axe_check):
    author = open_page("member")
    thread = forum.start_thread(author.context, "marlholme-bay", forum.unique("Swaps"), "A post.")
    first = forum.first_post_id(author.context, thread)
    own = forum.reply(author.context, thread, "My own reply, to edit.")
    page = open_page("member2")
    page.goto(thread)
    page.evaluate("window.__noReload = true")

    page.get_by_role("link", name="Reply to post 1").click()
    field = page.get_by_label("Your reply to post 1")
    expect(field).to_be_focused()
    axe_check(page, "reply form opened in place")
    page.get_by_role("link", name="Quote post 1 in your reply").click()
    expect(field).to_have_value(re.compile(r"^> "))
    expect(field).to_be_focused()
    axe_check(page, "quoting in place")
    field.fill("")

    page.locator(f"#reply-form-{first}").get_by_role("button", name="Post reply").click()
    summary = page.locator(f"#reply-form-{first} .error-summary")
    expect(summary).to_be_focused()
    axe_check(page, "reply form with an error, in place")

    page.get_by_label("Your reply to post 1").fill("Agreed, and thanks for the detail.")
    page.locator(f"#reply-form-{first}").get_by_role("button", name="Post reply").click()
    expect(page.locator(f"#post-{first} + .reply-slot article.post")).to_be_focused()
    axe_check(page, "reply posted in place")

    page.get_by_label("Your reply", exact=True).fill("")
    page.locator("#reply-form").get_by_role("button", name="Post reply").click()
    expect(page.locator("#reply-form .error-summary")).to_be_focused()
    axe_check(page, "thread reply form with an error")

    page.get_by_label("Your reply", exact=True).fill("One more thought at the end.")
    page.locator("#reply-form").get_by_role("button", name="Post reply").click()
    expect(page.locator("article.post", has_text="One more thought")).to_be_focused()
    axe_check(page, "reply appended")

    page.locator(f"#post-{own}").get_by_role("button", name=re.compile("^Helpful")).click()
    expect(page.locator(f"#post-{own}").get_by_role("button", name="Helpful 1")).to_be_visible()
    axe_check(page, "after a reaction")
    assert page.evaluate("window.__noReload === true")

    mine = open_page("member")
    mine.goto(thread)
    mine.locator(f"#post-{own}").get_by_role("link", name="Edit post 2").click()
    expect(mine.get_by_label("Post 2", exact=True)).to_be_focused()
    axe_check(mine, "edit form opened in place")
    mine.get_by_label("Post 2", exact=True).fill("")
    mine.get_by_role("button", name="Save changes").click()
    expect(mine.locator(f"#edit-post-{own} .error-summary")).to_be_focused()
    axe_check(mine, "edit form with an error, in place")
    mine.get_by_label("Post 2", exact=True).fill("My own reply, edited.")
    mine.get_by_role("button", name="Save changes").click()
    expect(mine.locator(f"#post-{own}")).to_be_focused()
    expect(mine.locator("#live-region")).to_have_text("Your post has been updated.")
    axe_check(mine, "post updated in place")


def test_axe_after_live_search(open_page, axe_check):
    page = open_page("member")
    page.goto("/search")
    page.evaluate("window.__noReload = true")
    page.get_by_label("Search titles and posts").press_sequentially("evaluation pla", delay=20)
    expect(page.locator(".result mark").first).to_be_visible()
    expect(page.locator("#live-region")).to_have_text(re.compile(r"^Results 1 to \d+$"))
    axe_check(page, "live search results")
    handle = page.get_by_label("Written by (handle)")
    handle.fill("nobody-at-all")
    handle.press("Enter")
    expect(page.locator("#results .error-summary")).to_be_visible()
    expect(page.locator("#live-region")).to_have_text(re.compile("^There is a problem: No member has the handle"))
    expect(handle).to_be_focused()  # live search never takes focus from the field in use
    axe_check(page, "live search with an error")
    handle.fill("")
    field = page.get_by_label("Search titles and posts")
    field.fill("work")  # in more than 20 of the demo's posts, and not a stop word (PostgreSQL drops those)
    field.press("Enter")
    page.get_by_role("link", name="More results").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Results 21 to"))).to_be_focused()
    axe_check(page, "second page of live search results")
    assert page.evaluate("window.__noReload === true")


def test_keyboard_only_reply(open_page, forum, js):
    author = open_page("member")
    thread = forum.start_thread(author.context, "marlholme-bay", forum.unique("Keys"), "Tab here.")
    page = open_page("member2", js=js)
    page.goto(thread)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()

    field = page.get_by_label("Your reply", exact=True)
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "field-body":
            break
    expect(field).to_be_focused()
    text = forum.unique("Typed with the keyboard alone")
    page.keyboard.type(text)
    page.keyboard.press("Tab")
    expect(page.locator("#reply-form").get_by_role("button", name="Post reply")).to_be_focused()
    page.keyboard.press("Enter")

    reply = page.locator("article.post", has_text=text)
    expect(reply).to_be_visible()
    if js:
        expect(reply).to_be_focused()
        expect(page.locator("#live-region")).to_have_text("Your reply has been posted.")
    else:
        expect(page.locator(".flash")).to_have_text("Your reply has been posted.")


def test_axe_on_a_new_members_held_posts(open_page, forum, axe_check):
    """A new account's safe-space thread waits for a moderator: its author's views of it (the thread,
    the channel's "Not published yet" list, their own profile's) and the delete confirmation."""
    page = open_page("new")
    path = forum.start_thread(page.context, "safe-space", "A worry we have not shared before",
                              "We tried something and it went badly.", guidelines="yes")
    for url, marker, label in (
        (path, ".post .notice", "own held thread"),
        ("/c/safe-space", "section.waiting", "channel with own held thread"),
        (f"/u/{page.member.handle}", "h2:text('Your posts not published yet')", "own profile with held posts"),
    ):
        page.goto(url)
        expect(page.locator(marker).first).to_be_visible()
        axe_check(page, label)
    page.goto(path)
    page.locator("a[href$='/delete']").first.click()
    expect(page.locator("h1")).to_have_text("Delete your thread?")
    axe_check(page, "deleting an unseen thread")


def test_axe_on_admin_pages_after_actions_and_with_errors(open_page, forum, axe_check):
    """The admins' pages as their actions leave them (a new invitation's link, a member's suspension)
    and with an error summary swapped in by htmx (axe needs JavaScript: whole pages are checked above)."""
    newcomer = open_page("new")
    page = open_page("admin")
    page.goto("/admin/invitations")
    address = forum.unique("invited") + "@example.org"
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".flash a[href*='/signup?invite=']")).to_be_visible()
    expect(page.get_by_role("cell", name=address, exact=True)).to_be_visible()
    axe_check(page, "invitation sent, its link shown")
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".error-summary")).to_be_focused()
    axe_check(page, "invitation with an error")

    page.goto(f"/admin/members/{newcomer.member.handle}")
    page.get_by_role("button", name=re.compile("^Suspend ")).click()
    expect(page.locator(".error-summary")).to_be_focused()
    axe_check(page, "suspension with an error")
    page.get_by_label("Reason", exact=True).fill("Testing the admin pages")
    page.get_by_label("Length in days").fill("1")
    page.get_by_role("button", name=re.compile("^Suspend ")).click()
    expect(page.locator(".notice", has_text="Suspended from posting in every channel but")).to_be_visible()
    axe_check(page, "member page with a suspension")
    page.get_by_role("button", name="Lift the suspension").click()
    expect(page.locator(".flash", has_text="The suspension is lifted")).to_be_visible()

    page.goto("/admin/settings")
    page.get_by_label("Minutes between the safe space's releases").fill("5000")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.locator(".error-summary")).to_be_focused()
    axe_check(page, "site settings with an error")

    page.goto("/admin/channels/new")
    page.get_by_role("button", name="Create the channel").click()
    expect(page.locator(".error-summary")).to_be_focused()
    axe_check(page, "new channel with errors")
