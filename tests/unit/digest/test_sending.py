"""Digests through a real SMTP server (aiosmtpd): headers, both parts, what each reader may see, and a
ledger that sends each digest once whatever runs, fails or dies."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import func, select, update

from app.accounts.models import Member, Viewer
from app.cli import alembic_config
from app.core import email as transport_module
from app.core.config import get_settings
from app.core.db import Database
from app.digest import sending
from app.digest.models import DeliveryStatus, DigestDelivery, Subscription
from app.forum import lifecycle, posting
from app.forum.models import Channel, ChannelKind, Post, Thread, Visibility
from tests.factories import first_post, password_hash
from tests.smtp_server import Collector, free_port, running

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # a Friday: the week of 23 November (2026-W48) is due
IN_PERIOD = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def smtp():
    handler = Collector(refuse="gone@example.org")
    with running(handler) as url:
        yield handler, url


def _member(session, handle: str) -> Member:
    member = Member(email=f"{handle}@example.org", handle=handle, display_name=f"{handle.title()} Person",
                    password_hash=password_hash(), created_at=NOW - timedelta(days=400))
    session.add(member)
    session.flush()
    return member


def _at(session, thread, moment) -> None:
    session.execute(update(Thread).where(Thread.id == thread.id).values(created_at=moment))
    session.execute(update(Post).where(Post.thread_id == thread.id).values(created_at=moment))


@pytest.fixture
def world(scratch_database_url):
    """Threads of the week in a public theme, a members-only one and the safe space; a hidden, a
    deleted and a held thread; a member's digest, two visitors' (one refused by the server), and an
    unconfirmed one."""
    command.upgrade(alembic_config(scratch_database_url), "head")
    db = Database(scratch_database_url)
    with db.session() as session:
        public = Channel(slug="skills", name="Skills", kind=ChannelKind.theme)
        private = Channel(slug="leaders", name="Leaders", kind=ChannelKind.theme, visibility=Visibility.members)
        safe = Channel(slug="safe-space", name="Safe space", kind=ChannelKind.safe_space,
                       visibility=Visibility.members, is_anonymous=True)
        session.add_all([public, private, safe])
        session.flush()
        author, reader = _member(session, "author"), _member(session, "reader")
        made = {}
        for key, channel, title in (("public", public, "Bootcamp results"), ("private", private, "Board matters"),
                                    ("safe", safe, "Our pilot stalled"), ("hidden", public, "Soon hidden"),
                                    ("deleted", public, "Soon deleted")):
            thread, problems = posting.start_thread(session, channel=channel, author=Viewer.of(author), title=title,
                                                    body=f"Words about {title.lower()}.", confirmed_guidelines=True)
            assert thread is not None, problems.fields
            made[key] = thread
        lifecycle.hide(session, post=first_post(session, made["hidden"]), thread=made["hidden"])
        lifecycle.delete_post(session, post=first_post(session, made["deleted"]), thread=made["deleted"])
        newcomer = _member(session, "newcomer")
        newcomer.created_at = NOW
        held, _ = posting.start_thread(session, channel=safe, author=Viewer.of(newcomer), title="Held for now",
                                       body="Waiting.", confirmed_guidelines=True)
        for thread in [*made.values(), held]:
            _at(session, thread, IN_PERIOD)
        long_ago = NOW - timedelta(days=60)
        session.add_all([
            Subscription(member_id=reader.id, confirmed_at=long_ago),
            Subscription(email="visitor@example.org", confirmed_at=long_ago),
            Subscription(email="gone@example.org", confirmed_at=long_ago),
            Subscription(email="unconfirmed@example.org")])
        session.commit()
    yield db
    db.dispose()


def _run(db, url, now=NOW, **options):
    return sending.run(now=now, database=db, transport=lambda message: transport_module.send(message, url), **options)


def test_digests_arrive_with_list_headers_both_parts_and_only_what_each_reader_may_see(world, smtp):
    handler, url = smtp
    summary = _run(world, url)
    assert (summary.sent, summary.failed) == (2, 1)  # the member, the visitor; the refused address
    member, visitor = handler.to("reader@example.org")[0], handler.to("visitor@example.org")[0]
    base = get_settings().base_url.rstrip("/")
    for message in (member, visitor):
        assert message["List-Unsubscribe"].startswith(f"<{base}/digest/unsubscribe/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" and message["List-Id"]
        assert message["Message-ID"] and message["Date"] and message.get_content_type() == "multipart/alternative"
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "Bootcamp results" in text and f"{base}/t/" in text and f'href="{base}/t/' in html
        assert 'style="' in html and "<style" not in html  # the CSS inlined
        for gone in ("Soon hidden", "Soon deleted", "Held for now"):
            assert gone not in text and gone not in html
    member_text = member.get_body(("plain",)).get_content()
    assert "Board matters (Author Person)" in member_text and "Our pilot stalled (Participant A)" in member_text
    safe_part = next(block for block in member_text.split("\n\n") if block.startswith("Safe space"))
    assert "Our pilot stalled" in safe_part and "Author" not in safe_part  # the pseudonym alone
    visitor_text = visitor.get_body(("plain",)).get_content()
    assert "Board matters" not in visitor_text and "Our pilot stalled" not in visitor_text
    assert "unconfirmed@example.org" not in [m["To"] for m in handler.messages]


def test_running_again_sends_nothing_and_a_refused_address_is_suspended(world, smtp):
    handler, url = smtp
    _run(world, url)
    again = _run(world, url)
    assert again.sent == 0 and len(handler.messages) == 2
    with world.session(write=False) as session:
        refused = session.execute(select(Subscription).where(Subscription.email == "gone@example.org")).scalar_one()
        assert refused.suspended_at is not None and "550" in refused.suspended_reason


def test_an_interrupted_run_leaves_the_rest_to_the_next(world, smtp):
    handler, url = smtp

    def stop_after_one(done, total):
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run(world, url, progress=stop_after_one)
    assert len(handler.messages) == 1
    _run(world, url)
    addresses = sorted(message["To"] for message in handler.messages)
    assert addresses == ["reader@example.org", "visitor@example.org"]  # each once


def test_a_run_that_died_while_sending_is_taken_over_later_under_the_same_message_id(world, smtp):
    handler, url = smtp

    def dies(message):
        raise SystemExit("killed")

    with pytest.raises(SystemExit):
        sending.run(now=NOW, database=world, transport=dies)  # died sending the member's digest
    soon = _run(world, url)
    assert (soon.sent, soon.already) == (1, 1)  # the visitor's; the member's is "sending": another run's?
    later = _run(world, url, now=NOW + sending.STALE + timedelta(minutes=1))
    assert later.sent == 1 and len(handler.to("reader@example.org")) == 1
    with world.session(write=False) as session:
        delivery = session.execute(select(DigestDelivery).join(Subscription).where(
            Subscription.member_id.is_not(None))).scalar_one()
    assert handler.to("reader@example.org")[0]["Message-ID"].startswith(f"<digest-{delivery.id}-2026-W48@")


def test_smtp_down_records_failures_and_a_later_run_sends_them(world, smtp):
    handler, url = smtp
    down = f"smtp://127.0.0.1:{free_port()}"
    summary = _run(world, down)
    assert summary.sent == 0 and summary.failed == 3
    with world.session(write=False) as session:
        rows = session.execute(select(DigestDelivery)).scalars().all()
        assert {row.status for row in rows} == {DeliveryStatus.failed} and all(row.last_error for row in rows)
        assert all(row.sent_at is None and row.attempts == 1 for row in rows)
    assert _run(world, url).sent == 0  # backing off
    assert _run(world, url, now=NOW + sending.BACKOFF + timedelta(minutes=1)).sent == 2


def test_two_runs_at_once_send_each_digest_once(world, smtp):
    handler, url = smtp
    barrier = threading.Barrier(2)

    def slow(message):
        time.sleep(0.2)
        transport_module.send(message, url)

    def one_run():
        barrier.wait()
        sending.run(now=NOW, database=world, transport=slow)

    runs = [threading.Thread(target=one_run) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=60)
    assert sorted(message["To"] for message in handler.messages) == ["reader@example.org", "visitor@example.org"]
    with world.session(write=False) as session:
        assert session.execute(select(func.count()).select_from(DigestDelivery)).scalar_one() == 3


def test_a_named_period_and_an_empty_one(world, smtp):
    handler, url = smtp
    empty = _run(world, url, period="2026-W41")
    assert empty.empty == 3 and not handler.messages  # nothing new that week: nothing sent
    assert _run(world, url, period="2026-W41").already == 3
    assert _run(world, url, period="2026-W40").already == 0  # over before they subscribed: not theirs


def test_a_failed_daily_digest_is_tried_again_on_later_days_and_a_late_subscriber_gets_no_old_one(world, smtp):
    handler, url = smtp
    with world.session() as session:
        session.execute(update(Subscription).values(frequency="daily"))
        session.add(Subscription(email="late@example.org", frequency="daily", confirmed_at=NOW))
        session.commit()
    down = f"smtp://127.0.0.1:{free_port()}"
    _run(world, down, now=datetime(2026, 11, 26, 9, 0, tzinfo=UTC))  # the 25th's digests fail
    later = _run(world, url, now=datetime(2026, 11, 27, 9, 0, tzinfo=UTC))  # the 26th's: nothing new; and the 25th's
    assert later.sent == 2 and "late@example.org" not in [m["To"] for m in handler.messages]


def test_one_smtp_session_goes_on_after_a_refused_address(smtp):
    handler, url = smtp
    with transport_module.Connection(url) as connection:
        with pytest.raises(Exception) as refused:
            connection.send(transport_module.build_message(to="gone@example.org", subject="S", text="T"))
        assert "550" in str(refused.value)
        connection.send(transport_module.build_message(to="fine@example.org", subject="S", text="T"))
    assert [message["To"] for message in handler.messages] == ["fine@example.org"]
