"""What the registry of channels gives the rest of the product, and a channel that answers in
its webhook's own response (as a voice call's TwiML must) instead of through the outbox."""

import uuid
from collections.abc import Sequence

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.capabilities import (
    Capabilities,
    capabilities_of,
    channel_names,
    declare,
    written_channels,
)
from bot.channels.provider import Answer, Arrival, Inbound, MalformedPayload, Webhook, WebhookCall
from bot.channels.registry import CHANNELS, channel_for, paced_channels, webhooks
from bot.models import OutboundMessage
from bot.runtime import Runtime
from bot.scheduler import ticks
from bot.settings import Settings
from bot.webhooks import webhook_router
from messages.render import Rendered

ECHO = "echo-test"
declare(ECHO, Capabilities(paced=False, answers_in_response=True))


def test_every_channel_name_is_run_by_one_registered_module() -> None:
    assert channel_names()[:4] == ("sms", "whatsapp", "telegram", "sim")
    for name in ("sms", "whatsapp", "telegram", "sim"):
        assert name in channel_for(name).capabilities
    assert capabilities_of("telegram").buttons and not capabilities_of("sms").buttons
    assert paced_channels() == ("sms", "whatsapp", "telegram", "voice_callback")
    voice = capabilities_of("voice")
    assert voice.answers_in_response and not voice.paced and not voice.practice
    assert voice.calls_back_on == "voice_callback"
    # A broadcast is written: never to a call, nor to the lane that places call-backs.
    assert written_channels() == ("sms", "whatsapp", "telegram", "sim")
    assert len({id(channel_for(name)) for name in channel_names() if name != ECHO}) == len(CHANNELS)


def test_the_webhooks_and_send_ticks_come_from_the_registry() -> None:
    assert [webhook.path for webhook in webhooks()] == [
        "/twilio",
        "/twilio/status",
        "/telegram",
        "/twilio/voice",
        "/twilio/voice/status",
    ]
    sends = sorted(tick.name for tick in ticks() if tick.name.startswith("outbox."))
    assert sends == [
        "outbox.send_sms",
        "outbox.send_telegram",
        "outbox.send_voice_callback",
        "outbox.send_whatsapp",
    ]


def _read(call: WebhookCall, _: Settings) -> Arrival:
    text = call.body.decode("utf-8", "replace")
    caller = call.query.get("caller", "")
    if not caller:
        raise MalformedPayload("caller is missing")
    inbound = Inbound(ECHO, caller, call.headers.get("x-call-id", uuid.uuid4().hex), text)

    def spoken(replies: Sequence[Rendered]) -> Answer:
        return Answer(200, "text/plain", "\n\n".join(reply.body for reply in replies).encode())

    return Arrival(inbound=inbound, answer=spoken)


def test_a_channel_can_answer_in_the_webhooks_own_response(migrated, store, clock) -> None:
    runtime = Runtime(Settings(_env_file=None, database_url=migrated), clock)
    app = FastAPI()
    app.state.runtime = runtime
    app.include_router(webhook_router([Webhook("/echo", "text/plain", lambda _: None, _read)]))
    try:
        with TestClient(app) as client:
            missing = client.post(
                "/webhooks/echo", content="hi", headers={"content-type": "text/plain"}
            )
            assert missing.status_code == 400 and "caller is missing" in missing.text
            answer = client.post(
                "/webhooks/echo?caller=%2B15550009999",
                content="hi",
                headers={"content-type": "text/plain", "x-call-id": "call-1"},
            )
        assert answer.status_code == 200
        assert "Choose your language:\n1 English" in answer.text
        with store.transaction() as session:
            rows = session.scalars(select(OutboundMessage)).all()
        assert [(row.channel, row.status) for row in rows] == [(ECHO, "sent")]
        assert rows[0].body == answer.text
    finally:
        runtime.close()
