"""VERIFY <code> from numbers the bot has never seen, through the real webhooks, engine and
sender to the fake Twilio and Telegram servers: answered at once, in the language of the word,
with no contact or conversation left behind, and rate-limited per address."""

from datetime import timedelta

from channel_support import post_signed, twilio_form
from fakes.telegram import WEBHOOK_SECRET, text_update
from fastapi.testclient import TestClient
from seal_support import sealed_business
from sqlalchemy import func, select

from bot.app import create_app
from bot.domain.seals import revoke_seal, shown_code
from bot.models import (
    Contact,
    ConversationState,
    InboundMessage,
    OutboundMessage,
    Seal,
    VerifyCounter,
)
from bot.scheduler import seals_tick

SECRET = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
STRANGER = "+447700900123"


def count(store, model) -> int:
    with store.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def seal_code(runtime) -> str:
    with runtime.store.transaction() as session:
        return sealed_business(session, runtime.clock.now()).code


def test_verify_by_sms_from_an_unknown_number_is_answered_and_leaves_no_contact(
    runtime, client, fake_twilio, store
) -> None:
    code = seal_code(runtime)
    contacts = count(store, Contact)
    for number, body in enumerate(
        (f"VERIFY {shown_code(code)}", f"verificar {code.lower()}", "VERIFY ZZZZZ-ZZZZZ", "verify")
    ):
        form = twilio_form(f"SM{number:032d}", STRANGER, body)
        assert post_signed(client, form).status_code == 200
    runtime.sender.send_due()
    bodies = fake_twilio.bodies()
    assert len(bodies) == 4
    assert bodies[0].startswith("Ethical Handcraft seal EH-") and "VALID" in bodies[0]
    assert "Golden Jute Crafts" in bodies[0]
    assert "VÁLIDO" in bodies[1]  # the Spanish word gets a Spanish answer
    assert bodies[2].startswith("No Ethical Handcraft seal has this code")
    assert bodies[3].startswith("Send VERIFY and the code")
    assert {message["To"] for message in fake_twilio.messages} == {STRANGER}
    assert count(store, Contact) == contacts  # no contact, so no conversation either
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ConversationState)) == 0
        assert session.scalars(select(InboundMessage.contact_id)).all() == [None] * 4


def test_verify_on_whatsapp_from_an_unknown_number_is_answered_inside_the_window(
    runtime, client, fake_twilio, store
) -> None:
    code = seal_code(runtime)
    form = twilio_form("SM" + "7" * 32, "whatsapp:" + STRANGER, f"VERIFY {code}")
    assert post_signed(client, form).status_code == 200
    runtime.sender.send_due()
    [sent] = fake_twilio.messages
    assert sent["To"] == "whatsapp:" + STRANGER and "VALID" in sent["Body"]  # free text
    assert "ContentSid" not in sent
    assert count(store, Contact) == 1  # the sealed business's leader only


def test_verify_on_telegram_from_an_unknown_chat_answers_in_french(
    runtime, client, fake_telegram, store
) -> None:
    code = seal_code(runtime)
    with runtime.store.transaction() as session:
        business = session.scalar(select(Seal.business_id).where(Seal.code == code))
        revoke_seal(session, business, "Travail d'enfant constaté", runtime.clock.now())
    contacts = count(store, Contact)
    update = text_update(2001, 7770001, f"Vérifier {shown_code(code)}")
    assert client.post("/webhooks/telegram", json=update, headers=SECRET).status_code == 200
    command = text_update(2002, 7770002, f"/verify@HandcraftBot {code}")
    assert client.post("/webhooks/telegram", json=command, headers=SECRET).status_code == 200
    runtime.sender.send_due()
    sent, answered = fake_telegram.called("sendMessage")
    assert "RETIRÉ" in sent["text"] and "reply_markup" not in sent
    assert "REVOKED" in answered["text"]
    assert count(store, Contact) == contacts
    assert count(store, ConversationState) == 0


def test_verify_is_limited_per_address_and_opens_again_after_the_window(
    make_runtime, store, clock
) -> None:
    runtime = make_runtime(verify_limit=3, verify_window_minutes=60)
    code = seal_code(runtime)
    with TestClient(create_app(runtime)) as client:

        def ask(sid: str, sender: str = STRANGER) -> None:
            form = twilio_form(sid, sender, f"VERIFY {code}")
            assert post_signed(client, form).status_code == 200

        for number in range(6):
            ask(f"SM{number:032d}")
        ask("SM" + "9" * 32, "+447700900999")  # another number has its own allowance
        clock.advance(timedelta(minutes=61))
        ask("SM" + "8" * 32)
    seals_tick(runtime)  # forgets the counters whose window ended
    assert count(store, VerifyCounter) == 1
    with store.transaction() as session:
        answered = session.scalars(select(OutboundMessage.address).order_by(OutboundMessage.id))
        assert list(answered) == [STRANGER] * 3 + ["+447700900999", STRANGER]
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 8
