"""What every entry point needs (settings, clock, store, engine, sender, media store), built
once and passed along."""

import threading
from datetime import timedelta
from typing import Any

from bot.clock import Clock, SystemClock
from bot.db import Store
from bot.domain.errors import Invalid
from bot.domain.quiet import QUIET_HOURS_KEY, read_quiet_hours
from bot.engine import Engine
from bot.media.fetching import MediaWork
from bot.outbox import Sender
from bot.sealing import Sealer
from bot.settings import Settings, get_settings
from bot.wakeup import WakeUps


def store_info(settings: Settings) -> dict[str, Any]:
    """What every transaction of this process carries: the quiet hours (bot.domain.quiet).
    Raises Invalid, naming QUIET_HOURS, for a value that cannot be read."""
    try:
        quiet = read_quiet_hours(settings.quiet_hours)
    except Invalid as error:
        raise Invalid(f"QUIET_HOURS: {error}") from None
    return {QUIET_HOURS_KEY: quiet}


class Runtime:
    def __init__(self, settings: Settings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or get_settings()
        self.clock = clock or SystemClock()
        self.store = Store(self.settings.database_url, store_info(self.settings))
        # The survey key (kept outside the database) seals surveys in progress and the pool.
        self.sealer = Sealer.from_settings(self.settings)
        self.engine = Engine(
            self.store,
            self.clock,
            self.sealer,
            verify_limit=self.settings.verify_limit,
            verify_window=timedelta(minutes=self.settings.verify_window_minutes),
            ticket_response_hours=self.settings.ticket_response_hours,
        )
        # Set when the process is shutting down, so long ticks finish the message in hand.
        self.stopping = threading.Event()
        self.sender = Sender(self.store, self.clock, self.settings, self.stopping)
        # Started with the scheduler (bot.scheduler): committed outbox rows wake the sender.
        self.wakeups = WakeUps(self.store, self.sender, self.stopping)
        # The media store and the fetchers of the files people send.
        self.media = MediaWork(self.settings)

    def close(self) -> None:
        self.stopping.set()
        self.wakeups.stop()
        self.sender.close()
        self.media.close()
        self.store.dispose()
