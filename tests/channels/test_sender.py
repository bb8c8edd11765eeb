"""The sender against fake Twilio and Telegram servers: once each, in order, at the pace allowed.

Time for retries is the ManualClock; a test moves it and calls the sender again.
"""

import json
import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from channel_support import post_signed
from fakes.telegram import FakeTelegram, options
from fakes.twilio import SMS_FROM, TEMPLATE_SID, WHATSAPP_FROM
from sqlalchemy import select

from bot.channels.provider import Inbound
from bot.delivery import record_report
from bot.domain.notify import notify
from bot.models import Contact, OutboundMessage
from flows.core import Reply

PHONE = "+919812345678"


def rows(runtime) -> list[OutboundMessage]:
    with runtime.store.transaction() as session:
        return list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


def say(runtime, text: str, address: str = PHONE, channel: str = "sms", sid: str = "") -> None:
    sid = sid or f"{channel}-{address}-{text}-{len(rows(runtime))}"
    assert not runtime.engine.handle(Inbound(channel, address, sid, text)).duplicate


def test_a_reply_goes_out_once_through_twilio_with_its_delivery_report_url(
    runtime, fake_twilio
) -> None:
    say(runtime, "hi")
    assert runtime.sender.send_due() == 1
    assert runtime.sender.send_due() == 0
    [sent] = fake_twilio.messages
    [row] = rows(runtime)
    assert (sent["To"], sent["From"], sent["Body"]) == (PHONE, SMS_FROM, row.body)
    callback = urlsplit(sent["StatusCallback"])
    assert callback.path == "/webhooks/twilio/status"
    assert parse_qs(callback.query) == {"outbound": [str(row.id)]}
    assert (row.status, row.provider_id, row.attempts) == ("sent", sent["sid"], 1)
    assert row.sent_at is not None and row.claimed_by is None


@pytest.mark.parametrize("failure", [500, 503, 429])
def test_a_passing_failure_is_retried_later_and_the_message_sent_once(
    runtime, fake_twilio, clock, failure
) -> None:
    fake_twilio.plan(failure)
    say(runtime, "hi")
    assert runtime.sender.send_due() == 0
    [row] = rows(runtime)
    assert (row.status, row.error_code, row.attempts) == ("queued", str(failure), 1)
    assert runtime.sender.send_due() == 0, "not before its time"
    clock.advance(timedelta(seconds=30))
    assert runtime.sender.send_due() == 1
    assert len(fake_twilio.messages) == 1
    [row] = rows(runtime)
    assert (row.status, row.attempts, row.error_code) == ("sent", 2, None)


def test_retries_back_off_and_then_give_up(runtime, fake_twilio, clock) -> None:
    fake_twilio.plan(*[500] * 10)
    say(runtime, "hi")
    waits = []
    for _ in range(10):
        runtime.sender.send_due()
        [row] = rows(runtime)
        waits.append(row.next_attempt_at - clock.now())
        clock.advance(timedelta(hours=1))
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert max(waits) == timedelta(minutes=30)
    [row] = rows(runtime)
    assert (row.status, row.attempts, row.error_code) == ("failed", 10, "500")
    assert runtime.sender.send_due() == 0
    assert fake_twilio.messages == []


def test_a_permanent_refusal_is_recorded_and_never_retried(runtime, fake_twilio, clock) -> None:
    fake_twilio.plan((400, 21211))
    say(runtime, "hi")
    runtime.sender.send_due()
    clock.advance(timedelta(days=2))
    assert runtime.sender.send_due() == 0
    [row] = rows(runtime)
    assert (row.status, row.error_code, row.attempts) == ("failed", "21211", 1)
    assert "not a valid phone number" in row.error_detail
    assert len(fake_twilio.calls) == 1


def test_one_persons_messages_leave_in_order_even_when_the_first_must_wait(
    runtime, fake_twilio, clock
) -> None:
    say(runtime, "hi")
    runtime.sender.send_due()
    fake_twilio.plan(500)
    say(runtime, "help")  # two replies: the help text, then the question again
    first, second = [row.body for row in rows(runtime)[1:]]
    assert runtime.sender.send_due() == 0, "the second waits behind the first"
    clock.advance(timedelta(seconds=30))
    assert runtime.sender.send_due() == 2
    assert fake_twilio.bodies()[1:] == [first, second]


def test_after_a_restart_queued_messages_are_all_sent_and_none_twice(
    make_runtime, fake_twilio, clock
) -> None:
    before = make_runtime()
    phones = [f"+91981234{n:04d}" for n in range(4)]
    for phone in phones:
        say(before, "hi", phone)
    fake_twilio.plan("ok", 500)
    before.sender.send_due()
    before.close()
    assert [message["To"] for message in fake_twilio.messages] == phones[:1] + phones[2:]

    after = make_runtime()
    clock.advance(timedelta(minutes=1))
    assert after.sender.send_due() == 1
    assert after.sender.send_due() == 0
    assert sorted(message["To"] for message in fake_twilio.messages) == sorted(phones)
    assert {row.status for row in rows(after)} == {"sent"}


def test_inside_the_whatsapp_window_a_reply_is_free_form(runtime, fake_twilio) -> None:
    say(runtime, "hi", channel="whatsapp")
    runtime.sender.send_due()
    [sent] = fake_twilio.messages
    [row] = rows(runtime)
    assert (sent["To"], sent["From"]) == (f"whatsapp:{PHONE}", WHATSAPP_FROM)
    assert sent["Body"] == row.body
    assert "ContentSid" not in sent
    assert row.sent_as == "freeform"


def test_outside_the_whatsapp_window_the_approved_template_carries_the_text(
    runtime, fake_twilio, clock
) -> None:
    say(runtime, "hi", channel="whatsapp")
    clock.advance(timedelta(hours=24, seconds=1))
    runtime.sender.send_due()
    [sent] = fake_twilio.messages
    [row] = rows(runtime)
    assert sent["ContentSid"] == TEMPLATE_SID and "Body" not in sent
    variables = json.loads(sent["ContentVariables"])
    assert "\n" not in variables["1"]
    assert variables["1"].startswith("Welcome") and "1 English | 2 Español" in variables["1"]
    assert (row.sent_as, row.template_variables) == ("template", variables)


def test_outside_the_window_without_a_template_the_message_is_failed_not_sent(
    make_runtime, fake_twilio, clock
) -> None:
    runtime = make_runtime(twilio_whatsapp_template_sid="")
    say(runtime, "hi", channel="whatsapp")
    clock.advance(timedelta(days=2))
    runtime.sender.send_due()
    [row] = rows(runtime)
    assert (row.status, row.error_code) == ("failed", "no_template")
    assert fake_twilio.calls == []


def test_a_carrier_opt_out_stops_every_later_message(runtime, fake_twilio, clock) -> None:
    say(runtime, "hi")
    runtime.sender.send_due()
    [row] = rows(runtime)
    with runtime.store.transaction() as session:
        contact = session.scalar(select(Contact))
        notify(session, contact, [Reply("keyword.help")], clock.now())  # a reminder, queued
    with runtime.store.transaction() as session:
        record_report(session, row.provider_id, "failed", "21610", None, clock.now())
    with runtime.store.transaction() as session:
        assert session.scalar(select(Contact.opted_out)) is True
    assert runtime.sender.send_due() == 0
    assert len(fake_twilio.messages) == 1
    reminder = rows(runtime)[-1]
    assert (reminder.status, reminder.error_code) == ("cancelled", "opted_out")


def test_twilio_refusing_an_unsubscribed_number_opts_the_person_out(runtime, fake_twilio) -> None:
    fake_twilio.plan((400, 21610))
    say(runtime, "hi")
    runtime.sender.send_due()
    [row] = rows(runtime)
    assert (row.status, row.error_code) == ("failed", "21610")
    with runtime.store.transaction() as session:
        assert session.scalar(select(Contact.opted_out)) is True


def test_after_stop_only_its_confirmation_goes_out(runtime, fake_twilio, clock) -> None:
    say(runtime, "hi")
    runtime.sender.send_due()
    clock.advance(timedelta(minutes=1))
    say(runtime, "help")  # two replies, still queued when STOP arrives
    clock.advance(timedelta(seconds=5))
    say(runtime, "STOP")
    runtime.sender.send_due()
    assert [(row.message_key, row.status) for row in rows(runtime)[1:]] == [
        ("keyword.help", "cancelled"),
        ("onboarding.choose_language", "cancelled"),
        ("keyword.stopped", "sent"),
    ]
    assert "START" in fake_twilio.bodies()[-1]


def test_channels_that_are_off_leave_their_messages_queued(make_runtime, fake_twilio) -> None:
    runtime = make_runtime(twilio_sms_from="", telegram_bot_token="")
    say(runtime, "hi")
    say(runtime, "hi", "telegram:5550001", "telegram")
    say(runtime, "hi", "+15550001111", "sim")
    assert runtime.sender.send_due() == 0
    assert {row.status for row in rows(runtime)} == {"queued"}
    assert fake_twilio.calls == []


def test_telegram_menus_go_as_buttons_that_send_the_option_number(
    runtime, fake_telegram: FakeTelegram
) -> None:
    say(runtime, "/start", "telegram:5550001", "telegram")
    assert runtime.sender.send_due() == 1
    [sent] = fake_telegram.sent
    assert sent["chat_id"] == 5550001
    assert "\n1 " not in sent["text"]
    keyboard = sent["reply_markup"]["inline_keyboard"]
    shown = options((row[0]["text"], row[0]["callback_data"]) for row in keyboard)
    assert shown == [["English", "1"], ["Español", "2"], ["Français", "3"], ["हिन्दी", "4"]]
    [row] = rows(runtime)
    assert (row.status, row.provider_id) == ("sent", "5550001:1")


def test_telegram_gets_one_message_a_second_into_one_chat(runtime, fake_telegram, clock) -> None:
    say(runtime, "/start", "telegram:5550001", "telegram")
    runtime.sender.send_due()
    say(runtime, "help", "telegram:5550001", "telegram")
    say(runtime, "/start", "telegram:5550002", "telegram")
    assert runtime.sender.send_due() == 1, "another chat need not wait"
    clock.advance(timedelta(milliseconds=999))
    assert runtime.sender.send_due() == 0
    clock.advance(timedelta(milliseconds=1))
    assert runtime.sender.send_due() == 1
    clock.advance(timedelta(seconds=1))
    assert runtime.sender.send_due() == 1
    assert [message["chat_id"] for message in fake_telegram.sent] == [5550001, 5550002] + [
        5550001
    ] * 2


@pytest.mark.parametrize(
    ("status", "outcome", "opted_out"),
    [(400, "failed", False), (403, "failed", True), (500, "queued", False), (429, "queued", False)],
)
def test_telegram_refusals_are_retried_or_recorded(
    runtime, fake_telegram, clock, status, outcome, opted_out
) -> None:
    fake_telegram.plan(status)
    say(runtime, "/start", "telegram:5550001", "telegram")
    runtime.sender.send_due()
    [row] = rows(runtime)
    assert (row.status, row.error_code) == (outcome, str(status))
    with runtime.store.transaction() as session:
        assert session.scalar(select(Contact.opted_out)) is opted_out
    clock.advance(timedelta(minutes=5))
    runtime.sender.send_due()
    assert len(fake_telegram.sent) == (1 if outcome == "queued" else 0)


def test_several_senders_share_one_rate_limit_through_the_database(
    make_runtime, fake_twilio
) -> None:
    limit = 5
    senders = [make_runtime(twilio_sms_per_second=limit) for _ in range(2)]
    for n in range(12):
        say(senders[0], "hi", f"+91981234{n:04d}")
    threads = [threading.Thread(target=sender.sender.send_due) for sender in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({message["To"] for message in fake_twilio.messages}) == 12
    assert len(fake_twilio.messages) == 12
    arrivals = sorted(call.at for call in fake_twilio.calls)
    busiest = max(sum(1 for t in arrivals if start <= t < start + 1) for start in arrivals)
    assert busiest <= limit


def left_by_a_dead_sender(runtime, status: str, clock) -> OutboundMessage:
    """The state a sender killed mid-batch leaves behind: a row it claimed or was sending."""
    say(runtime, "hi")
    with runtime.store.transaction() as session:
        row = session.scalar(select(OutboundMessage))
        row.status, row.claimed_by = status, "a-sender-that-died"
        row.next_attempt_at = clock.now() + timedelta(seconds=60)
        row.attempts = 1 if status == "sending" else 0
    return row


def test_rows_a_dead_sender_had_claimed_are_sent_when_its_lease_ends(
    runtime, fake_twilio, clock
) -> None:
    left_by_a_dead_sender(runtime, "claimed", clock)
    assert runtime.sender.send_due() == 0
    clock.advance(timedelta(seconds=60))
    assert runtime.sender.send_due() == 1
    assert len(fake_twilio.messages) == 1


def test_a_row_a_dead_sender_was_sending_is_never_sent_again(runtime, fake_twilio, clock) -> None:
    left_by_a_dead_sender(runtime, "sending", clock)
    assert runtime.sender.send_due() == 0
    clock.advance(timedelta(seconds=60))
    assert runtime.sender.send_due() == 0
    clock.advance(timedelta(days=1))
    assert runtime.sender.send_due() == 0
    [row] = rows(runtime)
    assert (row.status, row.error_code) == ("unknown", "interrupted")
    assert fake_twilio.calls == []


def test_twilios_report_settles_a_message_whose_sender_died_after_handing_it_over(
    runtime, client, clock
) -> None:
    row = left_by_a_dead_sender(runtime, "sending", clock)
    clock.advance(timedelta(seconds=60))
    runtime.sender.send_due()
    report = {"MessageSid": "SM" + "7" * 32, "MessageStatus": "delivered", "AccountSid": "AC1"}
    response = post_signed(client, report, f"/webhooks/twilio/status?outbound={row.id}")
    assert response.status_code == 204
    [row] = rows(runtime)
    assert (row.status, row.provider_id) == ("delivered", "SM" + "7" * 32)


def test_delivery_reports_move_a_message_forward_and_never_back(
    runtime, client, fake_twilio
) -> None:
    say(runtime, "hi", channel="whatsapp")
    runtime.sender.send_due()
    [row] = rows(runtime)
    path = f"/webhooks/twilio/status?outbound={row.id}"
    seen = []
    for status in ("sent", "delivered", "sent", "read", "delivered"):
        report = {"MessageSid": row.provider_id, "MessageStatus": status}
        assert post_signed(client, report, path).status_code == 204
        seen.append(rows(runtime)[0].status)
    assert seen == ["sent", "delivered", "delivered", "read", "read"]


def test_an_undelivered_report_records_its_error_code(runtime, client) -> None:
    say(runtime, "hi")
    runtime.sender.send_due()
    [row] = rows(runtime)
    report = {"MessageSid": row.provider_id, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert post_signed(client, report, "/webhooks/twilio/status").status_code == 204
    [row] = rows(runtime)
    assert (row.status, row.error_code) == ("undelivered", "30003")


DELIVERED = {"MessageSid": "SM" + "5" * 32, "MessageStatus": "delivered"}


@pytest.mark.parametrize(
    ("report", "query", "status"),
    [
        (DELIVERED, "", 204),
        (DELIVERED, "?outbound=999999", 204),
        (DELIVERED, "?outbound=x%27%20OR%201", 400),
        (DELIVERED, "?outbound=" + "9" * 400, 400),
        (DELIVERED, "?outbound=1&outbound=2", 400),
        (DELIVERED | {"MessageStatus": "teleported"}, "", 400),
        (DELIVERED | {"MessageStatus": "received"}, "", 400),
        ({"MessageStatus": "delivered"}, "", 400),
        ({"MessageSid": "SM" + "5" * 32}, "", 400),
        (DELIVERED | {"MessageStatus": "<b>"}, "", 400),
        (DELIVERED | {"MessageStatus": "failed", "ErrorCode": "DROP"}, "", 400),
    ],
)
def test_reports_that_name_no_message_of_ours_change_nothing(
    runtime, client, report, query, status
) -> None:
    say(runtime, "hi")
    runtime.sender.send_due()
    before = [(row.status, row.provider_id, row.error_code) for row in rows(runtime)]
    response = post_signed(client, report, "/webhooks/twilio/status" + query)
    assert response.status_code == status
    assert [(row.status, row.provider_id, row.error_code) for row in rows(runtime)] == before


def test_a_long_flood_wait_holds_the_lane_without_sleeping_through_it(
    runtime, fake_telegram, clock
) -> None:
    fake_telegram.plan((429, 3600))
    say(runtime, "/start", "telegram:5550001", "telegram")
    say(runtime, "/start", "telegram:5550002", "telegram")
    assert runtime.sender.send_due() == 0
    first, second = rows(runtime)
    assert (first.status, first.error_code, first.attempts) == ("queued", "429", 1)
    assert first.next_attempt_at >= clock.now() + timedelta(hours=1)
    assert (second.status, second.attempts) == ("queued", 0), "never attempted"
    clock.advance(timedelta(seconds=10))
    assert runtime.sender.send_due() == 0, "the lane is still held"
    assert len(fake_telegram.called("sendMessage")) == 1
    assert rows(runtime)[1].attempts == 0


def test_a_report_for_a_message_waiting_to_be_retried_stops_the_retry(
    runtime, client, fake_twilio, clock
) -> None:
    """After a timeout Twilio may have taken the message after all; its report says so before
    the retry is due, and the retry does not happen."""
    say(runtime, "hi")
    with runtime.store.transaction() as session:
        row = session.scalar(select(OutboundMessage))
        row.attempts, row.error_code = 1, "timeout"
        row.next_attempt_at = clock.now() + timedelta(seconds=30)
    report = {"MessageSid": "SM" + "8" * 32, "MessageStatus": "sent"}
    assert (
        post_signed(client, report, f"/webhooks/twilio/status?outbound={row.id}").status_code == 204
    )
    clock.advance(timedelta(minutes=5))
    assert runtime.sender.send_due() == 0
    assert fake_twilio.calls == []
    [row] = rows(runtime)
    assert (row.status, row.provider_id) == ("sent", "SM" + "8" * 32)


def test_a_proxy_named_in_the_environment_carries_the_sends(
    make_runtime, fake_twilio, monkeypatch
) -> None:
    """The proxy variables are read once, when the provider is made (requests would read the
    whole environment at every send), and still honoured: here the only way to the API's
    unresolvable address is through the proxy, which the fake plays."""
    monkeypatch.setenv("HTTP_PROXY", fake_twilio.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    runtime = make_runtime(twilio_api_base_url="http://api.twilio.invalid")
    say(runtime, "hi")
    assert runtime.sender.send_due() == 1
    [sent] = fake_twilio.messages
    assert sent["To"] == PHONE


def test_an_address_exempt_from_the_proxy_is_reached_directly(
    make_runtime, fake_twilio, monkeypatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    runtime = make_runtime()
    say(runtime, "hi")
    assert runtime.sender.send_due() == 1
    assert len(fake_twilio.messages) == 1
