"""CSRF protection for every state-changing request.

The token is an HMAC of the browser's session key (see ``app.core.browser``): forms carry
it in a hidden ``csrf_token`` field, htmx in the ``X-CSRF-Token`` header set on <body>. Before the
token, the browser's own word on where the request comes from (Origin, Sec-Fetch-Site).
"""

from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from app.core.browser import browser_key
from app.core.config import get_settings
from app.core.db import SAFE_METHODS
from app.core.security import csrf_token, csrf_valid

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# Paths whose last segment is a signed token that is itself the request's proof, and that a mail
# program posts with no form of ours (one-click unsubscribe, RFC 8058); registered by their routers.
_TOKEN_PATHS: set[str] = set()


def exempt_token_path(prefix: str) -> None:
    """Let POSTs under ``prefix`` through without a CSRF token: they carry a signed token of their own."""
    _TOKEN_PATHS.add(prefix)


def token_for(request: Request) -> str:
    """The token this browser must send back; rendering it fixes the session cookie."""
    return csrf_token(get_settings().secret_key, browser_key(request))


def is_cross_site(request: Request) -> bool:
    """What the browser says of where the request comes from: another site (Sec-Fetch-Site), or an
    Origin that is not this host's nor BASE_URL's. Browsers that send neither are judged by the token."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return True
    origin = request.headers.get("origin")
    if origin is None:
        return False
    host = urlsplit(origin).netloc if origin != "null" else ""
    return host not in (request.headers.get("host"), urlsplit(get_settings().base_url).netloc)


async def require_csrf(request: Request) -> None:
    """Refuse (403) an unsafe request from another site, or whose token is missing or wrong."""
    if request.method in SAFE_METHODS or request.url.path.startswith(tuple(_TOKEN_PATHS)):
        return
    if is_cross_site(request):  # a second layer: a token that leaked still does not work from elsewhere
        raise HTTPException(status_code=403, detail="cross-site")
    supplied = request.headers.get(CSRF_HEADER)
    if not supplied:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            supplied = value if isinstance(value, str) else None
    if request.state.browser_key_is_new or not csrf_valid(
        get_settings().secret_key, request.state.browser_key, supplied
    ):
        raise HTTPException(status_code=403, detail="csrf")
