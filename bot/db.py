"""One store, two engines: SQLite (WAL) embedded by default, PostgreSQL in production."""

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import TimeoutError as StoreBusy
from sqlalchemy.orm import Session, sessionmaker

# How long a SQLite writer waits for its turn before giving up.
BUSY_TIMEOUT_SECONDS = 30


def normalise_url(url: str) -> str:
    """Plain postgresql:// URLs are served by psycopg 3, the driver we ship."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False}
    )
    _serialise_sqlite_writers(engine)
    return engine


def _serialise_sqlite_writers(engine: Engine) -> None:
    """WAL lets readers run beside the writer; BEGIN IMMEDIATE makes writers queue, not fail."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted content is overwritten with zeros, in the file and in the WAL, so nothing
        # removed (a survey message, a pending response) can be read back from free space.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


class Store:
    """The engine plus a session factory; passed around instead of globals."""

    def __init__(self, url: str, info: Mapping[str, Any] | None = None) -> None:
        """`info` is put on every transaction's session (its `info`), as the quiet hours are
        (bot.domain.quiet)."""
        self.engine = make_engine(url)
        self.info = dict(info or {})
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info=self.info)
        # SQLite has one writer at a time. Threads of one process queue here, promptly, rather
        # than in SQLite's busy handler, whose sleeps grow to 100 ms and collapse throughput
        # under concurrent webhooks. Other processes still queue through the busy timeout.
        self._writers = None if is_postgres(self.engine) else threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._writer_turn(), self.sessions.begin() as session:
            yield session

    @contextmanager
    def transaction_on(self, connection: Connection) -> Iterator[Session]:
        """A transaction on a connection the caller keeps for a long loop (the sender), taking
        its turn with the other writers like `transaction`."""
        session = Session(bind=connection, expire_on_commit=False, info=dict(self.info))
        with self._writer_turn(), session, session.begin():
            yield session

    @contextmanager
    def _writer_turn(self) -> Iterator[None]:
        if self._writers is None:
            yield
            return
        if not self._writers.acquire(timeout=BUSY_TIMEOUT_SECONDS):
            raise StoreBusy("the database stayed busy")
        try:
            yield
        finally:
            self._writers.release()

    def scrub(self, tables: Iterable[str]) -> None:
        """Remove what earlier row versions left in the storage: on SQLite, checkpoint the WAL
        into the database and truncate it; on PostgreSQL, VACUUM the tables (outside any
        transaction), so dead tuples are cleared for reuse."""
        with self._writer_turn(), self.engine.connect() as connection:
            if is_postgres(self.engine):
                autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
                for table in tables:
                    autocommit.exec_driver_sql(f'VACUUM "{table}"')
                return
            # Straight on the driver's connection, which is in autocommit mode (see
            # _serialise_sqlite_writers): a checkpoint cannot run inside a transaction.
            cursor = connection.connection.dbapi_connection.cursor()
            try:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                cursor.close()

    def dispose(self) -> None:
        self.engine.dispose()
