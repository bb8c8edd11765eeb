"""Periodic work (sending the outbox, firing due reminders, ending idle surveys, writing pooled
survey responses, emptying bodies at the provider, fetching the files people send and
forgetting old ones) as APScheduler interval jobs.

The domain's periodic work takes a session or store, the time and plain settings values; the
ticks here give it the runtime's. Each tick reads the injected clock and claims rows from the
database, so ticks are safe to run in several processes and tests call them directly instead
of waiting for the scheduler.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.schedulers.background import BackgroundScheduler

from bot.capabilities import capabilities_of
from bot.channels.provider import Accepted, Failed, Redacting, Result
from bot.channels.registry import paced_channels
from bot.domain import redaction, seals
from bot.domain.assessments import plan_reassessments
from bot.domain.broadcasts import expand_next_chunk
from bot.domain.reminders import fire_due
from bot.domain.surveys import (
    SCRUBBED_TABLES,
    PoolReport,
    end_idle_surveys,
    pooled_surveys,
    write_pooled,
)
from bot.media.fetching import FetchReport, expire_due, fetch_due
from bot.runtime import Runtime
from bot.ticket_mail import email_assignees


@dataclass(frozen=True)
class Tick:
    name: str
    run: Callable[[Runtime], object]
    every_seconds: float


def fire_due_reminders(runtime: Runtime) -> int:
    """Send every reminder that is due; returns how many messages went to the outbox."""
    return fire_due(runtime.store, runtime.clock.now())


def expand_broadcasts_tick(runtime: Runtime) -> int:
    """Expand every due broadcast, one chunk per transaction, until none is due or the process
    is stopping; returns the number of outbox rows written."""
    queued = 0
    while not runtime.stopping.is_set():
        with runtime.store.transaction() as session:
            written = expand_next_chunk(
                session, runtime.clock.now(), runtime.settings.broadcast_chunk
            )
        if written is None:
            return queued
        queued += written
    return queued


def end_idle_surveys_tick(runtime: Runtime) -> int:
    """End the surveys left unanswered for SURVEY_IDLE_HOURS; returns how many ended."""
    idle = timedelta(hours=runtime.settings.survey_idle_hours)
    with runtime.store.transaction() as session:
        return end_idle_surveys(session, runtime.sealer, runtime.clock.now(), idle)


def write_pooled_tick(runtime: Runtime) -> PoolReport:
    """Write every survey's pool in whole batches, one transaction each (touching nothing
    else), then clean the store of what those writes and the deletions before them left."""
    idle = timedelta(hours=runtime.settings.survey_idle_hours)
    with runtime.store.transaction() as session:
        waiting = pooled_surveys(session)
    written = held = 0
    for survey_id in waiting:
        with runtime.store.transaction() as session:
            report = write_pooled(session, runtime.sealer, survey_id, runtime.clock.now(), idle)
        written, held = written + report.written, held + report.held_back
    if written or held:
        runtime.store.scrub(SCRUBBED_TABLES)
    return PoolReport(written, held)


def redact_due(runtime: Runtime) -> int:
    """Ask the providers that allow it to empty the due message bodies (survey answers
    received, survey replies sent); returns how many were emptied."""
    providers: dict[str, Redacting] = {
        lane.channel: lane.provider  # type: ignore[misc]
        for lane in runtime.sender.lanes()
        if capabilities_of(lane.channel).redacts
    }
    if not providers:
        return 0
    now = runtime.clock.now()
    with runtime.store.transaction() as session:
        claimed = redaction.claim_due(session, now, list(providers))
    results: list[tuple[int, Result]] = []
    for due in claimed:
        if runtime.stopping.is_set():
            break
        results.append((due.id, providers[due.channel].redact(due.provider_id)))
    with runtime.store.transaction() as session:
        finished = [(row_id, isinstance(result, Accepted | Failed)) for row_id, result in results]
        redaction.settle(session, finished, now)
    return sum(isinstance(result, Accepted) for _, result in results)


def seals_tick(runtime: Runtime) -> tuple[int, int]:
    """Schedule the re-assessment of seals ending within SEAL_REASSESSMENT_DAYS_BEFORE, then
    record as expired the seals whose validity has ended (leaders told), and forget the
    verification counters of clients whose window has ended; returns how many seals were
    scheduled and expired."""
    now, settings = runtime.clock.now(), runtime.settings
    window = timedelta(minutes=settings.verify_window_minutes)
    with runtime.store.transaction() as session:
        scheduled = plan_reassessments(session, now, settings.seal_reassessment_days_before)
        expired = seals.expire_due(session, now)
        seals.forget_verification_counters(session, now, window)
    return len(scheduled), len(expired)


def fetch_media_tick(runtime: Runtime) -> FetchReport:
    """Fetch, check and store every file people sent that is due; see bot.media.fetching."""
    return fetch_due(runtime.store, runtime.media, runtime.clock.now(), runtime.stopping)


def expire_media_tick(runtime: Runtime) -> int:
    """Forget files kept longer than MEDIA_RETENTION_DAYS; returns objects deleted."""
    return expire_due(runtime.store, runtime.media, runtime.clock.now())


def email_tickets_tick(runtime: Runtime) -> int:
    """Email new tickets' assignees when SMTP is set; see bot.ticket_mail."""
    return email_assignees(runtime.store, runtime.settings, runtime.clock.now())


def send_tick(runtime: Runtime, channel: str) -> None:
    """Start sending one channel's due outbox rows; each channel has its own tick, so a slow
    SMS queue never holds up Telegram."""
    runtime.sender.drain_in_background(channel)


def ticks(poll_seconds: float = 1.0) -> list[Tick]:
    """Every periodic job of the product; each module owns its own tick function. Each
    channel's send tick runs every `poll_seconds` (OUTBOX_POLL_SECONDS): the fallback to the
    wake-ups of bot.wakeup."""
    return [
        Tick("surveys.end_idle", end_idle_surveys_tick, 600),
        Tick("surveys.write_pooled", write_pooled_tick, 600),
        Tick("redactions.run", redact_due, 60),
        Tick("broadcasts.expand", expand_broadcasts_tick, 2),
        Tick("reminders.fire_due", fire_due_reminders, 60),
        Tick("seals.renew_and_expire", seals_tick, 3600),
        Tick("media.fetch", fetch_media_tick, 10),
        Tick("media.expire", expire_media_tick, 3600),
        Tick("tickets.email", email_tickets_tick, 30),
        *(
            Tick(f"outbox.send_{channel}", partial(send_tick, channel=channel), poll_seconds)
            for channel in paced_channels()
        ),
    ]


def build_scheduler(runtime: Runtime) -> BackgroundScheduler:
    """The runtime's periodic jobs; when the scheduler starts, committed outbox rows start
    waking the sender too (bot.wakeup)."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_listener(lambda _: runtime.wakeups.start(), EVENT_SCHEDULER_STARTED)
    for tick in ticks(runtime.settings.outbox_poll_seconds):
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
