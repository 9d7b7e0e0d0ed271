"""Markdown rendering and sanitising for post bodies.

Bodies are rendered once, at write time, and the HTML is stored. Two layers keep it safe:
markdown-it runs with raw HTML disabled (anything that looks like a tag is escaped as text), and
nh3 then cleans the result under an explicit allow-list, so a bug in either layer alone cannot let
markup through.

Decisions:
- No ``<img>``: a remote image is a tracking pixel that tells a third party who read a post (which
  matters for the safe space). A Markdown image becomes a plain link to the image, labelled with its
  alt text (or the URL); inside another link it becomes just its alt text, so links never nest.
- No ``id``, ``class``, ``style``, ``data-*``, ``hx-*`` or ``on*`` from users. The only class is
  ``mention`` on links we build ourselves; users cannot forge it because raw HTML is disabled.
- Table alignment is kept as the ``align`` attribute (left/center/right) instead of inline styles;
  fenced-code language classes are dropped.
- Links may be http, https, mailto or relative; every link gets ``rel="nofollow ugc noopener"``.
"""

import html
import re
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

_MENTION = re.compile(r"(?<![\w@])@([a-z0-9_-]{3,30})(?![\w@-])", re.IGNORECASE)
_ALIGN = re.compile(r"text-align:(left|center|right)")
# Control characters never reach plain text: search uses two of them to mark matches.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")  # and what XML cannot hold
_BLOCK_END = re.compile(r"(</(?:p|li|h[1-6]|blockquote|pre|tr|th|td)>|<br\s*/?>|<hr\s*/?>)", re.I)

_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
_ALIGNS = {"left", "center", "right"}
# Attributes allowed only with these exact values: users can never set a class themselves.
_ATTRIBUTE_VALUES = {
    "a": {"class": {"mention"}},
    "th": {"align": _ALIGNS},
    "td": {"align": _ALIGNS},
}


@dataclass(frozen=True)
class Rendered:
    """Sanitised HTML (safe to emit unescaped) and the distinct lower-cased handles it mentions."""

    html: str
    mentions: tuple[str, ...]


def _link(href: str, level: int, text: str, css_class: str | None = None) -> list[Token]:
    attrs = {"href": href} | ({"class": css_class} if css_class else {})
    return [
        Token("link_open", "a", 1, attrs=attrs, level=level),
        Token("text", "", 0, content=text, level=level + 1),
        Token("link_close", "a", -1, level=level),
    ]


def _split_mentions(tok: Token, prev: str, found: dict[str, None]) -> list[Token]:
    # The lookbehind cannot see the previous token, so prepend its last character as context.
    text, pos = prev + tok.content, len(prev)
    out: list[Token] = []
    for m in _MENTION.finditer(text, len(prev)):
        handle = m.group(1).lower()
        found.setdefault(handle, None)
        if m.start() > pos:
            out.append(Token("text", "", 0, content=text[pos : m.start()], level=tok.level))
        out.extend(_link(f"/u/{handle}", tok.level, m.group(0), "mention"))
        pos = m.end()
    if not out:
        return [tok]
    if pos < len(text):
        out.append(Token("text", "", 0, content=text[pos:], level=tok.level))
    return out


def _image(tok: Token, inside_link: bool) -> list[Token]:
    # A link to the image instead of <img>: no request to a third party until the reader clicks.
    alt = "".join(child.content for child in tok.children or [])
    if inside_link:
        return [Token("text", "", 0, content=alt, level=tok.level)]
    src = str(tok.attrs.get("src", ""))
    return _link(src, tok.level, alt or src)


def _rewrite_inline(state: StateCore) -> None:
    """Link @mentions, turn images into links and table styles into align attributes."""
    # A dict keeps handles distinct and in order of first appearance.
    found: dict[str, None] = state.env.setdefault("mentions", {})
    for block in state.tokens:
        if block.type in ("th_open", "td_open"):
            # markdown-it aligns cells with inline styles, which the sanitiser rightly drops.
            style = block.attrs.pop("style", None)
            if isinstance(style, str) and (align := _ALIGN.fullmatch(style)):
                block.attrs["align"] = align.group(1)
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        depth, prev = 0, ""
        for tok in block.children:
            if tok.type in ("link_open", "link_close"):
                depth += tok.nesting
            if tok.type == "image":
                children.extend(_image(tok, inside_link=depth > 0))
            elif tok.type == "text" and depth == 0:
                children.extend(_split_mentions(tok, prev, found))
            else:
                children.append(tok)
            prev = tok.content[-1:] if tok.type == "text" else ""
        block.children = children


_md = MarkdownIt(
    "commonmark",
    # maxNesting bounds the parser's recursion, so 10,000 '>' cannot raise RecursionError.
    {"html": False, "linkify": True, "typographer": False, "maxNesting": 20},
).enable(["table", "strikethrough", "linkify"])
_md.core.ruler.after("text_join", "common_ground_inline", _rewrite_inline)


def render_markdown(text: str) -> Rendered:
    """Render a Markdown post body to sanitised HTML and collect the handles it mentions."""
    env: dict[str, dict[str, None]] = {}
    raw = _md.render(text, env)
    clean = nh3.clean(
        raw,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        tag_attribute_values=_ATTRIBUTE_VALUES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )
    return Rendered(html=clean, mentions=tuple(env.get("mentions", {})))


def plain_text(html_text: str) -> str:
    """The words of sanitised post HTML, unescaped, through one_line."""
    # Block ends become spaces so "<p>a</p><p>b</p>" reads "a b", not "ab".
    spaced = _BLOCK_END.sub(r"\1 ", html_text)
    return one_line(html.unescape(nh3.clean(spaced, tags=set())))


def one_line(text: str) -> str:
    """Text with control characters and runs of space made one space."""
    return " ".join(_CONTROL.sub(" ", text).split())


def plain_excerpt(html_text: str, length: int = 200) -> str:
    """Return unescaped plain text of at most ``length`` characters plus "…" if it was cut."""
    text = plain_text(html_text)
    if len(text) <= length:
        return text
    head = text[:length]
    if not text[length].isspace() and " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip() + "…"


def quote_markdown(body_md: str, attribution: str) -> str:
    """Return Markdown that quotes ``body_md`` under an "attribution wrote:" line."""
    who = " ".join(attribution.split())
    lines = body_md.replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in lines)
    return f"> {who} wrote:\n>\n{quoted}\n\n"
