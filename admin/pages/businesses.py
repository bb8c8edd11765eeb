"""The businesses list: filter by stage and country, search by name, sort by any column and
page through it, all in the database so a programme of hundreds stays quick."""

from dataclasses import dataclass

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from admin.auth import runtime_of
from admin.deps import Viewer
from admin.paging import Pages, page_number, pages
from admin.web import page
from bot.domain.stage import STAGES, stage_column, stage_order
from bot.models import Business, Contact

router = APIRouter()
PER_PAGE = 50
MAX_SEARCH = 120
# Each sortable column: its address word, its heading and what it sorts by.
COLUMNS = ("name", "place", "country", "stage", "leader", "registered")
HEADINGS = {
    "name": "Name",
    "place": "Place",
    "country": "Country",
    "stage": "Stage",
    "leader": "Leader",
    "registered": "Registered",
}


@dataclass(frozen=True)
class Listed:
    business: Business
    stage: str
    leader: Contact | None


@dataclass(frozen=True)
class Sort:
    """The column sorted by (one of COLUMNS) and whether it runs from high to low."""

    column: str = "name"
    descending: bool = False

    @classmethod
    def parse(cls, column: str, direction: str) -> "Sort":
        """Anything but a known column and "asc"/"desc" sorts by name, A to Z."""
        if column not in COLUMNS:
            return cls()
        return cls(column, direction == "desc")


def _key(column: str, stage: ColumnElement[str]) -> ColumnElement:
    return {
        "name": func.lower(Business.name),
        "place": func.lower(Business.place),
        "country": Business.country,
        "stage": stage_order(stage),
        "leader": Contact.address,
        "registered": Business.registered_at,
    }[column]


def _filtered(query: Select, q: str, country: str, stage: str, stage_of: ColumnElement) -> Select:
    if q:
        query = query.where(func.lower(Business.name).contains(q.lower(), autoescape=True))
    if country:
        query = query.where(Business.country == country)
    if stage:
        query = query.where(stage_of == stage)
    return query


def listed(
    session: Session,
    q: str = "",
    country: str = "",
    stage: str = "",
    sort: Sort = Sort(),
    offset: int = 0,
    limit: int | None = None,
) -> list[Listed]:
    """Businesses matching the filters, in the asked order (ties by id, so paging is stable)."""
    stage_of = stage_column().label("stage")
    query = _filtered(
        select(Business, stage_of, Contact).outerjoin(Contact, Contact.id == Business.leader_id),
        q,
        country,
        stage,
        stage_column(),
    )
    key = _key(sort.column, stage_column())
    ordered = key.desc() if sort.descending else key.asc()
    tie = Business.id.desc() if sort.descending else Business.id.asc()
    rows = session.execute(query.order_by(ordered, tie).offset(offset).limit(limit)).all()
    return [Listed(business, stage, leader) for business, stage, leader in rows]


def counted(session: Session, q: str = "", country: str = "", stage: str = "") -> int:
    """How many businesses match the filters."""
    query = _filtered(select(func.count(Business.id)), q, country, stage, stage_column())
    return session.scalar(query) or 0


@router.get("/businesses")
def businesses(
    request: Request,
    staff: Viewer,
    q: str = "",
    country: str = "",
    stage: str = "",
    sort: str = "",
    order: str = Query("", alias="dir"),
    page_asked: str = Query("", alias="page"),
) -> HTMLResponse:
    """Filters, sorts and pages that make no sense are dropped rather than refused: the list
    still shows, from its first page."""
    q = " ".join(q.split())[:MAX_SEARCH]
    stage = stage if stage in STAGES else ""
    country = (
        country.upper() if len(country) == 2 and country.isascii() and country.isalpha() else ""
    )
    sorting = Sort.parse(sort, order)
    with runtime_of(request).store.transaction() as session:
        total = counted(session, q, country, stage)
        filters = {"q": q, "stage": stage, "country": country}
        kept = {**filters, "sort": sorting.column, "dir": "desc" if sorting.descending else ""}
        paged = pages(total, PER_PAGE, page_number(page_asked), "/admin/businesses", kept)
        rows = listed(session, q, country, stage, sorting, (paged.current - 1) * PER_PAGE, PER_PAGE)
        countries = session.scalars(select(Business.country).distinct()).all()
    return page(
        request,
        "businesses.html",
        staff,
        section="businesses",
        rows=rows,
        total=total,
        pages=paged,
        stages=STAGES,
        countries=sorted(countries),
        filters=filters,
        sorting=sorting,
        columns=[
            (column, HEADINGS[column], _sort_link(paged, filters, sorting, column))
            for column in COLUMNS
        ],  # fmt: skip
    )


def _sort_link(paged: Pages, filters: dict[str, str], sorting: Sort, column: str) -> str:
    """The heading's link: sorts by its column, the other way round when already sorted by it;
    back to the first page, filters kept."""
    descending = sorting.column == column and not sorting.descending
    query = {**filters, "sort": column, "dir": "desc" if descending else "asc"}
    return Pages(1, paged.count, [], paged.base, query).url(1)
