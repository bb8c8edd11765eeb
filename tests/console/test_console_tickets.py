"""The help inbox in the console: tickets listed with their age, answered with the SMS parts
shown first, assigned, closed; experts marked by category; an email to the assignee."""

import socket
from datetime import timedelta

from aiosmtpd.controller import Controller
from sqlalchemy import select

from bot.models import AuditEntry, OutboundMessage, StaffUser, Ticket
from bot.ticket_mail import email_assignees


def test_the_inbox_lists_tickets_and_flags_the_overdue(console, world) -> None:
    client = console.sign_in("viewer")
    listed = client.get("/admin/inbox").text
    assert "Blue Thread Embroidery" in listed and "Overdue" not in listed
    assert "1</strong><span>open tickets" in client.get("/admin/").text
    console.clock.advance(timedelta(hours=25))
    client = console.sign_in("viewer", "next.day@example.org")  # a day later: signed in anew
    assert "Overdue" in client.get("/admin/inbox").text
    assert "1 overdue" in client.get("/admin/").text
    assert "Blue Thread" not in client.get("/admin/inbox?status=closed").text
    for query in ("?status=%27%3B--", "?assignee=-1", "?assignee=" + "9" * 40, "?assignee=me"):
        assert client.get("/admin/inbox" + query).status_code == 200


def test_staff_preview_then_send_an_answer_then_close(console, world) -> None:
    client = console.sign_in("staff")
    url = f"/admin/tickets/{world.ticket_id}"
    page = client.get(url).text
    assert "Write down the piece rate" in page and "Check the length" in page
    assert ">Send<" not in page, "the parts are shown before sending"
    body = "Write the rate on each order slip, ₹ per piece, and give the group a copy."
    preview = client.post(url + "/reply", data={"csrf": client.token(), "body": body})
    assert preview.status_code == 200
    assert "2 SMS parts." in preview.text  # the rupee sign makes it UCS-2: 70 a part
    with console.runtime.store.transaction() as session:
        before = len(session.scalars(select(OutboundMessage)).all())
    sent = client.post(
        url + "/reply", data={"csrf": client.token(), "body": body, "action": "send"}
    )
    assert sent.status_code == 303
    with console.runtime.store.transaction() as session:
        rows = session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()
        assert len(rows) == before + 1
        assert (rows[-1].message_key, rows[-1].channel) == ("ticket.reply", "sms")
        assert rows[-1].body == f"Programme team: {body}"
        assert session.get(Ticket, world.ticket_id).status == "waiting"
    empty = client.post(
        url + "/reply", data={"csrf": client.token(), "body": " ", "action": "send"}
    )
    assert empty.status_code == 400
    closed = client.post(url + "/close", data={"csrf": client.token()})
    assert closed.status_code == 303
    again = client.post(url + "/close", data={"csrf": client.token()})
    assert again.status_code == 400 and "already closed" in again.text
    with console.runtime.store.transaction() as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"ticket.reply", "ticket.close"} <= actions


def test_tickets_are_assigned_to_staff_only(console, world) -> None:
    admin = console.sign_in("admin")
    viewer_email = console.account("viewer", "reader@example.org")
    staff_email = console.account("staff", "helper@example.org")
    ids = {email: console.account_id(email) for email in (viewer_email, staff_email)}
    url = f"/admin/tickets/{world.ticket_id}/assign"
    refused = admin.post(url, data={"csrf": admin.token(), "assignee": str(ids[viewer_email])})
    assert refused.status_code == 400 and "staff or admins" in refused.text
    for wrong in ("abc", "-3", "9" * 30, str(2**31 + 5)):
        response = admin.post(url, data={"csrf": admin.token(), "assignee": wrong})
        assert response.status_code == 400, wrong
    given = admin.post(url, data={"csrf": admin.token(), "assignee": str(ids[staff_email])})
    assert given.status_code == 303
    with console.runtime.store.transaction() as session:
        assert session.get(Ticket, world.ticket_id).assignee_id == ids[staff_email]


def test_admins_mark_experts_by_category(console, world) -> None:
    admin = console.sign_in("admin")
    helper = console.account_id(console.account("staff", "helper@example.org"))
    marked = admin.post(
        f"/admin/staff/{helper}/expert",
        data={"csrf": admin.token(), "categories": ["pay", "child"]},
    )
    assert marked.status_code == 303
    with console.runtime.store.transaction() as session:
        assert session.get(StaffUser, helper).expert_categories == ["child", "pay"]
    wrong = admin.post(
        f"/admin/staff/{helper}/expert", data={"csrf": admin.token(), "categories": ["magic"]}
    )
    assert wrong.status_code == 400


class Inbox:
    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        self.received.append(envelope.content)
        return "250 OK"


def test_the_assignee_is_emailed_once_when_smtp_is_set(console, world) -> None:
    inbox = Inbox()
    with socket.socket() as probe:  # a free loopback port for the SMTP server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        helper = console.account_id(console.account("staff", "helper@example.org"))
        with console.runtime.store.transaction() as session:
            session.get(Ticket, world.ticket_id).assignee_id = helper
        mail = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_from": "inbox@example.org",
                "smtp_starttls": False}  # fmt: skip
        settings = console.runtime.settings.model_copy(update=mail)
        now = console.clock.now()
        assert email_assignees(console.runtime.store, console.runtime.settings, now) == 0
        assert email_assignees(console.runtime.store, settings, now) == 1
        assert email_assignees(console.runtime.store, settings, now) == 0
    finally:
        controller.stop()
    [mail] = inbox.received
    assert b"To: helper@example.org" in mail and b"Blue Thread Embroidery" in mail
    assert f"/admin/tickets/{world.ticket_id}".encode() in mail
