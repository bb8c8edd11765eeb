"""Contacts and their businesses: language, consent, opt-out, registration, stage."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.effects import handles
from bot.domain.errors import Invalid, NotFound
from bot.domain.zones import DEFAULT_ZONE, MAX_ZONE_NAME, country_zones, default_zone
from bot.models import Business, Contact
from flows.core import GiveConsent, OptIn, OptOut, RegisterBusiness, SetLanguage


@handles(SetLanguage)
def set_language(_: Session, contact: Contact, effect: SetLanguage, __: datetime) -> None:
    contact.language = effect.language


@handles(GiveConsent)
def give_consent(_: Session, contact: Contact, __: GiveConsent, now: datetime) -> None:
    contact.consented_at = contact.consented_at or now


@handles(OptOut)
def opt_out_effect(_: Session, contact: Contact, __: OptOut, now: datetime) -> None:
    opt_out(contact, now)


@handles(OptIn)
def opt_in(_: Session, contact: Contact, __: OptIn, ___: datetime) -> None:
    contact.opted_out = False
    contact.opted_out_at = None


@handles(RegisterBusiness)
def register_effect(
    session: Session, contact: Contact, effect: RegisterBusiness, now: datetime
) -> None:
    register_business(session, contact, effect.name, effect.place, effect.country, now)


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
    if business.country != country or not business.time_zone:
        business.time_zone = default_zone(country)
    business.name, business.place, business.country = name, place, country
    leader.role = "leader"
    session.flush()
    return business


def set_time_zone(session: Session, business_id: int, zone_name: str) -> Business:
    """Give the business another of its country's time zones (an IANA name); its quiet hours
    follow at once, its reminders when planned again (`actions.replan_reminders`,
    `assessments.replan_reminders`). Raises NotFound for an unknown business and Invalid for
    a zone that is not one of its country's."""
    business = session.get(Business, business_id)
    if business is None:
        raise NotFound(f"There is no business {business_id}.")
    allowed = country_zones(business.country) or (DEFAULT_ZONE,)
    if zone_name not in allowed:
        shown = str(zone_name)[:MAX_ZONE_NAME]
        raise Invalid(f"'{shown}' is not a time zone of {business.country}.")
    business.time_zone = zone_name
    session.flush()
    return business


def business_of(session: Session, leader: Contact) -> Business | None:
    """The business this contact leads, if any."""
    return session.scalar(select(Business).where(Business.leader_id == leader.id))
