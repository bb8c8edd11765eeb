"""Where a business stands in the programme, derived from its records rather than stored.

Deriving the stage means no record can disagree with it: staff and the bot change the records
(nodes reported, mapping confirmed, pre-assessment held, items done, outcome, seal) and the
stage follows.
"""

from sqlalchemy import exists, select
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
