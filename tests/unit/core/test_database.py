"""The engines behind requests: safe requests read through one that cannot write, and requests that
write take turns."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.core.db import Database, get_session
from app.forum.models import Channel


def test_the_reader_refuses_to_write_and_the_writer_writes(database):
    db = Database(database.url)
    try:
        with db.session(write=False) as session:
            assert session.execute(select(func.count()).select_from(Channel)).scalar_one() >= 0
            with pytest.raises(DBAPIError):
                session.execute(text("DELETE FROM rate_limit WHERE 1 = 0"))
        with db.session() as session:
            session.execute(text("DELETE FROM rate_limit WHERE 1 = 0"))
            session.rollback()
    finally:
        db.dispose()


def test_writers_take_turns_first_come_first_served_and_readers_never_wait(database):
    """SQLite: requests that write wait for app.state.write_turn, in order; safe requests do not."""
    state = SimpleNamespace(write_turn=asyncio.Lock())
    events = []

    async def request(name: str, method: str, hold: float) -> None:
        unit_of_work = get_session(SimpleNamespace(method=method, app=SimpleNamespace(state=state)))
        await unit_of_work.__anext__()
        events.append(f"{name} starts")
        await asyncio.sleep(hold)
        events.append(f"{name} ends")
        with suppress(StopAsyncIteration):
            await unit_of_work.__anext__()  # commits and gives the turn back

    async def scenario() -> None:
        first = asyncio.create_task(request("first writer", "POST", 0.05))
        await asyncio.sleep(0.01)
        await asyncio.gather(request("second writer", "POST", 0), request("reader", "GET", 0), first)

    # A loop of its own in a thread of its own: the browser tests' Playwright keeps one running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, scenario()).result(timeout=30)
    assert events == ["first writer starts", "reader starts", "reader ends", "first writer ends",
                      "second writer starts", "second writer ends"]
