"""Migrations run up to head and back down to base, on SQLite and on PostgreSQL."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import app.models  # noqa: F401
from app.cli import alembic_config
from app.core.db import metadata
from app.search.engines import include_in_models


def test_upgrade_head_matches_models_then_downgrade_base(scratch_database_url):
    url = scratch_database_url
    config = alembic_config(url)
    command.upgrade(config, "head")
    engine = create_engine(url)
    with engine.connect() as connection:
        opts = {"compare_type": True, "include_name": include_in_models}
        differences = compare_metadata(MigrationContext.configure(connection, opts=opts), metadata)
        assert differences == [], "models and migrations disagree: autogenerate a migration"
        assert {"post", "post_search"} <= set(inspect(connection).get_table_names())
    command.downgrade(config, "base")
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    command.upgrade(config, "head")  # and up again, as a re-deploy would
    engine.dispose()


def test_single_head():
    from alembic.script import ScriptDirectory

    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_search_rows_of_safe_space_posts_are_sealed_by_the_upgrade(scratch_database_url):
    """0003 sets the search rows it carries over apart by kind (on SQLite it moves the sealed ones to a
    table of their own): a post is found only in its kind's place."""
    from sqlmodel import Session

    from app.accounts.models import Viewer
    from app.forum.models import ChannelKind, Visibility
    from app.search import service as search
    from tests.factories import make_channel, make_member, make_thread

    config = alembic_config(scratch_database_url)
    command.upgrade(config, "head")
    engine = create_engine(scratch_database_url)
    with Session(engine) as session:
        safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
        make_thread(session, channel=safe, title="Sealed dropwort", body="Dropwort.")
        make_thread(session, title="Named dropwort", body="Dropwort.")
        reader = Viewer.of(make_member(session))
        session.commit()
    command.downgrade(config, "0002")
    command.upgrade(config, "head")
    with Session(engine) as session:
        found = search.search(session, reader, search.SearchForm(q="dropwort"))
        assert sorted(hit.thread_title for hit in found.hits) == ["Named dropwort", "Sealed dropwort"]
    engine.dispose()


def test_0007_withholds_earlier_safe_space_lines_and_moves_waiting_edits(scratch_database_url):
    """Lines the transparency log hid when read are withheld for good; a published post's waiting edit
    keeps its release as edit_due_at; going back, a held post's waiting edit becomes its words."""
    from sqlalchemy import select, text
    from sqlmodel import Session

    from app.forum.models import ChannelKind, Post, Visibility
    from app.moderation.log import record
    from app.moderation.models import ActionKind, ModerationAction, Sanction
    from tests.factories import first_post, make_channel, make_member, make_thread

    config = alembic_config(scratch_database_url)
    command.upgrade(config, "head")
    engine = create_engine(scratch_database_url)
    with Session(engine) as session:
        safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
        named = make_channel(session)
        moderator = make_member(session, role="moderator")
        opening = first_post(session, make_thread(session, channel=safe))
        record(session, action=ActionKind.approve_post, moderator=moderator, channel=safe, post=opening)
        record(session, action=ActionKind.pin_thread, moderator=moderator, channel=named,
               thread=make_thread(session, channel=named))
        sanction = Sanction(sealed_member="x", kind="warning", scope="channel", channel_id=named.id,
                            reason="Mind the tone", created_by_id=moderator.id)
        session.add(sanction)
        session.flush()
        record(session, action=ActionKind.warn_author, moderator=moderator, channel=named, sanction=sanction,
               reason="Mind the tone")
        held_thread = make_thread(session, channel=safe)
        held_thread.is_pending = True
        held = first_post(session, held_thread)
        record(session, action=ActionKind.hide_post, moderator=moderator, channel=safe, post=held, reason="Spam")
        held.status, held.pending_body_md, held.pending_body_html = "pending", "Waiting words", "<p>Waiting words</p>"
        opening.pending_body_md, opening.pending_body_html = "Edited words", "<p>Edited words</p>"
        session.add_all([held, opening])
        session.commit()
        held_id, opening_id = held.id, opening.id
    command.downgrade(config, "0006")
    with engine.begin() as connection:
        words = connection.execute(text("SELECT body_md, pending_body_md FROM post WHERE id = :id"),
                                   {"id": held_id}).one()
        assert tuple(words) == ("Waiting words", None)
        connection.execute(text("UPDATE post SET release_at = '2026-12-01 15:00:00' WHERE id = :id"),
                           {"id": opening_id})  # where 0006 kept a waiting edit's release
        # As 0006 wrote it: a line about a held post named it.
        connection.execute(text("""UPDATE moderation_action SET post_id = :id, thread_id = (SELECT thread_id
                                   FROM post WHERE id = :id) WHERE action = 'hide_post'"""), {"id": held_id})
    command.upgrade(config, "head")
    with Session(engine) as session:
        lines = {line.action: line for line in session.execute(select(ModerationAction)).scalars()}
        assert {action: line.withheld for action, line in lines.items()} == {
            "approve_post": True, "hide_post": True, "pin_thread": False, "warn_author": False}
        assert lines["warn_author"].sanction_id == session.execute(select(Sanction.id)).scalar_one()
        hidden = lines["hide_post"]
        assert (hidden.post_id, hidden.thread_id, hidden.created_at.hour) == (None, None, 12)
        ids = [line.public_id for line in lines.values()] + list(session.execute(select(Sanction.public_id)).scalars())
        assert len(set(ids)) == 5 and all(len(public_id) == 8 for public_id in ids)
        moved = session.get(Post, opening_id)
        assert moved.release_at is None and moved.edit_due_at.hour == 15 and moved.pending_body_md == "Edited words"
    engine.dispose()
