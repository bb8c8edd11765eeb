"""Periodic work (sending the outbox, firing due reminders) as APScheduler interval jobs.

Each tick reads the injected clock and claims rows from the database, so ticks are safe to run
in several processes and tests call them directly instead of waiting for the scheduler.
"""

from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler

from bot.runtime import Runtime


@dataclass(frozen=True)
class Tick:
    name: str
    run: Callable[[Runtime], object]
    every_seconds: float


def ticks() -> list[Tick]:
    """Every periodic job of the product; each module owns its own tick function."""
    return []


def build_scheduler(runtime: Runtime) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    for tick in ticks():
        scheduler.add_job(
            tick.run,
            "interval",
            args=[runtime],
            seconds=tick.every_seconds,
            id=tick.name,
            max_instances=1,
            coalesce=True,
        )
    return scheduler
