"""Browser tests: Playwright (Python) driving Debian's chromium against the real server.

One Uvicorn server per run (fresh database with the demo seed) on a free loopback port, one
headless chromium (never a downloaded browser). Every journey runs twice, with JavaScript enabled
and disabled. Tests are independent: each makes its own members and threads with unique names.

Without chromium the browser tests are skipped on a developer machine, and the end of the run
says so and how to enable them; in CI (CI=true) a missing browser fails the run instead.
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.browser.driver import (
    AXE_TAGS,
    CHROMIUM_ARGS,
    DUPLICATE_IDS,
    Forum,
    Member,
    PageProblems,
    Sample,
    make_sample,
    serve_forum,
)

IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
SKIP_MESSAGE = ("browser tests skipped: install Debian's chromium (apt-get install chromium) "
                "to run them")
HERE = Path(__file__).resolve().parent


def _browser_missing() -> bool:
    try:
        import axe_playwright_python  # noqa: F401
        import playwright  # noqa: F401
    except ImportError:
        return True
    return shutil.which("chromium") is None


BROWSER_MISSING = _browser_missing()
_SKIPPED = pytest.StashKey[int]()


def pytest_collection_modifyitems(config, items):
    """On a developer machine without chromium, skip (not fail) the tests that need it."""
    if not BROWSER_MISSING or IN_CI:
        return
    skipped = 0
    for item in items:
        if HERE in Path(str(item.path)).parents and "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.skip(reason=SKIP_MESSAGE))
            skipped += 1
    config.stash[_SKIPPED] = skipped


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = config.stash.get(_SKIPPED, 0)
    if skipped:
        terminalreporter.write_sep("=", "browser tests", yellow=True, bold=True)
        terminalreporter.write_line(f"{skipped} {SKIP_MESSAGE}", yellow=True, bold=True)


@pytest.fixture(scope="session")
def browser():
    if BROWSER_MISSING:
        if IN_CI:
            pytest.fail("CI is set and there is no browser: the browser tests need chromium "
                        "(apt-get install chromium) and the playwright package", pytrace=False)
        pytest.skip(SKIP_MESSAGE)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                              headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def live_server(browser, tmp_path_factory):
    """The forum, migrated, seeded and served on 127.0.0.1: one server for the whole run."""
    with serve_forum(tmp_path_factory.mktemp("browser-server")) as server:
        yield server


@pytest.fixture(autouse=True)
def _server_errors_fail_the_test(request):
    """A traceback in the server's log while a test ran fails that test: a 500 is never fine."""
    if "live_server" not in request.fixturenames:
        yield
        return
    log = request.getfixturevalue("live_server").log
    start = log.stat().st_size
    yield
    with log.open("rb") as f:
        f.seek(start)
        written = f.read().decode("utf-8", "replace")
    assert "Traceback" not in written, f"the server logged an error:\n{written[-4000:]}"


@pytest.fixture(scope="session")
def forum(browser, live_server) -> Forum:
    return Forum(live_server, browser)


@pytest.fixture(scope="session")
def sample(forum) -> Sample:
    return make_sample(forum)


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def js(request) -> bool:
    """Run the test twice: JavaScript enabled (htmx) and disabled (plain links and forms)."""
    return request.param


@pytest.fixture
def open_page(forum, browser):
    """open_page(as_=None | "member" | ... | "new" | Member, js=True, width=1280) -> a new page.

    Each page has its own browser context. ``as_`` names a demo account ("admin", "moderator",
    "member", "member2"), or "new" to sign up a fresh member (``page.member``). Script errors,
    CSP violations and missing assets on any of the test's pages fail the test.
    """
    contexts = []
    problems = PageProblems()

    def make(as_=None, js: bool = True, width: int = 1280, height: int = 800):
        state = forum.storage_state(as_) if isinstance(as_, str) and as_ != "new" else None
        viewport = {"width": width, "height": height}
        context = browser.new_context(base_url=forum.server.url, java_script_enabled=js,
                                      storage_state=state, viewport=viewport)
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
    """axe_check(page, what): axe (WCAG 2.0-2.2, A and AA) on the page as it is; no violations.

    axe is injected with page.evaluate, which the strict CSP does not block: no bypass is needed.
    """
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}

    def check(page, what: str = "") -> None:
        results = axe.run(page, options=options)
        where = what or page.url
        assert results.violations_count == 0, f"axe on {where}:\n{results.generate_report()}"
        assert not page.evaluate(DUPLICATE_IDS), f"repeated ids on {where}"

    return check
