"""Recording an assessment the way an assessor does, for tests that need an outcome: the day it
is held, then every indicator marked (met, except those given as unmet)."""

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.domain.assessments import hold
from bot.domain.findings import mark
from bot.domain.standards import standards


def first_of(severity: str) -> str:
    """The code of the first indicator whose default severity is `severity`."""
    return next(i.code for i in standards().indicators if i.severity == severity)


def assess(
    session: Session,
    assessment_id: int,
    now: datetime,
    unmet: Mapping[str, str | None] | None = None,
    held_on: date | None = None,
) -> None:
    """Hold the assessment (today unless `held_on`) and mark every indicator: met, except the
    codes in `unmet`, not met with the given severity (None: the indicator's default)."""
    unmet = unmet or {}
    hold(session, assessment_id, held_on or now.date(), now)
    for code in standards().codes:
        if code in unmet:
            severity = unmet[code]
            reason = "Graded on site" if severity else ""
            mark(session, assessment_id, code, "not_met", now, severity=severity, reason=reason)
        else:
            mark(session, assessment_id, code, "met", now)


def outcome_needs(outcome: str) -> dict[str, str | None]:
    """Unmet findings that imply `outcome`: none for pass, a major one for partial, a
    zero-tolerance one for fail."""
    return {
        "pass": {},
        "partial": {first_of("major"): None},
        "fail": {first_of("zero_tolerance"): None},
    }[outcome]
