"""Moderation of posts: hide, restore, approve and edit them; warn or suspend "the author of this post".

State changes go through app.forum.lifecycle; this module adds the reasons, the log, the reports'
outcome and the notices.
"""

from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.accounts.models import Member
from app.core.i18n import _
from app.core.problems import Problems
from app.core.templating import date_text
from app.core.timeutil import utcnow
from app.forum import lifecycle, policies, posting, visibility
from app.forum.markdown import one_line, render_markdown
from app.forum.models import Channel, Post, PostStatus, Thread
from app.moderation import reports
from app.moderation.log import record, sanction_line
from app.moderation.models import ActionKind, ModerationAction, ReportOutcome, Sanction, SanctionKind, SanctionScope
from app.notifications import service as notifications
from app.safespace import service as safespace

MAX_SUSPENSION_DAYS = 365


def tell_author(session: Session, post: Post, event: str, **values) -> None:
    """Tell a post's author what a moderator did (notifications.messages words it for them)."""
    author_id = safespace.author_id_of(post)
    if author_id is not None:
        notifications.notify(session, member_id=author_id, kind=notifications.MODERATION, event=event,
                             post=post, values=values, sealed=post.seal is not None)


def _check_reason(reason: str, problems: Problems) -> None:
    if not reason.strip():
        problems.add("reason", _("Give a reason: it goes in the moderation log."))
    elif len(reason) > 500:
        problems.add("reason", _("Keep the reason to at most 500 characters."))


ALREADY_DONE = "already"  # the Problems field of an action another moderator took first


def already_done(problems: Problems) -> None:
    problems.add(ALREADY_DONE, _("Another moderator has dealt with this already: nothing has changed."))


def hide_post(session: Session, *, post: Post, thread: Thread, channel: Channel, moderator, reason: str) -> Problems:
    """Hide the post with a reason its author is told; its open reports are resolved as hidden."""
    problems = Problems()
    _check_reason(reason, problems)
    if problems:
        return problems
    if not lifecycle.hide(session, post=post, thread=thread, reason=reason.strip()):
        already_done(problems)
        return problems
    record(session, action=ActionKind.hide_post, moderator=moderator, channel=channel, post=post, reason=reason)
    reports.resolve(session, post=post, moderator=moderator, outcome=ReportOutcome.hidden)
    tell_author(session, post, "hidden", reason=reason.strip())
    return problems


def restore_post(session: Session, *, post: Post, thread: Thread, channel: Channel, moderator,
                 reason: str) -> Problems:
    problems = Problems()
    _check_reason(reason, problems)
    if problems:
        return problems
    if not lifecycle.restore(session, post=post, thread=thread):
        already_done(problems)
        return problems
    record(session, action=ActionKind.restore_post, moderator=moderator, channel=channel, post=post, reason=reason)
    tell_author(session, post, "restored")
    return problems


def approve_post(session: Session, *, post: Post, thread: Thread, channel: Channel, moderator) -> Problems:
    """Let a held post through (it joins the safe space's next release, or is published now). Not a
    moderator's own post: held like anyone's, it waits for another moderator."""
    problems = Problems()
    if policies.is_own_post(moderator, post):
        problems.add("post", _("You cannot approve your own post: another moderator will."))
    elif not lifecycle.approve(session, post=post, thread=thread, channel=channel):
        already_done(problems)
    if problems:
        return problems
    record(session, action=ActionKind.approve_post, moderator=moderator, channel=channel, post=post)
    tell_author(session, post, "approved")
    return problems


def sanction_author(session: Session, *, post: Post, channel: Channel, moderator, kind: str, scope: str,
                    days: str, reason: str) -> Problems:
    """Warn or suspend whoever wrote this post (from this channel or every one; no ``days``: until
    lifted), without the moderator learning who that is. Its open reports are resolved.

    Through an anonymous post only from anonymous channels: a suspension from every channel would let
    a moderator watch which named member fell silent."""
    problems = Problems()
    if kind not in SanctionKind.__members__:
        problems.add("kind", _("Choose a warning or a suspension."))
    if scope not in SanctionScope.__members__:
        problems.add("scope", _("Choose where the suspension applies."))
    elif channel.is_anonymous and scope != SanctionScope.safe_space:
        problems.add("scope", _("The author of an anonymous post can be suspended from the safe space only."))
    elif not channel.is_anonymous and scope == SanctionScope.safe_space:
        problems.add("scope", _("Choose this channel or every channel."))
    elif scope == SanctionScope.site and not policies.can_moderate(moderator):
        problems.add("scope", _("Only a moderator of every channel can suspend from every channel."))
    expires_at = _expiry(kind, days, problems)
    _check_reason(reason, problems)  # last, as the reason comes last in the form
    author_id = safespace.author_id_of(post)
    if author_id is None:
        problems.add("kind", _("This post's author can no longer be reached."))
    elif policies.is_own_post(moderator, post):  # they know their own posts: this tells them nothing
        problems.add("kind", _("This is your own post: another moderator can warn or suspend you."))
    if problems:
        return problems
    # Two moderators at once: the second waits on the thread's lock, then finds the first's sanction.
    lifecycle.refresh_for_update(session, session.get(Thread, post.thread_id))
    if _in_force(session, post, kind):  # the same form sent twice, or a second moderator
        problems.add(ALREADY_DONE, _("The author already has a warning for this post: nothing has changed.")
                     if kind == SanctionKind.warning else
                     _("The author is already suspended for this post: nothing has changed."))
        return problems
    sanction = Sanction(sealed_member=safespace.seal_author(author_id), kind=kind, scope=scope,
                        channel_id=channel.id, reason=reason.strip(), post_id=post.id,
                        created_by_id=moderator.id, expires_at=expires_at)
    session.add(sanction)
    session.flush()
    action = ActionKind.warn_author if kind == SanctionKind.warning else ActionKind.suspend_author
    record(session, action=action, moderator=moderator, channel=channel, post=post, sanction=sanction, reason=reason,
           detail=_until(expires_at) if kind == SanctionKind.suspension else "")
    reports.resolve(session, post=post, moderator=moderator, outcome=ReportOutcome.sanctioned)
    if kind == SanctionKind.warning:
        tell_author(session, post, "warned", reason=reason.strip())
    else:
        tell_author(session, post, "suspended", scope=scope, channel=channel.name, reason=reason.strip(),
                    until=expires_at.isoformat() if expires_at else "")
    return problems


def _expiry(kind: str, days: str, problems: Problems):
    """When a suspension of ``days`` days ends (None: when lifted, or a warning)."""
    days = days.strip()
    if kind != SanctionKind.suspension or not days:
        return None
    if not (days.isascii() and days.isdigit() and len(days) < 5) or not 1 <= int(days) <= MAX_SUSPENSION_DAYS:
        problems.add("days", _("Enter a number of days from 1 to %(max)s, or leave it empty.", max=MAX_SUSPENSION_DAYS))
        return None
    return utcnow() + timedelta(days=int(days))


def suspend_member(session: Session, *, member: Member, moderator, channel: Channel | None, days: str,
                   reason: str) -> Problems:
    """An admin suspends a named member from posting in one channel or (no channel) every named one. They
    can still sign in, read, and export their data. The log's line is staff-only: members see that a
    member was suspended, not who."""
    problems = Problems()
    if member.id == moderator.id:
        problems.add("reason", _("You cannot suspend yourself."))
    expires_at = _expiry(SanctionKind.suspension, days, problems)
    _check_reason(reason, problems)
    if problems:
        return problems
    scope = SanctionScope.channel if channel is not None else SanctionScope.site
    sanction = Sanction(sealed_member=safespace.seal_author(member.id), kind=SanctionKind.suspension, scope=scope,
                        channel_id=channel.id if channel else None, reason=reason.strip(),
                        created_by_id=moderator.id, expires_at=expires_at)
    session.add(sanction)
    session.flush()
    record(session, action=ActionKind.suspend_member, moderator=moderator, channel=channel, sanction=sanction,
           reason=reason, detail=f"@{member.handle}, " + (_("until %(day)s", day=date_text(expires_at)) if expires_at
                                                          else _("until lifted")), staff_only=True)
    return problems


def member_suspensions(session: Session, member_ids: list[int]) -> dict[int, list[Sanction]]:
    """The suspensions in force of each of these named members that has any, oldest first, for the
    admin's pages. Never one from the safe space: naming its member would tell who wrote the post it
    came through."""
    now = utcnow()
    query = (select(Sanction).where(Sanction.kind == SanctionKind.suspension, Sanction.revoked_at.is_(None),
                                    or_(Sanction.expires_at.is_(None), Sanction.expires_at > now))
             .order_by(Sanction.id))
    wanted, found = set(member_ids), {}
    for sanction in session.execute(query).scalars():
        member_id = safespace.unseal_author(sanction.sealed_member)
        if member_id in wanted and sanction.scope != SanctionScope.safe_space:
            found.setdefault(member_id, []).append(sanction)
    return found


def _until(expires_at) -> str:
    return date_text(expires_at) if expires_at else _("a moderator lifts it")


def _in_force(session: Session, post: Post, kind: str) -> bool:
    """Whether this post's author has this kind of sanction for it already. One given before the post's
    release does not count: saying so would tell that the published post was once held."""
    now = utcnow()
    unseen = (select(ModerationAction.id)
              .where(ModerationAction.sanction_id == Sanction.id, ModerationAction.withheld.is_(True)).exists())
    return session.execute(
        select(Sanction.id).where(Sanction.post_id == post.id, Sanction.kind == kind, Sanction.revoked_at.is_(None),
                                  or_(Sanction.expires_at.is_(None), Sanction.expires_at > now), ~unseen).limit(1)
    ).first() is not None


def lift_sanction(session: Session, *, sanction: Sanction, channel: Channel, moderator, reason: str) -> Problems:
    """End a warning or suspension early; its member is told (sealed, when it came through an anonymous post)."""
    problems = Problems()
    if len(reason) > 500:
        problems.add("reason", _("Keep the reason to at most 500 characters."))
        return problems
    if session.execute(update(Sanction).where(Sanction.id == sanction.id, Sanction.revoked_at.is_(None))
                       .values(revoked_at=utcnow())).rowcount == 0:
        already_done(problems)
        return problems
    post = session.get(Post, sanction.post_id) if sanction.post_id else None
    given = sanction_line(session, sanction.id)  # its lifting is told as much as its giving was
    record(session, action=ActionKind.lift_sanction, moderator=moderator, channel=channel, post=post,
           sanction=sanction, reason=reason, withheld=given.withheld if given else None,
           staff_only=given.is_staff_only if given else False)
    if post is not None:
        tell_author(session, post, "suspension_lifted" if sanction.kind == SanctionKind.suspension
                    else "warning_withdrawn")
    return problems


def sanction_by_public_id(session: Session, public_id: str) -> Sanction | None:
    return session.execute(select(Sanction).where(Sanction.public_id == public_id)).scalar_one_or_none()


def active_sanctions(session: Session, viewer) -> list:
    """Warnings and suspensions still in force, in the channels the viewer moderates, newest first.
    Each names the post it came through, never its member (nor the post, if it was not yet published
    then: the list would tell which published posts were held)."""
    now = utcnow()
    moderator = aliased(Member)
    given = (select(ModerationAction.withheld).where(ModerationAction.sanction_id == Sanction.id,
                                                     ModerationAction.action != ActionKind.lift_sanction)
             .limit(1).correlate(Sanction).scalar_subquery())
    query = (
        select(Sanction.public_id, Sanction.kind, given.label("before_release"), Sanction.scope, Sanction.reason,
               Sanction.created_at, Sanction.expires_at,
               Channel.name.label("channel_name"), Channel.is_anonymous, Post.public_id.label("post_public_id"),
               Post.number, moderator.display_name.label("moderator_name"))
        .join(moderator, moderator.id == Sanction.created_by_id)
        .outerjoin(Channel, Channel.id == Sanction.channel_id)
        .outerjoin(Post, Post.id == Sanction.post_id)
        .where(Sanction.revoked_at.is_(None), or_(Sanction.expires_at.is_(None), Sanction.expires_at > now),
               or_(Sanction.kind == SanctionKind.suspension, Sanction.created_at > now - timedelta(days=30)))
        .order_by(Sanction.created_at.desc(), Sanction.id.desc())
        .limit(200)
    )
    if not policies.can_moderate(viewer):
        query = query.where(Sanction.channel_id.in_(sorted(viewer.moderates)))
    return session.execute(query).all()


def active_suspension(session: Session, member_id: int, channel) -> Sanction | None:
    """The suspension that stops this member posting in this channel, if any.

    Active suspensions are few, and each names its member only encrypted: decrypt them to find ours.
    """
    # In the safe space only its own sanctions (through its anonymous posts) apply: were a named
    # member's suspension from every channel to silence them there, whoever suspended them could watch
    # which pseudonym fell silent.
    reach = ([Sanction.scope == SanctionScope.safe_space] if channel.is_anonymous else
             [Sanction.scope == SanctionScope.site,
              and_(Sanction.scope == SanctionScope.channel, Sanction.channel_id == channel.id)])
    now = utcnow()
    query = (
        select(Sanction)
        .where(Sanction.kind == SanctionKind.suspension, or_(*reach),
               Sanction.revoked_at.is_(None), or_(Sanction.expires_at.is_(None), Sanction.expires_at > now))
        .order_by(Sanction.expires_at.desc())
    )
    for sanction in session.execute(query).scalars():
        if safespace.unseal_author(sanction.sealed_member) == member_id:
            return sanction
    return None


@posting.refusals.connect
def suspension_refusal(session: Session, *, member_id: int, channel) -> str | None:
    """Why a suspended member may not post (or edit) here: posting.refusals' receiver."""
    suspension = active_suspension(session, member_id, channel)
    if suspension is None:
        return None
    until = date_text(suspension.expires_at) if suspension.expires_at else _("further notice")
    return _("A moderator has suspended you from posting here until %(until)s. Reason: %(reason)s",
             until=until, reason=suspension.reason)


@lifecycle.erasing.connect
def forget_erased(session: Session, *, post_ids: list[int], thread_id: int | None) -> None:
    """Sanctions through posts erased before anyone else saw them keep no post."""
    session.execute(update(Sanction).where(Sanction.post_id.in_(post_ids)).values(post_id=None))


def edit_post(session: Session, *, post: Post, thread: Thread, channel: Channel, moderator, body: str,
              title: str | None, reason: str) -> Problems:
    """A moderator changes a released post's words (and, for an opening post, the title) at once: the
    revision and the log say a moderator did, and the author is told."""
    problems = Problems()
    if not visibility.is_released(post) or post.status == PostStatus.deleted:
        problems.add("body", _("Only a published or hidden post can be edited by a moderator."))
    posting.check_body(body, problems)
    if title is not None and post.number == 1:
        posting.check_title(title, problems)
    _check_reason(reason, problems)
    if problems:
        return problems
    lifecycle.edit_as_moderator(session, post=post, thread=thread, channel=channel, body=body,
                                body_html=render_markdown(body).html if body != post.body_md else post.body_html,
                                title=one_line(title) if title is not None and post.number == 1 else None,
                                moderator_id=moderator.id)
    record(session, action=ActionKind.edit_post, moderator=moderator, channel=channel, post=post, reason=reason)
    tell_author(session, post, "edited", reason=reason.strip())
    return problems


@safespace.rekeying.connect
def rekey_sanctions(session: Session, old: safespace.Keys, new: safespace.Keys) -> None:
    """Re-encrypt every sanction's member under a new key (``forum rotate-anonymity-key``)."""
    for sanction in session.execute(select(Sanction)).scalars():
        sanction.sealed_member = safespace.seal_author(safespace.unseal_author(sanction.sealed_member, old), new)
        session.add(sanction)
    session.flush()
