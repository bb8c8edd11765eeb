"""Telegram posting updates to us (webhook), and us asking for them (long polling)."""

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from channel_support import channel_env
from fakes.telegram import WEBHOOK_SECRET, button_update, text_update
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from telegram.error import TimedOut

from bot.app import create_app
from bot.channels import telegram
from bot.channels.provider import Retry, Unknown
from bot.channels.telegram import refused
from bot.models import Contact, InboundMessage, OutboundMessage
from messages.render import pressed

CHAT = 5550001
SECRET = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}


def count(store, model) -> int:
    with store.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def post_update(client: TestClient, update: object, headers: dict[str, str] = SECRET):
    return client.post("/webhooks/telegram", json=update, headers=headers)


def test_a_message_becomes_the_chats_contact_and_its_reply_carries_buttons(client, store) -> None:
    response = post_update(client, text_update(1001, CHAT, "/start"))
    assert response.status_code == 200
    assert response.json() == {}
    with store.transaction() as session:
        inbound = session.scalar(select(InboundMessage))
        assert (inbound.channel, inbound.provider_id, inbound.body) == (
            "telegram",
            f"{CHAT}:1001",
            "/start",
        )
        assert session.scalar(select(Contact.address)) == f"telegram:{CHAT}"
        reply = session.scalar(select(OutboundMessage))
        label, data = reply.buttons[0]
        assert (label, pressed(data)[0]) == ("English", "1")


def test_an_update_delivered_twice_is_handled_once(client, store) -> None:
    for _ in range(2):
        assert post_update(client, text_update(1002, CHAT, "/start")).status_code == 200
    assert (count(store, InboundMessage), count(store, OutboundMessage)) == (1, 1)


def test_a_button_press_is_acknowledged_and_handled_as_the_typed_number(client, store) -> None:
    post_update(client, text_update(1003, CHAT, "/start"))
    response = post_update(client, button_update(1004, CHAT, "2"))
    assert response.status_code == 200
    assert response.json() == {"method": "answerCallbackQuery", "callback_query_id": "cbq-1004"}
    with store.transaction() as session:
        assert session.scalar(select(Contact.language)) == "es"
        assert session.scalar(select(InboundMessage.body).order_by(InboundMessage.id.desc())) == "2"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Telegram-Bot-Api-Secret-Token": ""},
        {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET + "x"},
        {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET[:-1]},
        {"X-Telegram-Bot-Api-Secret-Token": "é".encode() * 10},
    ],
)
def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_stored(client, store, headers) -> None:
    response = post_update(client, text_update(1005, CHAT, "hi"), headers)
    assert response.status_code == 403
    assert "secret" in response.json()["detail"]
    assert (count(store, InboundMessage), count(store, Contact)) == (0, 0)


JSON = "application/json"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "reason"),
    [
        (b"update_id=1", "application/x-www-form-urlencoded", 415, "expected"),
        (b"{not json", JSON, 400, "JSON"),
        (b"\xff\xfe\x00garbage", JSON, 400, "JSON"),
        (b"[" * 100_000, JSON, 413, "bytes"),
        (b"[" * 50_000 + b"]" * 50_000, JSON, 413, "bytes"),
        (b"[" * 30_000 + b"]" * 30_000, JSON, 400, ""),
        (b"[1, 2]", JSON, 400, "object"),
        (b'"update"', JSON, 400, "object"),
        (b"{}", JSON, 400, "update"),
        (b'{"update_id": "seven"}', JSON, 400, "update"),
        (b'{"update_id": -5}', JSON, 400, "update_id"),
        (json.dumps({"update_id": 2**70}).encode(), JSON, 400, "update_id"),
        (json.dumps({"update_id": 7, "message": "hi"}).encode(), JSON, 400, "message"),
        (json.dumps(text_update(7, 10**30, "hi")).encode(), JSON, 400, "chat"),
    ],
)
def test_malformed_updates_get_a_short_reason_and_nothing_is_stored(
    client, store, body, content_type, status, reason
) -> None:
    headers = {**SECRET, "Content-Type": content_type}
    response = client.post("/webhooks/telegram", content=body, headers=headers)
    assert response.status_code == status
    assert reason in response.json()["detail"]
    assert count(store, InboundMessage) == 0


def in_a_group(update: dict) -> dict:
    update["message"]["chat"] = {"id": -100123, "type": "group", "title": "Artisans"}
    update["message"]["from"]["id"] = CHAT  # a person's id; only chats have negative ids
    return update


@pytest.mark.parametrize(
    "update",
    [
        in_a_group(text_update(8, -100123, "hi")),  # groups are not conversations we hold
        {"update_id": 9, "edited_message": text_update(9, CHAT, "hi")["message"]},
        {"update_id": 10, "my_chat_member": None},
        {"update_id": 11},
    ],
)
def test_updates_we_do_not_serve_are_accepted_and_ignored(client, store, update) -> None:
    assert post_update(client, update).status_code == 200
    assert count(store, InboundMessage) == 0


@pytest.mark.parametrize(
    "text", ["", "x" * 10_000, "🧵" * 2000, "\u0000\ud800", "<b>bold</b>", "/start@other_bot"]
)
def test_any_text_is_taken_and_answered(client, store, text) -> None:
    update = text_update(12, CHAT, "placeholder")
    update["message"]["text"] = text
    body = json.dumps(update)  # escapes as \\uXXXX, so even a lone surrogate can travel
    response = client.post(
        "/webhooks/telegram", content=body, headers={**SECRET, "Content-Type": JSON}
    )
    assert response.status_code == 200
    assert (count(store, InboundMessage), count(store, OutboundMessage)) == (1, 1)


def test_a_photo_is_recorded_by_its_telegram_file_id(client, store) -> None:
    update = text_update(13, CHAT, "")
    del update["message"]["text"]
    update["message"]["caption"] = "the new first-aid kit"
    update["message"]["photo"] = [
        {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90},
        {"file_id": "large", "file_unique_id": "l", "width": 1280, "height": 1280},
    ]
    assert post_update(client, update).status_code == 200
    with store.transaction() as session:
        inbound = session.scalar(select(InboundMessage))
        assert (inbound.body, inbound.media) == ("the new first-aid kit", ["telegram-file:large"])


def test_with_telegram_off_the_webhook_says_so(make_runtime, store) -> None:
    runtime = make_runtime(telegram_webhook_secret="")
    with TestClient(create_app(runtime)) as client:
        response = post_update(client, text_update(14, CHAT, "hi"))
    assert response.status_code == 404
    assert "TELEGRAM_WEBHOOK_SECRET" in response.json()["detail"]
    assert count(store, InboundMessage) == 0


def test_with_the_store_down_telegram_is_told_to_retry(make_runtime) -> None:
    runtime = make_runtime(database_url="postgresql://nobody@127.0.0.1:9/nothing")
    with TestClient(create_app(runtime)) as client:
        response = post_update(client, text_update(15, CHAT, "hi"))
    assert response.status_code == 503


def bot_command(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until(condition, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.1)


def test_long_polling_runs_the_same_engine_and_sends_the_replies(
    store, migrated, fake_twilio, fake_telegram
) -> None:
    env = channel_env(migrated, fake_twilio.url, fake_telegram.url)
    fake_telegram.push(text_update(21, CHAT, "/start"))
    poller = bot_command(env, "telegram-poll")
    try:
        wait_until(lambda: len(fake_telegram.sent) == 1, poller)
        fake_telegram.push(button_update(22, CHAT, "1"))
        wait_until(lambda: len(fake_telegram.sent) == 2, poller)
        answered = fake_telegram.called("answerCallbackQuery")
        assert [call["callback_query_id"] for call in answered] == ["cbq-22"]
    finally:
        poller.send_signal(signal.SIGTERM)
        output, _ = poller.communicate(timeout=30)
    assert poller.returncode == 0, output
    assert fake_telegram.called("deleteWebhook")
    assert "Choose your language" in fake_telegram.sent[0]["text"]
    with store.transaction() as session:
        bodies = session.scalars(select(InboundMessage.body).order_by(InboundMessage.id))
        assert list(bodies) == ["/start", "1"]
        assert session.scalar(select(Contact.language)) == "en"


def test_telegram_webhook_command_registers_our_address_and_secret(
    migrated, fake_twilio, fake_telegram
) -> None:
    env = channel_env(migrated, fake_twilio.url, fake_telegram.url)
    done = bot_command(env, "telegram-webhook")
    output, _ = done.communicate(timeout=60)
    assert done.returncode == 0, output
    [registered] = fake_telegram.called("setWebhook")
    assert registered["url"] == "https://bot.example.org/webhooks/telegram"
    assert registered["secret_token"] == WEBHOOK_SECRET
    assert json.loads(registered["allowed_updates"]) == ["message", "callback_query"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"TELEGRAM_WEBHOOK_SECRET": ""}, "TELEGRAM_WEBHOOK_SECRET"),
        ({"TELEGRAM_WEBHOOK_SECRET": "has spaces and ü"}, "A-Z a-z 0-9"),
        ({"PUBLIC_BASE_URL": "http://127.0.0.1:8000"}, "https://"),
    ],
)
def test_telegram_webhook_command_refuses_settings_telegram_would_reject(
    migrated, fake_twilio, fake_telegram, change, message
) -> None:
    env = channel_env(migrated, fake_twilio.url, fake_telegram.url) | change
    done = bot_command(env, "telegram-webhook")
    output, _ = done.communicate(timeout=60)
    assert done.returncode == 2
    assert message in output
    assert fake_telegram.called("setWebhook") == []


@pytest.mark.parametrize(
    ("cause", "outcome"),
    [
        (httpx.ConnectTimeout("connect"), Retry),  # never left: safe to send again
        (httpx.PoolTimeout("pool"), Retry),
        (httpx.ReadTimeout("read"), Unknown),  # left, no answer: may have been shown
        (httpx.WriteTimeout("write"), Unknown),
    ],
)
def test_a_timeout_is_retried_only_when_the_request_never_left(cause, outcome) -> None:
    error = TimedOut()
    error.__cause__ = cause
    assert isinstance(refused(error), outcome)


def test_long_polling_skips_a_malformed_update_with_a_log_line_and_carries_on(
    make_runtime, store, fake_telegram, caplog
) -> None:
    runtime = make_runtime()
    number_as_text = text_update(31, CHAT, "hi")
    number_as_text["message"]["text"] = 5
    fake_telegram.push(
        number_as_text,
        {"update_id": 32, "message": "not a message"},
        text_update(33, CHAT, "/start"),
    )
    handled: list[str] = []

    def handle(inbound):
        handled.append(inbound.provider_id)
        return runtime.engine.handle(inbound)

    async def poll_until_handled() -> None:
        stop = asyncio.Event()
        polling = asyncio.create_task(telegram.poll(runtime.settings, handle, stop, 1))
        while not handled:
            assert not polling.done(), polling.result()
            await asyncio.sleep(0.05)
        stop.set()
        await polling

    with (
        caplog.at_level(logging.WARNING, logger="bot.channels.telegram"),
        ThreadPoolExecutor(1) as own_thread,  # a thread with no event loop of its own yet
    ):
        own_thread.submit(asyncio.run, asyncio.wait_for(poll_until_handled(), 60)).result()
    assert handled == [f"{CHAT}:33"]
    assert count(store, InboundMessage) == 1
    skipped = [record.getMessage() for record in caplog.records]
    assert skipped == [
        "skipped a malformed Telegram update: message.text is not a string",
        "skipped a malformed Telegram update: message is not an object",
    ]
