"""Per-browser state kept in signed cookies: the session key and flash messages.

A pure ASGI middleware reads the cookies into ``scope["state"]`` and writes them back
when a handler changed them, so handlers never touch Set-Cookie themselves.
"""

from http.cookies import SimpleCookie

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import i18n
from app.core.config import Settings
from app.core.security import new_token, serializer, unsign

SESSION_COOKIE = "cg_session"
FLASH_COOKIE = "cg_flash"
LOCALE_COOKIE = "cg_lang"


class BrowserStateMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.session_signer = serializer(settings.secret_key, "session")
        self.flash_signer = serializer(settings.secret_key, "flash")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = _read_cookies(scope)
        state = scope.setdefault("state", {})
        key = unsign(self.session_signer, cookies.get(SESSION_COOKIE, ""))
        state["browser_key"] = key if isinstance(key, str) else new_token()
        state["browser_key_is_new"] = not isinstance(key, str)
        state["browser_key_used"] = False
        flashes = unsign(self.flash_signer, cookies.get(FLASH_COOKIE, ""), max_age=600)
        state["flash_in"] = flashes if isinstance(flashes, list) else []
        state["flash_out"] = []
        accept_language = _header(scope, b"accept-language")
        i18n.set_locale(i18n.negotiate_locale(cookies.get(LOCALE_COOKIE), accept_language))

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(self._cookie_headers(state, message["status"]))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_cookies)

    def _cookie_headers(self, state: dict, status: int) -> list[tuple[bytes, bytes]]:
        headers = []
        if state["browser_key_is_new"] and state["browser_key_used"]:
            value = self.session_signer.dumps(state["browser_key"])
            headers.append(self._cookie(SESSION_COOKIE, value, self.settings.session_max_age))
        if state["flash_out"]:
            value = self.flash_signer.dumps(state["flash_out"][-3:])
            headers.append(self._cookie(FLASH_COOKIE, value, 600))
        elif state["flash_in"] and status < 300 and state.get("flash_shown"):
            headers.append(self._cookie(FLASH_COOKIE, "", 0))
        return headers

    def _cookie(self, name: str, value: str, max_age: int) -> tuple[bytes, bytes]:
        cookie = f"{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax"
        if self.settings.secure_cookies:
            cookie += "; Secure"
        return b"set-cookie", cookie.encode("latin-1")


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return value.decode("latin-1")
    return None


def _read_cookies(scope: Scope) -> dict[str, str]:
    header = _header(scope, b"cookie")
    if not header:
        return {}
    parsed = SimpleCookie()
    try:
        parsed.load(header)
    except Exception:  # a malformed cookie header is treated as no cookies
        return {}
    return {key: morsel.value for key, morsel in parsed.items()}


def browser_key(request: Request) -> str:
    """This browser's session key; using it means the cookie must be set."""
    request.state.browser_key_used = True
    return request.state.browser_key


def rotate_browser_key(request: Request) -> str:
    """Give the browser a new session key (on sign-in and sign-out), defeating fixation."""
    request.state.browser_key = new_token()
    request.state.browser_key_is_new = True
    request.state.browser_key_used = True
    return request.state.browser_key


def flash(request: Request, message: str, kind: str = "success", link: str = "") -> None:
    """Queue a message for the next page this browser sees; ``link``, an address shown after it as a link."""
    request.state.flash_out.append({"message": message, "kind": kind, **({"link": link} if link else {})})


def take_flashes(request: Request) -> list[dict]:
    """Messages to show on this page: ones carried over plus ones queued now."""
    request.state.flash_shown = True
    return [*request.state.flash_in, *request.state.flash_out]


def client_address(request) -> str:
    """The address a request came from, for rate limits."""
    return request.client.host if request.client else "unknown"
