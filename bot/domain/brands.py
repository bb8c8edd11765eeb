"""Brand partners and the businesses they source from, seen only with the leader's consent.

An admin names businesses for a brand account; each becomes a request (`BrandLink`, status
"asked") and the business's leader is asked over chat, in their language, wherever the
conversation was (flows/brands.py). Yes makes it "given", no "declined"; the leader can
withdraw consent at any time from the main menu ("withdrawn"). A brand sees a business only
while its link is "given" (`may_see`, `visible_businesses`).
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.business import business_of
from bot.domain.conversation import change_stored
from bot.domain.effects import handles
from bot.domain.errors import Invalid, NotFound
from bot.domain.notify import notify
from bot.models import BrandLink, Business, Contact, StaffUser
from flows.brands import AnswerBrandRequest, WithdrawBrandConsent, ask, focus

ROLE = "brand"
STATUSES = ("asked", "given", "declined", "withdrawn")
MAX_LINKS = 200
MAX_ID = 2**31 - 1


class BrandError(Invalid):
    """A brand request that cannot be done as asked."""


class BrandNotFound(NotFound, BrandError):
    """The brand account or business named does not exist (or may not be seen)."""


def brand_name(user: StaffUser) -> str:
    """The name leaders see: the organisation, or the email's domain when none was given."""
    return user.organisation or user.email.rpartition("@")[2]


def parse_business_ids(typed: str) -> list[int]:
    """Business ids typed as `1,2 3`: each a whole number from 1; duplicates dropped, order
    kept. Raises BrandError for anything else or more than MAX_LINKS."""
    if not isinstance(typed, str) or len(typed) > 4000:
        raise BrandError("Business ids must be numbers separated by commas, like 1,2.")
    ids: list[int] = []
    for part in typed.replace(",", " ").split():
        if not part.isascii() or not part.isdigit() or not 1 <= int(part) <= MAX_ID:
            raise BrandError(f"'{part[:20]}' is not a business id; use numbers like 1,2.")
        if int(part) not in ids:
            ids.append(int(part))
    if len(ids) > MAX_LINKS:
        raise BrandError(f"Name at most {MAX_LINKS} businesses at once.")
    return ids


def request_links(
    session: Session, staff_id: int, business_ids: Iterable[int], now: datetime
) -> list[BrandLink]:
    """Ask the leader of each business whether the brand `staff_id` may see it. A business
    already consenting or already asked is left as it is; one that declined or withdrew is
    asked again. Returns the links asked now. Raises BrandNotFound for a missing brand account
    or business (nothing is asked then), BrandError for an account that is not a brand."""
    brand = session.get(StaffUser, staff_id)
    if brand is None:
        raise BrandNotFound(f"There is no account {staff_id}.")
    if brand.role != ROLE:
        raise BrandError(f"{brand.email} is not a brand account.")
    wanted = list(dict.fromkeys(business_ids))
    businesses = []
    for business_id in wanted:
        business = session.get(Business, business_id) if 1 <= business_id <= MAX_ID else None
        if business is None:
            raise BrandNotFound(f"There is no business {business_id}.")
        businesses.append(business)
    asked = []
    for business in businesses:
        link = session.scalar(
            select(BrandLink)
            .where(BrandLink.staff_id == staff_id, BrandLink.business_id == business.id)
            .with_for_update()
        )
        if link is not None and link.status in ("asked", "given"):
            continue
        if link is None:
            link = BrandLink(staff_id=staff_id, business_id=business.id, requested_at=now)
            session.add(link)
        link.status, link.requested_at, link.answered_at = "asked", now, None
        session.flush()
        _ask(session, business, link, brand_name(brand), now)
        asked.append(link)
    return asked


def _ask(session: Session, business: Business, link: BrandLink, name: str, now: datetime) -> None:
    if business.leader_id is None:
        return
    leader = session.scalar(
        select(Contact).where(Contact.id == business.leader_id).with_for_update()
    )
    if leader is None or leader.opted_out:
        return
    change_stored(session, leader.id, lambda current: focus(current, link.id, name), now)
    notify(session, leader, (ask(name),), now)


def consents_of(session: Session, business_id: int) -> tuple[tuple[int, str], ...]:
    """The brands that may see the business now: (link id, brand name), oldest first."""
    rows = session.execute(
        select(BrandLink.id, StaffUser)
        .join(StaffUser, StaffUser.id == BrandLink.staff_id)
        .where(BrandLink.business_id == business_id, BrandLink.status == "given")
        .order_by(BrandLink.id)
    ).all()
    return tuple((link_id, brand_name(user)) for link_id, user in rows)


def links_of(session: Session, staff_id: int) -> list[tuple[BrandLink, Business]]:
    """Every request of the brand, with its business, in the order they were made."""
    return [
        (link, business)
        for link, business in session.execute(
            select(BrandLink, Business)
            .join(Business, Business.id == BrandLink.business_id)
            .where(BrandLink.staff_id == staff_id)
            .order_by(BrandLink.id)
        ).all()
    ]


def visible_businesses(session: Session, staff_id: int) -> list[Business]:
    """The businesses whose leaders let the brand see them, by name."""
    return list(
        session.scalars(
            select(Business)
            .join(BrandLink, BrandLink.business_id == Business.id)
            .where(BrandLink.staff_id == staff_id, BrandLink.status == "given")
            .order_by(Business.name, Business.id)
        )
    )


def may_see(session: Session, staff_id: int, business_id: int) -> bool:
    """Whether the brand may see the business now (its leader said yes and has not
    withdrawn)."""
    return (
        session.scalar(
            select(BrandLink.id).where(
                BrandLink.staff_id == staff_id,
                BrandLink.business_id == business_id,
                BrandLink.status == "given",
            )
        )
        is not None
    )


def _own_link(session: Session, contact: Contact, link_id: int) -> BrandLink | None:
    business = business_of(session, contact)
    link = session.get(BrandLink, link_id, with_for_update=True)
    if business is None or link is None or link.business_id != business.id:
        return None
    return link


@handles(AnswerBrandRequest)
def _answer(session: Session, contact: Contact, effect: AnswerBrandRequest, now: datetime) -> None:
    link = _own_link(session, contact, effect.link_id)
    if link is None or link.status != "asked":
        return
    link.status, link.answered_at = ("given" if effect.given else "declined"), now


@handles(WithdrawBrandConsent)
def _withdraw(
    session: Session, contact: Contact, effect: WithdrawBrandConsent, now: datetime
) -> None:
    link = _own_link(session, contact, effect.link_id)
    if link is None or link.status != "given":
        return
    link.status, link.answered_at = "withdrawn", now
