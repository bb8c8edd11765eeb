"""Domain changes shared by the bot and the console; each runs inside the caller's transaction."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Business, Contact, Survey
from flows.core import Effect, GiveConsent, OptIn, OptOut, RegisterBusiness, SetLanguage


def apply_effect(session: Session, contact: Contact, effect: Effect, now: datetime) -> None:
    match effect:
        case SetLanguage(language=language):
            contact.language = language
        case GiveConsent():
            contact.consented_at = contact.consented_at or now
        case OptOut():
            opt_out(contact, now)
        case OptIn():
            contact.opted_out = False
            contact.opted_out_at = None
        case RegisterBusiness(name=name, place=place, country=country):
            register_business(session, contact, name, place, country, now)
        case _:
            raise ValueError(f"no domain handler for {effect!r}")


def opt_out(contact: Contact, now: datetime) -> None:
    contact.opted_out = True
    contact.opted_out_at = now


def register_business(
    session: Session, leader: Contact, name: str, place: str, country: str, now: datetime
) -> Business:
    """A leader runs one business; registering again updates its details."""
    business = session.scalar(select(Business).where(Business.leader_id == leader.id))
    if business is None:
        business = Business(
            leader_id=leader.id, registered_at=now, name=name, place=place, country=country
        )
        session.add(business)
    business.name, business.place, business.country = name, place, country
    leader.role = "leader"
    session.flush()
    return business


def stage_of(business: Business) -> str:
    """The programme stage, derived from the business's records rather than stored."""
    return "registered"


def survey_is_open(session: Session, code: str) -> bool:
    survey = session.scalar(select(Survey).where(Survey.code == code))
    return survey is not None and survey.closed_at is None
