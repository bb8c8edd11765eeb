"""Worker surveys: open one for a business (standard questions or a written definition), share
its join code, close it, and read results that withhold any group under the minimum size."""

import json
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from admin import survey_form
from admin.audit import record
from admin.auth import Staff, runtime_of
from admin.changes import Done, staff_action
from admin.charts import horizontal_bars
from admin.deps import Form, Id, Viewer, Worker
from admin.forms import Fields
from admin.pages.reports import document_response
from admin.pickers import business_choices
from admin.programme import LANGUAGE_NAMES
from admin.survey_form import Question, from_definition
from admin.web import page
from bot.documents import languages_for
from bot.documents.join_card import JoinWay, codes_pdf, join_card_pdf, join_ways
from bot.domain.errors import NotFound
from bot.domain.survey_audio import AUDIO_TYPES, MAX_AUDIO_BYTES, recordings, set_audio
from bot.domain.survey_cards import (
    CARDS,
    MAX_CARDS,
    MODES,
    PER_PHONE,
    CardError,
    cards_left,
    make_cards,
)
from bot.domain.survey_findings import coverage
from bot.domain.surveys import (
    MAX_OPTIONS,
    MAX_QUESTIONS,
    MAX_TEXT,
    MAX_TITLE,
    MIN_GROUP,
    SKIPPED,
    SurveyError,
    close_survey,
    default_definition,
    open_survey,
    parse_definition,
    survey_results,
)
from bot.media.checks import Unfit, examine
from bot.models import Business, Contact, PendingResponse, Survey, SurveyResponse
from bot.runtime import Runtime
from messages import LANGUAGES

router = APIRouter()
MAX_DEFINITION = 60_000
SURVEY_CHART_WIDTH = 300


def _list_page(
    request: Request,
    staff: Staff,
    status_code: int = 200,
    drafts: list[Question] | None = None,
    **context: object,
) -> HTMLResponse:
    with runtime_of(request).store.transaction() as session:
        surveys = session.execute(
            select(Survey, Business.name, func.count(SurveyResponse.id))
            .join(Business, Business.id == Survey.business_id)
            .outerjoin(SurveyResponse, SurveyResponse.survey_id == Survey.id)
            .group_by(Survey.id, Business.name)
            .order_by(Survey.closed_at.is_not(None), Survey.opened_at.desc(), Survey.id.desc())
        ).all()
        businesses = business_choices(session)
        waiting = dict(
            session.execute(
                select(PendingResponse.survey_id, func.count(PendingResponse.id)).group_by(
                    PendingResponse.survey_id
                )
            ).all()
        )
    context.setdefault("typed", {})
    return page(
        request,
        "surveys.html",
        staff,
        status_code=status_code,
        section="surveys",
        surveys=surveys,
        waiting=waiting,
        businesses=businesses,
        max_title=MAX_TITLE,
        drafts=from_definition(default_definition()) if drafts is None else drafts,
        languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        max_questions=MAX_QUESTIONS,
        max_options=MAX_OPTIONS,
        max_text=MAX_TEXT,
        **context,
    )


@router.get("/surveys")
def surveys(request: Request, staff: Viewer) -> HTMLResponse:
    return _list_page(request, staff)


@router.post("/surveys", response_model=None)
def open_new(request: Request, staff: Worker, form: Form) -> Response:
    """Open a survey from the builder's questions (its buttons edit the draft and open
    nothing), the ticked standard questions, or, for admins, a definition written as JSON."""
    fields = Fields(form)
    business_id = fields.whole("business_id", "Business", 1, 2**31 - 1)
    title = fields.text("title", "Title", MAX_TITLE, required=False)
    mode = fields.raw("mode") or PER_PHONE
    if mode not in MODES:
        fields.errors.append("Choose one code per phone or single-use cards.")
    written = fields.text("definition", "Definition", MAX_DEFINITION, required=False)
    ticked = [value for value in form.getlist("questions") if isinstance(value, str)]
    typed = {**fields.typed("business_id", "title", "definition", "mode", limit=MAX_DEFINITION)}
    typed["questions"] = ticked
    drafts = survey_form.read(form) if survey_form.is_builder(form) else None
    if drafts is not None and survey_form.edit(drafts, fields.raw("action")):
        return _list_page(request, staff, drafts=drafts, typed=typed)
    definition = None
    if written and not staff.can("admin"):
        fields.errors.append("Only an admin can write a survey as JSON; use the questions above.")
    elif written:
        try:
            definition = parse_definition(written)
        except SurveyError as error:
            fields.errors.append(str(error))
    elif drafts is not None:
        if not drafts:
            fields.errors.append("Add at least one question.")
        definition = survey_form.to_definition(drafts)
    else:
        standard = default_definition()["questions"]
        chosen = [q for q in standard if q["key"] in ticked]
        if not chosen:
            fields.errors.append("Tick at least one question, or write a definition.")
        definition = {"questions": chosen}
    if fields.errors or business_id is None:
        return _list_page(request, staff, 400, drafts, errors=fields.errors, typed=typed)

    def open_it(session: Session, now: datetime) -> Done:
        survey = open_survey(session, business_id, now, definition, title, mode)
        questions = len(survey.definition["questions"])
        detail = {"survey": survey.id, "code": survey.code, "questions": questions, "mode": mode}
        joins = (
            "print single-use cards for the workers"
            if mode == CARDS
            else f"workers join with code {survey.code}"
        )
        url, notice = (f"/admin/surveys/{survey.id}", f"Survey open: {joins}.")
        return Done("survey.open", f"business {business_id}", url, notice, detail)

    def refused(error: str) -> HTMLResponse:
        return _list_page(request, staff, 400, drafts, errors=[error], typed=typed)

    return staff_action(request, staff, open_it, refused)


@router.get("/surveys/{survey_id}")
def survey(request: Request, survey_id: Id, staff: Viewer) -> HTMLResponse:
    return _survey_page(request, survey_id, staff)


def _survey_page(
    request: Request, survey_id: int, staff: Staff, status_code: int = 200, **context: object
) -> HTMLResponse:
    with runtime_of(request).store.transaction() as session:
        try:
            results = survey_results(session, survey_id)
        except NotFound:
            raise HTTPException(404) from None
        business = session.get(Business, results.business_id)
        covered = coverage(session, results.business_id, survey_id)
        unused_cards = cards_left(session, survey_id)
        recorded = recordings(session, survey_id)
        written = session.get(Survey, survey_id).definition
    definition = json.dumps(written, ensure_ascii=False, indent=2) if staff.can("admin") else ""
    charts = [
        (
            question,
            horizontal_bars(
                question.text,
                [
                    *zip(question.options, question.counts, strict=True),
                    (SKIPPED, question.skipped or 0),
                ],
                width=SURVEY_CHART_WIDTH,
                marked=[number - 1 for number in question.red_flags],
            )
            if question.counts is not None
            else None,
        )
        for question in results.questions
    ]
    return page(
        request,
        "survey.html",
        staff,
        status_code=status_code,
        section="surveys",
        results=results,
        business=business,
        charts=charts,
        min_group=MIN_GROUP,
        coverage=covered,
        definition=definition,
        cards_left=unused_cards,
        max_cards=MAX_CARDS,
        recorded=recorded,
        questions=[(q["key"], q["text"]["en"]) for q in written["questions"]],
        languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        max_audio_mb=MAX_AUDIO_BYTES // (1024 * 1024),
        **context,
    )


@router.get("/surveys/{survey_id}/card.pdf")
def join_card(request: Request, survey_id: Id, staff: Viewer) -> Response:
    """Cards to print and cut out for the workers: the join code, how to join on each channel
    the programme runs, and the anonymity promise, in English and the leader's language."""
    runtime = runtime_of(request)
    with runtime.store.transaction() as session:
        survey = session.get(Survey, survey_id)
        if survey is None:
            raise HTTPException(404)
        business = session.get(Business, survey.business_id)
        leader = (
            session.get(Contact, business.leader_id) if business and business.leader_id else None
        )
        code = survey.code
        if survey.mode == CARDS:
            raise HTTPException(404)  # its code opens nothing: its cards are made one by one
    pdf = join_card_pdf(code, _ways(runtime), languages_for(leader.language if leader else None))
    return document_response(None, pdf, f"survey-{code}-cards")


def _ways(runtime: Runtime) -> list[JoinWay]:
    settings = runtime.settings
    return join_ways(
        settings.twilio_sms_from,
        settings.twilio_whatsapp_from,
        settings.telegram_bot_username,
        settings.twilio_voice_from,
    )


@router.post("/surveys/{survey_id}/cards.pdf", response_model=None)
def make_survey_cards(request: Request, survey_id: Id, staff: Worker, form: Form) -> Response:
    """N new single-use cards for a survey in card mode, as a PDF to print: the codes are
    shown this once and kept only as keyed hashes, so a lost PDF means new cards."""
    fields = Fields(form)
    count = fields.whole("count", "Number of cards", 1, MAX_CARDS)
    if count is None:
        return _survey_page(request, survey_id, staff, 400, errors=fields.errors)
    runtime = runtime_of(request)
    now = runtime.clock.now()
    try:
        with runtime.store.transaction() as session:
            survey = session.get(Survey, survey_id)
            if survey is None:
                raise HTTPException(404)
            codes = make_cards(session, runtime.sealer, survey, count)
            business = session.get(Business, survey.business_id)
            leader = (
                session.get(Contact, business.leader_id)
                if business and business.leader_id
                else None
            )
            target = f"survey {survey_id}"
            record(session, staff, "survey.cards", target, now, survey=survey_id, cards=count)
    except CardError as error:
        return _survey_page(request, survey_id, staff, 400, errors=[str(error)])
    pdf = codes_pdf(codes, _ways(runtime), languages_for(leader.language if leader else None))
    return document_response(None, pdf, f"survey-{survey_id}-single-use-cards")


@router.post("/surveys/{survey_id}/audio", response_model=None)
async def add_recording(request: Request, survey_id: Id, staff: Worker, form: Form) -> Response:
    """A recording of one question in one language for survey calls (MP3 or WAV, as its bytes
    show, up to MAX_AUDIO_BYTES), kept in the media store and played instead of text-to-speech;
    uploading again replaces it."""
    fields = Fields(form)
    question = fields.raw("question")
    language = fields.raw("language")
    upload = form.get("recording")

    def again(error: str) -> HTMLResponse:
        return _survey_page(request, survey_id, staff, 400, errors=[error])

    if not isinstance(upload, UploadFile):
        return await run_in_threadpool(again, "Choose a recording (MP3 or WAV) to upload.")
    data = await upload.read(MAX_AUDIO_BYTES + 1)
    checked = examine(data, upload.content_type or "", AUDIO_TYPES, MAX_AUDIO_BYTES)
    if isinstance(checked, Unfit):
        why = (
            f"it is over {MAX_AUDIO_BYTES // (1024 * 1024)} MB"
            if checked.why == "size"
            else "it is not an MP3 or WAV recording"
        )
        return await run_in_threadpool(again, f"That file was not added: {why}.")
    runtime = runtime_of(request)
    digest = await run_in_threadpool(runtime.media.store.put, checked.original)

    def keep(session: Session, now: datetime) -> Done:
        set_audio(session, survey_id, question, language, digest, checked.content_type)
        detail = {"survey": survey_id, "question": question, "language": language}
        notice = f"Recording kept: calls in {LANGUAGE_NAMES[language]} play it for {question}."
        url = f"/admin/surveys/{survey_id}#recordings"
        return Done("survey.audio", f"survey {survey_id}", url, notice, detail)

    return await run_in_threadpool(staff_action, request, staff, keep, again)


@router.post("/surveys/{survey_id}/close", response_model=None)
def close(request: Request, survey_id: Id, staff: Worker) -> Response:

    def close_it(session: Session, now: datetime) -> Done:
        code = close_survey(session, survey_id, now).code
        notice = "Survey closed: nobody new can join."
        url = f"/admin/surveys/{survey_id}"
        return Done("survey.close", f"survey {survey_id}", url, notice, {"code": code})

    return staff_action(request, staff, close_it)
