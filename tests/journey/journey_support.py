"""What the journey tests share: registering a leader over chat, reading the outbox."""

from sqlalchemy import select

from bot.models import Business, Contact, OutboundMessage
from messages import LANGUAGES

COUNTRY_TYPED = {"en": "India", "es": "India", "fr": "Inde", "hi": "भारत"}
MENU = {
    "report": "1",
    "chain": "2",
    "training": "3",
    "actions": "4",
    "assessment": "5",
    "stage": "6",
}


def register(phone, language: str = "en", name: str = "Blue Thread") -> None:
    """Walk onboarding as a business leader; ends at the main menu."""
    number = str(LANGUAGES.index(language) + 1)
    for answer in ("hi", number, "1", "1", name, "Jaipur"):
        phone.send(answer)
    phone.send(COUNTRY_TYPED[language])
    keys = phone.keys("1")
    assert keys == ["onboarding.registered", "menu.main"], keys


def business_id(store, address: str) -> int:
    with store.transaction() as session:
        return session.scalar(
            select(Business.id)
            .join(Contact, Business.leader_id == Contact.id)
            .where(Contact.address == address)
        )


def outbox(store, address: str, after: int = 0) -> list[OutboundMessage]:
    """Outbox rows for an address, oldest first, with ids above `after`."""
    with store.transaction() as session:
        return list(
            session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.address == address, OutboundMessage.id > after)
                .order_by(OutboundMessage.id)
            )
        )


def last_id(store) -> int:
    with store.transaction() as session:
        return session.scalar(select(OutboundMessage.id).order_by(OutboundMessage.id.desc())) or 0
