"""Telling a ticket's assignee by email, when SMTP settings exist (otherwise the console's
inbox alone shows new tickets). One email per ticket and assignee: a reassigned ticket is
sent to its new assignee."""

import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import Row, select

from bot.db import Store
from bot.models import Business, StaffUser, Ticket, TicketMessage
from bot.settings import Settings

MAX_PER_TICK = 50
TIMEOUT_SECONDS = 20


def mail_is_on(settings: Settings) -> bool:
    return bool(settings.smtp_host and settings.smtp_from)


def email_assignees(store: Store, settings: Settings, now: datetime) -> int:
    """Email the assignee of each open ticket not yet emailed to them; returns how many went.
    A failing server leaves the tickets for the next tick (smtplib's errors are caught)."""
    if not mail_is_on(settings):
        return 0
    with store.transaction() as session:
        due = session.execute(
            select(Ticket.id, StaffUser.email, Business.name, Ticket.topic)
            .join(StaffUser, StaffUser.id == Ticket.assignee_id)
            .join(Business, Business.id == Ticket.business_id)
            .where(Ticket.emailed_at.is_(None), Ticket.status != "closed")
            .order_by(Ticket.id)
            .limit(MAX_PER_TICK)
        ).all()
        first = {
            row.id: session.scalar(
                select(TicketMessage.body)
                .where(TicketMessage.ticket_id == row.id, TicketMessage.direction == "in")
                .order_by(TicketMessage.id)
                .limit(1)
            )
            or ""
            for row in due
        }
    sent = []
    try:
        with _connect(settings) as server:
            for row in due:
                server.send_message(_message(settings, row, first[row.id]))
                sent.append(row.id)
    except (smtplib.SMTPException, OSError):
        pass  # the rest wait for the next tick
    if sent:
        with store.transaction() as session:
            for ticket in session.scalars(select(Ticket).where(Ticket.id.in_(sent))):
                ticket.emailed_at = now
    return len(sent)


def _connect(settings: Settings) -> smtplib.SMTP:
    server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS)
    if settings.smtp_starttls:
        server.starttls(context=ssl.create_default_context())
    if settings.smtp_user:
        server.login(settings.smtp_user, settings.smtp_password)
    return server


def _message(settings: Settings, row: Row[Any], first: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = row.email
    message["Subject"] = f"New ticket from {row.name}"[:200]
    link = f"{settings.public_base_url.rstrip('/')}/admin/tickets/{row.id}"
    message.set_content(
        f"{row.name} asked the programme team ({row.topic}):\n\n{first[:2000]}\n\n"
        f"Answer it in the console: {link}\n"
    )
    return message
