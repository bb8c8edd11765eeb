"""Recordings staff upload for survey calls: one per question and language, played instead of
text-to-speech for that question in that language.

The file itself is in the media store (by its content hash); a row names the survey, the
question, the language, the hash, the type and a random token: Twilio fetches the file at a
public address made of that token alone, which nobody can guess and which names no survey.
Uploading again for the same question and language replaces the recording (and its address).
"""

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.errors import Invalid, NotFound
from bot.domain.survey_cards import card_survey
from bot.models import Survey, SurveyAudio
from bot.sealing import sealer_of
from messages import LANGUAGES

# What Twilio's <Play> plays (Twilio's TwiML <Play> docs: MP3, WAV, AIFF, GSM, u-law), as the
# file's bytes show it; MP3 and WAV are what phones and laptops record.
AUDIO_TYPES = frozenset({"audio/mpeg", "audio/x-wav", "audio/wav"})
MAX_AUDIO_BYTES = 5 * 1024 * 1024  # a few minutes of speech as MP3
TOKEN_BYTES = 32


class AudioError(Invalid):
    """A recording staff can correct (question, language); the message says how."""


def set_audio(
    session: Session,
    survey_id: int,
    question_key: str,
    language: str,
    digest: str,
    content_type: str,
) -> SurveyAudio:
    """Keep the recording (already in the media store under `digest`) for one question of the
    survey in one language, replacing any earlier one. Raises NotFound for no such survey,
    AudioError for a question or language the survey does not have, or a type not played."""
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound(f"No survey has the id {survey_id}.")
    keys = [question["key"] for question in survey.definition.get("questions", [])]
    if question_key not in keys:
        raise AudioError("Choose one of the survey's questions.")
    if language not in LANGUAGES:
        raise AudioError("Choose one of the programme's languages.")
    if content_type not in AUDIO_TYPES:
        raise AudioError("A recording is an MP3 or WAV file.")
    audio = session.scalar(
        select(SurveyAudio).where(
            SurveyAudio.survey_id == survey_id,
            SurveyAudio.question_key == question_key,
            SurveyAudio.language == language,
        )
    )
    if audio is None:
        audio = SurveyAudio(survey_id=survey_id, question_key=question_key, language=language)
        session.add(audio)
    audio.digest, audio.content_type = digest, content_type
    audio.token = secrets.token_urlsafe(TOKEN_BYTES)
    session.flush()
    return audio


def recordings(session: Session, survey_id: int) -> list[tuple[str, str]]:
    """(question key, language) of every recording the survey has, in that order."""
    rows = session.execute(
        select(SurveyAudio.question_key, SurveyAudio.language)
        .where(SurveyAudio.survey_id == survey_id)
        .order_by(SurveyAudio.question_key, SurveyAudio.language)
    ).all()
    return [(key, language) for key, language in rows]


def audio_token(session: Session, code: str, question_key: str, language: str | None) -> str:
    """The token of the recording for this question, in `language`, of the survey `code`
    opens (its own code, or one of its unused cards, looked up with the session's sealer);
    empty when there is none."""
    survey_id = session.scalar(select(Survey.id).where(Survey.code == code))
    if survey_id is None:
        survey = card_survey(session, sealer_of(session), code)
        survey_id = survey.id if survey else None
    token = session.scalar(
        select(SurveyAudio.token).where(
            SurveyAudio.survey_id == survey_id,
            SurveyAudio.question_key == question_key,
            SurveyAudio.language == (language or ""),
        )
    )
    return token or ""


def audio_file(session: Session, token: str) -> tuple[str, str] | None:
    """(media digest, content type) of the recording with this token, or None."""
    row = session.execute(
        select(SurveyAudio.digest, SurveyAudio.content_type).where(SurveyAudio.token == token)
    ).first()
    return (row[0], row[1]) if row else None
