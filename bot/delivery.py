"""Delivery reports in their provider's words, read by the channel of the message they name."""

from datetime import datetime

from sqlalchemy.orm import Session

from bot.channels.provider import DeliveryReport
from bot.channels.registry import channel_for
from bot.domain.delivery import apply_report, reported_row


def record_report(
    session: Session,
    provider_id: str,
    provider_status: str,
    error_code: str | None,
    outbound_id: int | None,
    now: datetime,
) -> bool:
    """Apply a delivery report to the message it names; False when it names no message of
    ours or its status word means nothing to that message's channel.

    The report's URL may carry our row id, so it settles a message whose sender died before
    it could record the provider's id: that message is then known to have left, and is not
    resent.
    """
    row = reported_row(session, provider_id, outbound_id)
    if row is None:
        return False
    status, opted_out = channel_for(row.channel).delivery_status(provider_status, error_code)
    if status is None:
        return False
    apply_report(session, row, provider_id, status, error_code, opted_out, now)
    return True


def record(session: Session, report: DeliveryReport, now: datetime) -> bool:
    """`record_report` for a report as a channel's webhook parsed it."""
    return record_report(
        session, report.provider_id, report.status, report.error_code, report.outbound_id, now
    )
