"""Members report posts; moderators resolve the reports; reporters hear what became of them.

A post's author is never told who reported it, nor that it was reported unless a moderator acts.
"""

from sqlalchemy import select, update
from sqlmodel import Session

from app.accounts.models import Viewer
from app.core import ratelimit
from app.core.config import get_settings
from app.core.i18n import _
from app.core.problems import Problems
from app.core.timeutil import utcnow
from app.forum import policies
from app.forum.models import Channel, Post, PostStatus, Thread
from app.moderation.log import record
from app.moderation.models import ActionKind, Report, ReportOutcome, ReportReason
from app.notifications import service as notifications

MAX_NOTE = 500


def reason_names() -> dict[str, str]:
    """A report's reason, as the review queue names it."""
    return {ReportReason.off_topic: _("Off-topic"), ReportReason.inappropriate: _("Inappropriate"),
            ReportReason.personal_information: _("Personal information"), ReportReason.spam: _("Spam"),
            ReportReason.other: _("Other")}


def reason_labels() -> list[tuple[str, str]]:
    return [(ReportReason.off_topic, _("Off-topic: it does not belong in this thread")),
            (ReportReason.inappropriate, _("Inappropriate: rude, hostile or against the guidelines")),
            (ReportReason.personal_information, _("Personal information: it identifies someone")),
            (ReportReason.spam, _("Spam or advertising")),
            (ReportReason.other, _("Something else (say what below)"))]


def own_report(session: Session, post: Post, reporter: Viewer) -> Report | None:
    query = select(Report).where(Report.post_id == post.id, Report.reporter_id == reporter.id)
    return session.execute(query).scalar_one_or_none()


def report_post(session: Session, *, post: Post, reporter: Viewer, reason: str, note: str) -> Problems:
    """A member's report of a published post that is not theirs: once per member per post, and a
    few an hour. Reporting again is a quiet success (a double submit changes nothing)."""
    problems = Problems()
    if post.status != PostStatus.published or policies.is_own_post(reporter, post):
        problems.add("reason", _("This post cannot be reported."))
        return problems
    if own_report(session, post, reporter) is not None:
        return problems
    if reason not in ReportReason.__members__:
        problems.add("reason", _("Choose why you are reporting this post."))
    elif reason == ReportReason.other and not note.strip():
        problems.add("note", _("Say what is wrong with the post."))
    if len(note) > MAX_NOTE:
        problems.add("note", _("Keep the note to at most %(n)s characters.", n=MAX_NOTE))
    if problems:
        return problems
    if not ratelimit.hit(session, "report", str(reporter.id), limit=get_settings().report_limit, period=3600):
        problems.add("reason", _("You have made a lot of reports in the last hour. The moderators have them; "
                                 "try again later."))
        return problems
    session.add(Report(post_id=post.id, reporter_id=reporter.id, reason=reason, note=note.strip()))
    session.flush()
    return problems


_OUTCOMES = {ReportOutcome.hidden: "report_hidden", ReportOutcome.dismissed: "report_dismissed",
             ReportOutcome.sanctioned: "report_sanctioned"}  # notifications.messages words them


def resolve(session: Session, *, post: Post, moderator, outcome: str) -> int:
    """Close the post's open reports with this outcome, and tell each reporter. Returns how many were
    open: 0 when another moderator resolved them first (nothing happens twice)."""
    statement = (update(Report).where(Report.post_id == post.id, Report.resolved_at.is_(None))
                 .values(resolved_at=utcnow(), resolved_by_id=moderator.id, outcome=outcome)
                 .returning(Report.reporter_id))
    reporters = list(session.execute(statement).scalars())
    for reporter_id in reporters:
        notifications.notify(session, member_id=reporter_id, kind=notifications.MODERATION, post=post,
                             event=_OUTCOMES[outcome])
    return len(reporters)


def dismiss(session: Session, *, post: Post, thread: Thread, channel: Channel, moderator, reason: str) -> Problems:
    """Nothing to do about the post: its reports are closed, and the log says so."""
    problems = Problems()
    if len(reason) > 500:
        problems.add("reason", _("Keep the reason to at most 500 characters."))
    elif not resolve(session, post=post, moderator=moderator, outcome=ReportOutcome.dismissed):
        problems.add("reason", _("Another moderator has dealt with these reports already: nothing has changed."))
    if not problems:
        record(session, action=ActionKind.dismiss_reports, moderator=moderator, channel=channel, post=post,
               reason=reason)
    return problems
