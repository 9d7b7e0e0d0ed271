"""Key learnings: saving a moderator's mark (app.moderation calls these and writes the log), keeping
lesson posts' parts and the learnings' search rows as posts change.

A key learning is in the library for a reader while the post it came from is published, in a listed
thread of a channel they may read: app.forum.visibility's published rule, read in app.learning.library.
"""

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlmodel import Session

from app.accounts.models import Member, MemberStatus, Organisation
from app.core.i18n import _
from app.core.problems import Problems
from app.core.timeutil import utcnow
from app.forum import lessons, lifecycle, visibility
from app.forum.markdown import one_line, plain_text
from app.forum.models import Channel, ChannelKind, Post, PostStatus, Thread
from app.learning.models import MAX_OTHERS_COULD_TRY, MAX_SUMMARY, KeyLearning, KeyLearningChannel, Lesson
from app.search import service as search

CONCERN_KINDS = (ChannelKind.pilot, ChannelKind.theme)


def concern_channels(session: Session, reader: visibility.Audience | None = None) -> list[Channel]:
    """The pilots, then the themes, that key learnings can concern (archived ones too: a learning
    outlives them); with ``reader``, only those whose channel they may read (a members-only theme's
    name is not a visitor's to see)."""
    query = select(Channel).where(Channel.kind.in_(CONCERN_KINDS))
    if reader is not None:
        query = query.where(visibility.channel_filter(reader, Channel))
    channels = session.execute(query.order_by(Channel.position, Channel.name)).scalars().all()
    return sorted(channels, key=lambda channel: CONCERN_KINDS.index(channel.kind))


def learning_on(session: Session, post: Post) -> KeyLearning | None:
    """The key learning this post holds (a thread's is held by its opening post)."""
    return session.execute(select(KeyLearning).where(KeyLearning.post_id == post.id)).scalar_one_or_none()


def learning_by_public_id(session: Session, public_id: str) -> KeyLearning | None:
    return session.execute(select(KeyLearning).where(KeyLearning.public_id == public_id)).scalar_one_or_none()


def concern_slugs(session: Session, key_learning: KeyLearning) -> list[str]:
    query = (select(Channel.slug).join(KeyLearningChannel, KeyLearningChannel.channel_id == Channel.id)
             .where(KeyLearningChannel.key_learning_id == key_learning.id))
    return list(session.execute(query).scalars())


def can_be_marked(post: Post, thread: Thread) -> bool:
    """Only what its channel's readers can read now: a published post of a listed thread."""
    return visibility.can_read_body(visibility.VISITOR, post, own=False) and not thread.is_pending


@dataclass(frozen=True)
class Marking:
    """What a moderator wrote for a key learning."""

    summary: str = ""
    others_could_try: str = ""
    concerns: tuple[str, ...] = ()  # slugs of pilots and themes
    confirmed: bool = False  # the moderator read the warning about identifying detail and goes ahead


# What could tell readers who wrote a safe-space post, if a summary quoted it.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\w)(?:\+44\s?|0)\d(?:[\s-]?\d){8,9}(?!\w)")
_LINK = re.compile(r"\b(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:uk|com|org|net|gov|ac|co|io|scot|wales|cymru)\b",
                   re.I)
_HANDLE = re.compile(r"(?<![\w@])@[a-z0-9_-]{3,30}\b", re.I)
_PLACE_WORDS = re.compile(r"\s+(?:valleys\s+)?partnership$", re.I)


def _names(session: Session) -> list[str]:
    """What could name a member, their organisation or a pilot: display names and their parts, handles
    that are no ordinary word, organisations of members (not of sign-ups still waiting), and pilots'
    names with and without "Partnership"."""
    members = session.execute(select(Member.display_name, Member.handle, Organisation.name)
                              .outerjoin(Organisation, Organisation.id == Member.organisation_id)
                              .where(Member.status != MemberStatus.pending)).all()
    names = []
    for display_name, handle, organisation in members:
        names += [display_name, *display_name.replace("-", " ").split(), organisation or ""]
        if not handle.isalpha():
            names.append(handle)
    for pilot in session.execute(select(Channel.name).where(Channel.kind == ChannelKind.pilot)).scalars():
        place = _PLACE_WORDS.sub("", pilot)
        names += [pilot, place, place.split()[0]]
    return [name for name in dict.fromkeys(names) if len(name) >= 4]


def _fold(text: str) -> str:
    """Lower case without accents, so that "Sian" finds "Siân"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def identifying_details(session: Session, text: str) -> list[str]:
    """Names of members, organisations and pilots, and addresses, numbers and handles, found in ``text``."""
    found = [match.group(0) for pattern in (_EMAIL, _PHONE, _LINK, _HANDLE) for match in pattern.finditer(text)]
    folded = _fold(text)
    found += [name for name in _names(session) if re.search(rf"(?<!\w){re.escape(_fold(name))}(?!\w)", folded)]
    return list(dict.fromkeys(found))


def check_marking(session: Session, marking: Marking, channel: Channel, problems: Problems) -> list[Channel]:
    """The pilots and themes chosen, once the marking is checked (problems say what is wrong)."""
    summary = one_line(marking.summary)
    if not summary:
        problems.add("summary", _("Write a short summary of what was learned."))
    elif len(summary) > MAX_SUMMARY:
        problems.add("summary", _("Keep the summary to %(limit)s characters; it has %(n)s.", limit=MAX_SUMMARY,
                                  n=len(summary)))
    chosen = [channel for channel in concern_channels(session) if channel.slug in marking.concerns]
    if not chosen or len(chosen) != len(set(marking.concerns)):
        problems.add("concerns", _("Choose the pilots and themes it concerns (at least one)."))
    others = one_line(marking.others_could_try)
    if len(others) > MAX_OTHERS_COULD_TRY:
        problems.add("others_could_try", _("Keep “what others could try” to %(limit)s characters; it has %(n)s.",
                                           limit=MAX_OTHERS_COULD_TRY, n=len(others)))
    if channel.is_anonymous and not marking.confirmed and not problems:
        details = identifying_details(session, f"{marking.summary}\n{marking.others_could_try}")
        pilots = [row.name for row in chosen if row.kind == ChannelKind.pilot]
        if details or pilots:
            problems.add("confirm", " ".join(filter(None, [
                _("This comes from the safe space, where nobody may learn who wrote it."),
                _("What you wrote mentions %(details)s: take out anything that could point to a person or an "
                  "organisation.", details=", ".join(details)) if details else "",
                _("Naming a pilot (%(pilots)s) tells readers which partnership it came from.",
                  pilots=", ".join(pilots)) if pilots else "",
                _("Change it, or tick the box to save it as it is.")])))
    return chosen


def save(session: Session, *, post: Post, thread: Thread, channel: Channel,
         marking: Marking) -> tuple[KeyLearning | None, bool, Problems]:
    """Mark the post (post 1: its thread) as a key learning, or change its mark.
    Returns the key learning, whether it is new, and what is wrong with the marking."""
    problems = Problems()
    if not can_be_marked(post, thread):
        problems.add("summary", _("Only a published post can be a key learning."))
        return None, False, problems
    chosen = check_marking(session, marking, channel, problems)
    if problems:
        return None, False, problems
    key_learning = learning_on(session, post)
    created = key_learning is None
    if created:
        key_learning = KeyLearning(post_id=post.id, summary="")
    key_learning.summary = one_line(marking.summary)
    key_learning.others_could_try = one_line(marking.others_could_try)
    key_learning.updated_at = utcnow()
    session.add(key_learning)
    session.flush()
    session.execute(delete(KeyLearningChannel).where(KeyLearningChannel.key_learning_id == key_learning.id))
    session.add_all([KeyLearningChannel(key_learning_id=key_learning.id, channel_id=row.id) for row in chosen])
    session.flush()
    _index(session, key_learning, post, thread)
    return key_learning, created, problems


def remove(session: Session, key_learning: KeyLearning) -> None:
    """Unmark: the key learning leaves the library (the moderation log keeps that it was)."""
    search.forget_learning(session, key_learning.id)
    session.delete(key_learning)
    session.flush()


def _index(session: Session, key_learning: KeyLearning, post: Post, thread: Thread) -> None:
    """The summary apart (it is shown with the words found marked), the rest as the body."""
    search.index_learning(session, key_learning_id=key_learning.id, summary=key_learning.summary,
                          body=f"{key_learning.others_could_try} {thread.title} {plain_text(post.body_html)}")


# Following the posts --------------------------------------------------------------------------------

@lifecycle.published.connect
@lifecycle.changed.connect
def follow_words(session: Session, *, post: Post, thread: Thread, channel: Channel) -> None:
    """Keep a lesson post's parts, and the search rows of key learnings in the thread (its title is
    in each), as the post's words change."""
    parts = lessons.parts(post.body_md)
    lesson = session.get(Lesson, post.id)
    if parts is None and lesson is not None:
        session.delete(lesson)
    elif parts is not None:
        lesson = lesson or Lesson(post_id=post.id)
        for part, text in parts.items():
            setattr(lesson, part, text)
        session.add(lesson)
    session.flush()
    where = Post.thread_id == thread.id if post.number == 1 else Post.id == post.id
    marked = session.execute(select(KeyLearning, Post).join(Post, Post.id == KeyLearning.post_id).where(where)).all()
    for key_learning, marked_post in marked:
        _index(session, key_learning, marked_post, thread)


@lifecycle.removed.connect
def forget_words(session: Session, *, post: Post) -> None:
    """A deleted post keeps no parts, and its words leave its key learning's search row (the key
    learning leaves the library with them: its post is no longer published)."""
    session.execute(delete(Lesson).where(Lesson.post_id == post.id))
    key_learning = learning_on(session, post)
    if key_learning is not None:
        _index(session, key_learning, post, session.get(Thread, post.thread_id))


@lifecycle.erasing.connect
def forget_learnings(session: Session, *, post_ids: list[int], thread_id: int | None) -> None:
    """Erased posts take their key learnings with them (the rows go by cascade; the search rows here)."""
    for key_learning_id in session.execute(select(KeyLearning.id).where(KeyLearning.post_id.in_(post_ids))).scalars():
        search.forget_learning(session, key_learning_id)


def rebuild_lessons(session: Session) -> int:
    """Store the parts of every released lesson post again (``forum lessons-rebuild``); returns how many."""
    session.execute(delete(Lesson))
    posts = session.execute(select(Post.id, Post.body_md).where(
        visibility.RELEASED.sql({"post": Post}), Post.status != PostStatus.deleted)).all()
    stored = [Lesson(post_id=post_id, **parts) for post_id, body in posts if (parts := lessons.parts(body))]
    session.add_all(stored)
    session.flush()
    return len(stored)
