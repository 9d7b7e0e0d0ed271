"""Briefings: chosen key learnings (a filter of the library, or a hand-picked list) as one page to
print, or as Markdown for a funder's report or a policy brief."""

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from markupsafe import Markup
from sqlmodel import Session

from app.accounts.models import Viewer
from app.core.i18n import _
from app.core.problems import Problems
from app.core.templating import date_text
from app.core.timeutil import utcnow
from app.forum.lessons import PARTS, part_names
from app.forum.markdown import render_markdown
from app.learning import library

MAX_ENTRIES = 100  # a briefing is a few pages, not the whole library
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


@dataclass
class Briefing:
    entries: list[library.Entry] = field(default_factory=list)
    described: str = ""  # what was chosen: the filters, or "chosen by hand"
    made_at: datetime = field(default_factory=utcnow)
    more: int = 0  # how many more the filter holds than a briefing takes
    problems: Problems = field(default_factory=Problems)


def make(session: Session, viewer: Viewer | None, filters: library.Filters, picks: tuple[str, ...]) -> Briefing:
    """The briefing of these filters or these hand-picked key learnings, as the viewer may read them."""
    shelf = library.shelf(session, viewer, replace(filters, page=1), per_page=MAX_ENTRIES, picks=picks[:MAX_ENTRIES],
                          marked=False)
    return Briefing(entries=shelf.entries, described=_described(session, viewer, filters, picks),
                    more=max(0, shelf.page.total - MAX_ENTRIES), problems=shelf.problems)


def _described(session: Session, viewer: Viewer | None, filters: library.Filters, picks: tuple[str, ...]) -> str:
    if picks:
        return _("Key learnings chosen by hand")
    names = {channel.slug: channel.name for channel in library.concern_channels(session, library.audience(viewer))}
    parts = [names.get(filters.pilot, ""), names.get(filters.theme, "")]
    parts += [_("from %(channel)s", channel=filters.channel) if filters.channel else "",
              _("lesson posts") if filters.lessons else "", _("matching “%(q)s”", q=filters.q) if filters.q else ""]
    return " · ".join(part for part in parts if part) or _("All key learnings")


def lesson_parts(entry: library.Entry) -> list[tuple[str, Markup]]:
    """A lesson post's written parts, each with its heading, as sanitised HTML."""
    if entry.lesson is None:
        return []
    names = part_names()
    return [(names[part], Markup(render_markdown(text).html)) for part in PARTS
            if (text := getattr(entry.lesson, part))]


def _plain(text: str) -> str:
    """Plain text as Markdown that shows it as written."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown(briefing: Briefing, *, base_url: str, site_name: str) -> str:
    """The briefing as a Markdown document (lesson parts as their authors wrote them)."""
    lines = [f"# {_plain(_('Key learnings from %(site)s', site=site_name))}", "",
             f"{_plain(briefing.described)}. {_('Made on %(date)s', date=date_text(briefing.made_at))}.", ""]
    for entry in briefing.entries:
        source = (_("Participant %(letter)s", letter=entry.pseudonym) if entry.pseudonym else _("A participant")
                  ) if entry.is_anonymous else (entry.author_name or _("Former member"))
        lines += [f"## {_plain(entry.thread_title)}", "",
                  f"**{_plain(entry.summary)}**", ""]
        if entry.others_could_try:
            lines += [f"*{_('What others could try:')}* {_plain(entry.others_could_try)}", ""]
        if entry.concerns:
            lines += [f"{_('Concerns:')} {_plain(', '.join(name for _slug, name, _kind in entry.concerns))}", ""]
        if entry.lesson is not None:
            for part, heading in part_names().items():
                if text := getattr(entry.lesson, part):
                    lines += [f"### {heading}", "", text, ""]
        lines += [f"{_plain(entry.channel_name)}, {_plain(source)}, "
                  f"{date_text(entry.marked_at)}: <{base_url}{entry.path}>", ""]
    lines += ["---", "", f"<{base_url}/learning>", ""]
    return "\n".join(lines)
