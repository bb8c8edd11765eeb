"""What became of each message we sent: the order of delivery states, and providers' reports.

Reports arrive out of order and more than once, so a status only ever moves forward. The
channel that carried a message translates its provider's words (bot.delivery); here they are
already ours.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.business import opt_out
from bot.models import Contact, OutboundMessage

# Where a message stands once a provider has it; our own states before that rank 0.
PROGRESS = {"sent": 1, "delivered": 2, "undelivered": 2, "failed": 2, "read": 3}


def advance(row: OutboundMessage, status: str) -> bool:
    """Move to status unless the row is already as far along; whether it moved."""
    if PROGRESS.get(row.status, 0) >= PROGRESS[status]:
        return False
    row.status = status
    return True


def reported_row(
    session: Session, provider_id: str, outbound_id: int | None
) -> OutboundMessage | None:
    """The row a report names, locked: by our id when the report carries it, else by the
    provider's; None when it is not ours (or names another provider message)."""
    if outbound_id is not None:
        which = OutboundMessage.id == outbound_id
    else:
        which = OutboundMessage.provider_id == provider_id
    row = session.scalar(select(OutboundMessage).where(which).with_for_update())
    if row is None or (row.provider_id and row.provider_id != provider_id):
        return None
    return row


def apply_report(
    session: Session,
    row: OutboundMessage,
    provider_id: str,
    status: str,
    error_code: str | None,
    opted_out: bool,
    now: datetime,
) -> None:
    """Record the report on its row (status is one of PROGRESS); `opted_out` (the person
    unsubscribed at the carrier) opts the contact out of everything after.

    Providers send reports in no guaranteed order (Twilio's status callbacks may arrive out of
    sequence), so a report that does not move the status on is old news and leaves the row as
    it is: an "undelivered" with error 30003 arriving after "delivered" attaches no error code,
    no detail and no time to a delivered message. An opt-out at the carrier (21610) still opts
    the contact out, whatever the order.
    """
    if advance(row, status):
        row.provider_id = provider_id
        row.sent_at = row.sent_at or now
        row.status_updated_at = now
        if error_code:
            row.error_code = error_code
    if opted_out and row.contact_id is not None:
        contact = session.get(Contact, row.contact_id, with_for_update=True)
        if contact is not None and not contact.opted_out:
            opt_out(contact, now)
