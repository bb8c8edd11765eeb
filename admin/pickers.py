"""The choices a business picker offers (templates/pickers.html): every business, by name."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Business
from messages.countries import country_name


def business_choices(session: Session) -> list[tuple[int, str]]:
    """(id, "Name · Place, Country") for every business, sorted by name then place; the place
    and country tell apart businesses with the same name."""
    rows = session.execute(
        select(Business.id, Business.name, Business.place, Business.country).order_by(
            Business.name, Business.place, Business.id
        )
    ).all()
    return [
        (id_, f"{name} · {place}, {country_name(code, 'en')}") for id_, name, place, code in rows
    ]
