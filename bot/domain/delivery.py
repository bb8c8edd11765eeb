"""What became of each message we sent: the order of delivery states, and providers' reports.

Reports arrive out of order and more than once, so a status only ever moves forward.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.business import opt_out
from bot.models import Contact, OutboundMessage

# Where a message stands once a provider has it; our own states before that rank 0.
PROGRESS = {"sent": 1, "delivered": 2, "undelivered": 2, "failed": 2, "read": 3}


@dataclass(frozen=True)
class DeliveryReport:
    """What became of a message we handed to a provider, in our words: the channel adapter
    translates the provider's status words and error codes."""

    provider_id: str
    status: str  # a key of PROGRESS
    error_code: str | None
    # Our row id, when the provider echoes it back (it settles a row whose sender died).
    outbound_id: int | None
    # The provider says the person opted out with the carrier (texted STOP to it).
    opted_out: bool = False


def advance(row: OutboundMessage, status: str) -> None:
    """Move to status unless the row is already further along."""
    if PROGRESS.get(row.status, 0) < PROGRESS[status]:
        row.status = status


def record_report(session: Session, report: DeliveryReport, now: datetime) -> bool:
    """Apply a delivery report; False when it names no message of ours.

    The report's URL carries our row id, so it settles a message whose sender died before it
    could record the provider's id: that message is then known to have left, and is not resent.
    """
    if report.status not in PROGRESS:
        return False
    if report.outbound_id is not None:
        which = OutboundMessage.id == report.outbound_id
    else:
        which = OutboundMessage.provider_id == report.provider_id
    row = session.scalar(select(OutboundMessage).where(which).with_for_update())
    if row is None or (row.provider_id and row.provider_id != report.provider_id):
        return False
    row.provider_id = report.provider_id
    row.sent_at = row.sent_at or now
    advance(row, report.status)
    row.status_updated_at = now
    if report.error_code:
        row.error_code = report.error_code
    if report.opted_out and row.contact_id is not None:
        contact = session.get(Contact, row.contact_id, with_for_update=True)
        if contact is not None and not contact.opted_out:
            opt_out(contact, now)
    return True
