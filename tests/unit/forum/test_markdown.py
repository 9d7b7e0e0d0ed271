"""Markdown rendering: hostile input stays inert, ordinary Markdown renders, mentions are found."""

import dataclasses
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.forum.markdown import Rendered, plain_excerpt, quote_markdown, render_markdown

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "rel", "class"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
SAFE_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"
MENTION_HREF = re.compile(r"/u/[a-z0-9_-]{3,30}")
# Browsers drop ASCII tab/newline anywhere in a URL and C0 controls/spaces at its ends before
# reading the scheme, so the check must too, or "java\tscript:" would slip past it.
URL_NOISE = re.compile(r"[\x00-\x20\x7f]")
SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")


class _Collector(HTMLParser):
    """Records every tag, attribute, comment and the visible text of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        assert tag in ALLOWED_TAGS, f"closing tag <{tag}> not allowed"

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_decl(self, decl: str) -> None:
        self.comments.append(decl)

    def handle_pi(self, data: str) -> None:
        self.comments.append(data)

    def unknown_decl(self, data: str) -> None:
        self.comments.append(data)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_safe(output: str) -> str:
    """Fail unless ``output`` passes the allow-list; return its visible text."""
    parser = _Collector()
    parser.feed(output)
    parser.close()
    assert not parser.comments, f"comment or declaration survived: {parser.comments}"
    for tag, attrs in parser.elements:
        assert tag in ALLOWED_TAGS, f"tag <{tag}> not allowed in {output!r}"
        attr_map = dict(attrs)
        for name, _ in attrs:
            assert not name.startswith(("on", "hx-", "data-")), f"attribute {name} on <{tag}>"
            assert name not in {"style", "id", "src"}, f"attribute {name} on <{tag}>"
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()), f"attribute {name} on <{tag}>"
        if tag == "a":
            assert attr_map.get("rel") == LINK_REL
            href = attr_map.get("href")
            if attr_map.get("class") is not None:
                assert attr_map["class"] == "mention"
                assert href is not None and MENTION_HREF.fullmatch(href)
            if href is not None:
                scheme = SCHEME.match(URL_NOISE.sub("", href).lower())
                assert scheme is None or scheme.group(1) in SAFE_SCHEMES, f"href {href!r}"
        if tag in ("th", "td") and "align" in attr_map:
            assert attr_map["align"] in {"left", "center", "right"}
    return "".join(parser.text)


def hrefs(output: str) -> list[str | None]:
    parser = _Collector()
    parser.feed(output)
    return [dict(attrs).get("href") for tag, attrs in parser.elements if tag == "a"]


SCRIPT = "<script>alert(1)</script>"

# (markdown input, text that must still be visible to the reader, or None)
HOSTILE = [
    pytest.param(SCRIPT, SCRIPT, id="script"),
    pytest.param("<SCRIPT>alert(1)</SCRIPT>", "<SCRIPT>alert(1)</SCRIPT>", id="script-upper"),
    pytest.param("<ScRiPt >alert(1)</sCrIpT >", "<ScRiPt >", id="script-mixed-case"),
    pytest.param("<scr<script>ipt>alert(1)</scr</script>ipt>", "<scr<script>", id="script-split"),
    pytest.param("<<script>script>alert(1)<</script>/script>", "<<script>", id="script-nested"),
    pytest.param("<script src=//evil.example/x.js></script>", "<script src=", id="script-src"),
    pytest.param("<script\n>alert(1)</script\n>", "alert(1)", id="script-newline"),
    pytest.param('<div onclick="alert(1)">x</div>', "onclick", id="onclick"),
    pytest.param('<a href="#" onmouseover="alert(1)">x</a>', "onmouseover", id="onmouseover"),
    pytest.param('<a href="javascript:alert(1)">x</a>', '<a href="javascript', id="raw-a-js"),
    pytest.param("[x](javascript:alert(1))", None, id="md-link-js"),
    pytest.param("[x](JaVaScRiPt:alert(1))", None, id="md-link-js-mixed-case"),
    pytest.param("[x](&#106;avascript:alert(1))", None, id="md-link-js-entity"),
    pytest.param("[x](&#x6A;&#x61;vascript&#58;alert(1))", None, id="md-link-js-hex-entity"),
    pytest.param("[x](javascript&colon;alert(1))", None, id="md-link-js-named-entity"),
    pytest.param("[x](java&#x09;script:alert(1))", None, id="md-link-js-tab-entity"),
    pytest.param("[x](<java script:alert(1)>)", None, id="md-link-js-space"),
    pytest.param("[x](<\tjavascript:alert(1)>)", None, id="md-link-js-leading-tab"),
    pytest.param("[x](%20javascript:alert(1))", None, id="md-link-js-percent-space"),
    pytest.param("<javascript:alert(1)>", None, id="autolink-js"),
    pytest.param("<JAVASCRIPT:alert(1)>", None, id="autolink-js-upper"),
    pytest.param("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "x", id="data"),
    pytest.param("<data:text/html,<script>alert(1)</script>>", "<script>", id="autolink-data"),
    pytest.param("[x](vbscript:msgbox(1))", None, id="md-vbscript"),
    pytest.param("<vbscript:msgbox(1)>", None, id="autolink-vbscript"),
    pytest.param("[x](file:///etc/passwd)", None, id="md-file"),
    pytest.param("<svg onload=alert(1)>", "<svg onload=alert(1)>", id="svg-onload"),
    pytest.param("<svg><script>alert(1)</script></svg>", "<svg>", id="svg-script"),
    pytest.param(
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", "<math>", id="mathml"
    ),
    pytest.param("<style>body{display:none}</style>", "<style>", id="style-tag"),
    pytest.param('<p style="position:fixed;inset:0">x</p>', "style=", id="style-attr"),
    pytest.param('[x](https://ok.example "t" style="color:red")', None, id="title-breakout"),
    pytest.param('[x](https://ok.example" onmouseover="alert(1))', None, id="href-breakout"),
    pytest.param('<iframe src="https://evil.example"></iframe>', "<iframe", id="iframe"),
    pytest.param('<object data="evil.swf"></object>', "<object", id="object"),
    pytest.param('<embed src="evil.swf">', "<embed", id="embed"),
    pytest.param('<form action="https://evil.example"><input name=pw></form>', "<form", id="form"),
    pytest.param('<meta http-equiv="refresh" content="0;url=//x.example">', "<meta", id="meta"),
    pytest.param('<base href="https://evil.example/">', "<base", id="base"),
    pytest.param('<button hx-get="/admin" hx-trigger="load">x</button>', "hx-get", id="hx-get"),
    pytest.param('<div hx-post="/delete" hx-target="body">x</div>', "hx-post", id="hx-post"),
    pytest.param('<div hx-on:click="alert(1)" hx-on::load="x">', "hx-on", id="hx-on"),
    pytest.param('<div data-hx-get="/x" data-hx-trigger="load">', "data-hx-get", id="data-hx"),
    pytest.param('<p id="signin" class="mention">x</p>', 'id="signin"', id="id-class-forge"),
    pytest.param('<a href="/u/admin" class="mention">@admin</a>', "<a href", id="mention-forge"),
    pytest.param("<b><i>unclosed <div <p x='", "<b><i>unclosed", id="broken-markup"),
    pytest.param("</p></blockquote></pre><p>", "</p></blockquote>", id="stray-closers"),
    pytest.param("<!-- hid --> <!--[if IE]><script>x</script><![endif]-->", "<!--", id="comment"),
    pytest.param("text <!-- never closed", "<!-- never closed", id="comment-unclosed"),
    pytest.param("<![CDATA[<script>alert(1)</script>]]>", "<![CDATA[", id="cdata"),
    pytest.param("<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>", id="img-onerror"),
    pytest.param("![x](javascript:alert(1))", None, id="md-image-js"),
    pytest.param("![x](data:image/png;base64,iVBORw0KGgo=)", "x", id="md-image-data"),
    pytest.param("[![x](javascript:alert(1))](javascript:alert(2))", None, id="md-image-in-link"),
    pytest.param("[x][r]\n\n[r]: javascript:alert(1)", None, id="refdef-js"),
    pytest.param('[x][r]\n\n[r]: <JavaScript:alert(1)> "t"', None, id="refdef-js-angle"),
    pytest.param("[r]\n\n[r]: data:text/html,x", None, id="refdef-data"),
    pytest.param(
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>">', "<noscript>", id="mxss"
    ),
    pytest.param("<xmp><script>alert(1)</script></xmp>", "<xmp>", id="xmp"),
    pytest.param("<template><script>alert(1)</script></template>", "<template>", id="template"),
    pytest.param("`<script>alert(1)</script>`", SCRIPT, id="script-in-code-span"),
    pytest.param("```html\n<script>alert(1)</script>\n```", SCRIPT, id="script-in-fence"),
    pytest.param(
        ("<script>x</script> [a](javascript:1) **b** @someone\n\n" * 4000)[:200_000],
        "<script>x</script>",
        id="huge-200kb",
    ),
    pytest.param(">" * 10_000 + " deep", None, id="deep-quotes"),
    pytest.param("[" * 10_000, "[[[[", id="deep-brackets"),
    pytest.param("[a](" * 10_000, None, id="deep-link-openers"),
    pytest.param("- " * 10_000 + "x", None, id="deep-list"),
    pytest.param("".join("  " * i + "1. x\n" for i in range(500)), None, id="deep-ordered-list"),
    pytest.param("*" * 5_000 + "x" + "*" * 5_000, "x", id="deep-emphasis"),
    pytest.param("a\x00<script>\x00alert(1)", "<script>", id="null-bytes"),
    pytest.param("\u202eevil\u202d \u200f@bob\u2066 [x](https://a.example/\u202e)", "x", id="rtl"),
    pytest.param("\ufffd\ufeff\u0085\u2028@bob\u2029 odd separators", "odd", id="odd-codepoints"),
]


@pytest.mark.parametrize(("source", "visible"), HOSTILE)
def test_hostile_input_is_inert(source: str, visible: str | None) -> None:
    rendered = render_markdown(source)
    text = assert_safe(rendered.html)
    if visible is not None:
        assert visible in text


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](java&#x09;script:alert(1))",
        "<javascript:alert(1)>",
        "[x](data:text/html,x)",
        "[x](vbscript:x)",
        "![x](javascript:alert(1))",
    ],
)
def test_dangerous_link_keeps_no_dangerous_href(source: str) -> None:
    out = render_markdown(source).html
    assert "x" in assert_safe(out) or "alert" in assert_safe(out)
    for href in hrefs(out):
        plain = URL_NOISE.sub("", href or "").lower()
        assert not plain.startswith(("javascript", "data", "vbscript"))


def test_user_script_tag_is_shown_escaped() -> None:
    out = render_markdown("look: <script>alert('hi')</script>").html
    assert "&lt;script&gt;" in out
    assert "<script" not in out


def test_user_cannot_forge_a_mention_link() -> None:
    rendered = render_markdown('<a href="/u/admin" class="mention">x</a>')
    assert hrefs(rendered.html) == []
    assert rendered.mentions == ()


# Ordinary Markdown


def test_emphasis() -> None:
    out = render_markdown("**bold** *italic* ~~gone~~").html
    assert "<strong>bold</strong>" in out
    assert "<em>italic</em>" in out
    assert "<s>gone</s>" in out
    assert_safe(out)


def test_lists() -> None:
    out = render_markdown("- one\n- two\n\n3. three\n4. four").html
    assert "<ul>" in out and "<li>one</li>" in out
    assert '<ol start="3">' in out
    assert_safe(out)


def test_code_is_escaped_and_has_no_class() -> None:
    out = render_markdown("`a < b`\n\n```python\nif a < b:\n    pass\n```").html
    assert "<code>a &lt; b</code>" in out
    assert "<pre><code>if a &lt; b:\n    pass\n</code></pre>" in out
    assert "class=" not in out


def test_table_keeps_alignment_as_attribute() -> None:
    out = render_markdown("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |").html
    assert "<table>" in out and "<thead>" in out and "<tbody>" in out
    assert '<th align="left">a</th>' in out
    assert '<td align="center">2</td>' in out
    assert '<td align="right">3</td>' in out
    assert "style" not in out
    assert_safe(out)


def test_blockquote_headings_and_rules() -> None:
    out = render_markdown("# Title\n\n### Sub\n\n> quoted\n\n---\n\nline  \nbreak").html
    assert "<h1>Title</h1>" in out and "<h3>Sub</h3>" in out
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in out
    assert "<hr>" in out and "<br>" in out
    assert_safe(out)


def test_links_get_rel_and_keep_title() -> None:
    out = render_markdown('[site](https://example.org "Example") <https://a.example/b>').html
    assert '<a href="https://example.org" title="Example" rel="nofollow ugc noopener">' in out
    assert '<a href="https://a.example/b" rel="nofollow ugc noopener">' in out
    assert_safe(out)


def test_mailto_and_relative_links_are_allowed() -> None:
    out = render_markdown("<someone@example.org> [thread](/t/abc123)").html
    assert hrefs(out) == ["mailto:someone@example.org", "/t/abc123"]


def test_image_becomes_link_without_img() -> None:
    out = render_markdown('![a chart](https://img.example/c.png "t")').html
    assert "<img" not in out
    assert '<a href="https://img.example/c.png" rel="nofollow ugc noopener">a chart</a>' in out


def test_image_without_alt_is_labelled_with_its_url() -> None:
    out = render_markdown("![](https://img.example/c.png)").html
    assert ">https://img.example/c.png</a>" in out


def test_image_inside_link_becomes_its_alt_text() -> None:
    out = render_markdown("[![logo](https://img.example/l.png)](https://example.org)").html
    assert hrefs(out) == ["https://example.org"]
    assert ">logo</a>" in out


# Mentions


def test_mentions_are_linked_and_returned_in_order() -> None:
    rendered = render_markdown("Thanks @Bob and @alice_1, and again @bob.")
    assert rendered.mentions == ("bob", "alice_1")
    assert (
        '<a href="/u/bob" class="mention" rel="nofollow ugc noopener">@Bob</a>' in rendered.html
    )
    assert '<a href="/u/alice_1" class="mention"' in rendered.html
    assert_safe(rendered.html)


def test_mentions_after_punctuation_and_formatting() -> None:
    rendered = render_markdown("(@carol) **hi**@dave-x\n@erin")
    assert rendered.mentions == ("carol", "dave-x", "erin")


@pytest.mark.parametrize(
    "source",
    [
        "`@bob`",
        "```\n@bob\n```",
        "    @bob indented code",
        "write to bob@example.org",
        "<bob@example.org>",
        "[@bob](https://example.org)",
        "@bob@example.org",
        "@ab is too short",
        "@" + "a" * 31 + " is too long",
        "@bob\u00e9 has a non-handle letter",
        "\\@ alone",
    ],
)
def test_not_a_mention(source: str) -> None:
    rendered = render_markdown(source)
    assert rendered.mentions == ()
    assert 'class="mention"' not in rendered.html


def test_thirty_character_handle_is_a_mention() -> None:
    handle = "a" * 30
    assert render_markdown(f"hi @{handle}").mentions == (handle,)


def test_rendered_is_frozen() -> None:
    rendered = render_markdown("x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        rendered.html = "<script>"  # type: ignore[misc]
    assert isinstance(rendered, Rendered)


# Excerpts and quoting


def test_plain_excerpt_strips_tags_and_unescapes() -> None:
    html = render_markdown("# Title\n\nSome **bold** &amp; `<code>`\n\n- a\n- b").html
    assert plain_excerpt(html) == "Title Some bold & <code> a b"


def test_plain_excerpt_short_text_is_unchanged() -> None:
    assert plain_excerpt("<p>short   text</p>", 20) == "short text"


def test_plain_excerpt_cuts_at_word_boundary() -> None:
    html = "<p>alpha beta gamma delta</p>"
    assert plain_excerpt(html, 14) == "alpha beta…"
    assert plain_excerpt(html, 16) == "alpha beta gamma…"
    assert plain_excerpt(html, 10) == "alpha beta…"


def test_plain_excerpt_drops_script_content() -> None:
    assert plain_excerpt("<p>a</p><script>evil()</script><p>b</p>") == "a b"


def test_quote_markdown_format() -> None:
    quoted = quote_markdown("first\r\n\r\nsecond", "Participant  A")
    assert quoted == "> Participant A wrote:\n>\n> first\n>\n> second\n\n"


def test_quote_markdown_renders_as_one_blockquote() -> None:
    quoted = quote_markdown("first *para*\n\n- item\n\n> nested", "Ann")
    out = render_markdown(quoted + "My reply").html
    assert out.startswith("<blockquote>\n<p>Ann wrote:</p>\n<p>first <em>para</em></p>")
    assert out.count("<blockquote>") == 2
    assert out.rstrip().endswith("</blockquote>\n<p>My reply</p>")
    assert_safe(out)


# Property tests

MARKDOWNISH = st.lists(
    st.sampled_from(
        [
            "<", ">", "[", "]", "(", ")", "](", "!", "`", "```", "*", "_", "~~", "|", "-", "#",
            "\n", "\n\n", " ", "\t", "&", "&#106;", "&colon;", "\"", "'", "=", "@", "@bob",
            "javascript:", "data:", "script", "onerror", "style", "hx-get", "img", "a@b.com",
            "http://x.example", "/", "\\", "\x00", "\u202e", "1.", ":", "<!--", "-->",
        ]
    ),  # fmt: skip
    max_size=60,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_renders_safely(source: str) -> None:
    rendered = render_markdown(source)
    assert_safe(rendered.html)
    assert all(MENTION_HREF.fullmatch(f"/u/{handle}") for handle in rendered.mentions)


@settings(max_examples=200, deadline=None)
@given(MARKDOWNISH)
def test_markdown_like_text_renders_safely(source: str) -> None:
    assert_safe(render_markdown(source).html)


@pytest.mark.parametrize(
    "bad",
    [
        "<script>x</script>",
        "<img src=x>",
        '<p onclick="x">a</p>',
        '<p hx-get="/x">a</p>',
        '<p data-x="1">a</p>',
        '<p style="x">a</p>',
        '<p id="x">a</p>',
        '<a href="java\tscript:x" rel="nofollow ugc noopener">a</a>',
        '<a href="https://x.example">no rel</a>',
        '<a href="/admin" class="mention" rel="nofollow ugc noopener">a</a>',
        "<!-- c -->",
    ],
)
def test_the_safety_check_itself_rejects_unsafe_html(bad: str) -> None:
    with pytest.raises(AssertionError):
        assert_safe(bad)
