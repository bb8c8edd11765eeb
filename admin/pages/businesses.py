"""The businesses list (filter by stage and country, search by name) and each business's page."""

from dataclasses import dataclass

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin.auth import runtime_of
from admin.deps import Viewer
from admin.web import page
from bot.domain.stage import STAGES, stage_of
from bot.models import Business, Contact

router = APIRouter()
PER_PAGE = 50
MAX_SEARCH = 120


@dataclass(frozen=True)
class Listed:
    business: Business
    stage: str
    leader: Contact | None


def listed(session: Session, q: str = "", country: str = "", stage: str = "") -> list[Listed]:
    """Businesses matching the filters, by name; the stage is derived, so it is filtered here."""
    query = select(Business, Contact).outerjoin(Contact, Contact.id == Business.leader_id)
    if q:
        query = query.where(func.lower(Business.name).contains(q.lower(), autoescape=True))
    if country:
        query = query.where(Business.country == country)
    rows = session.execute(query.order_by(Business.name, Business.id)).all()
    found = [Listed(business, stage_of(session, business), leader) for business, leader in rows]
    return [row for row in found if not stage or row.stage == stage]


@router.get("/businesses")
def businesses(
    request: Request,
    staff: Viewer,
    q: str = "",
    country: str = "",
    stage: str = "",
    page_number: int = Query(1, alias="page", ge=1, le=100_000),
) -> HTMLResponse:
    """Filters that make no sense are dropped rather than refused: the list still shows."""
    q = " ".join(q.split())[:MAX_SEARCH]
    stage = stage if stage in STAGES else ""
    country = (
        country.upper() if len(country) == 2 and country.isascii() and country.isalpha() else ""
    )
    with runtime_of(request).store.transaction() as session:
        rows = listed(session, q, country, stage)
        countries = session.scalars(select(Business.country).distinct()).all()
    start = (page_number - 1) * PER_PAGE
    return page(
        request,
        "businesses.html",
        staff,
        section="businesses",
        rows=rows[start : start + PER_PAGE],
        total=len(rows),
        page_number=page_number,
        more=start + PER_PAGE < len(rows),
        stages=STAGES,
        countries=sorted(countries),
        filters={"q": q, "country": country, "stage": stage},
    )
