"""Shared fixtures: one migrated database per run, one rolled-back transaction per test.

The database comes from TEST_DATABASE_URL (PostgreSQL in CI) or a fresh SQLite file.
"""

import os
import tempfile
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="cg-tests-"))
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"
os.environ.update(
    DATABASE_URL=TEST_DATABASE_URL,
    SECRET_KEY="test-secret-key-that-is-long-enough-for-production-rules",
    ANONYMITY_KEY="test-anonymity-key-kept-apart-from-the-secret-key",
    ENVIRONMENT="test",
    EMAIL_URL=f"file://{_TMP / 'outbox'}",
    BASE_URL="http://testserver",
    REGISTRATION_MODE="open",
    # Limits are tested on their own (tests/http/test_rate_limits.py), with small values.
    SIGNIN_LIMIT="100000", SIGNUP_LIMIT="100000", POSTING_LIMIT="100000",
    # The safe space's releases are tested on their own (tests/http/safespace/test_releases.py).
    SAFE_SPACE_RELEASE_MINUTES="0",
)

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import event, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.cli import alembic_config  # noqa: E402
from app.core import site_settings  # noqa: E402
from app.core.config import get_settings  # noqa: E402
from app.core.db import get_database, get_read_session, get_session, get_write_session, is_sqlite  # noqa: E402
from app.core.security import csrf_token, new_token, serializer, token_hash  # noqa: E402
from app.main import create_app  # noqa: E402
from tests.databases import scratch_database  # noqa: E402

OUTBOX = _TMP / "outbox"


def reset_database(url: str) -> None:
    """Drop everything so migrations start from nothing."""
    if is_sqlite(url):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def scratch_database_url(tmp_path):
    """A database of its own (a SQLite file, or a new PostgreSQL database), dropped afterwards."""
    with scratch_database(TEST_DATABASE_URL, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def database():
    from alembic import command

    reset_database(TEST_DATABASE_URL)
    command.upgrade(alembic_config(TEST_DATABASE_URL), "head")
    db = get_database()
    db.dispose()  # no connection made before the reset (a site settings read) outlives it
    yield db
    db.dispose()


@pytest.fixture(autouse=True)
def _fresh_site_settings():
    """Each test starts from the environment's settings: overrides a test saved were rolled back with it."""
    site_settings.clear_cache()
    yield
    site_settings.clear_cache()


@pytest.fixture
def connection(database):
    """A connection inside a transaction that is rolled back after the test."""
    with database.writer.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


def _bound_session(connection) -> Session:
    return Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(connection):
    with _bound_session(connection) as s:
        yield s


@pytest.fixture(scope="session")
def app():
    return create_app()


@pytest.fixture
def bound_app(app, connection):
    """The app with every request's unit of work inside the test's transaction."""

    def session_in_test_transaction():
        s = _bound_session(connection)
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def read_session_in_test_transaction():
        # Joins the test's transaction without a savepoint of its own, so closing it undoes nothing.
        return Session(bind=connection, join_transaction_mode="rollback_only")

    app.dependency_overrides[get_session] = session_in_test_transaction
    app.dependency_overrides[get_write_session] = session_in_test_transaction
    app.dependency_overrides[get_read_session] = read_session_in_test_transaction
    app.state.session_apart = contextmanager(session_in_test_transaction)
    yield app
    app.dependency_overrides.clear()
    del app.state.session_apart


class ForumClient(TestClient):
    """A browser: knows its session key, so it can send the CSRF token like a form would."""

    browser_key: str | None = None

    @property
    def csrf(self) -> str:
        return csrf_token(get_settings().secret_key, self.browser_key or "")

    def form(self, url: str, data: dict | None = None, *, htmx: bool = False, **kwargs):
        """POST a form with the CSRF token, as a plain browser or as htmx would."""
        headers = {"HX-Request": "true", "X-CSRF-Token": self.csrf} if htmx else {}
        fields = {"csrf_token": self.csrf, **(data or {})} if not htmx else dict(data or {})
        response = self.post(url, data=fields, headers=headers, **kwargs)
        if "cg_session=" in response.headers.get("set-cookie", ""):
            self.pick_up_session()  # as a browser would, with the next page's token
        return response

    def use_browser_key(self, key: str) -> None:
        self.browser_key = key
        value = serializer(get_settings().secret_key, "session").dumps(key)
        self.cookies.set("cg_session", value, domain="testserver.local")

    def pick_up_session(self) -> None:
        """After a sign-in or sign-up through the site, learn the rotated session key."""
        from app.core.security import unsign

        value = self.cookies.get("cg_session")
        self.browser_key = unsign(serializer(get_settings().secret_key, "session"), value) if value else None


@pytest.fixture
def client(bound_app):
    """A signed-out browser that already has a session cookie (as after loading any form)."""
    with ForumClient(bound_app, base_url="http://testserver", follow_redirects=False) as c:
        c.use_browser_key(new_token())
        yield c


@pytest.fixture
def client_as(bound_app, session):
    """client_as(member): a browser signed in as that member. A member who never visited is given a
    visit in the future, so that no request of the test writes one (one an hour would make query
    counts depend on the clock); the tests of visits set theirs."""
    from app.accounts.models import UserSession

    clients = []

    def make(member) -> ForumClient:
        c = ForumClient(bound_app, base_url="http://testserver", follow_redirects=False)
        if member.visited_at is None:
            member.visited_at = datetime.now(UTC) + timedelta(days=1)
            session.add(member)
        key = new_token()
        session.add(UserSession(key_hash=token_hash(key), member_id=member.id))
        session.flush()
        c.use_browser_key(key)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def count_queries(connection):
    """count_queries() -> a list that collects every SQL statement run on the test connection."""
    statements: list[str] = []

    def collect(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", collect)
    yield statements
    event.remove(connection, "before_cursor_execute", collect)


@pytest.fixture
def outbox():
    """The folder the file transport writes to, emptied first."""
    OUTBOX.mkdir(parents=True, exist_ok=True)
    for file in OUTBOX.glob("*.eml"):
        file.unlink()
    return OUTBOX
