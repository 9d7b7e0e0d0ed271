"""Moderators mark threads and posts as key learnings, change and unmark them (app.learning keeps
them); each change is a line in the moderation log."""

from sqlmodel import Session

from app.core.i18n import _
from app.core.problems import Problems
from app.forum import policies
from app.forum.models import Channel, Post, Thread
from app.learning import service as learning
from app.learning.models import KeyLearning
from app.moderation.log import record
from app.moderation.models import ActionKind
from app.moderation.threads import MAX_REASON


def mark(session: Session, *, moderator, post: Post, thread: Thread, channel: Channel,
         marking: learning.Marking) -> tuple[KeyLearning | None, Problems]:
    """Mark the post (post 1: its thread) as a key learning, or change its mark."""
    if not policies.can_moderate(moderator, channel):
        problems = Problems()
        problems.add("summary", _("You moderate other channels, not %(channel)s.", channel=channel.name))
        return None, problems
    key_learning, created, problems = learning.save(session, post=post, thread=thread, channel=channel,
                                                    marking=marking)
    if key_learning is not None:
        action = ActionKind.mark_key_learning if created else ActionKind.edit_key_learning
        record(session, action=action, moderator=moderator, channel=channel, thread=thread,
               post=None if post.number == 1 else post)
    return key_learning, problems


def unmark(session: Session, *, moderator, key_learning: KeyLearning, post: Post, thread: Thread, channel: Channel,
           reason: str = "") -> Problems:
    """Take the mark away: the library no longer lists it; the log keeps that it was."""
    problems = Problems()
    if len(reason) > MAX_REASON:
        problems.add("reason", _("Keep the reason to at most %(n)s characters.", n=MAX_REASON))
    if not policies.can_moderate(moderator, channel):
        problems.add("reason", _("You moderate other channels, not %(channel)s.", channel=channel.name))
    if problems:
        return problems
    learning.remove(session, key_learning)
    record(session, action=ActionKind.unmark_key_learning, moderator=moderator, channel=channel, thread=thread,
           post=None if post.number == 1 else post, reason=reason)
    return problems
