"""Briefings: chosen key learnings (a filter of the library, or a hand-picked list) as one page to
print, or as Markdown for a funder's report or a policy brief."""

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from markdownify import markdownify
from markupsafe import Markup
from sqlmodel import Session

from app.accounts.models import Viewer
from app.core.i18n import _, ngettext
from app.core.problems import Problems
from app.core.templating import date_text
from app.core.timeutil import utcnow
from app.forum.lessons import PARTS, part_names
from app.forum.markdown import one_line, render_markdown
from app.learning import library

MAX_ENTRIES = 100  # a briefing is a few pages, not the whole library
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~@])")
_AUTOLINK = re.compile(r"(?i)\b(https?|ftp)://|\bwww\.")


@dataclass
class Briefing:
    entries: list[library.Entry] = field(default_factory=list)
    described: str = ""  # what was chosen: the filters, or "chosen by hand"
    made_at: datetime = field(default_factory=utcnow)
    more: int = 0  # how many more the filter holds than a briefing takes
    public: bool = False  # made as a visitor would read it, whoever asked
    problems: Problems = field(default_factory=Problems)

    @property
    def members_only(self) -> list[library.Entry]:
        """The entries a visitor may not read: not for sharing beyond the network."""
        return [entry for entry in self.entries if not entry.is_public]


def make(session: Session, viewer: Viewer | None, filters: library.Filters, picks: tuple[str, ...], *,
         chosen: bool = False, public: bool = False) -> Briefing:
    """The briefing of these filters or these hand-picked key learnings, as the viewer may read them
    (``public``: as a visitor would). ``chosen``: the list's form asked for hand-picked ones."""
    reader = None if public else viewer
    if chosen and not picks:
        made = Briefing(public=public)
        made.problems.add("pick", _("Tick at least one key learning in the list, or make a briefing of the whole "
                                    "list."))
        return made
    shelf = library.shelf(session, reader, replace(filters, page=1), per_page=MAX_ENTRIES, picks=picks[:MAX_ENTRIES],
                          marked=False)
    return Briefing(entries=shelf.entries, described=described(session, reader, filters, picks), public=public,
                    more=max(0, shelf.page.total - MAX_ENTRIES), problems=shelf.problems)


def described(session: Session, viewer: Viewer | None, filters: library.Filters, picks: tuple[str, ...] = ()) -> str:
    """What a briefing (or a feed) holds, in words: its filters, or that its key learnings were chosen by hand."""
    if picks:
        return _("Key learnings chosen by hand")
    names = {channel.slug: channel.name for channel in library.concern_channels(session, library.audience(viewer))}
    parts = [_("Pilot: %(name)s", name=names[filters.pilot]) if filters.pilot in names else "",
             _("Theme: %(name)s", name=names[filters.theme]) if filters.theme in names else "",
             _("From: %(channel)s", channel=filters.channel) if filters.channel else "",
             _("Lesson posts only") if filters.lessons else "",
             _("Matching “%(q)s”", q=one_line(filters.q)) if filters.q else ""]
    return " · ".join(part for part in parts if part) or _("All key learnings")


def concern_names(entry: library.Entry) -> str:
    """Its pilots and themes, set apart by middle dots (theme names hold commas)."""
    return " · ".join(name for _slug, name, _kind in entry.concerns)


def source(entry: library.Entry) -> str:
    """Who wrote it, as the library names them: a pseudonym in the safe space."""
    if entry.is_anonymous:
        return _("Participant %(letter)s", letter=entry.pseudonym) if entry.pseudonym else _("A participant")
    return entry.author_name or _("Former member")


def title(entry: library.Entry) -> str:
    return entry.thread_title if entry.covers_thread else _("%(title)s (post %(n)s)", title=entry.thread_title,
                                                            n=entry.post_number)


def lesson_parts(entry: library.Entry) -> list[tuple[str, Markup]]:
    """A lesson post's written parts, each with its heading, as sanitised HTML."""
    if entry.lesson is None:
        return []
    names = part_names()
    return [(names[part], Markup(render_markdown(text).html)) for part in PARTS
            if (text := getattr(entry.lesson, part))]


def _plain(text: str) -> str:
    """Plain text as Markdown that shows it as written, on one line, and links nothing."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text))
    return _AUTOLINK.sub(lambda found: found.group(0).replace("/", "\\/").replace(".", "\\."), escaped)


def _quoted(body_md: str) -> str:
    """A part of a lesson post as a quotation: its sanitised HTML back to Markdown (so no raw HTML, no
    image that a viewer would fetch, no link the site would not make), each line quoted, so that its
    headings cannot pass for the briefing's own."""
    text = markdownify(render_markdown(body_md).html, heading_style="ATX", escape_misc=True).strip()
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.split("\n"))


def markdown(briefing: Briefing, *, base_url: str, site_name: str, library_path: str) -> str:
    """The briefing as a Markdown document (lesson parts as their authors wrote them)."""
    lines = [f"# {_plain(_('Key learnings from %(site)s', site=site_name))}", "",
             f"{_plain(briefing.described)}. {_('Made on %(date)s', date=date_text(briefing.made_at))}.", ""]
    if briefing.members_only:
        lines += [f"> {_plain(sharing_notice(briefing))}", ""]
    for entry in briefing.entries:
        lines += [f"## {_plain(title(entry))}", "",
                  f"{_plain(entry.channel_name)} · {_plain(source(entry))} · "
                  f"{_plain(_('marked %(date)s', date=date_text(entry.marked_at)))} · <{base_url}{entry.path}>", ""]
        if not entry.is_public:
            lines += [f"*{_plain(_('Members only: not for sharing outside the network.'))}*", ""]
        lines += [f"**{_plain(entry.summary)}**", ""]
        if entry.others_could_try:
            lines += [f"*{_('What others could try:')}* {_plain(entry.others_could_try)}", ""]
        if entry.concerns:
            lines += [f"{_('Concerns:')} {_plain(concern_names(entry))}", ""]
        if entry.lesson is not None:
            for part, heading in part_names().items():
                if text := getattr(entry.lesson, part):
                    lines += [f"### {heading}", "", _quoted(text), ""]
    lines += ["---", "", f"{_plain(_('From the learning library of %(site)s:', site=site_name))} "
                         f"<{base_url}{library_path}>", ""]
    return "\n".join(lines)


def sharing_notice(briefing: Briefing) -> str:
    """What a briefing with members-only key learnings says about sharing it."""
    count, sealed = len(briefing.members_only), sum(entry.is_anonymous for entry in briefing.members_only)
    said = (ngettext("%(num)s of these key learnings is for members only, %(sealed)s from the safe space.",
                     "%(num)s of these key learnings are for members only, %(sealed)s from the safe space.",
                     count, sealed=sealed) if sealed else
            ngettext("%(num)s of these key learnings is for members only.",
                     "%(num)s of these key learnings are for members only.", count))
    return said + " " + _("Share this briefing only within the network, or make a public version for anyone else.")
