"""Where a business stands in the programme, derived from its records rather than stored.

Deriving the stage means no record can disagree with it: staff and the bot change the records
(nodes reported, mapping confirmed, pre-assessment held, items done, outcome, seal) and the
stage follows.
"""

from sqlalchemy import ColumnElement, and_, case, exists, or_, select
from sqlalchemy.orm import Session

from bot.models import ActionItem, Assessment, Business, SupplyNode

STAGES = (
    "registered",
    "mapping",
    "pre_assessment",
    "remediation",
    "assessment_scheduled",
    "corrective_action",
    "seal_awarded",
)
OPEN_STATUSES = ("open", "help")


def stage_of(session: Session, business: Business) -> str:
    if business.seal_awarded_at is not None:
        return "seal_awarded"
    latest = session.scalar(
        select(Assessment)
        .where(Assessment.business_id == business.id, Assessment.kind == "assessment")
        .order_by(Assessment.scheduled_for.desc(), Assessment.id.desc())
        .limit(1)
    )
    if latest is not None and latest.outcome in ("partial", "fail"):
        return "corrective_action"
    if business.pre_assessment_at is not None or latest is not None:
        if _has_open_items(session, business.id, "remediation"):
            return "remediation"
        return "assessment_scheduled"
    if business.mapping_confirmed_at is not None:
        return "pre_assessment"
    reported = session.scalar(
        select(
            exists().where(SupplyNode.business_id == business.id, SupplyNode.removed_at.is_(None))
        )
    )
    return "mapping" if reported else "registered"


def _has_open_items(session: Session, business_id: int, kind: str) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    ActionItem.business_id == business_id,
                    ActionItem.kind == kind,
                    ActionItem.status.in_(OPEN_STATUSES),
                )
            )
        )
    )


def stage_column() -> ColumnElement[str]:
    """The same stage as stage_of, as one SQL expression on Business, so a list of hundreds of
    businesses can filter and sort by stage in the database (correlated subqueries per row)."""
    latest_outcome = (
        select(Assessment.outcome)
        .where(Assessment.business_id == Business.id, Assessment.kind == "assessment")
        .order_by(Assessment.scheduled_for.desc(), Assessment.id.desc())
        .limit(1)
        .correlate(Business)
        .scalar_subquery()
    )
    assessed = exists().where(
        Assessment.business_id == Business.id, Assessment.kind == "assessment"
    )
    open_remediation = exists().where(
        ActionItem.business_id == Business.id,
        ActionItem.kind == "remediation",
        ActionItem.status.in_(OPEN_STATUSES),
    )
    reported = exists().where(
        SupplyNode.business_id == Business.id, SupplyNode.removed_at.is_(None)
    )
    reviewed = or_(Business.pre_assessment_at.is_not(None), assessed)
    return case(
        (Business.seal_awarded_at.is_not(None), "seal_awarded"),
        (latest_outcome.in_(("partial", "fail")), "corrective_action"),
        (and_(reviewed, open_remediation), "remediation"),
        (reviewed, "assessment_scheduled"),
        (Business.mapping_confirmed_at.is_not(None), "pre_assessment"),
        (reported, "mapping"),
        else_="registered",
    )


def stage_order(stage: ColumnElement[str]) -> ColumnElement[int]:
    """A stage expression as its place in the programme (registered 0 … seal awarded 6)."""
    return case({code: position for position, code in enumerate(STAGES)}, value=stage, else_=0)
