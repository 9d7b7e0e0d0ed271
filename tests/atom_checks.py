"""What every Atom feed of ours must hold (RFC 4287), checked on the parsed XML."""

from datetime import datetime

A = "{http://www.w3.org/2005/Atom}"


def required(root) -> None:
    """RFC 4287: a feed has id, title, updated and an author (or each entry does); each entry id,
    title, updated and a link; times are RFC 3339."""
    for tag in ("id", "title", "updated"):
        assert root.find(A + tag) is not None and root.find(A + tag).text
    assert root.find(f"{A}author/{A}name").text
    assert root.find(f"{A}link[@rel='self']") is not None
    datetime.fromisoformat(root.find(A + "updated").text)
    for entry in root.findall(A + "entry"):
        for tag in ("id", "title", "updated", "published", "summary"):
            assert entry.find(A + tag) is not None and entry.find(A + tag).text, tag
        assert entry.find(f"{A}link[@rel='alternate']").get("href").startswith("http")
        datetime.fromisoformat(entry.find(A + "updated").text)
