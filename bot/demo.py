"""Demo data so the console has something to show on a first run."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.business import register_business
from bot.models import Contact, ConversationState

DEMO_BUSINESSES = (
    ("+15550100001", "en", "Blue Thread Embroidery", "Jaipur, Rajasthan", "IN"),
    ("+15550100002", "es", "Tejidos Luna", "San Juan Chamula, Chiapas", "MX"),
    ("+15550100003", "fr", "Atelier Perles du Sahel", "Ségou", "ML"),
    ("+15550100004", "hi", "Kamal Hand Block Prints", "Bagru, Jaipur", "IN"),
    ("+15550100005", "en", "Highland Weavers Cooperative", "Cusco", "PE"),
)


def seed_demo(session: Session, now: datetime) -> int:
    """Registers the demo businesses that are missing; returns how many were added."""
    added = 0
    for offset, (phone, language, name, place, country) in enumerate(DEMO_BUSINESSES):
        if session.scalar(select(Contact).where(Contact.address == phone)):
            continue
        joined = now - timedelta(days=30 * (len(DEMO_BUSINESSES) - offset))
        leader = Contact(
            address=phone, channel="sim", language=language, created_at=joined, consented_at=joined
        )
        session.add(leader)
        session.flush()
        register_business(session, leader, name, place, country, joined)
        session.add(
            ConversationState(
                contact_id=leader.id, flow="menu", step="main", data={}, updated_at=joined
            )
        )
        added += 1
    return added
