"""`forum bench-digests`: build and send one period's digests for many subscribers to an SMTP server
on loopback (aiosmtpd, counting what arrives), on a fresh SQLite database with the demo content.
Reports messages per second and the process's peak memory."""

import os
import resource
import secrets
import socket
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import insert

from app.core.timeutil import to_site_time, utcnow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.count += 1
        return "250 OK"


def run(subscribers: int = 10_000) -> dict:
    """Seed the demo and ``subscribers`` confirmed subscriptions (one in ten a member's), then send
    this week's digests (the demo's activity is recent) once, timed."""
    from aiosmtpd.controller import Controller

    folder = Path(tempfile.mkdtemp(prefix="cg-digest-bench-"))
    url = f"sqlite:///{folder / 'forum.db'}"
    os.environ["DATABASE_URL"] = url
    from app.cli import alembic_config
    from app.core.config import get_settings
    from app.core.db import Database
    from app.core.email import Connection
    from app.digest import sending, windows
    from app.digest.models import Subscription
    from app.seed.demo import seed_demo

    get_settings.cache_clear()
    command.upgrade(alembic_config(url), "head")
    database = Database(url)
    with database.session() as session:
        seed_demo(session)
        members = [row[0] for row in session.execute(__import__("sqlalchemy").text("SELECT id FROM member"))]
        now = utcnow()
        rows = [{"token": secrets.token_urlsafe(18), "email": f"reader{n}@example.org", "member_id": None,
                 "frequency": "weekly", "weekday": 0, "all_channels": True, "confirmed_at": now,
                 "suspended_reason": "", "created_at": now} for n in range(subscribers - len(members))]
        rows += [{"token": secrets.token_urlsafe(18), "email": None, "member_id": member_id, "frequency": "weekly",
                  "weekday": 0, "all_channels": True, "confirmed_at": now, "suspended_reason": "", "created_at": now}
                 for member_id in members]
        session.execute(insert(Subscription), rows)
        session.commit()
    counter = _Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=_free_port())
    controller.start()
    smtp = f"smtp://127.0.0.1:{controller.port}"
    period = windows.week(to_site_time(datetime.now(UTC)).date()).key
    started = time.perf_counter()
    try:
        with Connection(smtp) as connection:
            summary = sending.run(period=period, database=database, transport=connection.send)
    finally:
        elapsed = time.perf_counter() - started
        controller.stop()
        database.dispose()
    return {"subscribers": subscribers, "period": period, "sent": summary.sent, "empty": summary.empty,
            "failed": summary.failed, "received": counter.count, "seconds": round(elapsed, 2),
            "messages_per_s": round(summary.sent / elapsed, 1) if elapsed else 0.0,
            "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
