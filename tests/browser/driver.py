"""What the browser tests drive: the real server in a subprocess, and a Forum helper that signs
browsers in and makes members, threads and replies quickly over HTTP (through the browser
context's own cookies), so that each test can set up its own content.
"""

import contextlib
import email
import email.policy
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.databases import scratch_database

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
# WCAG 2.0, 2.1 and 2.2 at levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PASSWORD = "violet ferry lantern orchard 7"


# --- the server -------------------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    tmp: Path
    log: Path
    accounts: dict[str, tuple[str, str]]  # admin, moderator, member, member2 -> (email, password)
    env: dict = field(default_factory=dict)  # the server's environment, for `forum` commands beside it

    @property
    def outbox(self) -> Path:
        return self.tmp / "outbox"

    def forum(self, *args: str) -> str:
        """Run a `forum` command on the server's database (as a scheduler or an operator would)."""
        done = subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"forum {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def mails_to(self, address: str, at_least: int = 0) -> list:
        """The messages in the outbox to this address, oldest first. Some are sent after the response
        (so a reply takes the same time whatever it did): wait up to 10 s for ``at_least`` of them."""
        deadline = time.monotonic() + 10
        while True:
            # Sorted by when each file was written: a Date header counts whole seconds.
            paths = sorted(self.outbox.glob("*.eml"), key=lambda path: path.stat().st_mtime_ns)
            found = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in paths]
            mine = [m for m in found if m["To"] == address]
            if len(mine) >= at_least or time.monotonic() > deadline:
                return mine
            time.sleep(0.05)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _read_accounts(path: Path) -> dict[str, tuple[str, str]]:
    accounts = {}
    for line in path.read_text().splitlines():
        _role, address, password = line.split("\t")
        accounts[address.split("@")[0]] = (address, password)
    return accounts


@contextlib.contextmanager
def serve_forum(tmp: Path) -> Iterator[LiveServer]:
    """Migrate a fresh database, seed the demo, and serve the forum on a free loopback port."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    cli = [sys.executable, "-m", "app.cli"]
    log = tmp / "server.log"
    with scratch_database(os.environ.get("TEST_DATABASE_URL", ""), tmp, "cg_browser") as database_url:
        env = {
            **os.environ, "DATABASE_URL": database_url, "ENVIRONMENT": "test", "BASE_URL": url,
            "REGISTRATION_MODE": "open", "EMAIL_URL": f"file://{tmp / 'outbox'}",
            "SECRET_KEY": "browser-tests-secret-key-that-is-long-enough",
            "ANONYMITY_KEY": "browser-tests-anonymity-key-kept-apart-from-it",
            # Every test signs up and posts from 127.0.0.1; the limits have tests of their own.
            "SIGNIN_LIMIT": "100000", "SIGNUP_LIMIT": "100000", "POSTING_LIMIT": "100000",
        }
        for name in ("WEB_CONCURRENCY", "HOST", "PORT", "SAFE_SPACE_NEW_MEMBER_DAYS"):
            env.pop(name, None)
        for args in (["migrate"], ["seed-demo", "--accounts-file", str(tmp / "accounts.txt")]):
            done = subprocess.run(cli + args, cwd=ROOT, env=env, capture_output=True, text=True,
                                  timeout=180)
            if done.returncode:
                raise RuntimeError(f"forum {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        with log.open("wb") as out:
            process = subprocess.Popen(cli + ["serve", "--host", "127.0.0.1", "--port", str(port)],
                                       cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_until_healthy(url, process, log)
            accounts = _read_accounts(tmp / "accounts.txt")
            yield LiveServer(url=url, tmp=tmp, log=log, accounts=accounts, env=env)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_until_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no answer from /healthz within {timeout}s:\n{log.read_text()[-3000:]}")


# --- pages ------------------------------------------------------------------------------------


@dataclass
class Member:
    handle: str
    name: str
    email: str
    password: str = PASSWORD


@dataclass
class PageProblems:
    """What pages did wrong while a test used them: script errors, CSP reports, missing assets."""

    items: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on("pageerror", lambda error: self.items.append(f"page error: {error}"))
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, message) -> None:
        # Failed loads are judged by status below: a 404 page or a 422 form is expected.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.items.append(f"console error: {message.text}")

    def _response(self, response) -> None:
        kind = response.request.resource_type
        if response.status >= 400 and kind in ("stylesheet", "script", "image", "font"):
            self.items.append(f"{response.status} for {kind} {response.url}")


def mark_window(page) -> None:
    """Set a marker on window: it survives htmx swaps, not a full page load."""
    page.evaluate("window.__noReload = true")


def assert_no_reload(page) -> None:
    assert page.evaluate("window.__noReload === true"), "the page reloaded: htmx did no work"


# Ids that appear more than once: axe no longer reports them (WCAG 2.2 dropped 4.1.1), but a
# repeated field id gives a label to the wrong field, as when htmx put a second form on a page.
DUPLICATE_IDS = """() => {
  const seen = new Set(), repeated = [];
  for (const el of document.querySelectorAll('[id]')) {
    if (seen.has(el.id)) repeated.push(el.id);
    seen.add(el.id);
  }
  return repeated;
}"""


# --- the forum over HTTP ----------------------------------------------------------------------


class Forum:
    """Signs browser contexts in and makes members, threads and replies with plain form posts.

    The calls go through ``context.request``, which shares the context's cookies: a member made
    or signed in this way is signed in for the context's pages too.
    """

    def __init__(self, server: LiveServer, browser) -> None:
        self.server = server
        self.browser = browser
        self._states: dict[str, dict] = {}

    def url(self, path: str) -> str:
        return self.server.url + path

    def unique(self, prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:8]}"

    def csrf(self, context) -> str:
        # Signed in, /signin redirects to the home page, whose header has the sign-out form.
        html = context.request.get(self.url("/signin")).text()
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def submit(self, context, action: str, data: dict) -> str:
        """POST a form as a browser without JavaScript would; return the 303's Location."""
        form = {"csrf_token": self.csrf(context), **data}
        response = context.request.post(self.url(action), form=form, max_redirects=0)
        assert response.status == 303, f"POST {action}: {response.status}\n{response.text()[:2000]}"
        return response.headers["location"]

    def sign_in(self, context, who: "str | Member") -> None:
        if isinstance(who, Member):
            address, password = who.email, who.password
        else:
            address, password = self.server.accounts[who]
        form = {"email": address, "password": password, "next": "/"}
        assert self.submit(context, "/signin", form) == "/"

    def new_member(self, context, prefix: str = "member") -> Member:
        """Sign up a new member in this context (which signs it in)."""
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
        form = {"body": body, "parent_id": parent}
        return self.submit(context, f"/t/{thread_id}/reply", form).removeprefix("/p/")

    def first_post_id(self, context, thread_path: str) -> str:
        html = context.request.get(self.url(thread_path)).text()
        return re.search(r'<article id="post-([a-z0-9]+)"', html).group(1)

    def password_reset_path(self, context, address: str) -> str:
        """Ask for a reset link for ``address`` and read it from the file outbox."""
        outbox = self.server.outbox
        before = set(outbox.glob("*.eml")) if outbox.exists() else set()
        form = {"csrf_token": self.csrf(context), "email": address}
        context.request.post(self.url("/password/forgot"), form=form)
        # The server sends the email after the response (so the reply takes the same time whether
        # or not the address is registered): wait for the file to appear.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for path in set(outbox.glob("*.eml")) - before:
                message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                text = message.get_body(preferencelist=("plain",)).get_content()
                found = re.search(r"/password/reset/([A-Za-z0-9_.-]+)", text)
                if found:
                    return f"/password/reset/{found.group(1)}"
            time.sleep(0.05)
        raise AssertionError("no password reset email in the outbox within 10 s")

    def storage_state(self, role: str) -> dict:
        """A signed-in browser state for a demo account, made once per run."""
        if role not in self._states:
            context = self.browser.new_context()
            try:
                self.sign_in(context, role)
                context.request.get(self.url("/"))  # shows, and so clears, "You are signed in."
                self._states[role] = context.storage_state()
            finally:
                context.close()
        return self._states[role]


# --- content for the page checks --------------------------------------------------------------

# A reply that stresses layout: a table, a long code line, a long link, a long word.
AWKWARD_BODY = """Our **evaluation plan** so far, with thanks to everyone who commented:

| Measure | Baseline | Source | Owner |
|---|---|---|---|
| People into work within 6 months | 120 | DWP stat-xplore, partner returns | Borough Council |
| Employers signed to the pledge | 14 | Pledge register | Chamber of Commerce |

```
SELECT ward_code, COUNT(*) AS starts FROM programme_starts WHERE start_date >= '2024-04-01';
```

Full notes: https://example.org/marlholme-bay/evaluation/2024/plans/draft-evaluation-plan-v3.pdf
(Supercalifragilisticexpialidociouslylongidentifierwithoutanybreaks_in_our_data_dictionary.)
"""


@dataclass
class Sample:
    """Content made once per run for the page checks; its fields fill {placeholders} in URLs."""

    thread: str  # a thread in a pilot channel with nested, edited and hidden replies
    opening: str  # its opening post (by "member")
    reply: str  # a reply by "member2"
    edited: str  # a reply by "member", edited once
    hidden: str  # a reply by "member2", hidden by a moderator
    pending_title: str  # a safe-space thread waiting in the review queue
    reset: str  # a working password-reset path for "member2"
    key_learning: str  # the public id of the thread's key learning (marked by "moderator")
    notices_off: str  # the one-click unsubscribe path of a notification email to "member"
    thread_id: str = ""  # the thread's public id

    def __post_init__(self) -> None:
        self.thread_id = self.thread.removeprefix("/t/").split("-")[0]


def make_sample(forum: Forum) -> Sample:
    roles = ("member", "member2", "moderator", "newcomer")
    contexts = {role: forum.browser.new_context() for role in roles}
    try:
        for role in roles[:3]:
            forum.sign_in(contexts[role], role)
        member, member2 = contexts["member"], contexts["member2"]
        thread = forum.start_thread(member, "marlholme-bay", forum.unique("Evaluation plan"),
                                    "Where we are with the **evaluation plan**. Comments welcome.",
                                    tags="evaluation, pledge")
        opening = forum.first_post_id(member, thread)
        reply = forum.reply(member2, thread, "A control group? cc @member", parent=opening)
        nested = forum.reply(member, thread, "We have: the neighbouring ward.", parent=reply)
        deeper = forum.reply(member2, thread, "Good. Same survey there?", parent=nested)
        forum.reply(member, thread, "Yes, the same survey, same month.", parent=deeper)
        edited = forum.reply(member, thread, "First version.")
        forum.submit(member, f"/p/{edited}/edit", {"body": AWKWARD_BODY})
        hidden = forum.reply(member2, thread, "An unkind remark about a named officer.")
        forum.submit(contexts["moderator"], f"/mod/posts/{hidden}/hide", {"reason": "Personal"})
        thread_id = thread.removeprefix("/t/").split("-")[0]
        forum.submit(contexts["moderator"], f"/mod/learning/threads/{thread_id}", {
            "summary": "A neighbouring ward makes a fair control group", "concerns": "marlholme-bay"})
        page = contexts["moderator"].request.get(forum.url(thread)).text()
        key_learning = re.search(r'/mod/learning/([a-z0-9]+)/unmark', page).group(1)
        newcomer = contexts["newcomer"]
        forum.new_member(newcomer, "newcomer")  # a new account: its safe-space post waits
        pending_title = forum.unique("A partner pulled out")
        forum.start_thread(newcomer, "safe-space", pending_title,
                           "## What we tried\n\nA joint bid.", guidelines="yes")
        reset = forum.password_reset_path(newcomer, forum.server.accounts["member2"][0])
        forum.server.forum("notify", "run")  # member2's replies reach "member" by email
        headers = [mail["List-Unsubscribe"] or "" for mail in forum.server.mails_to(forum.server.accounts["member"][0])]
        notices_off = next(re.search(r"/notifications/unsubscribe/[^>]+", header).group(0) for header in headers
                           if "/notifications/unsubscribe/" in header)
        return Sample(thread=thread, opening=opening, reply=reply, edited=edited, hidden=hidden,
                      pending_title=pending_title, reset=reset, key_learning=key_learning, notices_off=notices_off)
    finally:
        for context in contexts.values():
            context.close()
