"""What every entry point needs (settings, clock, store, engine), built once and passed along."""

from bot.clock import Clock, SystemClock
from bot.db import Store
from bot.engine import Engine
from bot.settings import Settings, get_settings


class Runtime:
    def __init__(self, settings: Settings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or get_settings()
        self.clock = clock or SystemClock()
        self.store = Store(self.settings.database_url)
        self.engine = Engine(self.store, self.clock)

    def close(self) -> None:
        self.store.dispose()
