"""What members do, end to end in a browser: each journey with JavaScript on (htmx) and off.

With JavaScript the inline actions must be done by htmx (a marker set on ``window`` survives: no
full page load) and focus must land on the result. Without it, the same actions work as plain
links and forms (POST, then a 303 redirect and a flash message).
"""

import re
from contextlib import contextmanager

from playwright.sync_api import expect

from tests.browser.driver import PASSWORD, assert_no_reload, mark_window

PILOT = "marlholme-bay"
LESSON_ANSWERS = {
    "What we tried": "A pop-up careers fair in the harbour car park, run with two local employers.",
    "What happened": "Forty people came; most had heard about it at the library, not online.",
    "What we learned": "Partners' own front desks reach more people than our channels do.",
    "What we would do differently": "Brief library and job-centre staff a fortnight ahead.",
}


@contextmanager
def htmx_or_plain(page, js: bool):
    """With JavaScript, the action must go through htmx (an HX-Request), not a page load."""
    if not js:
        yield
        return
    mark_window(page)
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        yield
    assert_no_reload(page)


def fill_lesson(text: str) -> str:
    for heading, answer in LESSON_ANSWERS.items():
        text = text.replace(f"## {heading}\n", f"## {heading}\n\n{answer}\n", 1)
    return text


def flash(page):
    return page.locator(".flash")


def test_sign_up_and_sign_in(open_page, forum, js):
    page = open_page(js=js)
    handle = forum.unique("jo").replace("-", "_")
    name = "Jo Journey"
    page.goto("/")
    page.locator(".intro").get_by_role("link", name="Create an account").click()
    expect(page).to_have_url(re.compile(r"/signup$"))
    page.get_by_label("Email address").fill(f"{handle}@example.org")
    page.get_by_label("Handle").fill(handle)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Organisation (optional)").fill("Marlholme Bay Borough Council")
    page.get_by_label("Kind of organisation").select_option("local_authority")
    page.get_by_label("Marlholme Bay Partnership").check()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(re.compile(rf"/u/{handle}$"))
    expect(flash(page)).to_have_text(f"Welcome to Common Ground, {name}.")
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    expect(page.get_by_role("link", name="Marlholme Bay Partnership")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(flash(page)).to_have_text("You are signed out.")
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()

    # A members-only page sends a visitor to sign in, and back afterwards.
    page.goto("/c/safe-space/new")
    expect(page).to_have_url(re.compile(r"/signin\?next=/c/safe-space/new$"))
    page.get_by_label("Email address").fill(f"{handle}@example.org")
    page.get_by_label("Password", exact=True).fill("not my password at all")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_be_focused()

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/c/safe-space/new$"))
    expect(flash(page)).to_have_text("You are signed in.")
    account = page.get_by_role("navigation", name="Account")
    expect(account.get_by_role("link", name=name)).to_be_visible()


def test_browse_to_a_pilot_channel(open_page, js):
    page = open_page(js=js)
    page.goto("/")
    expect(page.get_by_role("heading", name="Pilot partnerships")).to_be_visible()
    page.locator(f'a.channel-name[href="/c/{PILOT}"]').click()

    expect(page).to_have_url(re.compile(rf"/c/{PILOT}$"))
    channel_name = page.get_by_role("heading", level=1).inner_text()
    assert channel_name == "Marlholme Bay Partnership"
    first = page.locator(".thread-title a").first
    title = first.inner_text()
    first.click()

    expect(page).to_have_url(re.compile(r"/t/[a-z0-9]+-[a-z0-9-]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("article.post").first).to_be_visible()
    expect(page.get_by_role("link", name="Sign in to reply")).to_be_visible()
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name=channel_name).click()
    expect(page).to_have_url(re.compile(rf"/c/{PILOT}$"))


def test_search_and_open_a_result(open_page, forum, js):
    author = open_page("member")
    word = forum.unique("Heronsgill").replace("-", "")
    thread = forum.start_thread(author.context, PILOT, f"Lessons from {word}", f"The **{word}** pilot in short.")
    forum.reply(author.context, thread, f"A later note on {word}: it worked.")
    page = open_page(js=js)
    page.goto("/")
    page.get_by_role("link", name="Search").click()
    field = page.get_by_label("Search titles and posts")
    if js:
        with htmx_or_plain(page, js):
            field.press_sequentially(word[:-2], delay=20)  # results follow typing, before the word ends
    else:
        field.fill(word)
        page.get_by_role("button", name="Search", exact=True).click()
    results = page.locator(".result")
    expect(results).to_have_count(2)
    expect(page).to_have_url(re.compile(r"/search\?q="))
    expect(results.locator("mark").first).to_have_text(re.compile(word[:-2], re.I))
    page.get_by_label("Order").select_option("newest")
    if not js:
        page.get_by_role("button", name="Search", exact=True).click()
    expect(results.first.locator(".excerpt")).to_contain_text("A later note")
    results.first.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/t/[a-z0-9]+-lessons-from"))
    expect(page.locator("article.post", has_text="A later note")).to_be_visible()


def test_a_lesson_post_becomes_a_key_learning_a_visitor_finds(open_page, forum, js):
    page = open_page("member", js=js)
    title = forum.unique("Pop-up careers fair")
    page.goto(f"/c/{PILOT}")
    page.get_by_role("link", name="Start a thread").click()
    expect(page).to_have_url(re.compile(rf"/c/{PILOT}/new$"))
    page.get_by_label("Title").fill(title)
    body = page.get_by_label("Your post")
    body.fill("Written before the template.")
    with htmx_or_plain(page, js):
        page.get_by_role("button", name="Add the lesson template").click()
    body = page.get_by_label("Your post")
    expect(body).to_have_value(re.compile(r"^Written before the template\.\n\n## What we tried\n"))
    expect(page.get_by_label("Title")).to_have_value(title)
    if js:
        expect(body).to_be_focused()
    body.fill(fill_lesson(body.input_value()).replace(LESSON_ANSWERS["What happened"], ""))
    page.get_by_label("Tags (optional)").fill("careers, outreach")
    page.get_by_role("button", name="Start thread").click()

    expect(page).to_have_url(re.compile(r"/t/[a-z0-9]+-pop-up-careers-fair"))
    expect(flash(page)).to_have_text("Your thread has been started.")
    opening = page.locator("article.post").first
    for heading, answer in LESSON_ANSWERS.items():
        if heading != "What happened":
            expect(opening.locator(".post-body").get_by_role("heading", name=heading)).to_be_visible()
            expect(opening).to_contain_text(answer)
    expect(opening.locator(".post-body").get_by_role("heading", name="What happened")).to_have_count(0)
    thread_url = page.url

    moderator = open_page("moderator", js=js)
    moderator.goto(thread_url)
    moderator.locator(".mod-panel").get_by_role("link", name="Key learning").click()
    summary = forum.unique("Front desks reach more people than posters")
    moderator.get_by_label("Summary").fill(summary)
    moderator.get_by_label("Good jobs and future skills").check()
    moderator.get_by_role("button", name="Mark as a key learning").click()
    expect(moderator).to_have_url(thread_url)
    expect(moderator.locator(".key-learnings")).to_contain_text(summary)

    visitor = open_page(js=js)
    visitor.goto("/learning")
    visitor.get_by_label("Pilot", exact=True).select_option(PILOT)
    visitor.get_by_label("Theme", exact=True).select_option("good-jobs-and-skills")
    if not js:
        visitor.get_by_role("button", name="Show").click()
    entry = visitor.locator(".learning", has_text=summary)
    expect(entry).to_be_visible()
    expect(entry.locator(".badge")).to_have_text("Lesson post")
    expect(visitor).to_have_url(re.compile(r"pilot=marlholme-bay.*theme=good-jobs-and-skills"))
    entry.get_by_label(re.compile("Choose for a briefing")).check()
    visitor.get_by_role("button", name="Briefing of the chosen ones").click()
    expect(visitor).to_have_url(re.compile(r"/learning/briefing\?pick="))
    briefing = visitor.locator(".briefing-entry")
    expect(briefing).to_have_count(1)
    expect(briefing).to_contain_text(summary)
    expect(briefing.get_by_role("heading", name="What we learned")).to_be_visible()
    expect(visitor.get_by_role("link", name="Download as Markdown")).to_have_attribute(
        "href", re.compile(r"^/learning/briefing\.md\?pick="))
    briefing.get_by_role("link", name="Read the thread").click()
    expect(visitor).to_have_url(thread_url)


def test_reply_to_the_thread_and_to_a_post(open_page, forum, js):
    author = open_page("member")
    thread = forum.start_thread(author.context, PILOT, forum.unique("Harbour jobs"),
                                "Who is recruiting locally?")
    first_id = forum.first_post_id(author.context, thread)
    page = open_page("member2", js=js)
    page.goto(thread)

    answer = forum.unique("The boatyard is hiring two apprentices")
    page.get_by_label("Your reply", exact=True).fill(answer)
    with htmx_or_plain(page, js):
        page.get_by_role("button", name="Post reply").click()
    reply = page.locator("article.post", has_text=answer)
    expect(reply).to_be_visible()
    if js:
        expect(reply).to_be_focused()
        expect(page.locator("#live-region")).to_have_text("Your reply has been posted.")
        expect(page.get_by_label("Your reply", exact=True)).to_have_value("")
    else:
        expect(page).to_have_url(re.compile(r"/t/.+#post-[a-z0-9]+$"))
        expect(flash(page)).to_have_text("Your reply has been posted.")

    # Reply to the opening post: in place with htmx, on the reply page without.
    page.evaluate("document.getElementById('live-region').textContent = ''")
    with htmx_or_plain(page, js):
        page.get_by_role("link", name="Reply to post 1").click()
    field = page.get_by_label("Your reply to post 1")
    if js:
        expect(field).to_be_focused()
    else:
        expect(page).to_have_url(re.compile(rf"/p/{first_id}/reply$"))
        answering = page.get_by_role("region", name="The post you are answering")
        expect(answering).to_contain_text("Who is recruiting")
    nested = forum.unique("Also the ferry company")
    field.fill(nested)
    with htmx_or_plain(page, js):
        page.locator(f"#reply-form-{first_id}").get_by_role("button", name="Post reply").click()
    child = page.locator("article.post", has_text=nested)
    expect(child).to_be_visible()
    expect(child).to_have_class(re.compile(r"\bdepth-1\b"))
    if js:
        expect(page.locator(f"#post-{first_id} + .reply-slot article.post")).to_contain_text(nested)
        expect(child).to_be_focused()
        expect(page.locator("#live-region")).to_have_text("Your reply has been posted.")
    else:
        expect(flash(page)).to_have_text("Your reply has been posted.")
    expect(page.locator("article.post")).to_have_count(3)


def test_reply_page_opened_on_its_own(open_page, forum):
    """With JavaScript on, a reply page opened by itself (a new tab) posts plainly: it has no posts list."""
    author = open_page("member")
    thread = forum.start_thread(author.context, PILOT, forum.unique("New tab"), "Anyone tried this?")
    first_id = forum.first_post_id(author.context, thread)
    thread_id = thread.removeprefix("/t/").split("-")[0]
    page = open_page("member2")
    for url, label in ((f"/p/{first_id}/reply", "Your reply to post 1"), (f"/t/{thread_id}/reply", "Your reply")):
        page.goto(url)
        answer = forum.unique("Yes, in the harbour")
        page.get_by_label(label, exact=True).fill(answer)
        page.get_by_role("button", name="Post reply").click()
        expect(page).to_have_url(re.compile(r"/t/.+#post-[a-z0-9]+$"))
        expect(page.locator("article.post", has_text=answer)).to_be_visible()


def test_edit_and_delete_own_post(open_page, forum, js):
    page = open_page("new", js=js)
    thread = forum.start_thread(page.context, PILOT, forum.unique("Edit me"), "An opening post.")
    post_id = forum.reply(page.context, thread, "First draft of my reply.")
    page.goto(f"/p/{post_id}")
    post = page.locator(f"#post-{post_id}")
    expect(post).to_contain_text("First draft")

    with htmx_or_plain(page, js):
        post.get_by_role("link", name="Edit post 2").click()
    field = page.get_by_label("Post 2", exact=True)
    if js:
        expect(page.locator(f"#edit-post-{post_id}")).to_be_visible()
        expect(field).to_be_focused()
    else:
        expect(page).to_have_url(re.compile(rf"/p/{post_id}/edit$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Edit post 2")
    field.fill("Second draft, with **more** detail.")
    with htmx_or_plain(page, js):
        page.get_by_role("button", name="Save changes").click()
    expect(post).to_contain_text("Second draft, with more detail.")
    if js:
        expect(post).to_be_focused()
        expect(page.locator("#live-region")).to_have_text("Your post has been updated.")
    else:
        expect(flash(page)).to_have_text("Your post has been updated.")

    post.get_by_role("link", name="edited").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("History of post 2")
    expect(page.locator("pre.revision").last).to_have_text("First draft of my reply.")
    page.get_by_role("link", name="Back to the post").click()

    post.get_by_role("link", name="Delete post 2").click()
    expect(page).to_have_url(re.compile(rf"/p/{post_id}/delete$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete post 2?")
    page.get_by_role("button", name="Delete post").click()
    expect(flash(page)).to_have_text("Your post has been deleted.")
    expect(post).to_contain_text("This post was deleted by its author.")
    expect(post).not_to_contain_text("Second draft")


def test_react_to_a_post(open_page, forum, js):
    author = open_page("member")
    thread = forum.start_thread(author.context, PILOT, forum.unique("Reactions"), "We pooled it.")
    page = open_page("member2", js=js)
    page.goto(thread)
    helpful = page.locator("article.post").first.get_by_role("button", name=re.compile(r"^Helpful"))
    expect(helpful).to_have_attribute("aria-pressed", "false")
    expect(helpful).to_have_accessible_name("Helpful 0")

    with htmx_or_plain(page, js):
        helpful.click()
    expect(helpful).to_have_attribute("aria-pressed", "true")
    expect(helpful).to_have_accessible_name("Helpful 1")
    if js:
        expect(helpful).to_be_focused()  # the swapped-in button keeps the keyboard user's place

    with htmx_or_plain(page, js):
        helpful.click()
    expect(helpful).to_have_attribute("aria-pressed", "false")
    expect(helpful).to_have_accessible_name("Helpful 0")


def test_quick_reactions_on_several_posts_all_count(open_page, forum):
    author = open_page("member")
    thread = forum.start_thread(author.context, PILOT, forum.unique("Quick"), "First.")
    forum.reply(author.context, thread, "Second.")
    forum.reply(author.context, thread, "Third.")
    page = open_page("member2")
    page.goto(thread)
    mark_window(page)
    posts = page.locator("article.post")
    # Three clicks in one go, before any answer: each must be a request of its own.
    page.evaluate("""document.querySelectorAll("button[form=react][value*=':same_here:']")
                     .forEach(function (button) { button.click(); })""")
    for n in range(3):
        expect(posts.nth(n).get_by_role("button", name=re.compile(r"^Same here"))).to_have_accessible_name(
            "Same here 1")
    assert_no_reload(page)
    page.reload()
    expect(page.get_by_role("button", name="Same here 1")).to_have_count(3)


def test_post_in_the_safe_space(open_page, forum, js):
    page = open_page("new", js=js)  # a new account: its safe-space posts wait for a moderator
    member = page.member
    title = forum.unique("Our data sharing pilot stalled")
    page.goto("/c/safe-space")
    expect(page.get_by_role("heading", name="Who can see who wrote what here")).to_be_visible()
    page.get_by_role("link", name="Start a thread").click()

    body = page.get_by_label("Your post")
    expect(body).to_have_value(re.compile(r"^## What we tried\n"))  # suggested here
    body.fill(fill_lesson(body.input_value()))
    page.get_by_label("Title").fill(title)
    page.get_by_role("button", name="Start thread").click()  # without confirming the guidelines
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Title")).to_have_value(title)  # nothing typed is lost

    page.get_by_label("I have read the safe space guidelines").check()
    page.get_by_role("button", name="Start thread").click()
    expect(page).to_have_url(re.compile(r"/t/[a-z0-9]+-our-data-sharing-pilot-stalled"))
    thread = page.url.removeprefix(forum.server.url)
    expect(flash(page)).to_contain_text("waiting for a moderator's approval")
    opening = page.locator("article.post").first
    expect(opening.locator("header > p").first).to_have_text(re.compile(r"^\s*Participant A\b"))
    expect(opening.locator("header > p").first).to_contain_text("you")
    expect(opening).to_contain_text("Waiting for a moderator's approval")
    for secret in (member.name, member.handle):
        expect(opening).not_to_contain_text(secret)

    moderator = open_page("moderator", js=js)
    moderator.goto("/mod/queue")
    item = moderator.locator(".queue-item", has_text=title)
    expect(item).to_contain_text("Participant A")
    item.get_by_role("button", name=re.compile(r"^Approve")).click()
    expect(flash(moderator)).to_have_text("The post is approved and published.")
    expect(moderator.locator(".queue-item", has_text=title)).to_have_count(0)

    reader = open_page("member2", js=js)
    reader.goto(thread)
    expect(reader.get_by_role("heading", level=1)).to_have_text(title)
    opening = reader.locator("article.post").first
    expect(opening.locator("header > p").first).to_contain_text("Participant A")
    html = reader.content()
    assert member.name not in html and member.handle not in html


def test_moderator_hides_a_post(open_page, forum, js):
    author = open_page("new")
    thread = forum.start_thread(author.context, PILOT, forum.unique("Moderation"), "A question.")
    post_id = forum.reply(author.context, thread, "Something that breaks the house rules.")
    page = open_page("moderator", js=js)
    page.goto(thread)
    post = page.locator(f"#post-{post_id}")
    post.get_by_role("link", name="Hide post 2").click()

    expect(page).to_have_url(re.compile(rf"/mod/posts/{post_id}/hide$"))
    expect(page.locator("blockquote.quoted-post")).to_contain_text("breaks the house rules")
    page.get_by_role("button", name="Hide post 2").click()  # no reason yet
    expect(page.locator(".error-summary")).to_be_focused()
    reason = forum.unique("Personal remarks about a named officer")
    page.get_by_label("Reason").fill(reason)
    page.get_by_role("button", name="Hide post 2").click()

    expect(flash(page)).to_have_text("The post is hidden. Its author is told why, and the log records it.")
    expect(post).to_contain_text("Hidden by a moderator: only its author and moderators can read it.")
    expect(post.get_by_role("link", name="Restore post 2")).to_be_visible()
    page.get_by_role("link", name="Review").click()
    page.get_by_role("link", name="Moderation log").click()
    expect(page.get_by_role("row", name=re.compile(re.escape(reason)))).to_contain_text("Hid")

    author.goto(thread)
    hidden = author.locator(f"#post-{post_id}")  # its author still reads it, with the reason
    expect(hidden).to_contain_text("A moderator hid this post: only you and the moderators can read it.")
    expect(hidden).to_contain_text(f"Reason: {reason}")
    author.goto("/notifications")
    expect(author.locator(".notification").first).to_contain_text(reason)
