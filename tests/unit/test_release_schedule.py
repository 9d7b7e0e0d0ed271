"""The server's release loop follows the release interval as an admin changes it at run time: a release
on the clock, one more when releases are turned off (what still waits goes out), and a first one when
they are turned on again."""

import asyncio
import contextlib
import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from app import main
from app.forum import schedule


def test_the_release_loop_follows_the_interval_as_it_changes(monkeypatch):
    minutes, now, runs, sleeps = [60], [datetime(2026, 12, 2, 10, 59, 50, tzinfo=UTC)], [], []
    # What an admin changes while the loop sleeps: before its 2nd sleep ends, releases go off; before its 4th, on.
    changes = {2: 0, 4: 5}
    monkeypatch.setattr(schedule, "release_minutes", lambda: minutes[0])
    monkeypatch.setattr(main, "utcnow", lambda: now[0])
    monkeypatch.setattr(main, "release_now", lambda: runs.append(now[0]) or 0)
    real_sleep = asyncio.sleep

    async def sleep(seconds):
        sleeps.append(seconds)
        now[0] += timedelta(seconds=seconds)
        minutes[0] = changes.get(len(sleeps), minutes[0])
        if len(sleeps) > 4:
            raise asyncio.CancelledError
        await real_sleep(0)

    monkeypatch.setattr(main.asyncio, "sleep", sleep)
    app = SimpleNamespace(state=SimpleNamespace(write_turn=None))
    def run_loop() -> None:  # a thread of its own: the browser tests' Playwright may hold this thread's loop
        with contextlib.suppress(asyncio.CancelledError):
            asyncio.run(main._release_on_schedule(app))

    worker = threading.Thread(target=run_loop)
    worker.start()
    worker.join(timeout=30)
    assert sleeps[:2] == [11.0, main.RELEASE_CHECK_SECONDS]  # just after 11:00, then look again within 30 s
    # 11:00's release; the one more when turned off; none while off; the first of the 5-minute schedule.
    assert [run.strftime("%H:%M:%S") for run in runs] == ["11:00:01", "11:00:31", "11:01:31"]
