"""What became of each message we sent: the order of delivery states, and providers' reports.

Reports arrive out of order and more than once, so a status only ever moves forward.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.business import opt_out
from bot.models import Contact, OutboundMessage

# Where a message stands once a provider has it; our own states before that rank 0.
PROGRESS = {"sent": 1, "delivered": 2, "undelivered": 2, "failed": 2, "read": 3}
# Twilio's words for "we have it, not yet with the carrier" all mean it left our hands.
PROVIDER_STATUS = {
    "accepted": "sent",
    "scheduled": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "partially_delivered": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
    "read": "read",
}
OPTED_OUT_AT_CARRIER = "21610"


def advance(row: OutboundMessage, status: str) -> bool:
    """Move to status unless the row is already as far along; whether it moved."""
    if PROGRESS.get(row.status, 0) >= PROGRESS[status]:
        return False
    row.status = status
    return True


def record_report(
    session: Session,
    provider_id: str,
    provider_status: str,
    error_code: str | None,
    outbound_id: int | None,
    now: datetime,
) -> bool:
    """Apply a delivery report; False when it names no message of ours.

    The report's URL carries our row id, so it settles a message whose sender died before it
    could record the provider's id: that message is then known to have left, and is not resent.

    Providers send reports in no guaranteed order (Twilio's status callbacks may arrive out of
    sequence), so a report that does not move the status on is old news and leaves the row as
    it is: an "undelivered" with error 30003 arriving after "delivered" attaches no error code,
    no detail and no time to a delivered message. A refusal because the person opted out at the
    carrier (21610) still opts the contact out, whatever the order.
    """
    status = PROVIDER_STATUS.get(provider_status)
    if status is None:
        return False
    if outbound_id is not None:
        which = OutboundMessage.id == outbound_id
    else:
        which = OutboundMessage.provider_id == provider_id
    row = session.scalar(select(OutboundMessage).where(which).with_for_update())
    if row is None or (row.provider_id and row.provider_id != provider_id):
        return False
    if advance(row, status):
        row.provider_id = provider_id
        row.sent_at = row.sent_at or now
        row.status_updated_at = now
        if error_code:
            row.error_code = error_code
    if error_code == OPTED_OUT_AT_CARRIER and row.contact_id is not None:
        contact = session.get(Contact, row.contact_id, with_for_update=True)
        if contact is not None and not contact.opted_out:
            opt_out(contact, now)
    return True
