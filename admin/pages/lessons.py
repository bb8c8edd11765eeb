"""Lesson texts: every lesson's messages in each language as leaders read them; admins rewrite
one text in one language at a time, checked against its SMS budget and written to the audit
log with the text before and after."""

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from admin.auth import Staff, runtime_of
from admin.changes import Done, staff_action
from admin.deps import Admin, Form, Viewer
from admin.forms import Fields
from admin.web import page
from bot.domain.lesson_texts import (
    MAX_TEXT,
    PARTS,
    TOPICS,
    LessonTextError,
    budget_of,
    describe,
    edited_counts,
    lesson_keys,
    lesson_texts,
    set_lesson_text,
)
from messages import LANGUAGES, text
from messages.sms import segments

router = APIRouter()
TOPIC_LENGTH = 40


def _lesson_page(
    request: Request, staff: Staff, topic: str, status_code: int = 200, **context: object
) -> HTMLResponse:
    try:
        keys = lesson_keys(topic)
    except LessonTextError:
        raise HTTPException(404) from None
    with runtime_of(request).store.transaction() as session:
        texts = lesson_texts(session, topic)
    parts = [
        (key, label, [(texts[key][lang], budget_of(lang, key)) for lang in LANGUAGES])
        for key, (_, label) in zip(keys, PARTS, strict=True)
    ]
    context.setdefault("typed", {})
    return page(
        request,
        "lesson.html",
        staff,
        status_code=status_code,
        section="lessons",
        topic=topic,
        title=text("en", f"lesson.{topic}"),
        parts=parts,
        segments=segments,
        max_text=MAX_TEXT,
        **context,
    )


@router.get("/lessons")
def lessons(request: Request, staff: Viewer) -> HTMLResponse:
    with runtime_of(request).store.transaction() as session:
        edited = edited_counts(session)
    rows = [(topic, text("en", f"lesson.{topic}"), edited.get(topic, 0)) for topic in TOPICS]
    return page(
        request,
        "lessons.html",
        staff,
        section="lessons",
        lessons=rows,
        texts_per_lesson=len(PARTS) * len(LANGUAGES),
    )


@router.get("/lessons/{topic}")
def lesson(request: Request, topic: str, staff: Viewer) -> HTMLResponse:
    return _lesson_page(request, staff, topic[:TOPIC_LENGTH])


@router.post("/lessons/{topic}", response_model=None)
def edit(request: Request, topic: str, staff: Admin, form: Form) -> Response:
    """Save one text of this lesson in one language; an empty text goes back to the catalogue's."""
    topic = topic[:TOPIC_LENGTH]
    if topic not in TOPICS:
        raise HTTPException(404)
    fields = Fields(form)
    key = fields.choice("key", "Text", {key: describe(key) for key in lesson_keys(topic)})
    language = fields.choice("language", "Language", {code: code for code in LANGUAGES})
    value = fields.text("text", "The text", MAX_TEXT * 2, required=False)
    if fields.raw("action") == "shipped":
        value = ""
    typed = {"key": key, "language": language, "text": value}
    if fields.errors:
        return _lesson_page(request, staff, topic, 400, errors=fields.errors, typed=typed)

    def save(session: Session, now: datetime) -> Done:
        before, after = set_lesson_text(session, staff.id, language, key, value, now)
        detail = {"lesson": topic, "key": key, "language": language}
        detail |= {"before": before, "after": after}
        anchor = f"/admin/lessons/{topic}#text-{key.replace('.', '-')}-{language}"
        notice = f"Saved: {describe(key)} ({language}). Leaders read it from their next message."
        return Done("lesson.text", f"lesson {topic}", anchor, notice, detail)

    def refused(error: str) -> HTMLResponse:
        return _lesson_page(request, staff, topic, 400, errors=[error], typed=typed)

    return staff_action(request, staff, save, refused)
