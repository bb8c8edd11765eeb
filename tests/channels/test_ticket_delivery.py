"""Staff answers to a ticket leave through the real sender: on SMS as text, on WhatsApp as the
approved template once the 24-hour window has closed, the answer its variable."""

import json
from datetime import timedelta

from fakes.twilio import TEMPLATE_SID, FakeTwilio

from bot.domain.business import register_business
from bot.domain.tickets import reply, write
from bot.models import Contact
from bot.staff import create_staff


def ticket_from(runtime, channel: str, address: str) -> int:
    now = runtime.clock.now()
    with runtime.store.transaction() as session:
        leader = Contact(
            address=address, channel=channel, language="en", created_at=now,
            consented_at=now, last_inbound_at=now,
        )  # fmt: skip
        session.add(leader)
        session.flush()
        register_business(session, leader, "Blue Thread", "Jaipur", "IN", now)
        return write(session, leader, "How do I write piece rates?", now).id


def answer(runtime, ticket_id: int, text: str) -> None:
    with runtime.store.transaction() as session:
        staff = create_staff(session, f"s{ticket_id}@example.org", "staff",
                             "a long enough password", runtime.clock.now())  # fmt: skip
        reply(session, ticket_id, staff.id, text, runtime.clock.now())


def test_an_answer_reaches_an_sms_leader(runtime, fake_twilio: FakeTwilio) -> None:
    ticket_id = ticket_from(runtime, "sms", "+919812300001")
    runtime.sender.send_due()  # the notice that the ticket opened
    answer(runtime, ticket_id, "Write the rate per piece on each order slip.")
    assert runtime.sender.send_due() == 1
    sent = fake_twilio.messages[-1]
    assert sent["To"] == "+919812300001"
    assert sent["Body"] == "Programme team: Write the rate per piece on each order slip."


def test_outside_the_window_a_whatsapp_answer_goes_as_the_template(
    runtime, fake_twilio: FakeTwilio, clock
) -> None:
    ticket_id = ticket_from(runtime, "whatsapp", "+919812300002")
    runtime.sender.send_due()
    clock.advance(timedelta(hours=30))
    answer(runtime, ticket_id, "Write the rate per piece.\nGive each group a copy.")
    assert runtime.sender.send_due() == 1
    sent = fake_twilio.messages[-1]
    assert sent["ContentSid"] == TEMPLATE_SID and "Body" not in sent
    assert json.loads(sent["ContentVariables"]) == {
        "1": "Programme team: Write the rate per piece. | Give each group a copy."
    }
