"""A visitor subscribes to the digest, confirms from the email, gets a digest and leaves from its
link, with JavaScript on and off."""

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

    confirmation = forum.server.mails_to(address)[-1].get_body(("plain",)).get_content()
    page.goto(re.search(r"https?://\S+/subscribe/confirm/\S+", confirmation).group(0))
    page.get_by_role("button", name="Start my digest").click()
    expect(page.locator("main [role=status]")).to_contain_text("Your digest is on")

    author = open_page("member")
    title = forum.unique("Harbour open day")
    forum.start_thread(author.context, "marlholme-bay", title, "An open day at the harbour, for every partner.")
    today = windows.day(to_site_time(datetime.now(UTC)).date()).key
    forum.server.forum("digest", "run", "--period", today, "--force")
    digest = forum.server.mails_to(address)[-1]
    assert title in digest.get_body(("plain",)).get_content()
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    page.goto(digest["List-Unsubscribe"].strip("<>"))
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.locator("main [role=status]")).to_contain_text("You are unsubscribed")
    forum.server.forum("digest", "run", "--period", today, "--force")
    assert len(forum.server.mails_to(address)) == 2  # the confirmation and the one digest
