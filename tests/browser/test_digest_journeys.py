"""Keeping up, with JavaScript on and off: a visitor subscribes to the digest, confirms from the email,
gets a digest and leaves from its link; a member watches a thread, hears of it, and mutes it."""

import re
from datetime import UTC, datetime

from playwright.sync_api import expect

from app.core.timeutil import to_site_time
from app.digest import windows


def test_a_visitor_subscribes_confirms_and_unsubscribes_from_the_digest(open_page, forum, js):
    address = forum.unique("reader").replace("-", "") + "@example.org"
    page = open_page(js=js)
    page.goto("/")
    page.get_by_role("link", name="Get the digest by email").click()
    page.get_by_label("Email address").fill(address)
    page.get_by_label("Daily, each morning").check()
    page.get_by_role("button", name="Send me the confirmation link").click()
    expect(page.locator("main [role=status]")).to_contain_text("Check your inbox")

    confirmation = forum.server.mails_to(address, at_least=1)[-1].get_body(("plain",)).get_content()
    page.goto(re.search(r"https?://\S+/subscribe/confirm/\S+", confirmation).group(0))
    page.get_by_role("button", name="Start my digest").click()
    expect(page.locator("main [role=status]")).to_contain_text("Your digest is on")

    author = open_page("member")
    title = forum.unique("Harbour open day")
    forum.start_thread(author.context, "marlholme-bay", title, "An open day at the harbour, for every partner.")
    today = windows.day(to_site_time(datetime.now(UTC)).date()).key
    forum.server.forum("digest", "run", "--period", today, "--force")
    digest = forum.server.mails_to(address, at_least=2)[-1]
    assert title in digest.get_body(("plain",)).get_content()
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    page.goto(digest["List-Unsubscribe"].strip("<>"))
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.locator("main [role=status]")).to_contain_text("You are unsubscribed")
    forum.server.forum("digest", "run", "--period", today, "--force")
    assert len(forum.server.mails_to(address)) == 2  # the confirmation and the one digest


def test_a_member_watches_a_thread_hears_of_it_and_mutes_it(open_page, forum, js):
    author, watcher, other = open_page("member"), open_page("member2", js=js), open_page("moderator")
    title = forum.unique("Shared minibus")
    thread = forum.start_thread(author.context, "marlholme-bay", title,
                                "Could partners share one minibus between sites?")
    watcher.goto(thread)
    watcher.get_by_role("button", name="Watch", exact=True).click()
    expect(watcher.locator("main [role=status]").first).to_contain_text("You are watching this thread")
    expect(watcher.locator("form.watch-form")).to_contain_text("You are watching this thread.")
    forum.reply(other.context, thread, "We did this in Ystrad: a shared rota works.")

    watcher.goto("/notifications")
    group = watcher.locator(".notification-group", has=watcher.get_by_role("heading", name=title))
    group.get_by_role("link", name=re.compile("posted in a thread you watch")).click()
    expect(watcher).to_have_url(re.compile(r"/t/.*#post-"))
    watcher.goto("/notifications")  # read now, among the read ones
    expect(group.locator(".notification")).to_have_count(1)
    expect(group.locator(".notification.unread")).to_have_count(0)

    watcher.goto(thread)
    watcher.get_by_role("button", name="Mute", exact=True).click()
    expect(watcher.locator("form.watch-form")).to_contain_text("This thread is muted.")
    watcher.goto("/notifications")
    before = watcher.locator(".notification").count()
    forum.reply(other.context, thread, "And the insurance was simpler than we feared. cc @member2")
    watcher.goto("/notifications")
    expect(watcher.locator(".notification")).to_have_count(before)


def test_a_member_keeps_up_on_the_latest_page(open_page, forum, js):
    author, reader = open_page("member"), open_page("member2", js=js)
    tag = forum.unique("ferries").replace("-", "")
    title = forum.unique("Winter ferry timetable")
    thread = forum.start_thread(author.context, "marlholme-bay", title, "The winter timetable is out.", tags=tag)
    reader.goto("/")
    reader.get_by_role("link", name="Latest", exact=True).click()
    row = reader.locator(".thread-row", has_text=title)
    expect(row.locator(".badge.unread")).to_have_text("(New)")  # the brackets for screen readers only
    row.get_by_role("link", name=title).click()
    expect(reader).to_have_url(re.compile(re.escape(thread)))
    reader.goto("/latest")
    expect(row.locator(".badge.unread")).to_have_count(0)
    forum.reply(author.context, thread, "And the summer one follows in March.")
    reader.reload()
    row.get_by_role("link", name="New replies (go to the first)").click()
    expect(reader.locator("article:target")).to_contain_text("the summer one follows in March")
    reader.goto("/latest")
    row.get_by_role("link", name=tag).click()
    expect(reader.get_by_role("heading", level=1)).to_have_text(f"Threads tagged {tag}")
    expect(reader.locator(".thread-row")).to_have_count(1)
