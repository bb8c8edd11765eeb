"""The help inbox: leaders' questions to the programme team as tickets, answered from the
console through the same outbox as everything else.

Only registered business leaders have tickets; workers never do, and nothing sent or received
while a survey runs ever reaches one (the flows route no survey message here). A ticket on an
action item goes to the expert for its finding's category of the standards when staff have
one; at most one ticket is open per leader and topic (an item counts as its own topic).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from bot.domain.effects import handles
from bot.domain.errors import Invalid, NotFound
from bot.domain.notify import notify
from bot.domain.standards import standards
from bot.domain.text import staff_text
from bot.models import ActionItem, Business, Contact, Finding, StaffUser, Ticket, TicketMessage
from flows.core import Reply
from flows.tickets import TOPICS, WriteToTicket
from messages import text

OPEN = ("open", "waiting")
STATUSES = ("open", "waiting", "closed")
MAX_REPLY = 1000
DEFAULT_RESPONSE_HOURS = 24
# Where the engine puts the first-response target (TICKET_RESPONSE_HOURS) for the handlers.
RESPONSE_HOURS = "ticket_response_hours"


class TicketError(Invalid):
    """A ticket change that cannot be made as asked."""


@dataclass(frozen=True)
class InboxRow:
    """One ticket as the inbox lists it; `overdue` once the first-response target has passed
    with no answer from staff."""

    ticket: Ticket
    business: str
    assignee: str | None
    last_message: str
    overdue: bool


def open_ticket_of(
    session: Session, leader_id: int, topic: str | None = None, item_id: int | None = None
) -> Ticket | None:
    """The leader's open ticket on that topic (and item), or with no topic the most recent."""
    query = select(Ticket).where(Ticket.leader_id == leader_id, Ticket.status.in_(OPEN))
    if topic is not None:
        same_item = Ticket.item_id.is_(None) if item_id is None else Ticket.item_id == item_id
        query = query.where(Ticket.topic == topic, same_item)
    return session.scalar(query.order_by(Ticket.updated_at.desc(), Ticket.id.desc()).limit(1))


def has_open_ticket(session: Session, leader_id: int) -> bool:
    return bool(
        session.scalar(
            select(exists().where(Ticket.leader_id == leader_id, Ticket.status.in_(OPEN)))
        )
    )


def item_waiting_for_help(session: Session, business_id: int) -> ActionItem | None:
    """The business's item most recently marked as needing help, if any still is."""
    return session.scalar(
        select(ActionItem)
        .where(ActionItem.business_id == business_id, ActionItem.status == "help")
        .order_by(ActionItem.id.desc())
        .limit(1)
    )


def write(
    session: Session,
    leader: Contact,
    body: str,
    now: datetime,
    *,
    topic: str = "other",
    item_id: int | None = None,
    media: tuple[str, ...] = (),
    response_hours: int = DEFAULT_RESPONSE_HOURS,
) -> Ticket | None:
    """What a leader wrote, added to their open ticket on the topic, or to a new one (which
    tells them who will answer and roughly when). None when `leader` leads no business."""
    business = session.scalar(select(Business).where(Business.leader_id == leader.id))
    if business is None or leader.role != "leader":
        return None
    if topic not in TOPICS:
        topic = "other"
    ticket = open_ticket_of(session, leader.id, topic, item_id)
    if ticket is None:
        ticket = _new(session, business, leader, topic, item_id, now, response_hours)
    ticket.status, ticket.updated_at = "open", now
    session.add(
        TicketMessage(
            ticket_id=ticket.id, direction="in", body=body, media=list(media), created_at=now
        )  # fmt: skip
    )
    session.flush()
    return ticket


def _new(
    session: Session,
    business: Business,
    leader: Contact,
    topic: str,
    item_id: int | None,
    now: datetime,
    response_hours: int,
) -> Ticket:
    category = _category_of(session, item_id)
    expert = _expert_for(session, category)
    ticket = Ticket(
        business_id=business.id,
        leader_id=leader.id,
        topic=topic,
        item_id=item_id,
        category=category,
        assignee_id=expert.id if expert else None,
        status="open",
        opened_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    who = (
        text(
            leader.language,
            "ticket.who_expert",
            {"category": text(leader.language, f"category.{category}")},
        )  # fmt: skip
        if expert and category
        else text(leader.language, "ticket.who_team")
    )
    notify(session, leader, (Reply("ticket.opened", {"who": who, "hours": response_hours}),), now)
    return ticket


def _category_of(session: Session, item_id: int | None) -> str | None:
    """The category of the standards an item's finding falls in (items from findings)."""
    if item_id is None:
        return None
    item = session.get(ActionItem, item_id)
    finding = session.get(Finding, item.finding_id) if item and item.finding_id else None
    if finding is None:
        return None
    return next((i.category for i in standards().indicators if i.code == finding.code), None)


def _expert_for(session: Session, category: str | None) -> StaffUser | None:
    """The staff member marked as expert for the category with the fewest open tickets."""
    if category is None:
        return None
    experts = [
        staff
        for staff in session.scalars(select(StaffUser).where(StaffUser.role != "viewer"))
        if category in (staff.expert_categories or [])
    ]
    if not experts:
        return None

    def load(staff: StaffUser) -> tuple[int, int]:
        count = len(
            session.scalars(
                select(Ticket.id).where(Ticket.assignee_id == staff.id, Ticket.status.in_(OPEN))
            ).all()
        )
        return count, staff.id

    return min(experts, key=load)


@handles(WriteToTicket)
def _written(session: Session, contact: Contact, effect: WriteToTicket, now: datetime) -> None:
    item_id = None
    topic = effect.topic
    if topic == "item":
        business = session.scalar(select(Business).where(Business.leader_id == contact.id))
        open_one = open_ticket_of(session, contact.id)
        if open_one is not None:  # whatever the leader writes goes to the ticket in progress
            topic, item_id = open_one.topic, open_one.item_id
        else:
            waiting = item_waiting_for_help(session, business.id) if business else None
            topic, item_id = ("item", waiting.id) if waiting else ("other", None)
    hours = session.info.get(RESPONSE_HOURS, DEFAULT_RESPONSE_HOURS)
    write(session, contact, effect.text, now, topic=topic, item_id=item_id, media=effect.media,
          response_hours=hours)  # fmt: skip


def help_asked(session: Session, contact: Contact, item: ActionItem, now: datetime) -> None:
    """A leader said they need help with an item: a ticket on it (or the one already open)."""
    hours = session.info.get(RESPONSE_HOURS, DEFAULT_RESPONSE_HOURS)
    write(session, contact, text(contact.language, "actions.need_help"), now, topic="item",
          item_id=item.id, response_hours=hours)  # fmt: skip


def ticket(session: Session, ticket_id: int) -> Ticket:
    found = session.get(Ticket, ticket_id)
    if found is None:
        raise NotFound(f"There is no ticket {ticket_id}.")
    return found


def reply(session: Session, ticket_id: int, staff_id: int, body: str, now: datetime) -> Ticket:
    """Send staff's answer to the leader on their channel, in their thread, through the outbox
    (a WhatsApp answer outside the 24-hour window goes as the template, the text its
    variable); the ticket then waits on the leader. Raises NotFound, or TicketError for an
    empty or overlong text, a closed ticket, or a leader who opted out."""
    found = ticket(session, ticket_id)
    cleaned = clean_reply(body)
    if found.status == "closed":
        raise TicketError("This ticket is closed; the leader can open a new one.")
    leader = session.get(Contact, found.leader_id)
    if leader is None or leader.opted_out:
        raise TicketError("The leader has opted out of messages; nothing can be sent.")
    notify(session, leader, (Reply("ticket.reply", {"text": cleaned}),), now)
    session.add(
        TicketMessage(
            ticket_id=found.id, direction="out", body=cleaned, staff_id=staff_id, created_at=now
        )  # fmt: skip
    )
    found.first_response_at = found.first_response_at or now
    found.status, found.updated_at = "waiting", now
    session.flush()
    return found


def clean_reply(body: str) -> str:
    """Staff's answer with its lines kept and spaces tidied; TicketError when empty, over
    `MAX_REPLY` characters or holding control characters."""
    cleaned = staff_text(body, "answer", MAX_REPLY, error=TicketError)
    if not cleaned:
        raise TicketError("Write the answer first.")
    return cleaned


def close(session: Session, ticket_id: int, now: datetime) -> Ticket:
    """Close the ticket: the leader is told, and their free text goes back to the bot; an item
    that waited for help is open again (help was given)."""
    found = ticket(session, ticket_id)
    if found.status == "closed":
        raise TicketError("This ticket is already closed.")
    found.status, found.closed_at, found.updated_at = "closed", now, now
    item = session.get(ActionItem, found.item_id) if found.item_id else None
    if item is not None and item.status == "help":
        item.status = "open"
    leader = session.get(Contact, found.leader_id)
    if leader is not None:
        notify(session, leader, (Reply("ticket.closed"),), now)
    session.flush()
    return found


def assign(session: Session, ticket_id: int, staff_id: int | None, now: datetime) -> Ticket:
    """Give the ticket to a staff member (or to nobody). Raises NotFound, TicketError for a
    closed ticket, a viewer or an unknown account."""
    found = ticket(session, ticket_id)
    if found.status == "closed":
        raise TicketError("This ticket is closed; the leader can open a new one.")
    if staff_id is not None:
        staff = session.get(StaffUser, staff_id)
        if staff is None or staff.role == "viewer":
            raise TicketError("Tickets go to staff or admins.")
    found.assignee_id, found.updated_at = staff_id, now
    found.emailed_at = None  # the new assignee is told
    session.flush()
    return found


def inbox(
    session: Session,
    now: datetime,
    response_hours: int,
    *,
    status: str | None = None,
    assignee_id: int | None = None,
) -> list[InboxRow]:
    """Tickets oldest first (open ones first), filtered by status and assignee."""
    latest = (
        select(TicketMessage.body)
        .where(TicketMessage.ticket_id == Ticket.id)
        .order_by(TicketMessage.id.desc())
        .limit(1)
        .correlate(Ticket)
        .scalar_subquery()
    )
    query = select(Ticket, Business.name, latest).join(Business, Business.id == Ticket.business_id)
    if status in STATUSES:
        query = query.where(Ticket.status == status)
    if assignee_id is not None:
        query = query.where(Ticket.assignee_id == assignee_id)
    query = query.order_by(Ticket.status == "closed", Ticket.opened_at, Ticket.id)
    staff = dict(session.execute(select(StaffUser.id, StaffUser.email)).all())
    rows = []
    target = timedelta(hours=response_hours)
    for found, business, last in session.execute(query).all():
        overdue = (
            found.status != "closed"
            and found.first_response_at is None
            and now - found.opened_at > target
        )
        rows.append(InboxRow(found, business, staff.get(found.assignee_id), last or "", overdue))
    return rows


def messages_of(session: Session, ticket_id: int) -> list[TicketMessage]:
    return list(
        session.scalars(
            select(TicketMessage)
            .where(TicketMessage.ticket_id == ticket_id)
            .order_by(TicketMessage.id)
        )
    )


def set_experts(session: Session, staff_id: int, categories: list[str]) -> StaffUser:
    """Mark a staff member as the expert for these categories of the standards."""
    staff = session.get(StaffUser, staff_id)
    if staff is None:
        raise NotFound(f"There is no staff account {staff_id}.")
    if staff.role not in ("staff", "admin") and categories:
        raise TicketError("Only staff and admins answer tickets.")
    known = [category.code for category in standards().categories]
    if any(category not in known for category in categories):
        raise TicketError(f"The categories must be among: {', '.join(known)}.")
    staff.expert_categories = [category for category in known if category in categories]
    session.flush()
    return staff
