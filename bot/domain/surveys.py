"""Anonymous worker surveys: open and close them, pool and write questionnaires, count answers.

Anonymity is built into the records rather than promised by the screens (see the README's
threat model):
- a survey that ends after consent (finished, stopped or timed out) leaves one pending entry in
  `survey_pool`: the answers sealed with the survey key at a fixed size, a random id, no date,
  and a keyed hash of (survey, address) in `survey_participants` so one person counts once;
- a periodic job that reads no contact data writes pending entries as responses in batches of
  at least `MIN_GROUP`, shuffled, under random ids, in a transaction that touches nothing else;
  a remainder too small to write once the survey has closed (and nobody can still be
  answering) is discarded and counted in `held_back`;
- results are counted from written responses only, with a skipped answer counted as one, so
  every figure moves by a whole batch; a business's totals add up only groups shown themselves.
"""

import csv
import io
import json
import random
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.capabilities import capabilities_of, is_practice
from bot.domain.conversation import load_saved, save_state
from bot.domain.effects import apply_effect, handles
from bot.domain.errors import Invalid, NotFound
from bot.domain.survey_cards import CARDS, MODES, PER_PHONE, card_survey, use_card
from bot.models import (
    Business,
    Contact,
    ConversationState,
    PendingResponse,
    Survey,
    SurveyParticipant,
    SurveyResponse,
)
from bot.sealing import Sealer, Unsealable, attach, sealer_of
from flows.core import Option, Reply
from flows.survey import NAME as SURVEY_FLOW
from flows.survey import SubmitSurveyResponse, leave, running
from messages import LANGUAGES, catalogue
from messages.render import render_text
from messages.sms import segments

MIN_GROUP = 5
POOL_PURPOSE = "pool"
# Marks, inside a sealed pooled response, one that came by a phone call; counted when written.
BY_CALL = "~call"
# Tables a pooled write (and the deletions before it) rewrite: cleaned after each write.
SCRUBBED_TABLES = (
    "survey_pool",
    "survey_responses",
    "conversation_states",
    "inbound_messages",
    "outbound_messages",
)
DEFAULT_QUESTIONS = ("paid_on_time", "agreed_rate", "hours", "children", "safety", "complaint")
# The standard answers that call for a look at once, by answer number: not paid yet, children
# helping often, not safe.
STANDARD_RED_FLAGS: Mapping[str, tuple[int, ...]] = {
    "paid_on_time": (3,),
    "children": (3,),
    "safety": (3,),
}
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
    respondents: int  # everyone who was asked it, skipped answers included
    suppressed: bool
    counts: tuple[int, ...] | None  # per option, in order; None when suppressed
    skipped: int | None = None  # None when suppressed
    red_flags: tuple[int, ...] = ()  # answer numbers (from 1) marked as red flags

    @property
    def flagged(self) -> int | None:
        """How many chose a red-flag answer; None when the question is withheld."""
        if self.counts is None:
            return None
        return sum(self.counts[number - 1] for number in self.red_flags)


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
    waiting: int = 0  # pending, to be written with a whole batch
    held_back: int = 0  # too few when it closed: never written
    by_voice: int = 0  # of the written responses, those given in a phone call
    mode: str = PER_PHONE  # one code per phone, or single-use cards


@dataclass(frozen=True)
class PoolReport:
    """What one run of the pooled writer did: responses written and held back for good."""

    written: int = 0
    held_back: int = 0


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
                "red_flags": list(STANDARD_RED_FLAGS.get(key, ())),
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
    count = len(clean_options["en"])
    flags = question.get("red_flags", [])
    valid = isinstance(flags, list) and all(
        isinstance(flag, int) and not isinstance(flag, bool) and 1 <= flag <= count
        for flag in flags
    )
    if not valid or len(set(flags)) != len(flags) or len(flags) >= count:
        raise SurveyError(
            f"{where}: red flags are answer numbers from 1 to {count}, each once, "
            "and at least one answer is not a red flag."
        )
    checked = {
        "key": key,
        "text": clean_text,
        "options": clean_options,
        "red_flags": sorted(flags),
    }
    _check_sms_length(number, checked)
    return checked


def red_flags_of(question: Mapping[str, Any]) -> tuple[int, ...]:
    """The answer numbers marked as red flags. A standard question saved before answers could
    be marked (no "red_flags" entry, the standard English text) keeps the standard marks."""
    if "red_flags" in question:
        return tuple(question["red_flags"])
    key = question.get("key", "")
    standard = catalogue("en").get(f"survey.q.{key}")
    if key in STANDARD_RED_FLAGS and question.get("text", {}).get("en") == standard:
        return STANDARD_RED_FLAGS[key]
    return ()


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
    mode: str = PER_PHONE,
) -> Survey:
    """Open a survey for a business under a new short numeric code that workers text to join.

    `mode` is PER_PHONE (the code, one response per phone number) or CARDS (single-use card
    codes made afterwards, `survey_cards.make_cards`; the survey's own code then opens nothing).
    Raises SurveyNotFound, or SurveyError for a title, definition or mode staff can correct."""
    if mode not in MODES:
        raise SurveyError("A survey takes one code per phone or single-use cards.")
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
                mode=mode,
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


def survey_by_code(session: Session, code: str) -> Survey | None:
    """The survey a worker's code opens, open or closed: the survey's own code in per-phone
    mode, or an unused card of a survey in card mode (looked up with the session's sealer)."""
    survey = session.scalar(select(Survey).where(Survey.code == code))
    if survey is not None:
        return survey if survey.mode != CARDS else None
    return card_survey(session, sealer_of(session), code)


def survey_is_open(session: Session, code: str) -> bool:
    """Whether `code` opens a survey nobody has closed (see `survey_by_code`)."""
    survey = survey_by_code(session, code)
    return survey is not None and survey.closed_at is None


def open_definition(session: Session, code: str) -> dict[str, Any] | None:
    survey = survey_by_code(session, code)
    return survey.definition if survey and survey.closed_at is None else None


def survey_questions(session: Session, code: str) -> list[dict[str, Any]] | None:
    """The questions of the survey this code opens, open or closed, or None."""
    survey = survey_by_code(session, code)
    return None if survey is None else list(survey.definition["questions"])


def _marked(session: Session, sealer: Sealer, survey_id: int, address: str) -> str | None:
    """The marker to write for this address, or None when one (under any known key) exists."""
    tags = sealer.tags(f"participant|{survey_id}|{address}")
    found = session.scalar(
        select(SurveyParticipant.tag).where(
            SurveyParticipant.survey_id == survey_id, SurveyParticipant.tag.in_(tags)
        )
    )
    return tags[0] if found is None else None


def already_answered(session: Session, sealer: Sealer, code: str, address: str) -> bool:
    """Whether this address already left a response for the survey, under any known key; a
    card code is never refused by phone (each card answers once, from any phone)."""
    survey = session.scalar(select(Survey).where(Survey.code == code))
    if survey is None or survey.mode == CARDS:
        return False
    return _marked(session, sealer, survey.id, address) is None


@handles(SubmitSurveyResponse)
def submit_effect(
    session: Session, contact: Contact, effect: SubmitSurveyResponse, _: datetime
) -> None:
    """Pool the response under a once-per-person marker (or by spending its card); practice
    answers go nowhere. One given in a call (a channel answering in its own response) is
    marked so inside the sealed response."""
    if is_practice(contact.channel):
        return
    by_call = capabilities_of(contact.channel).answers_in_response
    sealer = sealer_of(session)
    pool_response(session, sealer, effect.code, effect.answers, contact.address, by_call=by_call)


def pool_response(
    session: Session,
    sealer: Sealer,
    code: str,
    answers: Sequence[int | None] | Mapping[str, Any],
    address: str,
    *,
    by_call: bool = False,
) -> bool:
    """Add one sealed response to the survey's pool and mark `address` as having answered, or
    spend the card `code` is; False (and nothing added) when the code opens no survey, the
    address already answered, or the card was used already.

    `answers` are in question order (None skipped or not reached) or by question key;
    `by_call` marks, inside the sealed value (of one fixed size), a response given by phone."""
    survey = session.scalar(select(Survey).where(Survey.code == code))
    if survey is not None and survey.mode == CARDS:
        return False  # a card survey's own code opens nothing
    if survey is None:
        survey = use_card(session, sealer, code)
        if survey is None:
            return False
    else:
        marker = _marked(session, sealer, survey.id, address)
        if marker is None:
            return False
        session.add(SurveyParticipant(survey_id=survey.id, tag=marker))
    clean: dict[str, Any] = dict(clean_answers(survey.definition, answers))
    if by_call:
        clean[BY_CALL] = True
    sealed = sealer.seal_json(clean, f"{POOL_PURPOSE}|{survey.id}")
    session.add(PendingResponse(id=_random_id(), survey_id=survey.id, sealed=sealed))
    session.flush()
    return True


def _random_id() -> int:
    return secrets.randbits(62) + 1


def clean_answers(
    definition: Mapping[str, Any], answers: Sequence[int | None] | Mapping[str, Any]
) -> dict[str, int | None]:
    """Every one of the survey's questions, each an answer number in range or None."""
    questions = definition.get("questions", [])
    if not isinstance(answers, Mapping):
        answers = {q["key"]: value for q, value in zip(questions, answers, strict=False)}
    clean: dict[str, int | None] = {}
    for question in questions:
        value = answers.get(question["key"])
        count = len(question["options"]["en"])
        in_range = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= count
        clean[question["key"]] = value if in_range else None
    return clean


def write_pooled(
    session: Session, sealer: Sealer, survey_id: int, now: datetime, idle: timedelta
) -> PoolReport:
    """Write one survey's pending responses if there are at least MIN_GROUP, shuffled, under
    random ids, deleting the pool rows they came from. A smaller remainder of a survey closed
    more than `idle` ago (nobody can still be answering) is discarded and counted as held back.
    Touches only this survey's row, its pool and its responses: run it in its own transaction.
    """
    survey = session.scalar(select(Survey).where(Survey.id == survey_id).with_for_update())
    if survey is None:
        return PoolReport()
    pending = session.scalars(
        select(PendingResponse).where(PendingResponse.survey_id == survey_id).with_for_update()
    ).all()
    settled = survey.closed_at is not None and survey.closed_at + idle <= now
    if not pending or (len(pending) < MIN_GROUP and not settled):
        return PoolReport()
    opened: list[dict[str, Any]] = []
    unreadable: list[int] = []
    by_call = 0
    for row in pending:
        try:
            answers = sealer.unseal_json(row.sealed, f"{POOL_PURPOSE}|{survey_id}")
        except Unsealable:
            unreadable.append(row.id)  # sealed under a lost key: it can never be counted
            continue
        by_call += isinstance(answers, Mapping) and answers.get(BY_CALL) is True
        opened.append(clean_answers(survey.definition, answers))
    if len(opened) >= MIN_GROUP:
        consumed = [row.id for row in pending]
    elif settled:
        consumed, opened = [row.id for row in pending], []
    else:
        consumed, opened = unreadable, []
    if consumed:
        session.execute(
            delete(PendingResponse)
            .where(PendingResponse.id.in_(consumed))
            .execution_options(synchronize_session=False)
        )
    held = len(consumed) - len(opened)
    if opened:  # counted with the whole batch, like every other figure
        survey.voice_responses = (survey.voice_responses or 0) + by_call
    if held:
        survey.held_back = (survey.held_back or 0) + held
    _shuffle(opened)
    session.add_all(
        SurveyResponse(id=_random_id(), survey_id=survey_id, answers=answers) for answers in opened
    )
    session.flush()
    return PoolReport(len(opened), held)


def pooled_surveys(session: Session) -> list[int]:
    """The surveys with responses waiting in the pool, in id order."""
    return sorted(session.scalars(select(PendingResponse.survey_id).distinct()).all())


def end_idle_surveys(session: Session, sealer: Sealer, now: datetime, idle: timedelta) -> int:
    """Surveys left unanswered for `idle` end: after consent they are pooled like finished
    ones, and the state forgets them.

    Contacts busy with a message right now are skipped (SKIP LOCKED) and ended on a later run.
    """
    attach(session, sealer)
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
            save_state(session, contact_id, state, now)  # a lost key's state
            ended += 1
            continue
        outcome = leave(state)
        for effect in outcome.effects:
            apply_effect(session, contact, effect, now)
        save_state(session, contact_id, outcome.state, now)
        ended += 1
    return ended


def _pending(session: Session, survey_ids: Iterable[int]) -> int:
    return (
        session.scalar(
            select(func.count(PendingResponse.id)).where(
                PendingResponse.survey_id.in_(list(survey_ids))
            )
        )
        or 0
    )


def survey_results(session: Session, survey_id: int) -> SurveyResults:
    """Counts per question from the written responses (withheld below MIN_GROUP), and how many
    responses wait in the pool or were held back."""
    survey = session.get(Survey, survey_id) if 0 < survey_id <= MAX_ID else None
    if survey is None:
        raise SurveyNotFound(f"No survey has the id {survey_id}.")
    tallies, responses = _tally(session, survey)
    return _results_of(survey, tallies, responses, _pending(session, [survey.id]))


def every_survey_results(session: Session) -> list[SurveyResults]:
    """survey_results of every survey, by survey id, in three queries whatever their number:
    the surveys, their responses streamed once, and the pool's counts per survey."""
    surveys = session.scalars(select(Survey).order_by(Survey.id)).all()
    counters = {survey.id: _Counter(survey) for survey in surveys}
    rows = session.execute(
        select(SurveyResponse.survey_id, SurveyResponse.answers).execution_options(yield_per=1000)
    )
    for survey_id, answers in rows:
        counter = counters.get(survey_id)
        if counter is not None:
            counter.add(answers)
    waiting: dict[int, int] = dict(
        session.execute(
            select(PendingResponse.survey_id, func.count(PendingResponse.id)).group_by(
                PendingResponse.survey_id
            )
        ).all()
    )
    return [
        _results_of(survey, *counters[survey.id].tallies(), waiting.get(survey.id, 0))
        for survey in surveys
    ]


def _results_of(
    survey: Survey, tallies: dict[str, "Tally"], responses: int, waiting: int
) -> SurveyResults:
    questions = tuple(
        _result(question, *tallies[question["key"]]) for question in survey.definition["questions"]
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
        waiting=waiting,
        held_back=survey.held_back or 0,
        by_voice=survey.voice_responses or 0,
        mode=survey.mode,
    )


Tally = tuple[int, list[int], int]  # respondents, count per option, skipped


def business_results(session: Session, business_id: int) -> BusinessResults:
    """Every survey of a business added up per question; only groups shown themselves count."""
    surveys = session.scalars(
        select(Survey).where(Survey.business_id == business_id).order_by(Survey.opened_at)
    ).all()
    latest: dict[str, Mapping[str, Any]] = {}
    totals: dict[str, Tally] = {}
    responses = 0
    for survey in surveys:
        tallies, count = _tally(session, survey)
        responses += count
        for question in survey.definition["questions"]:
            key = question["key"]
            latest[key] = question
            respondents, counts, skipped = tallies[key]
            if respondents < MIN_GROUP:
                continue
            seen, summed, skips = totals.get(key, (0, [], 0))
            width = max(len(summed), len(counts))
            summed = [*summed, *[0] * (width - len(summed))]
            for index, number in enumerate(counts):
                summed[index] += number
            totals[key] = (seen + respondents, summed, skips + skipped)
    questions = tuple(
        _result(question, *totals.get(key, (0, [], 0))) for key, question in latest.items()
    )
    return BusinessResults(business_id, len(surveys), responses, questions)


def _tally(session: Session, survey: Survey) -> tuple[dict[str, Tally], int]:
    """Per question key: everyone asked, the count per answer and the skipped; streamed from
    the written responses."""
    counter = _Counter(survey)
    rows = session.scalars(
        select(SurveyResponse.answers)
        .where(SurveyResponse.survey_id == survey.id)
        .execution_options(yield_per=1000)
    )
    for answers in rows:
        counter.add(answers)
    return counter.tallies()


class _Counter:
    """The answers of one survey's responses, counted one response at a time. A skipped (or
    unreadable) answer counts as answered, so every question moves with the number of
    responses."""

    def __init__(self, survey: Survey) -> None:
        questions = survey.definition["questions"]
        self.counts = {q["key"]: [0] * len(q["options"]["en"]) for q in questions}
        self.skipped = dict.fromkeys(self.counts, 0)
        self.responses = 0

    def add(self, answers: Mapping[str, Any]) -> None:
        self.responses += 1
        for key, tally in self.counts.items():
            value = answers.get(key)
            valid = isinstance(value, int) and not isinstance(value, bool)
            if valid and 1 <= value <= len(tally):
                tally[value - 1] += 1
            else:
                self.skipped[key] += 1

    def tallies(self) -> tuple[dict[str, Tally], int]:
        """Per question key (respondents, count per answer, skipped), and the responses."""
        tallies = {
            key: (self.responses, self.counts[key], self.skipped[key]) for key in self.counts
        }
        return tallies, self.responses


def _result(
    question: Mapping[str, Any], respondents: int, counts: list[int], skipped: int
) -> QuestionResult:
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
        skipped=skipped if shown else None,
        red_flags=red_flags_of(question),
    )


CSV_HEADER = ("question", "text", "respondents", "answer", "label", "count")
SKIPPED = "Skipped"


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
        rows.append((*head, "0", SKIPPED, str(question.skipped)))
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
    if isinstance(results, SurveyResults) and (results.waiting or results.held_back):
        lines.append(waiting_text(results))
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
        lines.append(f"  0 {SKIPPED}: {question.skipped}")
    return "\n".join(lines)


def waiting_text(results: SurveyResults) -> str:
    """How many responses wait for a whole batch, and how many were held back for good."""
    parts = []
    if results.waiting:
        parts.append(
            f"{results.waiting} waiting to be counted with a group of at least {MIN_GROUP}"
        )
    if results.held_back:
        parts.append(
            f"{results.held_back} held back: fewer than {MIN_GROUP} were left when it closed"
        )
    return "; ".join(parts) + "."


def _cell(text: str) -> str:
    """Staff-written text that a spreadsheet would run as a formula is kept as plain text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
