"""A business holding a seal, made with the domain functions staff use, for the seal tests."""

from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain.business import register_business
from bot.domain.seals import issue_seal
from bot.models import Contact, Seal


def sealed_business(
    session: Session,
    now: datetime,
    phone: str = "+919800000001",
    name: str = "Golden Jute Crafts",
    country: str = "BD",
    months: int = 24,
    language: str = "en",
    channel: str = "sms",
) -> Seal:
    """A registered business (its leader on `phone`) awarded a seal valid `months`."""
    leader = Contact(
        address=phone, channel=channel, language=language, created_at=now, consented_at=now
    )
    session.add(leader)
    session.flush()
    business = register_business(session, leader, name, "Dhaka", country, now)
    return issue_seal(session, business, now, months, "2026.1")
