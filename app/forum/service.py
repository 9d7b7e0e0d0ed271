"""The forum's logic: channels, threads, posts, edits, deletions and reactions."""

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import and_, case, delete, func, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.accounts.models import Member, Organisation, Viewer
from app.accounts.service import Problems
from app.core.config import get_settings
from app.core.i18n import _
from app.core.timeutil import utcnow
from app.forum import policies
from app.forum.markdown import render_markdown
from app.forum.models import (
    Channel,
    ChannelKind,
    Post,
    PostRevision,
    PostStatus,
    Reaction,
    ReactionKind,
    Tag,
    Thread,
    ThreadTag,
    Visibility,
)

PATH_WIDTH = 6  # zero-padded post numbers: up to 999,999 posts per thread
MAX_PATH_DEPTH = 60  # deeper replies attach to their ancestor at this depth
MAX_TAGS = 5
KIND_ORDER = (ChannelKind.pilot, ChannelKind.theme, ChannelKind.safe_space, ChannelKind.general)


@dataclass(frozen=True)
class Page:
    number: int
    count: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.count


def page_of(number: int, total: int, per_page: int) -> Page:
    """Clamp a requested page number into range."""
    count = max(1, -(-total // per_page))
    return Page(number=min(max(1, number), count), count=count)


def slugify(text: str, fallback: str = "thread") -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].rstrip("-")
    return slug or fallback


def parse_tags(text: str) -> list[str]:
    """Comma-separated tags, normalised to slugs, at most MAX_TAGS."""
    tags = [slugify(part, "")[:30].rstrip("-") for part in text.split(",")]
    return list(dict.fromkeys(tag for tag in tags if tag))[:MAX_TAGS]


# Reading ---------------------------------------------------------------------------------------

def readable_channels_query(viewer: Viewer | None):
    query = select(Channel).where(Channel.archived_at.is_(None))
    if viewer is None:
        query = query.where(Channel.visibility == Visibility.public, Channel.is_anonymous.is_(False))
    return query


def channel_by_slug(session: Session, slug: str, viewer: Viewer | None) -> Channel | None:
    """The channel if the viewer may read it (archived channels stay readable)."""
    channel = session.execute(select(Channel).where(Channel.slug == slug)).scalar_one_or_none()
    return channel if channel and policies.can_read_channel(viewer, channel) else None


def pilot_channels(session: Session) -> list[Channel]:
    """Pilot partnerships, for affiliation choices."""
    query = select(Channel).where(Channel.kind == ChannelKind.pilot, Channel.archived_at.is_(None))
    return list(session.execute(query.order_by(Channel.position, Channel.name)).scalars())


def channels_by_ids(session: Session, channel_ids: list[int]) -> list[Channel]:
    if not channel_ids:
        return []
    query = select(Channel).where(Channel.id.in_(channel_ids)).order_by(Channel.position)
    return list(session.execute(query).scalars())


def channel_overview(session: Session, viewer: Viewer | None) -> list[tuple[str, list]]:
    """Readable channels grouped by kind, each with its thread count and last activity."""
    stats = (
        select(Thread.channel_id, func.count().label("thread_count"),
               func.max(Thread.last_activity_at).label("last_activity_at"))
        .group_by(Thread.channel_id)
        .subquery()
    )
    channels = readable_channels_query(viewer).subquery()
    query = (
        select(channels, func.coalesce(stats.c.thread_count, 0).label("thread_count"),
               stats.c.last_activity_at)
        .outerjoin(stats, stats.c.channel_id == channels.c.id)
        .order_by(channels.c.position, channels.c.name)
    )
    rows = session.execute(query).all()
    return [(kind, [row for row in rows if row.kind == kind]) for kind in KIND_ORDER
            if any(row.kind == kind for row in rows)]


def channel_threads(session: Session, channel: Channel, page_number: int) -> tuple[list, Page]:
    """One page of a channel's threads: pinned first, then by last activity."""
    per_page = get_settings().threads_per_page
    total = session.execute(select(func.count()).where(Thread.channel_id == channel.id)).scalar_one()
    page = page_of(page_number, total, per_page)
    query = (
        select(Thread.id, Thread.public_id, Thread.title, Thread.slug, Thread.is_pinned, Thread.is_locked,
               Thread.reply_count, Thread.created_at, Thread.last_activity_at,
               Member.handle.label("author_handle"), Member.display_name.label("author_name"))
        .outerjoin(Member, Member.id == Thread.author_id)
        .where(Thread.channel_id == channel.id)
        .order_by(Thread.is_pinned.desc(), Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(per_page)
        .offset((page.number - 1) * per_page)
    )
    threads = session.execute(query).all()
    return threads, page


def tags_for_threads(session: Session, thread_ids: list[int]) -> dict[int, list[str]]:
    if not thread_ids:
        return {}
    query = (select(ThreadTag.thread_id, Tag.slug).join(Tag, Tag.id == ThreadTag.tag_id)
             .where(ThreadTag.thread_id.in_(thread_ids)).order_by(Tag.slug))
    tags: dict[int, list[str]] = {}
    for thread_id, slug in session.execute(query):
        tags.setdefault(thread_id, []).append(slug)
    return tags


def thread_with_channel(session: Session, public_id: str, viewer: Viewer | None) -> tuple[Thread, Channel] | None:
    """The thread and its channel, if the viewer may read them."""
    row = session.execute(
        select(Thread, Channel).join(Channel, Channel.id == Thread.channel_id).where(Thread.public_id == public_id)
    ).first()
    if row is None or not policies.can_read_channel(viewer, row.Channel):
        return None
    return row.Thread, row.Channel


def post_with_context(session: Session, public_id: str, viewer: Viewer | None) -> tuple[Post, Thread, Channel] | None:
    row = session.execute(
        select(Post, Thread, Channel)
        .join(Thread, Thread.id == Post.thread_id)
        .join(Channel, Channel.id == Thread.channel_id)
        .where(Post.public_id == public_id)
    ).first()
    if row is None or not policies.can_read_channel(viewer, row.Channel):
        return None
    return row.Post, row.Thread, row.Channel


def _post_rows_query():
    parent = aliased(Post)
    return (
        select(Post.id, Post.public_id, Post.thread_id, Post.number, Post.depth, Post.author_id, Post.body_html,
               Post.status, Post.created_at, Post.edited_at, parent.number.label("parent_number"),
               parent.public_id.label("parent_public_id"),
               Member.handle.label("author_handle"), Member.display_name.label("author_name"),
               Organisation.name.label("organisation_name"))
        .outerjoin(parent, parent.id == Post.parent_id)
        .outerjoin(Member, Member.id == Post.author_id)
        .outerjoin(Organisation, Organisation.id == Member.organisation_id)
    )


def thread_posts(session: Session, thread: Thread, page_number: int) -> tuple[list, Page]:
    """One page of the thread's posts in reply-tree order, with their authors."""
    per_page = get_settings().posts_per_page
    page = page_of(page_number, thread.post_count, per_page)
    query = (_post_rows_query().where(Post.thread_id == thread.id).order_by(Post.path)
             .limit(per_page).offset((page.number - 1) * per_page))
    return session.execute(query).all(), page


def post_rows(session: Session, post_ids: list[int]) -> list:
    return session.execute(_post_rows_query().where(Post.id.in_(post_ids)).order_by(Post.path)).all()


def reaction_summary(session: Session, post_ids: list[int], viewer: Viewer | None) -> dict[int, dict]:
    """Per post: count per reaction kind, and which kinds the viewer chose (one query)."""
    summary: dict[int, dict] = {pid: {"counts": {}, "mine": set()} for pid in post_ids}
    if not post_ids:
        return summary
    viewer_id = viewer.id if viewer else -1
    mine = func.sum(case((Reaction.member_id == viewer_id, 1), else_=0))
    query = (select(Reaction.post_id, Reaction.kind, func.count(), mine)
             .where(Reaction.post_id.in_(post_ids)).group_by(Reaction.post_id, Reaction.kind))
    for post_id, kind, count, viewer_count in session.execute(query):
        summary[post_id]["counts"][kind] = count
        if viewer_count:
            summary[post_id]["mine"].add(kind)
    return summary


def page_of_post(session: Session, post: Post) -> int:
    """The thread page on which this post appears."""
    before = session.execute(
        select(func.count()).where(Post.thread_id == post.thread_id, Post.path < post.path)
    ).scalar_one()
    return before // get_settings().posts_per_page + 1


def member_activity(session: Session, member: Member, viewer: Viewer | None, limit: int = 20) -> list:
    """The member's latest published posts in channels the viewer can read; never anonymous ones."""
    channels = readable_channels_query(viewer).where(Channel.is_anonymous.is_(False)).subquery()
    query = (
        select(Post.public_id, Post.number, Post.created_at, Thread.title, Thread.slug, channels.c.name.label("channel_name"),
               channels.c.slug.label("channel_slug"))
        .join(Thread, Thread.id == Post.thread_id)
        .join(channels, channels.c.id == Thread.channel_id)
        .where(Post.author_id == member.id, Post.status == PostStatus.published)
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(limit)
    )
    return session.execute(query).all()


# Writing ---------------------------------------------------------------------------------------

def check_body(body: str, problems: Problems, field: str = "body") -> None:
    limit = get_settings().max_body_length
    if not body.strip():
        problems.add(field, _("Write something before posting."))
    elif len(body) > limit:
        problems.add(field, _("Posts can be at most %(limit)s characters; this one has %(n)s.",
                              limit=f"{limit:,}", n=f"{len(body):,}"))


def check_title(title: str, problems: Problems) -> None:
    limit = get_settings().max_title_length
    if not title.strip():
        problems.add("title", _("Give the thread a title."))
    elif len(title) > limit:
        problems.add("title", _("Titles can be at most %(limit)s characters; this one has %(n)s.",
                                limit=limit, n=len(title)))


def _number_next_post(session: Session, thread_id: int) -> int:
    """Take the next post number; the UPDATE locks the thread row, so concurrent replies queue."""
    statement = (update(Thread).where(Thread.id == thread_id)
                 .values(post_count=Thread.post_count + 1).returning(Thread.post_count))
    return session.execute(statement).scalar_one()


def _add_post(session: Session, thread: Thread, author: Viewer, body: str, parent: Post | None) -> Post:
    number = _number_next_post(session, thread.id)
    segment = f"{number:0{PATH_WIDTH}d}"
    if parent is not None and parent.depth + 1 > MAX_PATH_DEPTH:
        parent = session.get(Post, parent.parent_id) or parent
    path = f"{parent.path}.{segment}" if parent is not None else segment
    rendered = render_markdown(body)
    post = Post(
        thread_id=thread.id, number=number, parent_id=parent.id if parent else None, path=path,
        depth=parent.depth + 1 if parent else 0, author_id=author.id, body_md=body,
        body_html=rendered.html, status=PostStatus.published,
    )
    session.add(post)
    session.flush()
    session.refresh(thread)
    return post


def _set_tags(session: Session, thread: Thread, tags: list[str]) -> None:
    session.execute(delete(ThreadTag).where(ThreadTag.thread_id == thread.id))
    if not tags:
        return
    existing = {t.slug: t for t in session.execute(select(Tag).where(Tag.slug.in_(tags))).scalars()}
    for slug in tags:
        tag = existing.get(slug)
        if tag is None:
            tag = Tag(slug=slug)
            session.add(tag)
            session.flush()
        session.add(ThreadTag(thread_id=thread.id, tag_id=tag.id))
    session.flush()


def start_thread(
    session: Session, *, channel: Channel, author: Viewer, title: str, body: str, tags: str = ""
) -> tuple[Thread | None, Problems]:
    """Open a thread with its first post, or say what is wrong with the input."""
    problems = Problems()
    if not policies.can_start_thread(author, channel):
        problems.add("title", _("You cannot start threads in this channel."))
    check_title(title, problems)
    check_body(body, problems)
    if problems:
        return None, problems
    now = utcnow()
    thread = Thread(channel_id=channel.id, title=" ".join(title.split()), slug=slugify(title),
                    author_id=author.id, created_at=now, last_activity_at=now)
    session.add(thread)
    session.flush()
    _add_post(session, thread, author, body, parent=None)
    _set_tags(session, thread, parse_tags(tags))
    return thread, problems


def reply_to_thread(
    session: Session, *, thread: Thread, channel: Channel, author: Viewer, body: str, parent_id: str | None = None
) -> tuple[Post | None, Problems]:
    """Add a reply to the thread, or to one of its posts (``parent_id`` is the post's public id)."""
    problems = Problems()
    if not policies.can_reply(author, channel, thread.is_locked):
        problems.add("body", _("This thread is locked: no new replies."))
    check_body(body, problems)
    parent = None
    if parent_id:
        parent = session.execute(select(Post).where(Post.public_id == parent_id)).scalar_one_or_none()
        if parent is None or parent.thread_id != thread.id:
            problems.add("body", _("The post you were answering is no longer in this thread."))
    if problems:
        return None, problems
    post = _add_post(session, thread, author, body, parent)
    thread.reply_count += 1
    thread.last_activity_at = post.created_at
    session.add(thread)
    session.flush()
    return post, problems


def edit_post(
    session: Session, *, post: Post, thread: Thread, editor: Viewer, body: str, title: str | None = None
) -> Problems:
    """Change a post's body (and the thread title for post 1), keeping the old text as a revision."""
    problems = Problems()
    if not policies.can_edit_post(editor, post):
        problems.add("body", _("You can only edit your own posts."))
    check_body(body, problems)
    if title is not None and post.number == 1:
        check_title(title, problems)
    if problems:
        return problems
    if body != post.body_md:
        session.add(PostRevision(post_id=post.id, body_md=post.body_md, created_at=post.edited_at or post.created_at))
        post.body_md = body
        post.body_html = render_markdown(body).html
        post.edited_at = utcnow()
        session.add(post)
    if title is not None and post.number == 1 and " ".join(title.split()) != thread.title:
        thread.title = " ".join(title.split())
        thread.slug = slugify(thread.title)
        session.add(thread)
    session.flush()
    return problems


def delete_post(session: Session, *, post: Post, thread: Thread) -> None:
    """Leave a tombstone: the text and its revisions go, the place in the thread stays."""
    was_published = post.status == PostStatus.published
    post.status = PostStatus.deleted
    post.body_md = ""
    post.body_html = ""
    post.edited_at = utcnow()
    session.add(post)
    session.execute(delete(PostRevision).where(PostRevision.post_id == post.id))
    session.execute(delete(Reaction).where(Reaction.post_id == post.id))
    if was_published and post.number > 1:
        thread.reply_count = max(0, thread.reply_count - 1)
        session.add(thread)
    session.flush()


def set_reaction(session: Session, *, post: Post, member: Viewer, kind: str, on: bool) -> None:
    """Give or take back a reaction; repeating either (a double submit) changes nothing."""
    if kind not in ReactionKind.__members__ or not policies.can_react(member, post):
        return
    key = and_(Reaction.post_id == post.id, Reaction.member_id == member.id, Reaction.kind == kind)
    exists = session.execute(select(func.count()).where(key)).scalar_one()
    if on and not exists:
        session.add(Reaction(post_id=post.id, member_id=member.id, kind=kind))
    elif not on and exists:
        session.execute(delete(Reaction).where(key))
    session.flush()


def revisions_of(session: Session, post: Post) -> list[PostRevision]:
    query = select(PostRevision).where(PostRevision.post_id == post.id).order_by(PostRevision.id.desc())
    return list(session.execute(query).scalars())
