"""Engines and the per-request unit of work."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext
from contextvars import ContextVar
from functools import lru_cache

from fastapi import Request
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel
from starlette.concurrency import run_in_threadpool

from app.core.config import get_settings

# Stable constraint names, so Alembic migrations can drop and alter them on both databases.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata

log = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Set per request by QueryCountMiddleware (benchmarks only): a one-item list counting SQL statements.
query_counter: ContextVar[list[int] | None] = ContextVar("query_counter", default=None)


def _count_query(*_args) -> None:
    counter = query_counter.get()
    if counter is not None:
        counter[0] += 1


def _counted(engine: Engine) -> Engine:
    event.listen(engine, "before_cursor_execute", _count_query)
    return engine


def upsert(session: Session, table):
    """An INSERT that can say ON CONFLICT, in the session's own dialect (SQLite and PostgreSQL both can)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """An engine tuned for the backend; ``read_only`` ones refuse to write.

    SQLite: WAL and a busy timeout; writers BEGIN IMMEDIATE (emitted by SQLAlchemy) to take the write
    lock up front. Readers on both run in autocommit, each statement with its own snapshot, as READ
    COMMITTED gives PostgreSQL anyway: a BEGIN and a COMMIT around a page's reads cost two statements
    (two round trips on PostgreSQL) and bought nothing the pages use.
    At most 50 PostgreSQL connections per worker in all.
    """
    if not is_sqlite(url):
        # pool_recycle rather than pre-ping: a ping before every checkout costs a round trip per request.
        if read_only:
            return _counted(create_engine(url, pool_recycle=1800, pool_size=10, max_overflow=20,
                                          isolation_level="AUTOCOMMIT",
                                          connect_args={"options": "-c default_transaction_read_only=on"}))
        return _counted(create_engine(url, pool_recycle=1800, pool_size=5, max_overflow=15,
                                      isolation_level="READ COMMITTED"))
    # Connections are held only while a request runs its queries; SQLite connections cost next to nothing.
    engine = _counted(create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                                    pool_size=20, max_overflow=200))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # No BEGIN from the driver: writers get BEGIN IMMEDIATE from the listener below; readers none.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    if not read_only:
        @event.listens_for(engine, "begin")
        def _on_begin(connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """A read-only engine for safe requests and a writer for the rest, each with its own pool
    (switching a shared PostgreSQL connection in and out of autocommit would cost round trips)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.reader, self.writer = make_engine(url, read_only=True), make_engine(url)
        self._read_sessions = sessionmaker(self.reader, class_=Session, expire_on_commit=False)
        self._write_sessions = sessionmaker(self.writer, class_=Session, expire_on_commit=False)

    def session(self, *, write: bool = True) -> Session:
        return (self._write_sessions if write else self._read_sessions)()

    def dispose(self) -> None:
        self.reader.dispose()
        self.writer.dispose()


@lru_cache
def get_database() -> Database:
    """The process-wide database, built from settings on first use."""
    return Database(get_settings().database_url)


@contextmanager
def _session_apart() -> Iterator[Session]:
    with get_database().session() as session, session.begin():
        yield session


async def write_apart(request: Request, change: Callable, *args) -> None:
    """``change(session, *args)`` in a writing transaction of its own, in a worker thread: for what a
    GET records for its own viewer alone (a visit, how far a thread is read) while its session only
    reads. A page is worth more than such a mark: if it cannot be written, the page goes out anyway.
    Tests put their sessions in ``app.state.session_apart``."""
    def run() -> None:
        with getattr(request.app.state, "session_apart", _session_apart)() as session:
            change(session, *args)

    try:
        await run_in_threadpool(run)
    except SQLAlchemyError:
        log.warning("could not write %s", change.__qualname__, exc_info=True)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One request, one unit of work: commit on success, roll back on error.

    Async on purpose, though the session is synchronous: creating a session does no I/O, and by the
    commit the transaction already holds its locks, while each synchronous dependency would cost two
    hops to the thread pool. The first query (which may wait for SQLite's write lock) runs in a thread.

    On SQLite, where one writer at a time holds the database anyway, requests that write take turns
    (``app.state.write_turn``, first come first served) before their handler starts, rather than in
    SQLite's busy handler, which sleeps, polls and serves waiting writers in no particular order.
    """
    async with _unit_of_work(request, write=request.method not in SAFE_METHODS) as session:
        yield session


async def get_write_session(request: Request) -> AsyncIterator[Session]:
    """A writing unit of work for a GET that changes only what its own viewer sees (opening a
    notification reads it); everything else a GET does stays read-only."""
    async with _unit_of_work(request, write=True) as session:
        yield session


@asynccontextmanager
async def _unit_of_work(request: Request, *, write: bool) -> AsyncIterator[Session]:
    turn = getattr(request.app.state, "write_turn", None) if write else None
    # One pass of the event loop before the handler: a coroutine handler (the hot pages) runs to its
    # end without another, and the loop polls sockets only between passes, so the rest of a big
    # response that did not fit the socket buffer would wait for every request queued behind it
    # (it halves the thread page's p99: README, "Benchmarks").
    await asyncio.sleep(0)
    async with turn or nullcontext():
        session = get_database().session(write=write)
        try:
            yield session
            if write:
                session.commit()  # a reader's session has nothing to commit: closing it is enough
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


async def get_read_session() -> Session:
    """A read-only session beside the request's own, for lookups made before the handler runs.

    A write request must not begin its transaction (and, on SQLite, take the write lock) before its
    handler's turn in the thread pool: the lock holder could then be waiting for a thread while every
    thread waits for the lock. Creating a session does no I/O, so a request that never uses it costs
    next to nothing; one that does closes it (``with reader:``).
    """
    return get_database().session(write=False)
