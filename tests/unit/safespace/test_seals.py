"""Seals, sealed authors, pseudonym letters and re-keying."""

from sqlalchemy import select

from app.accounts.models import Viewer
from app.forum.models import ChannelKind, Post, Visibility
from app.safespace import service as safespace
from tests.factories import make_channel, make_member, make_reply, make_thread


def test_pseudonym_labels_run_like_spreadsheet_columns():
    assert [safespace.pseudonym_label(i) for i in (0, 1, 25, 26, 27, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "ZZ", "AAA"]


def test_seal_depends_on_member_thread_and_key():
    keys = safespace.derive_keys("one key that is long enough for the tests")
    other = safespace.derive_keys("another key that is long enough for tests")
    assert safespace.seal(1, 10, keys) != safespace.seal(1, 11, keys)
    assert safespace.seal(1, 10, keys) != safespace.seal(2, 10, keys)
    assert safespace.seal(1, 10, keys) != safespace.seal(1, 10, other)
    assert safespace.seal(1, 10, keys) == safespace.seal(1, 10, keys)


def test_sealed_author_needs_the_key_and_uses_a_random_nonce():
    keys = safespace.derive_keys("one key that is long enough for the tests")
    first, second = safespace.seal_author(42, keys), safespace.seal_author(42, keys)
    assert first != second  # same author, different ciphertexts
    assert safespace.unseal_author(first, keys) == 42
    assert safespace.unseal_author(first, safespace.derive_keys("a different key altogether here")) is None
    assert safespace.unseal_author("not a token", keys) is None


def _safe_space(session):
    return make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)


def test_pseudonyms_are_stable_in_a_thread_and_differ_across_threads(session):
    channel = _safe_space(session)
    ana, ben = make_member(session), make_member(session)
    first = make_thread(session, channel=channel, author=ana)
    make_reply(session, first, author=ben)
    make_reply(session, first, author=ana)
    second = make_thread(session, channel=channel, author=ben)
    make_reply(session, second, author=ana)
    letters = lambda thread: [p.pseudonym for p in session.execute(  # noqa: E731
        select(Post).where(Post.thread_id == thread.id).order_by(Post.number)).scalars()]
    assert letters(first) == ["A", "B", "A"]
    assert letters(second) == ["A", "B"]  # Ana is B here: nothing carries over between threads
    seals = {p.seal for p in session.execute(select(Post).where(Post.sealed_author.is_not(None))).scalars()
             if safespace.unseal_author(p.sealed_author) == ana.id}
    assert len(seals) == 2


def test_owns_checks_the_seal(session):
    channel = _safe_space(session)
    ana, ben = make_member(session), make_member(session)
    thread = make_thread(session, channel=channel, author=ana)
    post = session.execute(select(Post).where(Post.thread_id == thread.id)).scalar_one()
    assert safespace.owns(Viewer.of(ana), post) and not safespace.owns(Viewer.of(ben), post)
    assert not safespace.owns(None, post)


def test_rekey_reseals_every_anonymous_post(session, monkeypatch):
    from app.core.config import get_settings

    channel = _safe_space(session)
    ana = make_member(session)
    thread = make_thread(session, channel=channel, author=ana)
    post = session.execute(select(Post).where(Post.thread_id == thread.id)).scalar_one()
    from app.moderation import service as moderation
    from app.notifications import service as notifications

    moderator = make_member(session, role="moderator")
    moderation.sanction_author(session, post=post, channel=channel, moderator=moderator, kind="suspension",
                               scope="safe_space", days="3", reason="Named a person")
    assert notifications.unread_count(session, ana.id) == 1
    old_key, new_key = get_settings().anonymity_key, "the next anonymity key, long and random enough"
    before = post.seal
    assert safespace.rekey(session, old_key, new_key) >= 1
    monkeypatch.setattr(get_settings(), "anonymity_key", new_key)
    session.refresh(post)
    assert post.seal != before
    assert safespace.owns(Viewer.of(ana), post)
    assert safespace.unseal_author(post.sealed_author) == ana.id
    assert safespace.has_confirmed_guidelines(session, ana.id)
    assert moderation.active_suspension(session, ana.id, channel) is not None
    assert notifications.unread_count(session, ana.id) == 1


def test_a_new_accounts_hold_lasts_a_keyed_number_of_days_of_its_own():
    holds = {member_id: safespace.hold_days(member_id, 7) for member_id in range(1, 200)}
    assert set(holds.values()) == set(range(7, 14))  # from the first 7 days to up to 13, spread out
    assert all(safespace.hold_days(member_id, 7) == days for member_id, days in holds.items())  # stable
    assert safespace.hold_days(5, 0) == 0


def test_the_hold_ends_at_midnight_not_at_the_minute_the_account_was_made(session, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from app.core.config import get_settings
    from app.forum import lifecycle

    monkeypatch.setattr(get_settings(), "safe_space_new_member_days", 7)
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
    joined = datetime(2026, 11, 1, 23, 59, tzinfo=UTC)
    member = make_member(session, created_at=joined)
    held_for = safespace.hold_days(member.id, 7)
    last_held = joined.replace(hour=0, minute=0) + timedelta(days=held_for - 1)
    for moment, held in ((last_held + timedelta(hours=23, minutes=59), True), (last_held + timedelta(days=1), False)):
        monkeypatch.setattr(lifecycle, "utcnow", lambda moment=moment: moment)
        assert lifecycle.needs_approval(member, safe) is held, moment
