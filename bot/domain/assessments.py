"""The compliance assessment: scheduled months after the pre-assessment, reminded a month, a
week and a day before, held on a day, its outcome derived from its findings
(`bot.domain.findings`) and confirmed by staff, and the seal awarded when earned.

One cycle is a pre-assessment visit (with its review of current practice, an assessment row of
kind "pre_assessment") and the assessment it schedules. Correcting the visit's date corrects
that cycle; a re-assessment is its own explicit action (`schedule_reassessment`).
"""

import calendar
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.errors import Invalid, NotFound
from bot.domain.findings import implied, unmarked
from bot.domain.notify import notify
from bot.domain.reminders import cancel, plan, sends
from bot.domain.seals import current_seal, issue_seal
from bot.domain.text import staff_text
from bot.domain.zones import DEFAULT_ZONE, local_moment
from bot.models import ActionItem, Assessment, Business, Contact, Reminder, Seal
from flows.core import Reply
from messages.dates import date_text

OUTCOMES = ("pass", "partial", "fail")
MAX_MONTHS = 36
MAX_NOTES = 4000
MAX_WITHIN_DAYS = 3650
REMINDER_HOUR = 9  # local time of the business, on the reminder's day
REMINDERS = ("assessment_month", "assessment_week", "assessment_day")
MAX_REASON = 500
MAX_AHEAD_MONTHS = 12  # a visit is planned at most a year ahead
FORMAL = Assessment.kind == "assessment"
DEFAULT_SEAL_MONTHS = 24  # SEAL_VALID_MONTHS


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
    """Record the pre-assessment visit and schedule the assessment `months` after it; returns
    the assessment of this cycle.

    Recording it again corrects the date: a pending assessment and its reminders move with it;
    once the cycle's assessment has an outcome (or the seal is awarded) only the visit's date
    is corrected, and no second assessment is ever made (see `schedule_reassessment`).
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
    _review(session, business_id, held_on)
    assessment = _latest(session, business_id)
    if assessment is not None and (
        assessment.outcome is not None or business.seal_awarded_at is not None
    ):
        session.flush()
        return assessment
    scheduled = add_months(held_on, months)
    if assessment is None:
        assessment = Assessment(business_id=business_id, scheduled_for=scheduled, notes="")
        session.add(assessment)
    assessment.scheduled_for = scheduled
    session.flush()
    _plan(session, assessment, now)
    _tell(session, business, "assessment.scheduled", now, date=scheduled.date())
    return assessment


def schedule_reassessment(
    session: Session, business_id: int, on: date, now: datetime
) -> Assessment:
    """A new assessment of a business whose last one has an outcome (a re-assessment before the
    seal expires, or after corrective action); the leader is told and reminded as before.
    Raises AssessmentError while an assessment is still pending or for a day in the past."""
    business = _business(session, business_id)
    if not isinstance(on, date) or isinstance(on, datetime):
        raise AssessmentError("The re-assessment date must be a date.")
    if on < now.date():
        raise AssessmentError("The re-assessment date cannot be in the past.")
    if _pending(session, business_id) is not None:
        raise AssessmentError("An assessment is already scheduled; record it first.")
    assessment = Assessment(
        business_id=business_id, scheduled_for=datetime.combine(on, time()), notes=""
    )
    session.add(assessment)
    session.flush()
    _plan(session, assessment, now)
    _tell(session, business, "assessment.scheduled", now, date=on)
    return assessment


def plan_reassessments(session: Session, now: datetime, days_before: int) -> list[Assessment]:
    """Schedule the re-assessment of every active seal that ends within `days_before` days (or
    has ended without one): halfway through that lead, never in the past. The leader is told
    and reminded a month, a week and a day before (as for any assessment), and staff see it
    among the upcoming assessments. A business with an assessment already pending keeps it.
    Returns the assessments scheduled."""
    if type(days_before) is not int or not 1 <= days_before <= MAX_WITHIN_DAYS:
        raise AssessmentError(f"The days before expiry must be 1 to {MAX_WITHIN_DAYS}.")
    due = session.scalars(
        select(Seal)
        .where(
            Seal.status == "active",
            Seal.reassessment_id.is_(None),
            Seal.valid_until <= now + timedelta(days=days_before),
        )
        .order_by(Seal.id)
        .with_for_update(skip_locked=True)
    ).all()
    scheduled = []
    for seal in due:
        pending = _pending(session, seal.business_id)
        if pending is None:
            halfway = (seal.valid_until - timedelta(days=days_before // 2)).date()
            pending = schedule_reassessment(
                session, seal.business_id, max(now.date(), halfway), now
            )
            scheduled.append(pending)
        seal.reassessment_id = pending.id
    session.flush()
    return scheduled


def hold(session: Session, assessment_id: int, held_on: date, now: datetime) -> Assessment:
    """Record the day the assessment (or the pre-assessment review) is held, or will be: the
    findings may be marked as the visit goes, the outcome is recorded only from that day.
    Raises AssessmentError for a day before the business registered or more than
    `MAX_AHEAD_MONTHS` ahead, or once the outcome is recorded."""
    assessment = _assessment(session, assessment_id)
    if not isinstance(held_on, date) or isinstance(held_on, datetime):
        raise AssessmentError("The day it is held must be a date.")
    business = _business(session, assessment.business_id)
    earliest = business.registered_at.date()
    furthest = add_months(now, MAX_AHEAD_MONTHS).date()
    if not earliest <= held_on <= furthest:
        raise AssessmentError(
            f"The day it is held must be from {earliest.isoformat()} (when the business "
            f"registered) to {furthest.isoformat()}."
        )
    if assessment.outcome is not None:
        raise AssessmentError("The outcome is recorded; correct it with a reason instead.")
    assessment.held_on = held_on
    session.flush()
    return assessment


def _plan(session: Session, assessment: Assessment, now: datetime) -> None:
    day = assessment.scheduled_for.date()
    business = session.get(Business, assessment.business_id)
    zone_name = business.time_zone if business else DEFAULT_ZONE

    def _at(day: date) -> datetime:
        return local_moment(day, time(REMINDER_HOUR), zone_name)

    plan(
        session,
        REMINDERS,
        assessment.id,
        assessment.business_id,
        {
            "assessment_month": _at(add_months(assessment.scheduled_for, -1).date()),
            "assessment_week": _at(day - timedelta(days=7)),
            "assessment_day": _at(day - timedelta(days=1)),
        },
        now,
    )


def _review(session: Session, business_id: int, held_on: datetime) -> Assessment:
    """The business's pre-assessment review, on the visit's day (made at the first visit)."""
    review = session.scalar(
        select(Assessment)
        .where(Assessment.business_id == business_id, Assessment.kind == "pre_assessment")
        .order_by(Assessment.id.desc())
        .limit(1)
    )
    if review is None:
        review = Assessment(business_id=business_id, kind="pre_assessment", notes="")
        session.add(review)
    review.scheduled_for, review.held_on = held_on, held_on.date()
    return review


def review_of(session: Session, business_id: int) -> Assessment | None:
    """The business's pre-assessment review, if its visit is recorded."""
    return session.scalar(
        select(Assessment)
        .where(Assessment.business_id == business_id, Assessment.kind == "pre_assessment")
        .order_by(Assessment.id.desc())
        .limit(1)
    )


def record_assessment_outcome(
    session: Session,
    assessment_id: int,
    outcome: str,
    notes: str,
    now: datetime,
    reason: str = "",
) -> Assessment:
    """Staff confirm the outcome the findings imply, or record another with a `reason`; a
    recorded outcome can be corrected, also with a reason. Partial or fail is followed by the
    corrective action plan (`bot.domain.findings.items_from_findings`).

    Raises AssessmentNotFound, or AssessmentError: not a formal assessment, before the day it
    is held, while any indicator is unmarked, an outcome out of the list, notes or reason out
    of shape, or a missing reason.
    """
    assessment = _assessment(session, assessment_id)
    if assessment.kind != "assessment":
        raise AssessmentError("A pre-assessment review has recommendations, not an outcome.")
    if outcome not in OUTCOMES:
        raise AssessmentError(f"The outcome must be one of: {', '.join(OUTCOMES)}.")
    cleaned = _clean(notes, "notes", MAX_NOTES)
    why = _clean(reason, "reason", MAX_REASON)
    if assessment.held_on is None:
        raise AssessmentError("Record the day the assessment is held first.")
    if now.date() < assessment.held_on:
        raise AssessmentError(
            f"The outcome can be recorded from {assessment.held_on.isoformat()}, "
            "the day the assessment is held."
        )
    missing = unmarked(session, assessment_id)
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise AssessmentError(f"{len(missing)} indicator(s) are not marked yet: {shown}.")
    expected = implied(session, assessment_id)
    if outcome != expected and not why:
        raise AssessmentError(
            f"The findings imply {expected}; give a reason to record {outcome} instead."
        )
    correcting = assessment.outcome is not None
    if correcting and not why:
        raise AssessmentError("Give a reason to correct a recorded outcome.")
    changed = assessment.outcome != outcome
    assessment.outcome, assessment.outcome_at, assessment.notes = outcome, now, cleaned
    assessment.outcome_reason = why
    cancel(session, REMINDERS, assessment.id, now)
    session.flush()
    if changed:
        business = _business(session, assessment.business_id)
        _tell(session, business, f"assessment.result_{outcome}", now)
    return assessment


def _clean(value: str, name: str, limit: int) -> str:
    return staff_text(value, name, limit, error=AssessmentError)


def _assessment(session: Session, assessment_id: int) -> Assessment:
    assessment = session.get(Assessment, assessment_id)
    if assessment is None:
        raise AssessmentNotFound(f"There is no assessment {assessment_id}.")
    return assessment


def award_seal(
    session: Session, business_id: int, now: datetime, valid_months: int = DEFAULT_SEAL_MONTHS
) -> Business:
    """Award the seal after a passed assessment, or once every corrective item is verified: a
    seal record (bot/domain/seals.py) valid for `valid_months`, numbered, with its public
    verification code and the assessment's standards version; the leader is told.

    Raises AssessmentError while the business holds an active seal, before any outcome, when
    the latest outcome is not newer than the last seal, or with corrective items unverified.
    """
    business = _business(session, business_id)
    if business.seal_awarded_at is not None:
        raise AssessmentError(f"{business.name} was already awarded the seal.")
    latest = session.scalar(
        select(Assessment)
        .where(Assessment.business_id == business_id, FORMAL, Assessment.outcome.is_not(None))
        .order_by(Assessment.outcome_at.desc(), Assessment.id.desc())
        .limit(1)
    )
    if latest is None:
        raise AssessmentError("Record the assessment outcome before awarding the seal.")
    previous = current_seal(session, business_id)
    if previous is not None and (latest.outcome_at or now) <= previous.awarded_at:
        raise AssessmentError(
            "The last seal was awarded on this assessment; record a re-assessment first."
        )
    if latest.outcome != "pass":
        statuses = list(
            session.scalars(
                select(ActionItem.status).where(
                    ActionItem.business_id == business_id,
                    ActionItem.kind == "corrective",
                    ActionItem.status != "withdrawn",  # taken back: neither waited for nor counted
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
    issue_seal(session, business, now, valid_months, latest.standards_version or "", latest.id)
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
                FORMAL,
                Assessment.outcome.is_(None),
                Assessment.scheduled_for <= now + timedelta(days=within_days),
            )
            .order_by(Assessment.scheduled_for, Assessment.id)
        )
    )


def next_assessment_at(session: Session, business_id: int) -> datetime | None:
    pending = _pending(session, business_id)
    return pending.scheduled_for if pending else None


def replan_reminders(session: Session, business_id: int, now: datetime) -> None:
    """Plan the reminders of the business's pending assessment again (after its time zone
    changed); nothing when none is pending."""
    pending = _pending(session, business_id)
    if pending is not None:
        _plan(session, pending, now)


def next_assessments(session: Session) -> dict[int, datetime]:
    """next_assessment_at of every business that has one pending, by business id (UTC), in
    one query."""
    latest: dict[int, datetime] = {}
    for business_id, scheduled_for in session.execute(
        select(Assessment.business_id, Assessment.scheduled_for)
        .where(FORMAL, Assessment.outcome.is_(None))
        .order_by(Assessment.scheduled_for, Assessment.id)
    ):
        latest[business_id] = scheduled_for
    return latest


def _pending(session: Session, business_id: int) -> Assessment | None:
    return session.scalar(
        select(Assessment)
        .where(Assessment.business_id == business_id, FORMAL, Assessment.outcome.is_(None))
        .order_by(Assessment.scheduled_for.desc(), Assessment.id.desc())
        .limit(1)
    )


def _latest(session: Session, business_id: int) -> Assessment | None:
    """The business's latest formal assessment, with or without an outcome."""
    return session.scalar(
        select(Assessment)
        .where(Assessment.business_id == business_id, FORMAL)
        .order_by(Assessment.id.desc())
        .limit(1)
    )


def _business(session: Session, business_id: int) -> Business:
    business = session.get(Business, business_id)
    if business is None:
        raise AssessmentNotFound(f"There is no business {business_id}.")
    return business


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
