"""Journey fixtures, loaded by the test modules with `pytest_plugins` (a conftest.py here would
shadow the other test folders' conftest modules)."""

from collections.abc import Callable, Iterator

import pytest
from journey_support import register

from bot.runtime import Runtime
from bot.settings import Settings


@pytest.fixture
def leader(make_phone):
    """A leader registered in English on the simulator, standing at the main menu."""
    phone = make_phone("+919812345678")
    register(phone)
    return phone


@pytest.fixture
def new_runtime(migrated, clock) -> Iterator[Callable[[], Runtime]]:
    """Each call is a fresh process's runtime on the same database, as after a restart."""
    made: list[Runtime] = []

    def make() -> Runtime:
        runtime = Runtime(Settings(database_url=migrated), clock)
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.close()
