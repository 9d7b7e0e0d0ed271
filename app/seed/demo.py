"""Load the demo content into an empty database, through the same services the site uses."""

import secrets
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlmodel import Session

from app.accounts import service as accounts_service
from app.accounts.models import Member, Viewer
from app.accounts.service import ProfileInput
from app.core.timeutil import utcnow
from app.forum import lifecycle, posting
from app.forum.models import Channel, ChannelKind, Post, Thread, Visibility
from app.learning import service as learning
from app.learning.models import KeyLearning
from app.moderation import learnings
from app.moderation.models import ModerationAction
from app.safespace import service as safespace
from app.seed import demo_content as content


def is_empty(session: Session) -> bool:
    return session.execute(select(func.count()).select_from(Member)).scalar_one() == 0


def seed_demo(session: Session) -> list[tuple[str, str, str]]:
    """Create channels, members and threads; return (role, email, password) for each demo account."""
    channels = _seed_channels(session)
    kinds = {org.name: org.kind for org in content.ORGANISATIONS}
    members: dict[str, Member] = {}
    accounts = []
    for index, seed in enumerate(content.MEMBERS):
        password = secrets.token_urlsafe(12)
        profile = ProfileInput(
            display_name=seed.display_name, bio=seed.bio, organisation_name=seed.organisation,
            organisation_kind=kinds.get(seed.organisation, "other"),
            pilot_ids=tuple(channels[slug].id for slug in seed.pilots),
        )
        members[seed.handle] = accounts_service.create_member(
            session, email=f"{seed.handle}@example.org", handle=seed.handle, password=password,
            profile=profile, role=seed.role,
        )
        # Established accounts, so the safe space's new-account rule does not hold the demo back.
        members[seed.handle].created_at = utcnow() - timedelta(days=400 - 20 * index)
        accounts.append((seed.role, f"{seed.handle}@example.org", password))
    for seed in content.THREADS:
        _seed_thread(session, seed, channels[seed.channel], members)
    for seed in content.KEY_LEARNINGS:
        _seed_key_learning(session, seed, members["moderator"])
    session.flush()
    return accounts


def _seed_channels(session: Session) -> dict[str, Channel]:
    channels = {}
    for position, seed in enumerate(content.CHANNELS):
        anonymous = seed.kind == ChannelKind.safe_space
        channel = Channel(
            slug=seed.slug, name=seed.name, description=seed.description, kind=seed.kind,
            visibility=Visibility.members if anonymous else seed.visibility, is_anonymous=anonymous,
            position=position,
        )
        session.add(channel)
        channels[seed.slug] = channel
    session.flush()
    return channels


def _seed_thread(session: Session, seed, channel: Channel, members: dict[str, Member]) -> None:
    opened = utcnow().replace(microsecond=0) - timedelta(days=seed.days_ago)
    when = safespace.day_only if channel.is_anonymous else (lambda moment: moment)
    thread, problems = posting.start_thread(
        session, channel=channel, author=members[seed.author], title=seed.title, body=seed.body,
        tags=",".join(seed.tags), confirmed_guidelines=True,
    )
    assert thread is not None, problems.fields
    lifecycle.release_everything(session)  # the demo's history is published, not waiting for a release
    posts = [_post_number(session, thread, 1)]
    _backdate(session, posts[0], when(opened))
    for handle, kind in seed.reactions:
        posting.set_reaction(session, post=posts[0], member=members[handle], kind=kind, on=True)
    last = opened
    for reply in seed.replies:
        parent = None if reply.reply_to is None else posts[reply.reply_to + 1]
        post, problems = posting.reply_to_thread(
            session, thread=thread, channel=channel, author=members[reply.author], body=reply.body,
            parent_id=parent.public_id if parent else None, confirmed_guidelines=True,
        )
        assert post is not None, problems.fields
        lifecycle.release_everything(session)
        session.refresh(post)
        last = opened + timedelta(hours=reply.hours_after)
        _backdate(session, post, when(last))
        posts.append(post)
        for handle, kind in reply.reactions:
            posting.set_reaction(session, post=post, member=members[handle], kind=kind, on=True)
    session.execute(update(Thread).where(Thread.id == thread.id)
                    .values(created_at=when(opened), last_activity_at=when(last)))


def _seed_key_learning(session: Session, seed, moderator: Member) -> None:
    thread = session.execute(select(Thread).where(Thread.title == seed.thread)).scalar_one()
    channel = session.get(Channel, thread.channel_id)
    marking = learning.Marking(summary=seed.summary, others_could_try=seed.others_could_try, concerns=seed.concerns,
                               confirmed=True)
    key_learning, problems = learnings.mark(
        session, moderator=Viewer.of(moderator), post=_post_number(session, thread, seed.post), thread=thread,
        channel=channel, marking=marking)
    assert key_learning is not None, problems.fields
    marked = thread.created_at + timedelta(days=seed.days_after)
    session.execute(update(KeyLearning).where(KeyLearning.id == key_learning.id)
                    .values(marked_at=marked, updated_at=marked))
    line = session.execute(select(ModerationAction).order_by(ModerationAction.id.desc()).limit(1)).scalar_one()
    line.created_at = safespace.day_only(marked) if channel.is_anonymous else marked  # as the log keeps it
    session.add(line)


def _post_number(session: Session, thread: Thread, number: int) -> Post:
    return session.execute(select(Post).where(Post.thread_id == thread.id, Post.number == number)).scalar_one()


def _backdate(session: Session, post: Post, moment) -> None:
    post.created_at = moment
    session.add(post)
    session.flush()
