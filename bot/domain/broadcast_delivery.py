"""Who a broadcast reached, and why the rest wait: read from its outbox rows, for staff.

Nothing here writes. Recipients are listed a page at a time (a broadcast may have 10,000), by
outbox status; what waits is grouped by what each row says about it (its channel, whether it
was tried before, the time it may go), so the console can explain it in plain words.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from bot.capabilities import capabilities_of
from bot.domain.broadcasts import WAITING
from bot.models import Business, Contact, OutboundMessage

# Outbox statuses as staff filter them: each word stands for the statuses it groups. Rows
# cancelled because the person opted out (sent STOP) are told apart from a cancelled broadcast.
STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    "waiting": WAITING,
    "sent": ("sent", "unknown"),
    "delivered": ("delivered", "read"),
    "failed": ("failed", "undelivered"),
    "opted_out": ("cancelled",),
    "cancelled": ("cancelled",),
}
OPTED_OUT = "opted_out"  # the error_code of a row withheld because its person opted out
PAGE_SIZE = 50


def _matching(status: str) -> ColumnElement[bool]:
    """The condition an outbox row meets to count under the filter word `status`."""
    condition = OutboundMessage.status.in_(STATUS_FILTERS[status])
    if status == "opted_out":
        return and_(condition, OutboundMessage.error_code == OPTED_OUT)
    if status == "cancelled":
        opted_out = func.coalesce(OutboundMessage.error_code, "") == OPTED_OUT
        return and_(condition, ~opted_out)
    return condition


def recipient_counts(session: Session, broadcast_id: int) -> dict[str, int]:
    """How many of the broadcast's recipients fall under each filter word of STATUS_FILTERS
    (every one, zeros included), and under "all"."""
    row = session.execute(
        select(
            func.count(),
            *(func.count(case((_matching(word), 1))) for word in STATUS_FILTERS),
        ).where(OutboundMessage.broadcast_id == broadcast_id)
    ).one()
    return {"all": row[0]} | {word: row[i + 1] for i, word in enumerate(STATUS_FILTERS)}


@dataclass(frozen=True)
class Recipient:
    """One outbox row of the broadcast, with the business whose leader it goes to."""

    outbox_id: int
    business_id: int | None
    business: str | None
    channel: str
    status: str  # the outbox status: queued, claimed, sending, sent, delivered, failed ...
    error_code: str | None  # opted_out, broadcast_cancelled, or the provider's code
    error_detail: str | None
    sent_as: str | None  # "template" when WhatsApp's window was closed
    updated_at: datetime | None  # UTC: the last change of status (or when it was queued)


@dataclass(frozen=True)
class Waiting:
    """Rows of one channel that wait for one reason.

    reason: "on_next_chat" (a channel with no sender, such as the simulator, whose phone gets
    it when it next chats), "in_line" (due now, waiting for its turn in the paced lane),
    "retry" (tried before, tried again at `until`), "held" (not to be sent before `until`,
    such as the recipient's quiet hours) or "handing_over" (a sender holds it now).
    """

    channel: str
    reason: str
    count: int
    until: datetime | None = None  # UTC, the earliest time one of them may go


def recipients_page(
    session: Session, broadcast_id: int, status: str | None, page: int
) -> tuple[list[Recipient], int]:
    """The broadcast's recipients with status `status` (a key of STATUS_FILTERS; None: all),
    PAGE_SIZE a page in outbox order, pages counted from 1; and how many match in all."""
    rows = select(OutboundMessage).where(OutboundMessage.broadcast_id == broadcast_id)
    if status is not None:
        rows = rows.where(_matching(status))
    total = session.scalar(select(func.count()).select_from(rows.subquery())) or 0
    # A leader may lead several businesses: the first one names the recipient.
    led = select(Business).where(Business.leader_id == OutboundMessage.contact_id)
    led = led.order_by(Business.id).limit(1)
    business_id = led.with_only_columns(Business.id).scalar_subquery()
    business = led.with_only_columns(Business.name).scalar_subquery()
    found = session.execute(
        rows.add_columns(business_id, business)
        .order_by(OutboundMessage.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return [
        Recipient(
            row.id,
            led_id,
            name,
            row.channel,
            row.status,
            row.error_code,
            row.error_detail,
            row.sent_as,
            row.status_updated_at or row.created_at,
        )  # fmt: skip
        for row, led_id, name in found
    ], total


def waiting_reasons(session: Session, broadcast_id: int, now: datetime) -> list[Waiting]:
    """Why the broadcast's unsent rows wait, one entry per channel and reason, largest first.
    `now` is UTC."""
    # Grouped by the labels, so PostgreSQL sees the same expression in both places.
    tried = (OutboundMessage.attempts > 0).label("tried")
    later = (OutboundMessage.next_attempt_at > now).label("later")
    grouped = session.execute(
        select(
            OutboundMessage.channel,
            OutboundMessage.status,
            tried,
            later,
            func.count(),
            func.min(OutboundMessage.next_attempt_at),
        )
        .where(
            OutboundMessage.broadcast_id == broadcast_id,
            OutboundMessage.status.in_(WAITING),
        )
        .group_by(OutboundMessage.channel, OutboundMessage.status, tried, later)
    ).all()
    counts: Counter[tuple[str, str]] = Counter()
    earliest: dict[tuple[str, str], datetime] = {}
    for channel, status, tried, held, count, first in grouped:
        key = (channel, _reason(channel, status, bool(tried), bool(held)))
        counts[key] += count
        if key[1] in ("retry", "held"):
            earliest[key] = min(first, earliest.get(key, first))
    found = [
        Waiting(channel, reason, count, earliest.get((channel, reason)))
        for (channel, reason), count in counts.items()
    ]
    return sorted(found, key=lambda w: (-w.count, w.channel, w.reason))


def _reason(channel: str, status: str, tried: bool, held: bool) -> str:
    if status != "queued":
        return "handing_over"
    try:
        paced = capabilities_of(channel).paced
    except LookupError:  # a channel this server no longer runs
        paced = True
    if not paced:
        return "on_next_chat"
    if held:
        return "retry" if tried else "held"
    return "in_line"


def outside_window(
    session: Session, broadcast_id: int, now: datetime, window: timedelta
) -> dict[str, int]:
    """Per channel that needs a template outside a service window (WhatsApp), how many unsent
    rows go to people who last wrote more than `window` ago or never: they get the approved
    template instead of the text. `now` is UTC."""
    templated = [
        channel
        for channel in session.scalars(
            select(OutboundMessage.channel)
            .where(OutboundMessage.broadcast_id == broadcast_id)
            .distinct()
        )
        if _templates(channel)
    ]
    if not templated:
        return {}
    silent = or_(Contact.last_inbound_at.is_(None), Contact.last_inbound_at < now - window)
    counted = session.execute(
        select(OutboundMessage.channel, func.count())
        .join(Contact, Contact.id == OutboundMessage.contact_id)
        .where(
            OutboundMessage.broadcast_id == broadcast_id,
            OutboundMessage.status.in_(WAITING),
            OutboundMessage.channel.in_(templated),
            silent,
        )
        .group_by(OutboundMessage.channel)
    )
    return {channel: count for channel, count in counted.all() if count}


def _templates(channel: str) -> bool:
    try:
        return capabilities_of(channel).templates
    except LookupError:
        return False
