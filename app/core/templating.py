"""The Jinja2 environment: i18n, static URLs with content hashes, per-request context."""

import hashlib
import re
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from fastapi import Request
from jinja2 import pass_context
from jinja2.ext import Extension
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup

from app.core import i18n, site_settings
from app.core.browser import take_flashes
from app.core.config import ROOT, get_settings
from app.core.timeutil import to_site_time

STATIC_DIR = ROOT / "static"


@lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """/static/<path>?v=<content hash>, so files can be cached for a year."""
    file = STATIC_DIR / path
    digest = hashlib.sha256(file.read_bytes()).hexdigest()[:10] if file.exists() else "0"
    return f"/static/{path}?v={digest}"


def _site_context(request: Request) -> dict:
    from app.core.csrf import token_for

    return {
        "viewer": getattr(request.state, "viewer", None),
        "csrf_token": cache(lambda: token_for(request)),  # a page shows it in several forms
        "flashes": lambda: take_flashes(request),
        "locale": i18n.current_locale(),
        "site_name": get_settings().site_name,
        "release_minutes": site_settings.effective("safe_space_release_minutes"),
        "new_member_days": get_settings().safe_space_new_member_days,
    }


@lru_cache(maxsize=8)
def _babel_locale(code: str) -> Locale:
    return Locale.parse(code)


@lru_cache(maxsize=4096)
def _day_text(day: date, locale: str) -> str:
    """"26 Nov 2026" in the locale; cached, since a page shows few distinct days."""
    return format_date(day, "d MMM yyyy", locale=_babel_locale(locale))


def _datetime(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = to_site_time(moment)
    return f"{_day_text(local.date(), i18n.current_locale())}, {local:%H:%M}"


def date_text(moment: datetime | None) -> str:
    """"4 Dec 2026", in the site's time and the reader's locale (the ``date`` filter; also for messages)."""
    return _day_text(to_site_time(moment).date(), i18n.current_locale()) if moment else ""


def _month(moment: datetime | None) -> str:
    """"November 2026": how long someone has been a member, no closer (the safe space holds new
    accounts' posts, so a join day would help date a pseudonym)."""
    if moment is None:
        return ""
    return format_date(to_site_time(moment).date(), "LLLL yyyy", locale=_babel_locale(i18n.current_locale()))


def _short(pattern: str):
    """A filter for a compact label ("14 Sep", "Sep 2026") in the reader's locale, for charts and tables."""
    def label(moment: datetime) -> str:
        return format_date(to_site_time(moment).date(), pattern, locale=_babel_locale(i18n.current_locale()))
    return label


def time_tag(moment: datetime | None, day_only: bool = False) -> Markup:
    """A <time> element; ``day_only`` (the safe space) gives the date alone, in the attribute too."""
    if moment is None:
        return Markup("")
    local = to_site_time(moment)
    text = _day_text(local.date(), i18n.current_locale())
    if day_only:
        return Markup(f'<time datetime="{local.date().isoformat()}">{text}</time>')
    return Markup(f'<time datetime="{local.isoformat(timespec="minutes")}">{text}, {local:%H:%M}</time>')


@pass_context
def _gettext(context, message: str, **variables) -> str:
    """Jinja's newstyle gettext (translated, marked safe when autoescaping, always %-formatted), with
    the result remembered when there is nothing to fill in: a page makes a few dozen calls."""
    if variables:
        text = i18n.translations(i18n.current_locale()).gettext(message)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables
    return _translated(i18n.current_locale(), message, context.eval_ctx.autoescape)


@lru_cache(maxsize=4096)
def _translated(locale: str, message: str, autoescape: bool) -> str:
    text = i18n.translations(locale).gettext(message)
    return (Markup(text) if autoescape else text) % {}


class CompactTags(Extension):
    """Drops the newline between two tags in a template marked {# compact #}, when it is loaded.

    The per-post template keeps one element per line in its source; its output drops those newlines,
    which add up on a long thread page. Only a newline after a tag goes, when a tag or a
    statement follows; what the template inserts (a post's body) is untouched. Between two inline
    elements that newline is a space, so mark only templates whose joined tags sit in block or flex
    containers, as the per-post template's do.
    """

    MARK = "{# compact #}"

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return re.sub(r">\n(?=<|\{%)", ">", source) if self.MARK in source else source


def _make_templates(directory: Path) -> Jinja2Blocks:
    blocks = Jinja2Blocks(directory=str(directory), context_processors=[_site_context])
    env = blocks.env
    env.add_extension("jinja2.ext.i18n")
    env.add_extension(CompactTags)
    env.install_gettext_callables(
        lambda message: i18n.translations(i18n.current_locale()).gettext(message),
        lambda singular, plural, n: i18n.translations(i18n.current_locale()).ngettext(
            singular, plural, n
        ),
        newstyle=True,
    )
    env.globals["gettext"] = env.globals["_"] = _gettext  # `_` directly, not through Jinja's alias
    # Templates are read once; `forum serve --reload` restarts the server when they change.
    env.auto_reload = False
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.globals["static_url"] = static_url
    env.globals["time_tag"] = time_tag
    env.filters["datetime"] = _datetime
    env.filters["date"] = date_text
    env.filters["month"] = _month
    env.filters["day_month"] = _short("d MMM")
    env.filters["short_month"] = _short("MMM yyyy")
    return blocks


templates = _make_templates(ROOT / "templates")
