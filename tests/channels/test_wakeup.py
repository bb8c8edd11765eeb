"""Replies leave at once: a committed reply wakes the sender, whatever its poll interval. The
poll is set to 10 s here, so a reply reaching the fake Twilio server within a few seconds can
only have been sent by a wake-up: in the process that queued it (both databases), and in a
separate `python -m bot worker` through PostgreSQL's LISTEN/NOTIFY."""

import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime

import pytest
from channel_support import PHONE, channel_env
from sqlalchemy import select, text, update

from bot.channels.provider import Inbound
from bot.clock import SystemClock
from bot.db import is_postgres
from bot.engine import Engine
from bot.models import OutboundMessage
from bot.scheduler import build_scheduler, stop_scheduler

POLL = "10"
PATIENCE = 4.0  # seconds: well within the poll
OTHER = "+919812340000"
MORNING = datetime(2100, 1, 1, 8, 0)


def arrives(condition: Callable[[], bool], seconds: float = PATIENCE) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_reply_leaves_at_once_from_the_process_that_queued_it(make_runtime, fake_twilio) -> None:
    runtime = make_runtime(outbox_poll_seconds=float(POLL))
    scheduler = build_scheduler(runtime)
    scheduler.start()
    try:
        handled = runtime.engine.handle(Inbound("sms", PHONE, "SM" + "1" * 32, "hi"))
        assert arrives(lambda: len(fake_twilio.messages) == 1)
        assert fake_twilio.messages[0]["To"] == PHONE
        assert fake_twilio.messages[0]["Body"] == handled.replies[0].body
        # A second message while the sender may still be finishing the first pass.
        runtime.engine.handle(Inbound("sms", PHONE, "SM" + "2" * 32, "1"))
        assert arrives(lambda: len(fake_twilio.messages) == 2)
    finally:
        stop_scheduler(scheduler, runtime)


def test_a_message_held_for_the_morning_stays_queued_through_a_wake_up(
    make_runtime, fake_twilio, store
) -> None:
    """A wake-up only starts the sender: a row not due yet (quiet hours) is not sent."""
    runtime = make_runtime(outbox_poll_seconds=float(POLL))
    scheduler = build_scheduler(runtime)
    scheduler.start()
    try:
        runtime.engine.handle(Inbound("sms", PHONE, "SM" + "3" * 32, "hi"))
        assert arrives(lambda: len(fake_twilio.messages) == 1)
        with store.transaction() as session:  # as if a reminder waited for their morning
            session.execute(
                update(OutboundMessage).values(status="queued", next_attempt_at=MORNING)
            )
        runtime.engine.handle(Inbound("sms", OTHER, "SM" + "4" * 32, "hi"))
        assert arrives(lambda: len(fake_twilio.messages) == 2)
        time.sleep(0.5)
        assert [message["To"] for message in fake_twilio.messages] == [PHONE, OTHER]
        with store.transaction() as session:
            held = session.scalar(select(OutboundMessage).where(OutboundMessage.address == PHONE))
            assert (held.status, held.next_attempt_at) == ("queued", MORNING)
    finally:
        stop_scheduler(scheduler, runtime)


def listening(store) -> bool:
    with store.engine.connect() as connection:
        return bool(
            connection.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN %'")
            )
        )


def test_a_reply_queued_by_the_web_process_wakes_a_separate_worker(
    store, migrated, fake_twilio, fake_telegram, sealer
) -> None:
    if not is_postgres(store.engine):
        pytest.skip("SQLite cannot wake another process; its worker polls")
    env = channel_env(migrated, fake_twilio.url, fake_telegram.url) | {"OUTBOX_POLL_SECONDS": POLL}
    worker = subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert arrives(lambda: listening(store), seconds=60), "the worker never listened"
        engine = Engine(store, SystemClock(), sealer)  # the web process: no sender of its own
        handled = engine.handle(Inbound("sms", PHONE, "SM" + "5" * 32, "hi"))
        assert arrives(lambda: len(fake_twilio.messages) == 1)
        assert fake_twilio.messages[0]["Body"] == handled.replies[0].body
        engine.handle(Inbound("whatsapp", PHONE, "SM" + "6" * 32, "1"))
        assert arrives(lambda: len(fake_twilio.messages) == 2)
        assert fake_twilio.messages[1]["To"] == f"whatsapp:{PHONE}"
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
