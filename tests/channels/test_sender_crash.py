"""A real `python -m bot worker` killed with SIGKILL while Twilio holds one of its messages."""

import os
import signal
import subprocess
import sys
import time

from channel_support import channel_env
from fakes.twilio import HOLD
from sqlalchemy import select

from bot.channels.provider import Inbound
from bot.clock import SystemClock
from bot.engine import Engine
from bot.models import OutboundMessage

PHONES = [f"+9198123{n:05d}" for n in range(6)]


def start_worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until(condition, worker: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert worker.poll() is None, worker.stdout.read()
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.1)


def statuses(store) -> dict[str, str]:
    with store.transaction() as session:
        rows = session.scalars(select(OutboundMessage))
        return {row.address: row.status for row in rows}


def test_a_killed_sender_is_restarted_and_sends_the_rest_none_twice(
    store, migrated, fake_twilio, fake_telegram, sealer
) -> None:
    engine = Engine(store, SystemClock(), sealer)  # the worker runs on the real clock
    for n, phone in enumerate(PHONES):
        engine.handle(Inbound("sms", phone, f"SM{n:032d}", "hi"))
    # Twilio takes the third message, and the worker dies before hearing back.
    fake_twilio.plan("ok", "ok", HOLD)
    env = channel_env(migrated, fake_twilio.url, fake_telegram.url)
    env |= {"OUTBOX_LEASE_SECONDS": "2"}

    first = start_worker(env)
    try:
        wait_until(lambda: len(fake_twilio.messages) == 3, first)
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    fake_twilio.release()
    in_flight = fake_twilio.messages[2]["To"]
    assert statuses(store)[in_flight] == "sending"

    second = start_worker(env)
    try:
        wait_until(lambda: set(statuses(store).values()) == {"sent", "unknown"}, second)
    finally:
        second.send_signal(signal.SIGTERM)
        output, _ = second.communicate(timeout=30)
    assert second.returncode == 0, output
    assert "SMS: on" in output
    assert sorted(message["To"] for message in fake_twilio.messages) == sorted(PHONES)
    assert statuses(store) == {
        phone: "unknown" if phone == in_flight else "sent" for phone in PHONES
    }
