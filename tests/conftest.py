"""Real databases for every test: a temporary SQLite file, or TEST_DATABASE_URL (PostgreSQL)."""

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.channels.provider import Inbound
from bot.clock import ManualClock
from bot.db import Store, is_postgres
from bot.domain.lesson_texts import forget_loaded
from bot.engine import Engine
from bot.migrate import upgrade
from bot.models import Base, OutboundMessage
from bot.sealing import Sealer
from bot.settings import Settings
from messages import use_overrides

# Every process the tests start (runtimes, the CLI in subprocesses) seals with this key, so what
# one seals another opens, as in a deployment with SURVEY_KEY set.
TEST_SURVEY_KEY = "test-survey-key-0123456789abcdef0123456789abcdef"
os.environ.setdefault("SURVEY_KEY", TEST_SURVEY_KEY)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    store = Store(url)
    with store.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    store.dispose()
    return url


@pytest.fixture(scope="session")
def migrated(database_url: str) -> str:
    upgrade(database_url)
    return database_url


@pytest.fixture
def store(migrated: str) -> Iterator[Store]:
    store = Store(migrated)
    yield store
    tables = list(reversed(Base.metadata.sorted_tables))
    with store.engine.begin() as connection:
        if is_postgres(store.engine):
            # TRUNCATE, not DELETE: the audit log refuses DELETE by design.
            names = ", ".join(table.name for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())
    store.dispose()


@pytest.fixture(autouse=True)
def shipped_texts() -> Iterator[None]:
    """Every test starts and ends with the catalogues' own texts: lesson texts an admin
    rewrote belong to one test's database, not to the tests after it."""
    use_overrides({})
    forget_loaded()
    yield
    use_overrides({})
    forget_loaded()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sealer() -> Sealer:
    return Sealer.from_settings(Settings(_env_file=None))


@pytest.fixture
def engine(store: Store, clock: ManualClock, sealer: Sealer) -> Engine:
    return Engine(store, clock, sealer)


class Phone:
    """A person texting the bot: send a line, get back the (key, text) of each reply."""

    _ids = itertools.count(1)

    def __init__(self, engine: Engine, address: str, channel: str) -> None:
        self.engine, self.address, self.channel = engine, address, channel

    def send(self, body: str, media: tuple[str, ...] = ()) -> list[tuple[str, str]]:
        provider_id = f"test-{next(self._ids)}"
        handled = self.engine.handle(Inbound(self.channel, self.address, provider_id, body, media))
        assert not handled.duplicate
        with self.engine.store.transaction() as session:
            rows = session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.address == self.address)
                .order_by(OutboundMessage.id.desc())
                .limit(len(handled.replies))
            ).all()
        assert [row.body for row in reversed(rows)] == [reply.body for reply in handled.replies]
        return [(row.message_key, row.body) for row in reversed(rows)]

    def keys(self, body: str) -> list[str]:
        return [key for key, _ in self.send(body)]

    def texts(self, body: str) -> list[str]:
        return [reply for _, reply in self.send(body)]


@pytest.fixture
def phone(engine: Engine) -> Phone:
    return Phone(engine, "+919812345678", "sim")


@pytest.fixture
def make_phone(engine: Engine):
    def make(address: str, channel: str = "sim") -> Phone:
        return Phone(engine, address, channel)

    return make


@pytest.fixture(scope="session")
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent
