"""The compliance assessment: scheduled months after the pre-assessment, reminded a month, a
week and a day before, its outcome recorded by staff, and the seal awarded when earned."""

import calendar
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.errors import Invalid, NotFound
from bot.domain.notify import notify
from bot.domain.reminders import cancel, plan, sends
from bot.models import ActionItem, Assessment, Business, Contact, Reminder
from flows.core import Reply
from messages.dates import date_text

OUTCOMES = ("pass", "partial", "fail")
MAX_MONTHS = 36
MAX_NOTES = 4000
MAX_WITHIN_DAYS = 3650
REMINDER_HOUR = 9  # UTC, on the reminder's day
REMINDERS = ("assessment_month", "assessment_week", "assessment_day")


class AssessmentError(Invalid):
    """An assessment or seal request that cannot be done as asked."""


class AssessmentNotFound(NotFound, AssessmentError):
    """The business or assessment named does not exist."""


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (or earlier), clamped to the month's end: 31 Aug + 6 = 28 Feb."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(
        year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
    )


def record_pre_assessment(
    session: Session, business_id: int, held_on: datetime, now: datetime, months: int
) -> Assessment:
    """Record the pre-assessment visit and schedule the assessment `months` after it.

    Recording it again (a corrected date) moves the pending assessment and its reminders.
    """
    business = _business(session, business_id)
    if type(months) is not int or not 1 <= months <= MAX_MONTHS:
        raise AssessmentError(f"The months until the assessment must be 1 to {MAX_MONTHS}.")
    if not isinstance(held_on, datetime):
        if not isinstance(held_on, date):
            raise AssessmentError("The pre-assessment date must be a date.")
        held_on = datetime.combine(held_on, time())
    if held_on.date() > now.date():
        raise AssessmentError("The pre-assessment date cannot be in the future.")
    business.pre_assessment_at = held_on
    assessment = _pending(session, business_id)
    scheduled = add_months(held_on, months)
    if assessment is None:
        assessment = Assessment(business_id=business_id, scheduled_for=scheduled, notes="")
        session.add(assessment)
    assessment.scheduled_for = scheduled
    session.flush()
    day = scheduled.date()
    plan(
        session,
        REMINDERS,
        assessment.id,
        business_id,
        {
            "assessment_month": _at(add_months(scheduled, -1).date()),
            "assessment_week": _at(day - timedelta(days=7)),
            "assessment_day": _at(day - timedelta(days=1)),
        },
        now,
    )
    _tell(session, business, "assessment.scheduled", now, date=day)
    return assessment


def record_assessment_outcome(
    session: Session, assessment_id: int, outcome: str, notes: str, now: datetime
) -> Assessment:
    """Staff record pass, partial or fail; partial or fail is followed by corrective items."""
    assessment = session.get(Assessment, assessment_id)
    if assessment is None:
        raise AssessmentNotFound(f"There is no assessment {assessment_id}.")
    if outcome not in OUTCOMES:
        raise AssessmentError(f"The outcome must be one of: {', '.join(OUTCOMES)}.")
    cleaned = "\n".join(" ".join(line.split()) for line in notes.strip().splitlines())
    if len(cleaned) > MAX_NOTES or not all(line.isprintable() for line in cleaned.splitlines()):
        raise AssessmentError(f"The notes must be up to {MAX_NOTES} printable characters.")
    changed = assessment.outcome != outcome
    assessment.outcome, assessment.outcome_at, assessment.notes = outcome, now, cleaned
    cancel(session, REMINDERS, assessment.id, now)
    session.flush()
    if changed:
        business = _business(session, assessment.business_id)
        _tell(session, business, f"assessment.result_{outcome}", now)
    return assessment


def award_seal(session: Session, business_id: int, now: datetime) -> Business:
    """Award the seal after a passed assessment, or once every corrective item is verified."""
    business = _business(session, business_id)
    if business.seal_awarded_at is not None:
        raise AssessmentError(f"{business.name} was already awarded the seal.")
    latest = session.scalar(
        select(Assessment)
        .where(Assessment.business_id == business_id, Assessment.outcome.is_not(None))
        .order_by(Assessment.outcome_at.desc(), Assessment.id.desc())
        .limit(1)
    )
    if latest is None:
        raise AssessmentError("Record the assessment outcome before awarding the seal.")
    if latest.outcome != "pass":
        statuses = list(
            session.scalars(
                select(ActionItem.status).where(
                    ActionItem.business_id == business_id, ActionItem.kind == "corrective"
                )
            )
        )
        if not statuses:
            raise AssessmentError(
                "After a partial or failed assessment, add and verify corrective actions first."
            )
        waiting = sum(status != "verified" for status in statuses)
        if waiting:
            raise AssessmentError(f"{waiting} corrective action item(s) are not verified yet.")
    business.seal_awarded_at = now
    _tell(session, business, "assessment.seal", now, business=business.name)
    return business


def upcoming_assessments(
    session: Session, now: datetime, within_days: int = 60
) -> list[Assessment]:
    """Assessments without an outcome falling within `within_days`, including any whose day has
    passed with no outcome recorded yet, soonest first."""
    if type(within_days) is not int or not 0 <= within_days <= MAX_WITHIN_DAYS:
        raise AssessmentError(f"The number of days must be 0 to {MAX_WITHIN_DAYS}.")
    return list(
        session.scalars(
            select(Assessment)
            .where(
                Assessment.outcome.is_(None),
                Assessment.scheduled_for <= now + timedelta(days=within_days),
            )
            .order_by(Assessment.scheduled_for, Assessment.id)
        )
    )


def next_assessment_at(session: Session, business_id: int) -> datetime | None:
    pending = _pending(session, business_id)
    return pending.scheduled_for if pending else None


def _pending(session: Session, business_id: int) -> Assessment | None:
    return session.scalar(
        select(Assessment)
        .where(Assessment.business_id == business_id, Assessment.outcome.is_(None))
        .order_by(Assessment.scheduled_for.desc(), Assessment.id.desc())
        .limit(1)
    )


def _business(session: Session, business_id: int) -> Business:
    business = session.get(Business, business_id)
    if business is None:
        raise AssessmentNotFound(f"There is no business {business_id}.")
    return business


def _at(day: date) -> datetime:
    return datetime.combine(day, time(REMINDER_HOUR))


def _tell(
    session: Session, business: Business, key: str, now: datetime, /, **params: str | date
) -> None:
    leader = session.get(Contact, business.leader_id) if business.leader_id else None
    if leader is None:
        return
    rendered = {
        name: date_text(leader.language, value) if isinstance(value, date) else value
        for name, value in params.items()
    }
    notify(session, leader, (Reply(key, rendered),), now)


@sends(*REMINDERS)
def _remind(session: Session, reminder: Reminder, leader: Contact, now: datetime) -> bool:
    assessment = session.get(Assessment, reminder.subject_id)
    if assessment is None or assessment.outcome is not None:
        return False
    day = date_text(leader.language, assessment.scheduled_for.date())
    key = "assessment." + reminder.kind.removeprefix("assessment_")
    notify(session, leader, (Reply(key, {"date": day}),), now, reminder.id)
    return True
