"""Delivery reports arrive out of order and more than once; only news moves a message on."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.delivery import record_report
from bot.models import Contact, OutboundMessage

SENT_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def later(minutes: int) -> datetime:
    return SENT_AT + timedelta(minutes=minutes)


def sent_message(store, provider_id: str = "SM1") -> int:
    """A message our sender handed to the provider, as the sender leaves it."""
    with store.transaction() as session:
        contact = Contact(address="+15550001111", channel="sms", created_at=SENT_AT)
        session.add(contact)
        session.flush()
        row = OutboundMessage(
            contact_id=contact.id,
            channel="sms",
            address=contact.address,
            message_key="keyword.help",
            body="Reply with the number of your choice.",
            status="sent",
            provider_id=provider_id,
            next_attempt_at=SENT_AT,
            created_at=SENT_AT,
            sent_at=SENT_AT,
            status_updated_at=SENT_AT,
        )
        session.add(row)
        session.flush()
        return row.id


def snapshot(store, row_id: int) -> tuple:
    with store.transaction() as session:
        row = session.get(OutboundMessage, row_id)
        return (
            row.status,
            row.error_code,
            row.error_detail,
            _utc(row.status_updated_at),
            _utc(row.sent_at),
            row.provider_id,
        )


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def report(store, status: str, error: str | None, minutes: int, provider_id: str = "SM1") -> bool:
    with store.transaction() as session:
        return record_report(session, provider_id, status, error, None, later(minutes))


def test_undelivered_after_delivered_leaves_the_delivered_message_untouched(store) -> None:
    row_id = sent_message(store)
    assert report(store, "delivered", None, 1)
    delivered = snapshot(store, row_id)
    assert delivered[:4] == ("delivered", None, None, later(1))
    assert report(store, "undelivered", "30003", 2)
    assert snapshot(store, row_id) == delivered


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (("delivered", None), ("sent", None)),
        (("delivered", None), ("failed", "30005")),
        (("read", None), ("delivered", None)),
        (("read", None), ("undelivered", "30003")),
        (("undelivered", "30003"), ("failed", "30008")),
        (("delivered", None), ("delivered", None)),  # the same report again
    ],
)
def test_a_report_that_does_not_move_the_status_changes_nothing(store, first, then) -> None:
    row_id = sent_message(store)
    report(store, *first, 1)
    before = snapshot(store, row_id)
    assert report(store, *then, 5)
    assert snapshot(store, row_id) == before


def test_a_report_that_moves_the_status_records_its_error_and_time(store) -> None:
    row_id = sent_message(store)
    assert report(store, "queued", None, 1)  # Twilio's "queued" is still just sent
    assert snapshot(store, row_id)[:4] == ("sent", None, None, SENT_AT)
    assert report(store, "undelivered", "30003", 2)
    assert snapshot(store, row_id)[:4] == ("undelivered", "30003", None, later(2))
    assert report(store, "read", None, 3)  # a later read receipt still moves it on
    assert snapshot(store, row_id)[0] == "read"


def test_an_opt_out_at_the_carrier_counts_even_out_of_order(store) -> None:
    row_id = sent_message(store)
    report(store, "delivered", None, 1)
    before = snapshot(store, row_id)
    assert report(store, "failed", "21610", 2)
    assert snapshot(store, row_id) == before
    with store.transaction() as session:
        assert session.scalar(select(Contact.opted_out)) is True


def test_a_report_for_someone_elses_message_is_refused(store) -> None:
    row_id = sent_message(store)
    assert not report(store, "delivered", None, 1, provider_id="SM-other")
    assert report(store, "no-such-status", None, 1) is False
    assert snapshot(store, row_id)[:4] == ("sent", None, None, SENT_AT)
