"""Runtimes wired to local fake Twilio and Telegram servers through the base-URL settings."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from channel_support import channel_env
from fakes.telegram import FakeTelegram
from fakes.twilio import FakeTwilio
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.clock import ManualClock
from bot.runtime import Runtime
from bot.settings import Settings


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake
        fake.release()


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def make_runtime(
    store, migrated: str, clock: ManualClock, fake_twilio: FakeTwilio, fake_telegram: FakeTelegram
) -> Iterator[Callable[..., Runtime]]:
    """`make_runtime(**settings)`: a process's runtime on the test database; each call is a
    separate process as far as the store is concerned (its own connections and sender)."""
    made: list[Runtime] = []
    env = channel_env(migrated, fake_twilio.url, fake_telegram.url)

    def make(**overrides: Any) -> Runtime:
        values: dict[str, Any] = {key.lower(): value for key, value in env.items()}
        values |= overrides
        runtime = Runtime(Settings(_env_file=None, **values), clock)
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.close()


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as test_client:
        yield test_client
