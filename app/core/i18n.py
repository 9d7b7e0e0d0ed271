"""gettext for Python code and templates, with the locale chosen per request."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locales"
DEFAULT_LOCALE = "en"
# English first; Welsh is listed once its catalogue is compiled under app/locales/cy.
SUPPORTED_LOCALES = ("en", "cy")

_current_locale: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


@lru_cache
def translations(locale: str) -> NullTranslations:
    if locale == DEFAULT_LOCALE:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [locale])


@lru_cache
def available_locales() -> tuple[str, ...]:
    """English and each locale whose catalogue is compiled (looked up once: catalogues ship with a release)."""
    compiled = tuple(
        code for code in SUPPORTED_LOCALES[1:]
        if (LOCALE_DIR / code / "LC_MESSAGES" / "messages.mo").exists()
    )
    return (DEFAULT_LOCALE, *compiled)


def negotiate_locale(preferred: str | None, accept_language: str | None) -> str:
    """The member's choice if supported, else the best match for Accept-Language."""
    locales = available_locales()
    if preferred in locales:
        return preferred
    if accept_language:
        wanted = [part.split(";")[0].strip().replace("-", "_") for part in accept_language.split(",")]
        try:
            match = Locale.negotiate([w for w in wanted if w and w != "*"], locales, sep="_")
        except (UnknownLocaleError, ValueError):
            match = None
        if match:
            return str(match)
    return DEFAULT_LOCALE


def set_locale(locale: str) -> None:
    _current_locale.set(locale)


def current_locale() -> str:
    return _current_locale.get()


@contextmanager
def speaking(locale: str) -> Iterator[None]:
    """Translate into ``locale`` within the block (to read text in every language the site has)."""
    token = _current_locale.set(locale)
    try:
        yield
    finally:
        _current_locale.reset(token)


def gettext(message: str, **variables) -> str:
    """Translate into the request's locale, then fill %(name)s placeholders."""
    text = translations(_current_locale.get()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables) -> str:
    text = translations(_current_locale.get()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


_ = gettext
