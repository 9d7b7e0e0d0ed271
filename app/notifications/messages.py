"""What a notification says, put into words when it is shown, in the reader's language.

A notification stores an event and its values; the sentence is made here, so a moderator writing in
one language tells a member reading in another, and a thread's title is never part of the sentence
(the page links it beside it).
"""

from datetime import datetime

from app.core.i18n import _
from app.core.templating import date_text


def who(values: dict) -> str:
    """The writer as readers see them: a pseudonym in the safe space, else a display name."""
    if values.get("letter"):
        return _("Participant %(letter)s", letter=values["letter"])
    return values.get("who") or _("A former member")


def _where(values: dict) -> str:
    scope = values.get("scope")
    if scope == "site":
        return _("in every channel but the safe space")
    if scope == "channel":
        return _("in %(channel)s", channel=values.get("channel", ""))
    return _("in the safe space")


def _until(values: dict) -> str:
    until = values.get("until")
    return date_text(datetime.fromisoformat(until)) if until else _("a moderator lifts it")


_SENTENCES = {
    "reply": lambda v: _("%(who)s replied to you", who=who(v)),
    "mention": lambda v: _("%(who)s mentioned you", who=who(v)),
    "watched_reply": lambda v: _("%(who)s posted in a thread you watch", who=who(v)),
    "watched_thread": lambda v: _("%(who)s started a thread in a channel you watch", who=who(v)),
    "hidden": lambda v: _("A moderator hid your post: %(reason)s", reason=v.get("reason", "")),
    "restored": lambda v: _("A moderator restored your post."),
    "approved": lambda v: _("A moderator approved your post."),
    "edited": lambda v: _("A moderator edited your post: %(reason)s", reason=v.get("reason", "")),
    "warned": lambda v: _("A moderator warned you about this post: %(reason)s", reason=v.get("reason", "")),
    "suspended": lambda v: _("A moderator suspended you from posting %(where)s until %(day)s: %(reason)s",
                             where=_where(v), day=_until(v), reason=v.get("reason", "")),
    "suspension_lifted": lambda v: _("A moderator lifted your suspension: you can post again."),
    "warning_withdrawn": lambda v: _("A moderator withdrew their warning."),
    "report_hidden": lambda v: _("Thank you: a moderator reviewed your report and hid the post."),
    "report_dismissed": lambda v: _("Thank you: a moderator reviewed your report and left the post as it is."),
    "report_sanctioned": lambda v: _("Thank you: a moderator reviewed your report and acted on it."),
    "said": lambda v: v.get("text", ""),  # written before events were stored (migration 0010)
}
EVENTS = frozenset(_SENTENCES)


def sentence(event: str, values: dict) -> str:
    """The notification in the reader's language (an event this version does not know says nothing)."""
    describe = _SENTENCES.get(event)
    return describe(values) if describe else ""
