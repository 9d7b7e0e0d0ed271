"""Atom (RFC 4287) documents, written with ElementTree so that every text and attribute is escaped.

Ids are tag URIs (RFC 4151) built from the site's host and a thing's public id: they stay the same
whatever its title or address becomes, as feed readers need.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree

NS = "http://www.w3.org/2005/Atom"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)  # "updated" of a feed with no entries
# Characters XML 1.0 does not allow: one in a title would make the whole feed unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


@dataclass(frozen=True)
class AtomEntry:
    id: str
    title: str
    link: str
    updated: datetime
    published: datetime
    summary: str
    content_html: str = ""
    author: str = ""
    categories: list[tuple[str, str]] = field(default_factory=list)  # (term, label)


def tag_uri(base_url: str, specific: str) -> str:
    """A stable id: tag:host,2026:specific (2026, the year the site's names were minted)."""
    return f"tag:{urlsplit(base_url).hostname or 'localhost'},2026:{specific}"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _text(parent, tag: str, text: str | None, **attributes) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, f"{{{NS}}}{tag}", {key: _xml(value) for key, value in attributes.items()})
    element.text = None if text is None else _xml(text)
    return element


def document(*, feed_id: str, title: str, self_url: str, alternate_url: str, author: str,
             entries: list[AtomEntry]) -> bytes:
    """The feed as UTF-8 XML."""
    ElementTree.register_namespace("", NS)
    root = ElementTree.Element(f"{{{NS}}}feed")
    _text(root, "id", feed_id)
    _text(root, "title", title)
    _text(root, "updated", _stamp(max((entry.updated for entry in entries), default=EPOCH)))
    _text(_text(root, "author", None), "name", author)
    _text(root, "link", None, rel="self", href=self_url, type="application/atom+xml")
    _text(root, "link", None, rel="alternate", href=alternate_url, type="text/html")
    for entry in entries:
        element = ElementTree.SubElement(root, f"{{{NS}}}entry")
        _text(element, "id", entry.id)
        _text(element, "title", entry.title)
        _text(element, "link", None, rel="alternate", href=entry.link, type="text/html")
        _text(element, "updated", _stamp(entry.updated))
        _text(element, "published", _stamp(entry.published))
        if entry.author:
            _text(_text(element, "author", None), "name", entry.author)
        for term, label in entry.categories:
            _text(element, "category", None, term=term, label=label)
        _text(element, "summary", entry.summary)
        if entry.content_html:
            _text(element, "content", entry.content_html, type="html")
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
