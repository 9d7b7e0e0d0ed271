"""Browser tests: Playwright (Python) driving Debian's chromium against the real server.

One Uvicorn server per run (fresh database with the demo seed) on a free loopback port, one
headless chromium. Every journey runs twice, with JavaScript enabled and disabled. Tests are
independent of each other: each makes its own members and threads with unique names.

Without chromium the browser tests are skipped on a developer machine (and the end of the run
says so and how to enable them); in CI (CI=true) a missing browser fails the run.
"""

import email
import email.policy
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
# WCAG 2.0, 2.1 and 2.2 at levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
IN_CI = os.environ.get("CI", "").lower() == "true"
SKIP_MESSAGE = ("browser tests skipped: install Debian's chromium (apt-get install chromium) to run them "
                "(`make test` then runs them; they never download a browser)")
PASSWORD = "violet ferry lantern orchard 7"
BROWSER_DIR = Path(__file__).resolve().parent


def find_chromium() -> str | None:
    """Debian's chromium, or None. Playwright's own browser downloads are never used."""
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def _playwright_missing() -> bool:
    try:
        import axe_playwright_python  # noqa: F401
        import playwright  # noqa: F401
    except ImportError:
        return True
    return False


CHROMIUM = find_chromium()
BROWSER_MISSING = CHROMIUM is None or _playwright_missing()


def _needs_browser(item) -> bool:
    return BROWSER_DIR in Path(str(item.path)).parents and "browser" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config, items):
    """On a developer machine without chromium, skip (not fail) the tests that need it."""
    if not BROWSER_MISSING or IN_CI:
        return
    marker = pytest.mark.skip(reason=SKIP_MESSAGE)
    skipped = 0
    for item in items:
        if _needs_browser(item):
            item.add_marker(marker)
            skipped += 1
    config.stash[_SKIPPED_KEY] = skipped


_SKIPPED_KEY = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = config.stash.get(_SKIPPED_KEY, 0)
    if skipped:
        terminalreporter.write_sep("=", "browser tests", yellow=True, bold=True)
        terminalreporter.write_line(f"{skipped} {SKIP_MESSAGE}", yellow=True, bold=True)


# --- the server -------------------------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    tmp: Path
    log: Path
    accounts: dict[str, tuple[str, str]]  # "admin", "moderator", "member", "member2" -> (email, password)

    @property
    def outbox(self) -> Path:
        return self.tmp / "outbox"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url(tmp: Path):
    """A fresh database: a SQLite file, or a new PostgreSQL database when the suite runs on PostgreSQL."""
    test_url = os.environ.get("TEST_DATABASE_URL", "")
    if not test_url.startswith("postgresql"):
        return f"sqlite:///{tmp / 'db.sqlite'}", None
    from sqlalchemy import create_engine, text

    name = f"cg_browser_{uuid.uuid4().hex[:8]}"
    admin = create_engine(test_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return test_url.rsplit("/", 1)[0] + f"/{name}", drop


def _read_accounts(path: Path) -> dict[str, tuple[str, str]]:
    accounts = {}
    for line in path.read_text().splitlines():
        _role, email, password = line.split("\t")
        accounts[email.split("@")[0]] = (email, password)
    return accounts


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Migrate, seed the demo and serve the forum on 127.0.0.1; one server for the whole run."""
    tmp = tmp_path_factory.mktemp("browser-server")
    database_url, drop_database = _database_url(tmp)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url, "ENVIRONMENT": "test", "BASE_URL": url, "REGISTRATION_MODE": "open",
        "SECRET_KEY": "browser-tests-secret-key-that-is-long-enough",
        "ANONYMITY_KEY": "browser-tests-anonymity-key-kept-apart-from-it",
        "EMAIL_URL": f"file://{tmp / 'outbox'}",
    }
    for name in ("WEB_CONCURRENCY", "HOST", "PORT", "SAFE_SPACE_NEW_MEMBER_DAYS"):
        env.pop(name, None)
    cli = [sys.executable, "-m", "app.cli"]
    log = tmp / "server.log"
    process = None
    try:
        for args in (["migrate"], ["seed-demo", "--accounts-file", str(tmp / "accounts.txt")]):
            done = subprocess.run(cli + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
            if done.returncode:
                pytest.fail(f"forum {args[0]} failed:\n{done.stdout}\n{done.stderr}", pytrace=False)
        with log.open("wb") as out:
            process = subprocess.Popen(cli + ["serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
                                       env=env, stdout=out, stderr=subprocess.STDOUT)
        _wait_until_healthy(url, process, log)
        yield LiveServer(url=url, tmp=tmp, log=log, accounts=_read_accounts(tmp / "accounts.txt"))
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if drop_database:
            drop_database()


def _wait_until_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited early:\n{log.read_text()[-3000:]}", pytrace=False)
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the server did not answer /healthz within {timeout}s:\n{log.read_text()[-3000:]}", pytrace=False)


@pytest.fixture(autouse=True)
def _server_errors_fail_the_test(request):
    """A traceback in the server log while a test ran fails that test (a 500 is never fine)."""
    if "live_server" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("live_server")
    start = server.log.stat().st_size
    yield
    with server.log.open("rb") as f:
        f.seek(start)
        written = f.read().decode("utf-8", "replace")
    assert "Traceback" not in written, f"the server logged an error during this test:\n{written[-4000:]}"


# --- the browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if BROWSER_MISSING:
        if IN_CI:
            pytest.fail("CI=true and no browser: chromium (apt-get install chromium) and the playwright "
                        "package are required for the browser tests", pytrace=False)
        pytest.skip(SKIP_MESSAGE)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Member:
    handle: str
    name: str
    email: str
    password: str = PASSWORD


@dataclass
class PageProblems:
    """What a page did wrong while a test used it: script errors, CSP reports, missing assets."""

    items: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on("pageerror", lambda error: self.items.append(f"page error: {error}"))
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, message) -> None:
        # Failed loads are checked by status below (a 404 page or a 422 form is expected).
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.items.append(f"console error: {message.text}")

    def _response(self, response) -> None:
        kind = response.request.resource_type
        if response.status >= 400 and kind in ("stylesheet", "script", "image", "font"):
            self.items.append(f"{response.status} for {kind} {response.url}")


class Forum:
    """Drives the live server: signs browsers in, makes members, threads and replies quickly over HTTP.

    The HTTP calls go through ``context.request``, which shares the browser context's cookies, so a
    member made or signed in this way is signed in for the context's pages too.
    """

    def __init__(self, server: LiveServer, browser) -> None:
        self.server = server
        self.browser = browser
        self._states: dict[str, dict] = {}

    def url(self, path: str) -> str:
        return self.server.url + path

    def unique(self, prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:8]}"

    # Forms over HTTP, as a browser without JavaScript would send them.

    def csrf(self, context) -> str:
        html = context.request.get(self.url("/signin")).text()  # signed in: redirects to a page with a form
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def submit(self, context, action: str, data: dict) -> str:
        """POST a form; return where the site redirected (the 303's Location)."""
        response = context.request.post(self.url(action), form={"csrf_token": self.csrf(context), **data},
                                        max_redirects=0)
        assert response.status == 303, f"POST {action}: {response.status}\n{response.text()[:2000]}"
        return response.headers["location"]

    def sign_in(self, context, who: "str | Member") -> None:
        email, password = (who.email, who.password) if isinstance(who, Member) else self.server.accounts[who]
        assert self.submit(context, "/signin", {"email": email, "password": password, "next": "/"}) == "/"

    def new_member(self, context, prefix: str = "member") -> Member:
        """Sign up a new member in this context (and so sign it in)."""
        handle = self.unique(prefix).replace("-", "_")
        member = Member(handle=handle, name=f"Test {handle.title()}", email=f"{handle}@example.org")
        location = self.submit(context, "/signup", {
            "email": member.email, "handle": member.handle, "display_name": member.name,
            "password": member.password, "organisation_kind": "other",
        })
        assert location == f"/u/{handle}"
        return member

    def start_thread(self, context, channel: str, title: str, body: str, **extra) -> str:
        """Start a thread; return its URL path."""
        return self.submit(context, f"/c/{channel}/new", {"title": title, "body": body, **extra})

    def reply(self, context, thread_path: str, body: str, parent: str = "") -> str:
        """Reply in a thread (to a post, given its public id); return the new post's public id."""
        thread_id = thread_path.removeprefix("/t/").split("-")[0]
        location = self.submit(context, f"/t/{thread_id}/reply", {"body": body, "parent_id": parent})
        return location.removeprefix("/p/")

    def first_post_id(self, context, thread_path: str) -> str:
        html = context.request.get(self.url(thread_path)).text()
        return re.search(r'<article id="post-([a-z0-9]+)"', html).group(1)

    def password_reset_path(self, context, address: str) -> str:
        """Ask for a reset link for ``address`` and read it from the file outbox."""
        before = set(self.server.outbox.glob("*.eml")) if self.server.outbox.exists() else set()
        context.request.post(self.url("/password/forgot"), form={"csrf_token": self.csrf(context), "email": address})
        new = [p for p in self.server.outbox.glob("*.eml") if p not in before]
        for path in new:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            text = message.get_body(preferencelist=("plain",)).get_content()
            found = re.search(r"/password/reset/([A-Za-z0-9_.-]+)", text)
            if found:
                return f"/password/reset/{found.group(1)}"
        raise AssertionError("no password reset email in the outbox")

    # Browser contexts.

    def storage_state(self, role: str) -> dict:
        """A signed-in browser state for a demo account, made once per run."""
        if role not in self._states:
            context = self.browser.new_context()
            try:
                self.sign_in(context, role)
                context.request.get(self.url("/"))  # shows (and so clears) the "You are signed in." flash
                self._states[role] = context.storage_state()
            finally:
                context.close()
        return self._states[role]


@pytest.fixture(scope="session")
def forum(live_server, browser) -> Forum:
    return Forum(live_server, browser)


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def js(request) -> bool:
    """Run the test twice: with JavaScript enabled (htmx) and disabled (plain forms and links)."""
    return request.param


@pytest.fixture
def open_page(forum, browser):
    """open_page(as_=None | "member" | Member | "new", js=True, width=1280) -> a page in a new context.

    ``as_="new"`` signs up a fresh member (available as ``page.member``). Page problems (script
    errors, CSP violations, missing assets) fail the test.
    """
    contexts = []
    problems = PageProblems()

    def make(as_=None, js: bool = True, width: int = 1280, height: int = 800):
        state = forum.storage_state(as_) if isinstance(as_, str) and as_ != "new" else None
        context = browser.new_context(base_url=forum.server.url, java_script_enabled=js, storage_state=state,
                                      viewport={"width": width, "height": height})
        context.set_default_timeout(10_000)
        contexts.append(context)
        member = None
        if as_ == "new":
            member = forum.new_member(context)
        elif isinstance(as_, Member):
            forum.sign_in(context, as_)
            member = as_
        page = context.new_page()
        page.member = member
        problems.watch(page)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems.items, "\n".join(problems.items)


@pytest.fixture
def axe_check():
    """axe_check(page, what) runs axe (WCAG 2.0-2.2 A/AA) on the page as it is now; no violations allowed."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page, what: str = "") -> None:
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS},
                                         "resultTypes": ["violations"]})
        assert results.violations_count == 0, f"axe on {what or page.url}:\n{results.generate_report()}"

    return check



# --- sample content ---------------------------------------------------------------------------------

# A reply that stresses layout: a table, a long code line, a long link, a long word.
AWKWARD_BODY = """Our **evaluation plan** so far, with thanks to everyone who commented:

| Measure | Baseline | Source | Owner |
|---|---|---|---|
| People into work within 6 months | 120 | DWP stat-xplore, partner returns | Marlholme Bay Borough Council |
| Employers signed to the pledge | 14 | Pledge register | Chamber of Commerce |

```
SELECT ward_code, COUNT(*) AS starts FROM programme_starts WHERE start_date >= '2024-04-01' GROUP BY ward_code;
```

Full notes: https://example.org/marlholme-bay/evaluation/2024/plans/draft-evaluation-plan-for-the-good-work-pledge-v3.pdf
(Supercalifragilisticexpialidociouslylongidentifierwithoutanybreaks_in_our_data_dictionary.)
"""


@dataclass
class Sample:
    """Content made once per run for the page checks: URLs keyed by what they show."""

    thread: str  # a thread in a pilot channel with nested, edited, hidden replies
    opening: str  # its opening post (by "member")
    reply: str  # a reply by "member2"
    edited: str  # a reply by "member", edited once
    hidden: str  # a reply by "member2", hidden by a moderator
    pending_title: str  # a safe-space thread waiting in the review queue
    reset: str  # a working password-reset path for "member2"


@pytest.fixture(scope="session")
def sample(forum, browser) -> Sample:
    contexts = {role: browser.new_context() for role in ("member", "member2", "moderator", "new")}
    try:
        for role in ("member", "member2", "moderator"):
            forum.sign_in(contexts[role], role)
        member, member2 = contexts["member"], contexts["member2"]
        thread = forum.start_thread(member, "marlholme-bay", forum.unique("Evaluation plan for the pledge"),
                                    "Here is where we are with the **evaluation plan**. Comments welcome.",
                                    tags="evaluation, pledge")
        opening = forum.first_post_id(member, thread)
        reply = forum.reply(member2, thread, "Have you thought about a control group? @member", parent=opening)
        nested = forum.reply(member, thread, "We have: the neighbouring ward.", parent=reply)
        deeper = forum.reply(member2, thread, "Good. Same survey there?", parent=nested)
        forum.reply(member, thread, "Yes, the same survey, same month.", parent=deeper)
        edited = forum.reply(member, thread, "First version.")
        forum.submit(member, f"/p/{edited}/edit", {"body": AWKWARD_BODY})
        hidden = forum.reply(member2, thread, "An unkind remark about a named officer.")
        forum.submit(contexts["moderator"], f"/mod/posts/{hidden}/hide", {"reason": "Personal remarks"})
        newcomer = contexts["new"]
        forum.new_member(newcomer, "newcomer")
        pending_title = forum.unique("A partner pulled out")
        forum.start_thread(newcomer, "safe-space", pending_title, "## What we tried\n\nA joint bid.",
                           guidelines="yes")
        reset = forum.password_reset_path(contexts["new"], forum.server.accounts["member2"][0])
        return Sample(thread=thread, opening=opening, reply=reply, edited=edited, hidden=hidden,
                      pending_title=pending_title, reset=reset)
    finally:
        for context in contexts.values():
            context.close()
