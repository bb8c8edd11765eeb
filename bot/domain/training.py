"""Pre-assessment lessons and the self-assessment checklist: progress and answers per business."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.business import business_of
from bot.domain.effects import handles
from bot.models import ChecklistAnswer, Contact, LessonProgress
from flows.training import (
    CHECKLIST,
    CHECKLIST_ANSWERS,
    LESSONS,
    PARTS,
    AnswerChecklist,
    FinishLesson,
    SaveLessonPosition,
)
from flows.views import LessonView
from messages import text


def lesson_views(session: Session, business_id: int) -> dict[str, LessonView]:
    rows = session.scalars(select(LessonProgress).where(LessonProgress.business_id == business_id))
    return {
        row.topic: LessonView(row.topic, row.position, row.completed_at is not None) for row in rows
    }


def checklist_map(session: Session, business_id: int) -> dict[str, str]:
    """Question key -> answer (yes, no or not_sure) for what the leader has answered so far."""
    rows = session.scalars(
        select(ChecklistAnswer).where(ChecklistAnswer.business_id == business_id)
    )
    return {row.question: row.answer for row in rows}


def checklist_answers(session: Session, business_id: int) -> list[tuple[str, str]]:
    """(question as staff read it, answer) in checklist order, for the pre-assessment visit."""
    answers = checklist_map(session, business_id)
    return [
        (text("en", f"checklist.{question}"), answers[question])
        for question in CHECKLIST
        if question in answers
    ]


def _progress(session: Session, business_id: int, topic: str) -> LessonProgress:
    row = session.scalar(
        select(LessonProgress).where(
            LessonProgress.business_id == business_id, LessonProgress.topic == topic
        )
    )
    if row is None:
        row = LessonProgress(business_id=business_id, topic=topic, position=0)
        session.add(row)
    return row


@handles(SaveLessonPosition)
def _save_position(
    session: Session, contact: Contact, effect: SaveLessonPosition, _: datetime
) -> None:
    business = business_of(session, contact)
    if business is None or effect.topic not in LESSONS:
        return
    row = _progress(session, business.id, effect.topic)
    row.position = max(0, min(effect.position, PARTS))
    session.flush()


@handles(FinishLesson)
def _finish(session: Session, contact: Contact, effect: FinishLesson, now: datetime) -> None:
    business = business_of(session, contact)
    if business is None or effect.topic not in LESSONS:
        return
    row = _progress(session, business.id, effect.topic)
    row.position, row.check_passed, row.completed_at = PARTS, effect.check_passed, now
    session.flush()


@handles(AnswerChecklist)
def _answer(session: Session, contact: Contact, effect: AnswerChecklist, now: datetime) -> None:
    business = business_of(session, contact)
    if business is None or effect.question not in CHECKLIST:
        return
    if effect.answer not in CHECKLIST_ANSWERS:
        return
    row = session.scalar(
        select(ChecklistAnswer).where(
            ChecklistAnswer.business_id == business.id,
            ChecklistAnswer.question == effect.question,
        )
    )
    if row is None:
        row = ChecklistAnswer(business_id=business.id, question=effect.question)
        session.add(row)
    row.answer, row.answered_at = effect.answer, now
    session.flush()


@dataclass(frozen=True)
class LessonStatus:
    """One lesson as the business's leader has got on with it."""

    topic: str
    title: str  # in English, as staff read it
    started: bool
    completed_at: datetime | None  # naive UTC; None while not finished
    check_passed: bool | None


def lesson_statuses(session: Session, business_id: int) -> list[LessonStatus]:
    """Every lesson in the order the leader sees them, with when the leader finished it (the
    last time, for a lesson done again) or not yet."""
    rows = {
        row.topic: row
        for row in session.scalars(
            select(LessonProgress).where(LessonProgress.business_id == business_id)
        )
    }
    statuses = []
    for topic in LESSONS:
        row = rows.get(topic)
        statuses.append(
            LessonStatus(
                topic,
                text("en", f"lesson.{topic}"),
                row is not None,
                row.completed_at if row else None,
                row.check_passed if row else None,
            )
        )
    return statuses
