"""The simulator page: staff chat with the bot as a test phone, replies and menus included."""

from datetime import datetime, timedelta

from console_support import add_business
from sqlalchemy import select

from admin.threads import interleaved
from bot.models import Business, Contact


def send(client, phone: str, text: str):
    return client.post(
        "/admin/simulator", data={"csrf": client.token(), "phone": phone, "text": text}
    )


def test_a_conversation_shows_each_reply_with_its_menu(console) -> None:
    client = console.sign_in("staff")
    response = send(client, "+1 555 000 1234", "hi")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/simulator?phone=%2B15550001234#newest"
    page = client.get(response.headers["location"]).text
    assert "Conversation with +15550001234" in page
    assert "1 English" in page and "2 Español" in page
    send(client, "+15550001234", "<script>alert(1)</script>")
    page = client.get("/admin/simulator?phone=%2B15550001234").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)" in page
    with console.runtime.store.transaction() as session:
        contact = session.scalar(select(Contact).where(Contact.address == "+15550001234"))
        assert contact.channel == "sim"


def test_a_phone_that_is_not_a_number_is_explained(console) -> None:
    client = console.sign_in("staff")
    for phone in ["", "12345", "call me", "+" + "9" * 100, "'; DROP TABLE contacts; --"]:
        response = send(client, phone, "hi")
        assert response.status_code == 400, phone
        assert "phone number" in response.text.lower(), phone
    assert console.sign_in("admin").get("/admin/simulator?phone=" + "x" * 5000).status_code == 200


def test_a_huge_or_empty_message_is_answered_not_dropped(console) -> None:
    client = console.sign_in("staff")
    too_long = send(client, "+15550001234", "x" * 1601)
    assert too_long.status_code == 400 and "Message is too long" in too_long.text
    assert send(client, "+15550001234", "").status_code == 303
    page = client.get("/admin/simulator?phone=%2B15550001234").text
    assert page.count('class="bubble out"') >= 1


def test_real_contacts_cannot_be_impersonated_from_the_simulator(console) -> None:
    add_business(console, "+919812345678", "Blue Thread")
    response = send(console.sign_in("staff"), "+919812345678", "STOP")
    assert response.status_code == 400
    assert "is a real contact on SMS" in response.text
    with console.runtime.store.transaction() as session:
        contact = session.scalar(select(Contact).where(Contact.address == "+919812345678"))
        assert (contact.channel, contact.opted_out) == ("sms", False)


def test_a_question_comes_before_the_notice_it_caused_in_every_log(console) -> None:
    """A ticket's notice is written with no reply-to, at the moment the question arrives: the
    simulator and the business page both show the question first."""
    client = console.sign_in("staff")
    phone = "+15550001234"
    for typed in ("hi", "1", "1", "1", "Blue Thread", "Jaipur", "India", "1"):
        send(client, phone, typed)
    send(client, phone, "8")  # Talk to the programme team
    send(client, phone, "Where can I buy a first-aid kit?")
    page = client.get("/admin/simulator?phone=%2B15550001234").text
    question = page.index("Where can I buy a first-aid kit?")
    assert (
        question
        < page.index("The programme team will answer you here")
        < page.rindex("Main menu for Blue Thread")
    )
    with console.runtime.store.transaction() as session:
        business_id = session.scalar(
            select(Business.id).join(Contact, Contact.id == Business.leader_id)
            .where(Contact.address == phone)
        )  # fmt: skip
    log = client.get(f"/admin/businesses/{business_id}").text
    log = log[log.index('id="conversation"') :]
    assert log.index("Where can I buy") < log.index("The programme team will answer you here")


def test_the_order_follows_what_each_message_answers() -> None:
    at = datetime(2026, 1, 5, 9)
    later = at + timedelta(seconds=1)
    order = interleaved(
        [(1, at), (2, later)],
        [(10, at, 1), (11, at, None), (12, later, None), (13, later, 2), (14, at, 999)],
    )
    assert order == [
        ("in", 1), ("out", 10), ("out", 11), ("out", 14), ("in", 2), ("out", 12), ("out", 13),
    ]  # fmt: skip
