"""The lesson template: a post in four parts (what we tried, what happened, what we learned, what we
would do differently), written as Markdown headings in an ordinary post body.

A body is a lesson post when it has at least one of the four headings; each part is the Markdown
between its heading and the next heading of the same or a higher level. The headings are read in
every language the site speaks, so a post keeps its parts whoever reads it. Parts left empty are
taken out before a post is saved: a published lesson has no bare headings.
"""

from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt

from app.core import i18n
from app.core.i18n import _

PARTS = ("tried", "happened", "learned", "differently")
_parser = MarkdownIt("commonmark")


def part_names() -> dict[str, str]:
    """Each part's heading, in the reader's language."""
    return {"tried": _("What we tried"), "happened": _("What happened"), "learned": _("What we learned"),
            "differently": _("What we would do differently")}


@lru_cache
def _known_headings() -> dict[str, str]:
    """Heading text (folded) -> part, in every language the site has (catalogues ship with a release)."""
    known = {}
    for locale in i18n.available_locales():
        with i18n.speaking(locale):
            known.update({_fold(name): part for part, name in part_names().items()})
    return known


def _fold(heading: str) -> str:
    return " ".join(heading.strip().rstrip(":.").split()).casefold()


@dataclass(frozen=True)
class _Section:
    part: str
    heading_line: int  # where its heading starts (0-based line)
    start: int  # its first line after the heading
    end: int  # the line after its last


def _lines(body: str) -> str:
    return body.replace("\r\n", "\n").replace("\r", "\n")


def _sections(body: str) -> list[_Section]:
    """The lesson parts of a body (with plain newlines), in order, each with its line range."""
    tokens = _parser.parse(body)
    known = _known_headings()
    headings = []  # (line, end of heading, level, part or None)
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map and token.level == 0:
            text = tokens[index + 1].content if index + 1 < len(tokens) else ""
            headings.append((token.map[0], token.map[1], int(token.tag[1]), known.get(_fold(text))))
    lines = len(body.split("\n"))
    sections = []
    for position, (line, after, level, part) in enumerate(headings):
        if part is None:
            continue
        end = next((other for other, _, other_level, other_part in headings[position + 1:]
                    if other_level <= level or other_part is not None), lines)
        sections.append(_Section(part, line, after, end))
    return sections


def parts(body: str) -> dict[str, str] | None:
    """A lesson post's parts (Markdown, stripped; a part written twice is joined), or None for any other post."""
    body = _lines(body)
    lines = body.split("\n")
    found: dict[str, list[str]] = {}
    for section in _sections(body):
        text = "\n".join(lines[section.start:section.end]).strip()
        if text:
            found.setdefault(section.part, []).append(text)
    if not found:
        return None
    return {part: "\n\n".join(found.get(part, [])) for part in PARTS}


def without_empty_parts(body: str) -> str:
    """The body without the headings of parts left empty (unchanged when there are none)."""
    normal = _lines(body)
    lines = normal.split("\n")
    empty = [section for section in _sections(normal) if not "\n".join(lines[section.start:section.end]).strip()]
    if not empty:
        return body
    for section in reversed(empty):
        del lines[section.heading_line:section.end]
    kept = "\n".join(lines).strip("\n")
    return kept + "\n" if kept else ""


def with_template(body: str, *, anonymous: bool = False) -> str:
    """The body with the lesson template's missing headings added after what is already written.
    ``anonymous``: in the safe space, whose headings are the site's first language whatever the
    author's (the language a member reads the site in would narrow down who wrote a post)."""
    body = _lines(body)
    present = {section.part for section in _sections(body)}
    with i18n.speaking(i18n.DEFAULT_LOCALE if anonymous else i18n.current_locale()):
        names = part_names()
    missing = [name for part, name in names.items() if part not in present]
    if not missing:
        return body
    written = body.rstrip()
    template = "\n\n".join(f"## {name}\n" for name in missing)
    return (f"{written}\n\n{template}" if written else template).rstrip("\n") + "\n\n"
