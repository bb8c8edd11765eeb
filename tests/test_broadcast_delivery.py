"""A broadcast at programme scale, end to end: real worker processes, the real Twilio and Telegram
SDKs against local fake servers, a worker killed mid-send (SIGKILL) and started again.

The kill is aimed, not random: each fake holds its answer to one message per channel until the
worker is dead, so the process dies with a message in the provider's hands on every channel at
once, the most delicate moment there is. Everyone must still get the broadcast exactly once.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakes import DEPLOYMENT_KEYS
from fakes import telegram as tg
from fakes import twilio as tw
from fakes.server import Answer, Call
from sqlalchemy import insert, select

from bot.channels.provider import Inbound
from bot.clock import SystemClock
from bot.db import is_postgres
from bot.domain.broadcasts import broadcast_progress, create_broadcast
from bot.engine import Engine
from bot.models import Business, Contact, OutboundMessage
from bot.sealing import Sealer
from bot.settings import Settings

RECIPIENTS = 10_000
CHANNELS = ("sms", "whatsapp", "telegram")
PER_SECOND = 400  # per channel, sped up from the providers' real limits
HOLD_AT = 1010  # the message on each channel whose answer is held while the worker is killed
TEXT = "Programme news: the assessment guide is ready. Ask staff for a copy."
DEADLINE = 150


def wall_clock_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Holding:
    """Mixed into a fake: the answer to the HOLD_AT-th message of each channel waits until
    `release()`, so a worker can be killed while those messages are in the provider's hands."""

    def setup_holding(self) -> None:
        self.per_channel: Counter[str] = Counter()
        self.held: set[str] = set()
        self.gate = threading.Event()

    def hold_if_due(self, channel: str) -> None:
        with self.lock:  # type: ignore[attr-defined]
            self.per_channel[channel] += 1
            due = self.per_channel[channel] == HOLD_AT
            if due:
                self.held.add(channel)
        if due:
            self.gate.wait(60)

    def release(self) -> None:
        self.gate.set()


class HoldingTwilio(Holding, tw.FakeTwilio):
    def __init__(self) -> None:
        super().__init__()
        self.setup_holding()

    def answer(self, call: Call) -> Answer:
        answer = super().answer(call)
        if answer.status == 201:
            to = str(call.params.get("To", ""))
            self.hold_if_due("whatsapp" if to.startswith("whatsapp:") else "sms")
        return answer


class HoldingTelegram(Holding, tg.FakeTelegram):
    def __init__(self) -> None:
        super().__init__()
        self.setup_holding()

    def _send(self, params: dict[str, Any]) -> Answer:
        answer = super()._send(params)
        self.hold_if_due("telegram")
        return answer


@pytest.fixture
def fakes() -> Iterator[tuple[HoldingTwilio, HoldingTelegram]]:
    with HoldingTwilio() as twilio, HoldingTelegram() as telegram:
        yield twilio, telegram
        twilio.release()
        telegram.release()


def worker_env(database_url: str, twilio: HoldingTwilio, telegram: HoldingTelegram) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "PUBLIC_BASE_URL": "https://bot.example.org",
        **DEPLOYMENT_KEYS,
        "TWILIO_ACCOUNT_SID": tw.ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": tw.AUTH_TOKEN,
        "TWILIO_SMS_FROM": tw.SMS_FROM,
        "TWILIO_WHATSAPP_FROM": tw.WHATSAPP_FROM,
        "TWILIO_WHATSAPP_TEMPLATE_SID": tw.TEMPLATE_SID,
        "TWILIO_API_BASE_URL": twilio.url,
        "TELEGRAM_BOT_TOKEN": tg.TOKEN,
        "TELEGRAM_API_BASE_URL": telegram.url + "/bot",
        "TWILIO_SMS_PER_SECOND": str(PER_SECOND),
        "TWILIO_WHATSAPP_PER_SECOND": str(PER_SECOND),
        "TELEGRAM_PER_SECOND": str(PER_SECOND),
        "TELEGRAM_PER_CHAT_PER_SECOND": "1",
        "OUTBOX_LEASE_SECONDS": "2",
    }


def start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(worker: subprocess.Popen) -> str:
    worker.send_signal(signal.SIGTERM)
    _, errors = worker.communicate(timeout=60)
    return errors


def wait_for(condition: Any, what: str, workers: list[subprocess.Popen]) -> None:
    """Poll a condition on the outside world (the fakes, the database) until it holds."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        for worker in workers:
            assert worker.poll() is None, f"a worker died: {worker.stderr.read()}"
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def seed_leaders(store) -> dict[str, tuple[str, bool]]:
    """RECIPIENTS leaders spread over the channels; half the WhatsApp ones wrote to us within
    the last day. Returns (channel, inside the WhatsApp window) by address."""
    now = wall_clock_now()
    people = {}
    for number in range(RECIPIENTS):
        channel = CHANNELS[number % 3]
        address = f"telegram:{500000 + number}" if channel == "telegram" else f"+1555{number:07d}"
        people[address] = (channel, channel == "whatsapp" and number % 2 == 0)
    with store.transaction() as session:
        session.execute(
            insert(Contact),
            [
                {
                    "address": address,
                    "channel": channel,
                    "language": "en",
                    "role": "leader",
                    "opted_out": False,
                    "consented_at": now,
                    "last_inbound_at": now - timedelta(hours=2) if recent else None,
                    "created_at": now,
                }
                for address, (channel, recent) in people.items()
            ],
        )
        ids = session.execute(select(Contact.address, Contact.id)).all()
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
                for _, contact_id in ids
            ],
        )
    return people


def say_stop(store, addresses: list[str], channel_of: dict[str, tuple[str, bool]]) -> None:
    """These people text STOP (through the engine, as a webhook would hand it over)."""
    engine = Engine(store, SystemClock(), Sealer.from_settings(Settings(_env_file=None)))
    for address in addresses:
        handled = engine.handle(Inbound(channel_of[address][0], address, f"stop-{address}", "STOP"))
        assert not handled.duplicate


def broadcast_rows(store, broadcast_id: int, statuses: tuple[str, ...]) -> list[tuple[str, str]]:
    with store.transaction() as session:
        return session.execute(
            select(OutboundMessage.address, OutboundMessage.channel).where(
                OutboundMessage.broadcast_id == broadcast_id, OutboundMessage.status.in_(statuses)
            )
        ).all()


def nothing_left(store) -> bool:
    with store.transaction() as session:
        waiting = session.scalar(
            select(OutboundMessage.id)
            .where(OutboundMessage.status.in_(("queued", "claimed", "sending")))
            .limit(1)
        )
        return waiting is None


def received(twilio: HoldingTwilio, telegram: HoldingTelegram) -> Counter[str]:
    """Who got the broadcast, as the providers saw it: one entry per message."""
    got: Counter[str] = Counter()
    for message in twilio.messages:
        text = message.get("Body") or message.get("ContentVariables", "")
        if TEXT in text:
            got[message["To"].removeprefix("whatsapp:")] += 1
    for message in telegram.sent:
        if message["text"] == TEXT:
            got[f"telegram:{message['chat_id']}"] += 1
    return got


@pytest.mark.parametrize("senders", [1, 2], ids=["one sender", "two senders"])
def test_a_killed_worker_resumes_a_broadcast_and_nobody_is_missed_or_messaged_twice(
    store, migrated, fakes, senders
) -> None:
    if senders > 1 and not is_postgres(store.engine):
        pytest.skip(
            "several senders share the work through PostgreSQL row locks (SKIP LOCKED); "
            "SQLite has a single writer, so it runs one sender"
        )
    if senders == 1 and is_postgres(store.engine):
        pytest.skip("on PostgreSQL the two-sender run covers everything this one checks")
    twilio, telegram = fakes
    people = seed_leaders(store)
    addresses = list(people)
    stopped_before = addresses[:30]
    say_stop(store, stopped_before, people)
    with store.transaction() as session:
        broadcast_id = create_broadcast(session, {"en": TEXT}, {}, None, wall_clock_now()).id

    env = worker_env(migrated, twilio, telegram)
    first = start_worker(env)
    wait_for(lambda: twilio.held | telegram.held == set(CHANNELS), "held sends", [first])
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    twilio.release()
    telegram.release()

    # Between the crash and the restart, some people whose message is queued, or claimed by the
    # dead worker, opt out: the sender must skip them.
    claimed = [address for address, _ in broadcast_rows(store, broadcast_id, ("claimed",))]
    queued = [address for address, _ in broadcast_rows(store, broadcast_id, ("queued",))]
    assert len(queued) > RECIPIENTS // 2
    stopped_after = claimed[:10] + queued[-50:]
    say_stop(store, stopped_after, people)

    workers = [start_worker(env) for _ in range(senders)]
    wait_for(lambda: nothing_left(store), "the outbox to empty", workers)
    for worker in workers:
        assert "Traceback" not in stop(worker)

    expected = set(addresses) - set(stopped_before) - set(stopped_after)
    got = received(twilio, telegram)
    assert set(got) == expected
    assert max(got.values()) == 1, [who for who, times in got.items() if times > 1][:5]

    for message in twilio.messages:
        if message["To"].startswith("whatsapp:") and TEXT in str(message):
            inside_window = people[message["To"].removeprefix("whatsapp:")][1]
            assert ("ContentSid" in message) is not inside_window
    with store.transaction() as session:
        progress = broadcast_progress(session, broadcast_id)
    assert progress.recipients == RECIPIENTS - len(stopped_before)
    # What the dead worker had handed over without hearing back went out once and is never
    # sent again; not knowing it arrived, the sender marks it unknown rather than sent.
    counts = dict(progress.counts)
    assert counts.pop("cancelled") == len(stopped_after)
    assert counts.pop("sent") + counts.pop("unknown") == len(expected)
    assert counts == {}
