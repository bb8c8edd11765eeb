"""Quiet hours: what the programme sends on its own (reminders, notices, broadcasts) reaches a
person only in their local daytime, through the real sender; replies never wait. Business and
phone time zones, and reminders planned at the local morning."""

import time as wall
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from typing import Any

import pytest
from fakes import DEPLOYMENT_KEYS
from fakes import twilio as tw
from fakes.twilio import FakeTwilio
from sqlalchemy import select

from bot.channels.provider import Inbound
from bot.clock import ManualClock
from bot.db import Store
from bot.domain.actions import create_action_item
from bot.domain.broadcasts import create_broadcast, expand_next_chunk
from bot.domain.business import register_business, set_time_zone
from bot.domain.errors import Invalid
from bot.domain.quiet import QuietHours, read_quiet_hours, send_from
from bot.domain.reminders import fire_due
from bot.domain.zones import (
    ZoneError,
    checked_zone,
    country_zones,
    default_zone,
    local_moment,
    phone_zone,
    to_utc,
)
from bot.models import Business, Contact, OutboundMessage, Reminder
from bot.runtime import Runtime
from bot.settings import Settings

NIGHT = QuietHours(time(21), time(8))
MEXICO = "America/Mexico_City"  # UTC-6 all year (no daylight saving since 2022)
INDIA = "Asia/Kolkata"  # UTC+5:30
START = datetime(2026, 1, 5, 12)


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake
        fake.release()


@pytest.fixture
def make_runtime(store, migrated, fake_twilio) -> Iterator[Callable[..., Runtime]]:
    """A process with SMS pointed at the fake and quiet hours 21:00-08:00, on a clock that
    starts at 12:00 UTC on 5 January 2026 (06:00 in Mexico City, 17:30 in India)."""
    made: list[Runtime] = []

    def make(**overrides: Any) -> Runtime:
        values: dict[str, Any] = {
            "database_url": migrated,
            "public_base_url": "https://bot.example.org",
            "secret_key": DEPLOYMENT_KEYS["SECRET_KEY"],
            "survey_key": DEPLOYMENT_KEYS["SURVEY_KEY"],
            "twilio_account_sid": tw.ACCOUNT_SID,
            "twilio_auth_token": tw.AUTH_TOKEN,
            "twilio_sms_from": tw.SMS_FROM,
            "twilio_api_base_url": fake_twilio.url,
            "twilio_sms_per_second": 500,
            "quiet_hours": "21:00-08:00",
        }
        runtime = Runtime(Settings(_env_file=None, **(values | overrides)), ManualClock(START))
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.close()


@pytest.fixture
def runtime(make_runtime) -> Runtime:
    return make_runtime()


def leader_in(runtime: Runtime, phone: str, country: str, name: str = "Blue Thread") -> int:
    now = runtime.clock.now()
    with runtime.store.transaction() as session:
        contact = Contact(
            address=phone, channel="sms", language="en", created_at=now, consented_at=now
        )
        session.add(contact)
        session.flush()
        return register_business(session, contact, name, "Town", country, now).id


def rows_for(store: Store, address: str) -> list[OutboundMessage]:
    with store.transaction() as session:
        return list(
            session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.address == address)
                .order_by(OutboundMessage.id)
            )
        )


def sent_to(fake: FakeTwilio, address: str) -> list[str]:
    return [message["Body"] for message in fake.messages if message["To"] == address]


def move_to(runtime: Runtime, moment: datetime) -> None:
    runtime.clock.advance(moment - runtime.clock.now())


# Reading the setting and the hours themselves.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21:00-08:00", NIGHT),
        (" 22:30 - 6:15 ", QuietHours(time(22, 30), time(6, 15))),
        ("13:00-14:00", QuietHours(time(13), time(14))),
        ("", None),
        ("   ", None),
    ],
)
def test_the_quiet_hours_setting_is_read(text: str, expected: QuietHours | None) -> None:
    assert read_quiet_hours(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9pm-8am", "like 21:00-08:00"),
        ("25:00-08:00", "does not exist"),
        ("21:60-08:00", "does not exist"),
        ("08:00-08:00", "same time"),
        ("21:00-08:00; DROP TABLE contacts", "like 21:00-08:00"),
        ("1" * 10_000, "like 21:00-08:00"),
    ],
)
def test_a_wrong_quiet_hours_setting_says_what_is_expected(text: str, message: str) -> None:
    with pytest.raises(Invalid, match=message) as raised:
        read_quiet_hours(text)
    assert len(str(raised.value)) < 200


def test_a_process_with_a_wrong_setting_does_not_start(migrated) -> None:
    settings = Settings(_env_file=None, database_url=migrated, quiet_hours="late")
    with pytest.raises(Invalid, match="QUIET_HOURS"):
        Runtime(settings, ManualClock())


def test_a_message_at_night_waits_for_the_local_morning() -> None:
    # 23:00 in Mexico City is 05:00 UTC the next day; 08:00 there is 14:00 UTC.
    assert send_from(NIGHT, MEXICO, datetime(2026, 1, 6, 5)) == datetime(2026, 1, 6, 14)
    # 02:00 local, after midnight: the same morning.
    assert send_from(NIGHT, MEXICO, datetime(2026, 1, 6, 8)) == datetime(2026, 1, 6, 14)
    # 21:00 local sharp is night, 08:00 sharp is day, daytime goes at once.
    assert send_from(NIGHT, MEXICO, datetime(2026, 1, 6, 3)) == datetime(2026, 1, 6, 14)
    assert send_from(NIGHT, MEXICO, datetime(2026, 1, 6, 14)) == datetime(2026, 1, 6, 14)
    assert send_from(NIGHT, MEXICO, datetime(2026, 1, 6, 20)) == datetime(2026, 1, 6, 20)
    assert send_from(None, MEXICO, datetime(2026, 1, 6, 5)) == datetime(2026, 1, 6, 5)
    # A daytime quiet span (not across midnight).
    lunch = QuietHours(time(13), time(14))
    assert send_from(lunch, "UTC", datetime(2026, 1, 6, 13, 30)) == datetime(2026, 1, 6, 14)


def test_the_morning_follows_the_clock_change() -> None:
    # New York: clocks go forward at 02:00 on 8 March 2026; 08:00 that day is 12:00 UTC,
    # the day before 13:00 UTC.
    york = "America/New_York"
    assert send_from(NIGHT, york, datetime(2026, 3, 8, 4)) == datetime(2026, 3, 8, 12)
    assert send_from(NIGHT, york, datetime(2026, 3, 7, 4)) == datetime(2026, 3, 7, 13)
    # A quiet span ending at 02:30, a time that does not exist that night: just after it.
    early = QuietHours(time(21), time(2, 30))
    assert send_from(early, york, datetime(2026, 3, 8, 6)) == datetime(2026, 3, 8, 7, 30)


# Time zones of businesses, phones and typed times.


def test_a_country_gives_its_zones_the_default_first() -> None:
    assert country_zones("IN") == (INDIA,)
    assert country_zones("mx")[0] == MEXICO and len(country_zones("MX")) > 5
    assert default_zone("MX") == MEXICO
    assert default_zone("XX") == "UTC" and country_zones("??") == ()


def test_a_phone_number_gives_its_zone() -> None:
    assert phone_zone("+919812345678") == INDIA
    assert phone_zone("whatsapp:+525512345678") == MEXICO
    assert phone_zone("123456789") == "UTC"  # a chat id
    assert phone_zone("+999") == "UTC"


def test_typed_local_times_become_utc_and_a_skipped_one_is_explained() -> None:
    assert to_utc(datetime(2026, 1, 6, 23), MEXICO) == datetime(2026, 1, 7, 5)
    # Clocks go back at 02:00 on 1 November 2026 in New York: 01:30 is taken as the first.
    assert to_utc(datetime(2026, 11, 1, 1, 30), "America/New_York") == datetime(2026, 11, 1, 5, 30)
    with pytest.raises(ZoneError, match="does not exist in America/New_York"):
        to_utc(datetime(2026, 3, 8, 2, 30), "America/New_York")
    with pytest.raises(ZoneError, match="not a time zone"):
        checked_zone("Mars/Olympus_Mons")
    with pytest.raises(ZoneError, match="not a time zone"):
        checked_zone("x" * 10_000)


def test_a_business_takes_its_country_zone_and_may_choose_another(runtime) -> None:
    business_id = leader_in(runtime, "+525512340001", "MX")
    with runtime.store.transaction() as session:
        assert session.get(Business, business_id).time_zone == MEXICO
        set_time_zone(session, business_id, "America/Tijuana")
        assert session.get(Business, business_id).time_zone == "America/Tijuana"
        for wrong in ("Asia/Kolkata", "", "Nowhere/Town", "<script>"):
            with pytest.raises(Invalid, match="is not a time zone of MX"):
                set_time_zone(session, business_id, wrong)
        assert session.get(Business, business_id).time_zone == "America/Tijuana"


# Through the sender.


def new_item(runtime: Runtime, business_id: int, due: date) -> int:
    with runtime.store.transaction() as session:
        return create_action_item(
            session, business_id, "remediation", "major", "Pay every group on delivery",
            due, runtime.clock.now(),
        ).id  # fmt: skip


def test_a_notice_at_night_waits_and_a_reminder_due_at_night_goes_at_eight(
    runtime, fake_twilio
) -> None:
    phone = "+525512340002"
    business_id = leader_in(runtime, phone, "MX")
    # 12:00 UTC is 06:00 in Mexico City: the new item's notice waits until 08:00 (14:00 UTC).
    item_id = new_item(runtime, business_id, date(2026, 1, 12))
    assert {row.next_attempt_at for row in rows_for(runtime.store, phone)} == {
        datetime(2026, 1, 5, 14)
    }
    assert runtime.sender.send_due() == 0 and sent_to(fake_twilio, phone) == []
    move_to(runtime, datetime(2026, 1, 5, 13, 59))
    assert runtime.sender.send_due() == 0
    move_to(runtime, datetime(2026, 1, 5, 14))
    told = len(rows_for(runtime.store, phone))  # the notice and its question
    assert runtime.sender.send_due() == told == 2
    assert len(sent_to(fake_twilio, phone)) == told
    with runtime.store.transaction() as session:
        before = session.scalar(
            select(Reminder).where(Reminder.subject_id == item_id, Reminder.kind == "action_before")
        )
        # Planned at 09:00 in Mexico City (15:00 UTC), three days ahead.
        assert before.due_at == local_moment(date(2026, 1, 9), time(9), MEXICO)
        assert before.due_at == datetime(2026, 1, 9, 15)
    # The ticks stopped that day and start again at 23:00 there: the reminder waits for 08:00.
    move_to(runtime, datetime(2026, 1, 10, 5))
    assert fire_due(runtime.store, runtime.clock.now()) == 1
    assert runtime.sender.send_due() == 0
    move_to(runtime, datetime(2026, 1, 10, 13, 59))
    assert runtime.sender.send_due() == 0
    move_to(runtime, datetime(2026, 1, 10, 14))
    assert runtime.sender.send_due() == 2
    reminder = sent_to(fake_twilio, phone)[told]
    assert reminder.startswith("Reminder, due 12 January 2026"), reminder
    assert runtime.sender.send_due() == 0


def test_a_reply_at_night_goes_at_once(runtime, fake_twilio) -> None:
    phone = "+525512340003"
    leader_in(runtime, phone, "MX")
    move_to(runtime, datetime(2026, 1, 6, 5))  # 23:00 in Mexico City
    handled = runtime.engine.handle(Inbound("sms", phone, "SM-night-1", "menu"))
    assert handled.replies
    rows = rows_for(runtime.store, phone)
    assert rows and {row.next_attempt_at for row in rows} == {runtime.clock.now()}
    assert runtime.sender.send_due() == len(rows)
    assert len(sent_to(fake_twilio, phone)) == len(rows)


def test_someone_who_just_wrote_is_awake(runtime, fake_twilio) -> None:
    phone = "+525512340007"
    business_id = leader_in(runtime, phone, "MX")
    move_to(runtime, datetime(2026, 1, 6, 5))  # 23:00 in Mexico City
    runtime.engine.handle(Inbound("sms", phone, "SM-night-2", "menu"))
    runtime.sender.send_due()
    move_to(runtime, datetime(2026, 1, 6, 5, 29))  # 29 minutes later: a notice goes at once
    new_item(runtime, business_id, date(2026, 1, 20))
    assert rows_for(runtime.store, phone)[-1].next_attempt_at == runtime.clock.now()
    move_to(runtime, datetime(2026, 1, 6, 5, 31))  # 31 minutes after: it waits for 08:00
    new_item(runtime, business_id, date(2026, 1, 21))
    assert rows_for(runtime.store, phone)[-1].next_attempt_at == datetime(2026, 1, 6, 14)


def test_a_broadcast_at_night_reaches_each_leader_in_their_morning(runtime, fake_twilio) -> None:
    york, mexico, india = "+12125550104", "+525512340004", "+919812340004"
    for phone, country in ((york, "US"), (mexico, "MX"), (india, "IN")):
        leader_in(runtime, phone, country, f"Business {phone}")
    # 04:00 UTC: 23:00 in New York, 22:00 in Mexico City, 09:30 in India.
    send_at = datetime(2026, 1, 6, 4)
    with runtime.store.transaction() as session:
        create_broadcast(session, {"en": "Training on Monday"}, {}, send_at, runtime.clock.now())
    move_to(runtime, send_at)
    while True:
        with runtime.store.transaction() as session:
            if not expand_next_chunk(session, runtime.clock.now()):
                break
    assert runtime.sender.send_due() == 1
    assert sent_to(fake_twilio, india) == ["Training on Monday"]
    assert sent_to(fake_twilio, york) == sent_to(fake_twilio, mexico) == []
    move_to(runtime, datetime(2026, 1, 6, 13))  # 08:00 in New York
    assert runtime.sender.send_due() == 1
    assert sent_to(fake_twilio, york) == ["Training on Monday"]
    move_to(runtime, datetime(2026, 1, 6, 14))  # 08:00 in Mexico City
    assert runtime.sender.send_due() == 1
    assert sent_to(fake_twilio, mexico) == ["Training on Monday"]
    move_to(runtime, datetime(2026, 1, 8))
    assert runtime.sender.send_due() == 0
    assert len(fake_twilio.messages) == 3


def test_without_quiet_hours_nothing_waits(make_runtime, fake_twilio) -> None:
    runtime = make_runtime(quiet_hours="")
    phone = "+525512340005"
    new_item(runtime, leader_in(runtime, phone, "MX"), date(2026, 1, 12))
    assert runtime.sender.send_due() == 2  # at 06:00 in Mexico City: the notice, its question


def test_messages_held_overnight_are_still_paced_and_sent_once(make_runtime, fake_twilio) -> None:
    runtime = make_runtime(twilio_sms_per_second=4)
    phones = [f"+52551234010{number}" for number in range(4)]
    for phone in phones:
        new_item(runtime, leader_in(runtime, phone, "MX", phone), date(2026, 1, 12))
    assert runtime.sender.send_due() == 0
    move_to(runtime, datetime(2026, 1, 5, 14))
    started = wall.monotonic()
    assert runtime.sender.send_due() == 8  # each notice and its question
    # One SMS number, four a second: the eight wait for each other, seven gaps of 0.25 s.
    assert wall.monotonic() - started >= 1.6
    assert runtime.sender.send_due() == 0
    assert sorted(message["To"] for message in fake_twilio.messages) == sorted(phones * 2)


def test_a_new_business_zone_moves_the_next_night(runtime, fake_twilio) -> None:
    phone = "+525512340006"
    business_id = leader_in(runtime, phone, "MX")
    with runtime.store.transaction() as session:
        set_time_zone(session, business_id, "America/Tijuana")  # UTC-8 in January
    new_item(runtime, business_id, date(2026, 1, 12))
    # 12:00 UTC is 04:00 in Tijuana: the notice waits for 08:00 there, 16:00 UTC.
    assert {row.next_attempt_at for row in rows_for(runtime.store, phone)} == {
        datetime(2026, 1, 5, 16)
    }
