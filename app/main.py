"""create_app(): settings, middleware, routers, static files, error pages."""

import asyncio
import gc
import logging
from contextlib import asynccontextmanager, nullcontext
from functools import lru_cache
from urllib.parse import urlencode

import anyio.to_thread
from alembic.config import Config
from alembic.script import ScriptDirectory
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import JSONResponse, PlainTextResponse, Response

from app import wiring  # noqa: F401  (connects the hooks' receivers)
from app.accounts import service as accounts_service
from app.accounts.models import Viewer
from app.accounts.routes import router as accounts_router
from app.admin.routes import router as admin_router
from app.core.browser import BrowserStateMiddleware
from app.core.config import ROOT, get_settings
from app.core.csrf import require_csrf
from app.core.db import get_database, is_sqlite
from app.core.deps import Forbidden, NotFound, SignInRequired
from app.core.htmx import render, wants_fragment
from app.core.i18n import _
from app.core.middleware import (
    BodyLimitMiddleware,
    ControlCharacterMiddleware,
    HeadMiddleware,
    QueryCountMiddleware,
    SecurityHeadersMiddleware,
)
from app.core.static import CachedStaticFiles
from app.core.templating import STATIC_DIR
from app.core.timeutil import utcnow
from app.digest import sending as digest_sending
from app.digest.routes import router as digest_router
from app.digest.routes import settings_router as digest_settings_router
from app.digest.routes import subscribe_router
from app.feeds.routes import router as feeds_router
from app.forum import lifecycle, schedule
from app.forum.routes import router as forum_router
from app.learning.routes import pulse_router
from app.learning.routes import router as learning_router
from app.moderation.learning_routes import router as moderation_learning_router
from app.moderation.routes import router as moderation_router
from app.moderation.thread_routes import router as moderation_thread_router
from app.notifications import emails as notification_emails
from app.notifications.routes import router as notifications_router
from app.search.routes import router as search_router

log = logging.getLogger("common_ground")


# nginx's default: higher levels cost more time than the rest of a thread page for few bytes (README).
GZIP_LEVEL = 1


@asynccontextmanager
async def lifespan(app: FastAPI):
    # Handlers run in a thread pool; a small one beats the default 40 threads fighting for the GIL.
    anyio.to_thread.current_default_thread_limiter().total_tokens = get_settings().threads_per_worker
    # Writers' turns on SQLite (see app.core.db.get_session).
    app.state.write_turn = asyncio.Lock() if is_sqlite(get_settings().database_url) else None
    # What start-up built (modules, templates, mappers) lives as long as the process: set it aside
    # so that full collections stop walking it.
    gc.collect()
    gc.freeze()
    tasks = [asyncio.create_task(_release_on_schedule(app))]
    if get_settings().email_scheduler:
        tasks.append(asyncio.create_task(_email_on_schedule()))
    yield
    for task in tasks:
        task.cancel()


# How often the release loop looks again at the release interval, a site setting an admin may change.
RELEASE_CHECK_SECONDS = 30


def _latest_release():
    """The release that fell last (None with releases off): the loop runs one whenever it changes."""
    return schedule.last_release(utcnow()) if schedule.release_minutes() > 0 else None


def _seconds_to_wait() -> float:
    """Until just after the next release, or until the next look at the interval if that comes first."""
    if schedule.release_minutes() > 0:
        until = (schedule.next_release(utcnow()) - utcnow()).total_seconds() + 1
        return max(1.0, min(float(RELEASE_CHECK_SECONDS), until))
    return float(RELEASE_CHECK_SECONDS)


async def _release_on_schedule(app: FastAPI) -> None:
    """The safe space's releases, on the clock, run by every instance: each is safe to repeat
    (lifecycle.release_due). `forum serve` catches up with any missed before it starts. Turning releases
    off runs one more, which publishes what still waits."""
    done = _latest_release()
    while True:
        try:
            await asyncio.sleep(_seconds_to_wait())
            latest = _latest_release()
            if latest != done:
                done = latest
                async with app.state.write_turn or nullcontext():
                    await anyio.to_thread.run_sync(release_now)
        except Exception:  # the interval changed between two reads of it, or the release itself failed
            log.exception("safe space release failed; the next one will catch up")
            await asyncio.sleep(1)


async def _email_on_schedule() -> None:
    """Due digests and notification emails every EMAIL_SCHEDULER_SECONDS, with EMAIL_SCHEDULER on.
    Several instances may run it: a digest's ledger row and a notification's email are claimed before
    sending. Each run writes in short transactions of its own, so it never holds the writers' turn."""
    while True:
        await asyncio.sleep(get_settings().email_scheduler_seconds)
        for job in (notification_emails.run, digest_sending.run):
            try:
                await anyio.to_thread.run_sync(job)
            except Exception:  # the next round tries again
                log.exception("scheduled email job %s failed", job.__module__)


def release_now() -> int:
    """Run the latest release (or, with releases off, publish what still waits); returns how many."""
    with get_database().session() as session:
        published = lifecycle.release_due(session)
        session.commit()
    return published


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(title=settings.site_name, docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(require_csrf)], lifespan=lifespan)
    # Outermost last: security headers, HEAD as GET, the browser's state, the body limit (before
    # anything reads the body, with that state for its error page), control characters, gzip.
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=GZIP_LEVEL)
    app.add_middleware(ControlCharacterMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=lambda: get_settings().max_body_bytes,
                       refuse=_refuse_large_body)
    app.add_middleware(BrowserStateMiddleware, settings=settings)
    app.add_middleware(HeadMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    if settings.count_queries:
        app.add_middleware(QueryCountMiddleware)
    # Routes are matched in this order, each router trying all of its routes: the health checks and
    # the forum's pages, the most requested, come first (no two routers share a first path segment).
    _add_health_routes(app)
    app.mount("/static", CachedStaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(forum_router)
    app.include_router(search_router)
    app.include_router(learning_router)
    app.include_router(pulse_router)
    app.include_router(feeds_router)
    app.include_router(digest_router)
    app.include_router(digest_settings_router)
    app.include_router(subscribe_router)
    app.include_router(accounts_router)
    app.include_router(notifications_router)
    app.include_router(moderation_thread_router)
    app.include_router(moderation_learning_router)
    app.include_router(moderation_router)
    app.include_router(admin_router)
    _add_error_pages(app)
    return app


def _add_health_routes(app: FastAPI) -> None:
    @app.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> Response:
        """Ready when the database answers and its migrations are this code's (not behind or ahead)."""
        try:
            with get_database().reader.connect() as connection:
                found = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:
            log.exception("database not ready")
            return JSONResponse({"database": "unavailable"}, status_code=503)
        if found != head_revision():
            behind = f"at {found}, not {head_revision()}: run forum migrate"
            return JSONResponse({"database": "ok", "migrations": behind}, status_code=503)
        return JSONResponse({"database": "ok", "migrations": "ok"})


@lru_cache
def head_revision() -> str:
    """The newest migration this code has (what `forum migrate` goes to)."""
    return ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini"))).get_current_head()


def _error_page(request: Request, status_code: int, title: str, message: str) -> Response:
    if not hasattr(request.state, "viewer"):
        request.state.viewer = _viewer_for_error_page(request)
    context = {"status_code": status_code, "title": title, "message": message}
    response = render(request, "errors/error.html", context, status_code=status_code)
    if wants_fragment(request):
        response.headers["HX-Reswap"] = "none"
    return response


async def _refuse_large_body(scope, receive, send) -> None:
    request = Request(scope, receive)
    limit = f"{get_settings().max_body_bytes / (1024 * 1024):.1f} MB"
    response = _error_page(request, 413, _("That is too large"),
                           _("What you sent is larger than this site accepts (%(limit)s). Shorten it and try again.",
                             limit=limit))
    await response(scope, receive, send)


def _viewer_for_error_page(request: Request):
    if request.scope.get("state", {}).get("browser_key_is_new", True):
        return None
    try:
        with get_database().session(write=False) as session:
            member = accounts_service.member_for_browser(session, request.state.browser_key)
            return Viewer.of(member) if member else None
    except Exception:
        return None


def _add_error_pages(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(request: Request, _exc: NotFound) -> Response:
        return _error_page(request, 404, _("Page not found"),
                           _("There is nothing here, or you need to sign in to see it."))

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return _error_page(request, 403, _("You cannot do that here"), exc.message)

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, _exc: SignInRequired) -> Response:
        target = "/signin?" + urlencode({"next": request.url.path}, safe="/")
        if wants_fragment(request):
            return Response(status_code=200, headers={"HX-Redirect": target})
        return Response(status_code=303, headers={"Location": target})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 403:
            return _error_page(request, 403, _("That did not work"),
                               _("Your session may have expired. Go back, reload the page and try again."))
        if exc.status_code == 405:
            return _error_page(request, 405, _("That did not work"), _("This address does not accept that request."))
        return _error_page(request, 404, _("Page not found"),
                           _("There is nothing here, or you need to sign in to see it."))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, _exc: RequestValidationError) -> Response:
        return _error_page(request, 400, _("That did not work"),
                           _("The request was not in a form we understand. Go back and try again."))

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return _error_page(request, 500, _("Something went wrong"),
                           _("Sorry, something went wrong on our side. Go back and try again in a moment."))
