"""What moderators and members do about moderation, end to end in a browser, with JavaScript on
(htmx where the page offers it) and off (plain forms, a 303 and a flash)."""

import re

from playwright.sync_api import expect

from tests.browser.test_journeys import flash, htmx_or_plain


def _axe(axe_check, page, js: bool, what: str) -> None:
    """axe runs in the page: only with JavaScript on (the pages are the same without)."""
    if js:
        axe_check(page, what)


def test_a_member_reports_a_post_and_a_moderator_hides_it_from_the_queue(open_page, forum, js, axe_check):
    author = open_page(as_="new", js=js)
    thread = forum.start_thread(author.context, "hub-news", forum.unique("Introductions"), "Hello, all.")
    words = forum.unique("Ring my mobile")
    post = forum.reply(author.context, thread, words)

    reporter = open_page(as_="member", js=js)
    reporter.goto(thread)
    reporter.locator(f"#post-{post}").get_by_role("link", name=re.compile("^Report")).click()
    expect(reporter.get_by_role("heading", level=1)).to_contain_text("Report post")
    _axe(axe_check, reporter, js, "the report form")
    reporter.get_by_label("Personal information: it identifies someone").check()
    reporter.get_by_label("Anything the moderators should know").fill("A phone number")
    reporter.get_by_role("button", name="Send the report").click()
    expect(reporter.locator("main").get_by_text("Thank you: the moderators will look at this post")).to_be_visible()

    moderator = open_page(as_="moderator", js=js)
    moderator.goto("/mod/queue?kind=report")
    item = moderator.locator(".queue-item", has_text=words)
    expect(item).to_contain_text("A phone number")
    _axe(axe_check, moderator, js, "the review queue")
    item.get_by_label(re.compile("^Reason to hide")).fill("Personal information")
    with htmx_or_plain(moderator, js):
        item.get_by_role("button", name=re.compile("^Hide")).click()
    expect(moderator.locator("main").get_by_text("The post is hidden.")).to_be_visible()
    if not js:
        expect(moderator).to_have_url(re.compile(r"/mod/queue\?kind=report$"))

    author.goto(thread)
    expect(author.locator(f"#post-{post}")).to_contain_text("Reason: Personal information")
    reporter.goto(thread)
    expect(reporter.locator(f"#post-{post}")).to_contain_text("This post was hidden by a moderator.")
    reporter.goto("/notifications")
    expect(reporter.locator("main")).to_contain_text("reviewed your report and hid the post")


def test_a_moderator_pins_locks_and_moves_a_thread(open_page, forum, js, axe_check):
    member = open_page(as_="member", js=js)
    title = forum.unique("Apprenticeship levy pooling")
    thread = forum.start_thread(member.context, "good-jobs-and-skills", title, "Has anyone pooled theirs?")

    moderator = open_page(as_="moderator", js=js)
    moderator.goto(thread)
    _axe(axe_check, moderator, js, "a thread with the moderator's tools")
    with htmx_or_plain(moderator, js):
        moderator.get_by_role("button", name="Pin this thread").click()
    expect(moderator.locator("main .badge", has_text="Pinned")).to_be_visible()
    with htmx_or_plain(moderator, js):
        moderator.get_by_role("button", name="Lock this thread").click()
    expect(moderator.locator("main .badge", has_text="Locked")).to_be_visible()
    moderator.goto("/c/good-jobs-and-skills")
    expect(moderator.locator(".thread-row").first).to_contain_text(title)

    member.goto(thread)
    expect(member.locator(".reply-section")).to_contain_text("This thread is locked: no new replies.")
    expect(member.locator("#reply-form")).to_have_count(0)

    moderator.goto(thread)
    moderator.get_by_role("link", name="Move this thread").click()
    _axe(axe_check, moderator, js, "the move form")
    moderator.get_by_label("Move to").select_option("business-community-resilience")
    moderator.get_by_label("Reason").fill("Fits resilience better")
    moderator.get_by_role("button", name="Move this thread").click()
    expect(flash(moderator)).to_contain_text("The thread is moved.")
    expect(moderator.locator(".breadcrumbs")).to_contain_text("Business and community resilience")
    moderator.goto("/moderation")
    expect(moderator.locator("main table")).to_contain_text("Fits resilience better")
    _axe(axe_check, moderator, js, "the transparency log")
