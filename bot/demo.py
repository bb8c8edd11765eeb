"""Demo data so the console has something to show on a first run: one business per stage."""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.channels.simulator import CHANNEL as SIMULATOR
from bot.documents import KINDS
from bot.domain.actions import create_action_item
from bot.domain.assessments import (
    DEFAULT_SEAL_MONTHS,
    award_seal,
    hold,
    record_assessment_outcome,
    record_pre_assessment,
)
from bot.domain.business import register_business
from bot.domain.conversation import save_state
from bot.domain.findings import items_from_findings, mark
from bot.domain.reports import issue
from bot.domain.standards import standards
from bot.domain.supply import add_node, confirm_mapping
from bot.models import BrandLink, Business, Contact, StaffUser
from bot.staff import create_staff
from flows.core import State

# phone, language, name, place, country, how far along the programme it is
DEMO_BUSINESSES = (
    ("+15550100001", "en", "Blue Thread Embroidery", "Jaipur, Rajasthan", "IN", "mapping"),
    ("+15550100002", "es", "Tejidos Luna", "San Juan Chamula, Chiapas", "MX", "pre_assessment"),
    ("+15550100003", "fr", "Atelier Perles du Sahel", "Ségou", "ML", "remediation"),
    ("+15550100004", "hi", "Kamal Hand Block Prints", "Bagru, Jaipur", "IN", "assessment"),
    ("+15550100005", "en", "Highland Weavers Cooperative", "Cusco", "PE", "corrective"),
    ("+15550100006", "en", "Golden Jute Crafts", "Dhaka", "BD", "seal"),
)
DEMO_ADMIN = "admin@example.org"
LOCAL_URL = "http://127.0.0.1:8000"
DEMO_BRAND = "brand@example.org"
DEMO_BRAND_NAME = "Fair Threads Collective"
SEALED = "Golden Jute Crafts"
ORDER = ("mapping", "pre_assessment", "remediation", "assessment", "corrective", "seal")


def seed_demo(
    session: Session,
    now: datetime,
    months: int = 6,
    seal_months: int = DEFAULT_SEAL_MONTHS,
    public_base_url: str = LOCAL_URL,
) -> int:
    """Registers the demo businesses that are missing; returns how many were added. The last
    one holds an active seal valid for `seal_months`, whose code verifies; report links sent to
    the demo leaders start with `public_base_url`."""
    added = 0
    for phone, language, name, place, country, stage in DEMO_BUSINESSES:
        if session.scalar(select(Contact).where(Contact.address == phone)):
            continue
        joined = now - timedelta(days=40 + 45 * ORDER.index(stage))
        leader = Contact(
            address=phone,
            channel=SIMULATOR,
            language=language,
            created_at=joined,
            consented_at=joined,
        )
        session.add(leader)
        session.flush()
        business = register_business(session, leader, name, place, country, joined)
        save_state(session, leader.id, State("menu", "main"), joined)
        _advance(session, business, ORDER.index(stage), joined, now, months, seal_months)
        if ORDER.index(stage) >= ORDER.index("corrective"):
            for kind in KINDS:  # issued reports, as the programme hands them over
                issue(session, business.id, kind, now, staff_id=None,
                      public_base_url=public_base_url, link_days=30)  # fmt: skip
        added += 1
    return added


def _advance(
    session: Session,
    business: Business,
    depth: int,
    joined: datetime,
    now: datetime,
    months: int,
    seal_months: int = DEFAULT_SEAL_MONTHS,
) -> None:
    """Walks a business through the programme with the same domain functions staff use."""
    _map_supply_chain(session, business.id, joined + timedelta(days=3))
    if depth < 1:
        return
    confirm_mapping(session, business.id, joined + timedelta(days=7))
    if depth < 2:
        return
    visit = joined + timedelta(days=20)
    if depth >= 4:
        visit = now - timedelta(days=30 * months + 10)
    assessment = record_pre_assessment(session, business.id, visit, visit, months)
    if depth == 2:
        create_action_item(
            session,
            business.id,
            "remediation",
            "major",
            "Write down the piece rate for each order and share it with every group",
            (visit + timedelta(days=30)).date(),
            visit,
        )
        create_action_item(
            session,
            business.id,
            "remediation",
            "minor",
            "Keep a first-aid kit where the embroidery is done",
            (now + timedelta(days=60)).date(),
            now,
        )
    if depth < 4:
        return
    outcome = "partial" if depth == 4 else "pass"
    _assess(session, assessment.id, now, partial=depth == 4)
    record_assessment_outcome(session, assessment.id, outcome, "Demo assessment", now)
    items_from_findings(session, assessment.id, now)
    if depth != 4:
        award_seal(session, business.id, now, seal_months)


def seed_demo_brand(session: Session, now: datetime) -> str | None:
    """A brand partner account linked to the sealed demo business, its leader's consent
    given. Returns the new account's password, or None when it exists already (or the sealed
    business is missing)."""
    business = session.scalar(select(Business).where(Business.name == SEALED))
    if business is None or session.scalar(select(StaffUser).where(StaffUser.email == DEMO_BRAND)):
        return None
    password = secrets.token_urlsafe(12)
    brand = create_staff(session, DEMO_BRAND, "brand", password, now, DEMO_BRAND_NAME)
    session.add(
        BrandLink(
            staff_id=brand.id,
            business_id=business.id,
            status="given",
            requested_at=now,
            answered_at=now,
        )
    )
    session.flush()
    return password


def _assess(session: Session, assessment_id: int, now: datetime, partial: bool) -> None:
    """Every indicator marked on site today: met, except a minor finding (and, for a partial
    outcome, a major one about piece rates)."""
    hold(session, assessment_id, now.date(), now)
    unmet = {_first("safety", "minor"): "No first-aid kit where the dyeing is done."}
    if partial:
        unmet[_first("pay", "major")] = "Piece rates for beading are agreed by word of mouth only."
    for code in standards().codes:
        note = unmet.get(code, "")
        mark(session, assessment_id, code, "not_met" if note else "met", now, note=note)


def _first(category: str, severity: str) -> str:
    """The first indicator of a category with this default severity (any, if none has it)."""
    indicators = standards().in_category(category)
    chosen = [i for i in indicators if i.severity == severity] or list(indicators)
    return chosen[0].code


def _map_supply_chain(session: Session, business_id: int, when: datetime) -> None:
    """Three layers: a workshop, a middleman below it, and a home-based group below that."""
    workshop = add_node(
        session,
        business_id,
        when,
        name="Main stitching workshop",
        place="Town centre",
        process="stitching",
        workers=12,
        home_workers=0,
        payment_method="bank",
    )
    agent = add_node(
        session,
        business_id,
        when,
        name="Village agent",
        place="Nearby village",
        process="embroidery",
        workers=25,
        home_workers=20,
        payment_method="cash",
        parent_id=workshop.id,
    )
    add_node(
        session,
        business_id,
        when,
        name="Home beading group",
        place="Nearby village",
        process="beading",
        workers=9,
        home_workers=9,
        payment_method="mobile_money",
        parent_id=agent.id,
    )
