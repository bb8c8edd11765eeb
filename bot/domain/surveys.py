"""Anonymous worker surveys: open and close them, record questionnaires, count the answers.

Anonymity is built into the records rather than promised by the screens:
- a response names no contact and keeps the day it was given, never the time;
- its id is random, and each new response is written together with up to `MIX` earlier ones of
  the same survey, re-inserted in shuffled order under new ids, so neither the ids, nor the order
  rows sit in the table, nor (on PostgreSQL) the transaction that wrote them single it out;
- results are counts per question, withheld entirely below `MIN_GROUP` respondents, and a
  business's totals only add up groups that are shown themselves, so no subtraction between two
  views can reveal a withheld group.
"""

import csv
import io
import json
import random
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.conversation import load_saved, save_state
from bot.domain.effects import apply_effect, handles
from bot.domain.errors import Invalid, NotFound
from bot.models import Business, Contact, ConversationState, Survey, SurveyResponse
from flows.core import Option, Reply, State
from flows.survey import NAME as SURVEY_FLOW
from flows.survey import SubmitSurveyResponse, leave, running
from messages import LANGUAGES, catalogue
from messages.render import render_text
from messages.sms import segments

MIN_GROUP = 5
MIX = 4
DEFAULT_QUESTIONS = ("paid_on_time", "agreed_rate", "hours", "children", "safety", "complaint")
CODE_DIGITS = range(4, 9)
MAX_QUESTIONS = 20
MAX_OPTIONS = 9
MAX_TEXT = 300
MAX_TITLE = 120
MAX_DEFINITION_BYTES = 64 * 1024
SMS_SEGMENTS_PER_QUESTION = 3
MAX_ID = 2**31 - 1
IDLE_BATCH = 500
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_shuffle = random.SystemRandom().shuffle


class SurveyError(Invalid):
    """A request staff can correct; the message says how."""


class SurveyNotFound(NotFound, SurveyError):
    """The business or survey named does not exist."""


@dataclass(frozen=True)
class QuestionResult:
    key: str
    text: str
    options: tuple[str, ...]
    respondents: int
    suppressed: bool
    counts: tuple[int, ...] | None  # per option, in order; None when suppressed


@dataclass(frozen=True)
class SurveyResults:
    survey_id: int
    business_id: int
    code: str
    title: str
    opened_at: datetime
    closed_at: datetime | None
    responses: int
    questions: tuple[QuestionResult, ...]


@dataclass(frozen=True)
class BusinessResults:
    business_id: int
    surveys: int
    responses: int
    questions: tuple[QuestionResult, ...]


def default_definition() -> dict[str, Any]:
    """The programme's standard questionnaire, in every language, from the catalogues."""
    english = catalogue("en")
    questions = []
    for key in DEFAULT_QUESTIONS:
        numbers = [n for n in range(1, MAX_OPTIONS + 1) if f"survey.q.{key}.{n}" in english]
        questions.append(
            {
                "key": key,
                "text": {lang: catalogue(lang)[f"survey.q.{key}"] for lang in LANGUAGES},
                "options": {
                    lang: [catalogue(lang)[f"survey.q.{key}.{n}"] for n in numbers]
                    for lang in LANGUAGES
                },
            }
        )
    return {"questions": questions}


def parse_definition(raw: bytes | str) -> Any:
    """Staff-supplied JSON (a file or a form field), checked later by `validate_definition`."""
    if len(raw) > MAX_DEFINITION_BYTES:
        raise SurveyError(f"A survey definition is at most {MAX_DEFINITION_BYTES // 1024} KB.")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as error:
        detail = f" (line {error.lineno})" if isinstance(error, json.JSONDecodeError) else ""
        raise SurveyError(f"The definition is not valid JSON{detail}.") from None


def validate_definition(definition: Any) -> dict[str, Any]:
    """A clean copy of a staff-written definition, or SurveyError saying what to fix."""
    if not isinstance(definition, Mapping) or not isinstance(definition.get("questions"), list):
        raise SurveyError('A survey definition is an object with a "questions" list.')
    questions = definition["questions"]
    if not 1 <= len(questions) <= MAX_QUESTIONS:
        raise SurveyError(f"A survey has 1 to {MAX_QUESTIONS} questions.")
    clean, seen = [], set()
    for number, question in enumerate(questions, 1):
        checked = _validate_question(number, question)
        if checked["key"] in seen:
            raise SurveyError(f"Question {number}: the key '{checked['key']}' is used twice.")
        seen.add(checked["key"])
        clean.append(checked)
    return {"questions": clean}


def _validate_question(number: int, question: Any) -> dict[str, Any]:
    where = f"Question {number}"
    if not isinstance(question, Mapping):
        raise SurveyError(f'{where}: expected an object with "key", "text" and "options".')
    key = question.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        raise SurveyError(f"{where}: the key is 1 to 32 lowercase letters, digits or _.")
    texts, options = question.get("text"), question.get("options")
    if not isinstance(texts, Mapping) or not isinstance(options, Mapping):
        raise SurveyError(f'{where}: "text" and "options" give one entry per language.')
    clean_text, clean_options = {}, {}
    for language in LANGUAGES:
        clean_text[language] = _short_text(texts.get(language), f"{where}, text ({language})")
        labels = options.get(language)
        if not isinstance(labels, list) or not 2 <= len(labels) <= MAX_OPTIONS:
            raise SurveyError(f"{where}: give 2 to {MAX_OPTIONS} answers in {language}.")
        clean_options[language] = [
            _short_text(label, f"{where}, answer {n} ({language})")
            for n, label in enumerate(labels, 1)
        ]
    if len({len(labels) for labels in clean_options.values()}) != 1:
        raise SurveyError(f"{where}: every language needs the same number of answers.")
    checked = {"key": key, "text": clean_text, "options": clean_options}
    _check_sms_length(number, checked)
    return checked


def _short_text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise SurveyError(f"{where}: missing.")
    cleaned = " ".join(value.split())
    if not cleaned or len(cleaned) > MAX_TEXT or not cleaned.isprintable():
        raise SurveyError(f"{where}: 1 to {MAX_TEXT} printable characters.")
    return cleaned


def _check_sms_length(number: int, question: Mapping[str, Any]) -> None:
    """Every question, with its answers, must fit a basic phone's message in every language."""
    for language in LANGUAGES:
        options = tuple(
            Option("common.value", {"value": label}) for label in question["options"][language]
        )
        params = {"number": MAX_QUESTIONS, "total": MAX_QUESTIONS}
        reply = Reply(
            "survey.question", {**params, "question": question["text"][language]}, options
        )
        if segments(render_text(language, reply).body) > SMS_SEGMENTS_PER_QUESTION:
            raise SurveyError(
                f"Question {number} is too long for {SMS_SEGMENTS_PER_QUESTION} text messages in "
                f"{language}; shorten the question or its answers."
            )


def open_survey(
    session: Session,
    business_id: int,
    now: datetime,
    definition: Mapping[str, Any] | None = None,
    title: str = "",
) -> Survey:
    """Open a survey for a business under a new short numeric code that workers text to join."""
    business = session.get(Business, business_id) if 0 < business_id <= MAX_ID else None
    if business is None:
        raise SurveyNotFound(f"No business has the id {business_id}.")
    title = " ".join(title.split())
    if len(title) > MAX_TITLE or not title.isprintable():
        raise SurveyError(f"A title is up to {MAX_TITLE} printable characters.")
    checked = validate_definition(default_definition() if definition is None else definition)
    for digits in CODE_DIGITS:
        for _ in range(20):
            code = str(10 ** (digits - 1) + secrets.randbelow(9 * 10 ** (digits - 1)))
            if session.scalar(select(Survey.id).where(Survey.code == code)) is not None:
                continue
            survey = Survey(
                business_id=business.id,
                code=code,
                title=title,
                definition=checked,
                opened_at=now,
            )
            try:
                with session.begin_nested():
                    session.add(survey)
            except IntegrityError:
                continue  # opened elsewhere with the same code at the same moment
            return survey
    raise SurveyError("No free survey code is left; close old surveys first.")


def close_survey(session: Session, survey_id: int, now: datetime) -> Survey:
    """Nobody new can join; workers already answering may finish. Closing twice is harmless."""
    survey = session.get(Survey, survey_id) if 0 < survey_id <= MAX_ID else None
    if survey is None:
        raise SurveyNotFound(f"No survey has the id {survey_id}.")
    survey.closed_at = survey.closed_at or now
    return survey


def open_definition(session: Session, code: str) -> dict[str, Any] | None:
    survey = session.scalar(select(Survey).where(Survey.code == code, Survey.closed_at.is_(None)))
    return survey.definition if survey else None


@handles(SubmitSurveyResponse)
def submit_effect(
    session: Session, _: Contact, effect: SubmitSurveyResponse, now: datetime
) -> None:
    """The contact is deliberately not passed on: nothing below may know who answered."""
    record_response(session, effect.code, effect.answers, now.date())


def record_response(session: Session, code: str, answers: Mapping[str, Any], day: date) -> None:
    """Store one questionnaire, mixed in among earlier ones (see the module's docstring)."""
    survey = session.scalar(select(Survey).where(Survey.code == code).with_for_update())
    if survey is None:
        return
    clean = _clean_answers(survey.definition, answers)
    if all(answer is None for answer in clean.values()):
        return
    mixed = session.scalars(
        select(SurveyResponse)
        .where(SurveyResponse.survey_id == survey.id)
        .order_by(func.random())
        .limit(MIX)
    ).all()
    rows = [(row.answers, row.submitted_on) for row in mixed] + [(clean, day)]
    for row in mixed:
        session.delete(row)
    session.flush()
    _shuffle(rows)
    session.add_all(
        SurveyResponse(id=_random_id(), survey_id=survey.id, answers=kept, submitted_on=on)
        for kept, on in rows
    )
    session.flush()


def _random_id() -> int:
    return secrets.randbits(62) + 1


def _clean_answers(definition: Mapping[str, Any], answers: Mapping[str, Any]) -> dict[str, Any]:
    """Only the survey's own questions, each an answer number in range or None."""
    clean: dict[str, int | None] = {}
    for question in definition.get("questions", []):
        value = answers.get(question["key"])
        count = len(question["options"]["en"])
        in_range = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= count
        clean[question["key"]] = value if in_range else None
    return clean


def end_idle_surveys(session: Session, now: datetime, idle: timedelta) -> int:
    """Surveys left unanswered for `idle` end: answers given count, the state forgets them.

    Contacts busy with a message right now are skipped (SKIP LOCKED) and ended on a later run.
    """
    cutoff = now - idle
    parked = ConversationState.data["return_to"]["flow"].as_string() == SURVEY_FLOW
    candidates = session.scalars(
        select(ConversationState.contact_id)
        .where(
            ConversationState.updated_at < cutoff,
            or_(ConversationState.flow == SURVEY_FLOW, parked),
        )
        .order_by(ConversationState.contact_id)
        .limit(IDLE_BATCH)
    ).all()
    ended = 0
    for contact_id in candidates:
        contact = session.scalar(
            select(Contact).where(Contact.id == contact_id).with_for_update(skip_locked=True)
        )
        saved = load_saved(session, contact_id, fresh=True)
        if contact is None or saved is None or saved[1] >= cutoff:
            continue
        state = saved[0]
        if running(state) is None:
            continue
        outcome = leave(state)
        for effect in outcome.effects:
            apply_effect(session, contact, effect, now)
        save_state(session, contact_id, State(outcome.state.flow, outcome.state.step), now)
        ended += 1
    return ended


def survey_results(session: Session, survey_id: int) -> SurveyResults:
    survey = session.get(Survey, survey_id) if 0 < survey_id <= MAX_ID else None
    if survey is None:
        raise SurveyNotFound(f"No survey has the id {survey_id}.")
    tallies, responses = _tally(session, [survey.id])
    questions = tuple(
        _result(question, *tallies.get(question["key"], (0, [])))
        for question in survey.definition["questions"]
    )
    return SurveyResults(
        survey.id,
        survey.business_id,
        survey.code,
        survey.title,
        survey.opened_at,
        survey.closed_at,
        responses,
        questions,
    )


def business_results(session: Session, business_id: int) -> BusinessResults:
    """Every survey of a business added up per question; only groups shown themselves count."""
    surveys = session.scalars(
        select(Survey).where(Survey.business_id == business_id).order_by(Survey.opened_at)
    ).all()
    latest: dict[str, Mapping[str, Any]] = {}
    totals: dict[str, tuple[int, list[int]]] = {}
    responses = 0
    for survey in surveys:
        tallies, count = _tally(session, [survey.id])
        responses += count
        for question in survey.definition["questions"]:
            key = question["key"]
            latest[key] = question
            respondents, counts = tallies.get(key, (0, []))
            if respondents < MIN_GROUP:
                continue
            seen, summed = totals.get(key, (0, []))
            width = max(len(summed), len(counts))
            padded = [*summed, *[0] * (width - len(summed))]
            totals[key] = (
                seen + respondents,
                [
                    a + b
                    for a, b in zip(padded, [*counts, *[0] * (width - len(counts))], strict=True)
                ],
            )
    questions = tuple(
        _result(question, *totals.get(key, (0, []))) for key, question in latest.items()
    )
    return BusinessResults(business_id, len(surveys), responses, questions)


def _tally(
    session: Session, survey_ids: Iterable[int]
) -> tuple[dict[str, tuple[int, list[int]]], int]:
    """Respondents and per-answer counts by question key, streamed from the responses."""
    tallies: dict[str, tuple[int, list[int]]] = {}
    responses = 0
    rows = session.scalars(
        select(SurveyResponse.answers)
        .where(SurveyResponse.survey_id.in_(list(survey_ids)))
        .execution_options(yield_per=1000)
    )
    for answers in rows:
        responses += 1
        for key, value in answers.items():
            if not isinstance(value, int) or value < 1:
                continue
            respondents, counts = tallies.get(key, (0, []))
            counts = counts + [0] * (value - len(counts))
            counts[value - 1] += 1
            tallies[key] = (respondents + 1, counts)
    return tallies, responses


def _result(question: Mapping[str, Any], respondents: int, counts: list[int]) -> QuestionResult:
    labels = tuple(question["options"]["en"])
    shown = respondents >= MIN_GROUP
    full = tuple([*counts, *[0] * (len(labels) - len(counts))][: len(labels)])
    return QuestionResult(
        key=question["key"],
        text=question["text"]["en"],
        options=labels,
        respondents=respondents,
        suppressed=not shown,
        counts=full if shown else None,
    )


CSV_HEADER = ("question", "text", "respondents", "answer", "label", "count")


def results_rows(results: SurveyResults | BusinessResults) -> list[tuple[str, ...]]:
    """Rows for a CSV export; a withheld question gets one row that says so and no counts."""
    rows: list[tuple[str, ...]] = [CSV_HEADER]
    for question in results.questions:
        head = (question.key, _cell(question.text), str(question.respondents))
        if question.counts is None:
            rows.append((*head, "", "", f"withheld: fewer than {MIN_GROUP} respondents"))
            continue
        for number, (label, count) in enumerate(
            zip(question.options, question.counts, strict=True), 1
        ):
            rows.append((*head, str(number), _cell(label), str(count)))
    return rows


def results_csv(results: SurveyResults | BusinessResults) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(results_rows(results))
    return buffer.getvalue()


def describe_results(results: SurveyResults | BusinessResults) -> str:
    """Plain text for a terminal: each question, then its answers' counts or why they are hidden."""
    if isinstance(results, SurveyResults):
        state = f"closed {results.closed_at:%Y-%m-%d}" if results.closed_at else "open"
        lines = [
            f"Survey {results.survey_id} (code {results.code}) for business "
            f"{results.business_id}, opened {results.opened_at:%Y-%m-%d}, {state}.",
        ]
    else:
        lines = [f"Business {results.business_id}: {results.surveys} surveys."]
    lines.append(f"{results.responses} responses.")
    for question in results.questions:
        lines.append("")
        lines.append(f"{question.text} ({question.respondents} respondents)")
        if question.counts is None:
            lines.append(f"  withheld: fewer than {MIN_GROUP} respondents")
            continue
        for number, (label, count) in enumerate(
            zip(question.options, question.counts, strict=True), 1
        ):
            lines.append(f"  {number} {label}: {count}")
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Staff-written text that a spreadsheet would run as a formula is kept as plain text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
