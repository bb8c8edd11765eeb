"""Broadcast benchmark: how fast 100,000 recipients are queued, and how closely sending keeps
to each channel's rate limit.

    .venv/bin/python -m bench.broadcast [--database URL ...] [--recipients N] [--seconds S]

Every database given (default: a temporary SQLite file) is wiped first: give scratch ones only.
The sending part runs the real `python -m bot worker` against local fake Twilio and Telegram
servers (the ones the tests use) and measures, from the fakes' arrival times, the rate achieved
on each channel and the busiest one-second window, both as a fraction of the configured limit.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

from bot.clock import SystemClock
from bot.db import Store
from bot.domain.broadcasts import broadcast_progress, create_broadcast
from bot.models import Business, Contact, OutboundMessage
from bot.runtime import Runtime
from bot.scheduler import expand_broadcasts_tick
from bot.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fakes import telegram as tg  # noqa: E402
from fakes import twilio as tw  # noqa: E402

from bench.database import fresh

LIMITS = {"sms": 50.0, "whatsapp": 80.0, "telegram": 30.0}  # messages per second, per channel
SEED_CHUNK = 10_000
TEXT = "Programme news: the assessment guide is ready. Ask staff for a copy."


def seed(store: Store, counts: dict[str, int], now: datetime) -> None:
    """Leaders with a business each, per channel; WhatsApp ones half inside the 24-hour window."""
    number = 0
    for channel, count in counts.items():
        for start in range(0, count, SEED_CHUNK):
            rows = []
            for _ in range(start, min(start + SEED_CHUNK, count)):
                number += 1
                address = f"telegram:{number}" if channel == "telegram" else f"+1555{number:07d}"
                recent = channel == "whatsapp" and number % 2 == 0
                rows.append(
                    {
                        "address": address,
                        "channel": channel,
                        "language": ("en", "es", "fr", "hi")[number % 4],
                        "role": "leader",
                        "opted_out": False,
                        "last_inbound_at": now - timedelta(hours=1) if recent else None,
                        "created_at": now,
                    }
                )
            with store.transaction() as session:
                ids = session.scalars(insert(Contact).returning(Contact.id), rows).all()
                session.execute(
                    insert(Business),
                    [
                        {
                            "name": "Atelier",
                            "place": "Town",
                            "country": "IN",
                            "leader_id": contact_id,
                            "registered_at": now,
                        }
                        for contact_id in ids
                    ],
                )


def schedule(store: Store, now: datetime) -> int:
    texts = {"en": TEXT, "es": "Noticias: la guía ya está lista.", "hi": "गाइड तैयार है।"}
    with store.transaction() as session:
        return create_broadcast(session, texts, {}, None, now).id


def queueing(url: str, recipients: int) -> None:
    fresh(url)
    clock = SystemClock()
    runtime = Runtime(Settings(_env_file=None, database_url=url), clock)
    per_channel = recipients // 3
    seed(runtime.store, {"sms": recipients - 2 * per_channel, "whatsapp": per_channel,
                         "telegram": per_channel}, clock.now())  # fmt: skip
    schedule(runtime.store, clock.now())
    tracemalloc.start()
    started = time.perf_counter()
    queued = expand_broadcasts_tick(runtime)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    with runtime.store.transaction() as session:
        rows = session.scalar(select(text("count(*)")).select_from(OutboundMessage))
    runtime.close()
    assert queued == rows == recipients, (queued, rows)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  queueing: {queued:,} recipients in {seconds:.2f} s ({queued / seconds:,.0f}/s); "
        f"Python memory peak {peak / 2**20:.1f} MiB during queueing, process peak RSS {rss:.0f} MiB"
    )


@contextmanager
def fakes() -> Iterator[tuple[tw.FakeTwilio, tg.FakeTelegram]]:
    with ExitStack() as stack:
        yield stack.enter_context(tw.FakeTwilio()), stack.enter_context(tg.FakeTelegram())


def worker_env(url: str, twilio: tw.FakeTwilio, telegram: tg.FakeTelegram) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "TWILIO_ACCOUNT_SID": tw.ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": tw.AUTH_TOKEN,
        "TWILIO_SMS_FROM": tw.SMS_FROM,
        "TWILIO_WHATSAPP_FROM": tw.WHATSAPP_FROM,
        "TWILIO_WHATSAPP_TEMPLATE_SID": tw.TEMPLATE_SID,
        "TWILIO_API_BASE_URL": twilio.url,
        "TELEGRAM_BOT_TOKEN": tg.TOKEN,
        "TELEGRAM_API_BASE_URL": telegram.url + "/bot",
        "TWILIO_SMS_PER_SECOND": str(LIMITS["sms"]),
        "TWILIO_WHATSAPP_PER_SECOND": str(LIMITS["whatsapp"]),
        "TELEGRAM_PER_SECOND": str(LIMITS["telegram"]),
    }


def arrivals(twilio: tw.FakeTwilio, telegram: tg.FakeTelegram) -> dict[str, list[float]]:
    """When each broadcast message reached its provider, per channel."""
    times: dict[str, list[float]] = {channel: [] for channel in LIMITS}
    for call in twilio.calls:
        to = str(call.params.get("To", ""))
        times["whatsapp" if to.startswith("whatsapp:") else "sms"].append(call.at)
    times["telegram"] = [call.at for call in telegram.calls if call.path.endswith("/sendMessage")]
    return {channel: sorted(at) for channel, at in times.items()}


def busiest_second(times: list[float]) -> int:
    """The most messages in any one-second window (each window starting at an arrival)."""
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def sending(url: str, seconds: float) -> None:
    fresh(url)
    now = datetime.now(UTC).replace(tzinfo=None)
    store = Store(url)
    seed(store, {channel: int(limit * seconds) for channel, limit in LIMITS.items()}, now)
    broadcast_id = schedule(store, now)
    with fakes() as (twilio, telegram), tempfile.TemporaryFile("w+") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            env=worker_env(url, twilio, telegram),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + seconds * 3 + 60
            while time.monotonic() < deadline and worker.poll() is None:
                if _done(store, broadcast_id):
                    break
                time.sleep(0.5)
        finally:
            worker.terminate()
            worker.wait(timeout=60)
            store.dispose()
        if worker.returncode not in (0, -15):
            log.seek(0)
            print(f"  the worker failed:\n{log.read()[-3000:]}")
        for channel, times in arrivals(twilio, telegram).items():
            limit = LIMITS[channel]
            if len(times) < 2:
                print(f"  {channel}: only {len(times)} messages arrived")
                continue
            rate = (len(times) - 1) / (times[-1] - times[0])
            busiest = busiest_second(times)
            print(
                f"  {channel:8}: limit {limit:g}/s, {len(times):,} messages, achieved "
                f"{rate:.1f}/s = {rate / limit:.3f} of the limit; busiest second "
                f"{busiest} = {busiest / limit:.3f} of the limit"
            )


def _done(store: Store, broadcast_id: int) -> bool:
    with store.transaction() as session:
        progress = broadcast_progress(session, broadcast_id)
        return progress.status == "queued" and progress.waiting == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", action="append", help="a scratch database URL (repeat)")
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="sending time per channel")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        for url in args.database or [f"sqlite:///{scratch}/bench.db"]:
            print(f"{url.split('://')[0]}:")
            queueing(url, args.recipients)
            sending(url, args.seconds)


if __name__ == "__main__":
    main()
