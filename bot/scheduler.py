"""Periodic work (sending the outbox, firing due reminders) as APScheduler interval jobs.

Each tick reads the injected clock and claims rows from the database, so ticks are safe to run
in several processes and tests call them directly instead of waiting for the scheduler.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from apscheduler.schedulers.background import BackgroundScheduler

from bot.domain.broadcasts import expand_broadcasts_tick
from bot.domain.reminders import fire_due_reminders
from bot.domain.surveys import end_idle_surveys_tick, write_pooled_tick
from bot.outbox import send_tick
from bot.redaction import redact_due
from bot.runtime import Runtime


@dataclass(frozen=True)
class Tick:
    name: str
    run: Callable[[Runtime], object]
    every_seconds: float


def ticks() -> list[Tick]:
    """Every periodic job of the product; each module owns its own tick function."""
    return [
        Tick("surveys.end_idle", end_idle_surveys_tick, 600),
        Tick("surveys.write_pooled", write_pooled_tick, 600),
        Tick("redactions.run", redact_due, 60),
        Tick("broadcasts.expand", expand_broadcasts_tick, 2),
        Tick("reminders.fire_due", fire_due_reminders, 60),
        *(
            Tick(f"outbox.send_{channel}", partial(send_tick, channel=channel), 1)
            for channel in ("sms", "whatsapp", "telegram")
        ),
    ]


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


def stop_scheduler(scheduler: BackgroundScheduler, runtime: Runtime) -> None:
    """Ask running ticks to finish the message in hand, then wait for them."""
    runtime.stopping.set()
    scheduler.shutdown(wait=True)
