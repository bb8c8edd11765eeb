"""Surveys by phone on the console: opened in card mode for shared phones, N single-use cards
printed (their codes shown only in the PDF, kept as keyed hashes), the count of responses given
by phone, and recordings of questions uploaded for calls."""

import io
import re
import wave

import pytest
from console_support import add_business
from sqlalchemy import select
from test_console_survey_builder import builder_form, pdf_text

from bot.domain.survey_audio import MAX_AUDIO_BYTES
from bot.domain.survey_cards import cards_left
from bot.models import Survey, SurveyAudio, SurveyCard


def open_in_card_mode(console, business_id: int):
    """The survey's id, and the staff member's signed-in client that opened it."""
    client = console.sign_in("staff")
    form = {**builder_form(business_id), "action": "open", "mode": "cards"}
    response = client.submit("/admin/surveys", form)
    assert response.status_code == 303
    assert "single-use cards" in client.get(response.headers["location"]).text
    with console.runtime.store.transaction() as session:
        survey = session.scalars(select(Survey).order_by(Survey.id.desc())).first()
        assert survey.mode == "cards"
        return survey.id, client


def test_cards_are_printed_once_each_and_kept_only_as_hashes(make_console) -> None:
    console = make_console(twilio_voice_from="+15550009999", twilio_sms_from="+15550001234")
    survey_id, client = open_in_card_mode(console, add_business(console, "+919800000001", "Blue"))
    page = client.get(f"/admin/surveys/{survey_id}").text
    assert 'id="make-cards"' in page and "/card.pdf" not in page
    assert re.search(r'id="by-voice"><strong>0</strong>', page)
    response = client.submit(f"/admin/surveys/{survey_id}/cards.pdf", {"count": "7"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text, _, pages = pdf_text(response.content)
    codes = set(re.findall(r"\b\d{8}\b", text))
    assert len(codes) == 7 and pages == 2
    assert "By phone: call +15550009999" in text and "By SMS: send JOIN" in text
    with console.runtime.store.transaction() as session:
        stored = repr([row.tag for row in session.scalars(select(SurveyCard))])
        assert cards_left(session, survey_id) == 7
    assert not any(code in stored for code in codes)
    assert client.get(f"/admin/surveys/{survey_id}/card.pdf").status_code == 404
    assert re.search(
        r'id="cards-left"><strong>7</strong>', client.get(f"/admin/surveys/{survey_id}").text
    )


@pytest.mark.parametrize("count", ["0", "", "abc", "1001", "9" * 400, "-3", "<b>"])
def test_a_wrong_number_of_cards_is_refused_and_makes_none(console, world, count) -> None:
    survey_id, client = open_in_card_mode(console, world.business_id)
    response = client.submit(f"/admin/surveys/{survey_id}/cards.pdf", {"count": count})
    assert response.status_code == 400
    assert "Number of cards" in response.text
    with console.runtime.store.transaction() as session:
        assert cards_left(session, survey_id) == 0


def test_cards_are_refused_for_a_per_phone_survey_and_a_wrong_mode(console, world) -> None:
    client = console.sign_in("staff")
    response = client.submit(f"/admin/surveys/{world.survey_id}/cards.pdf", {"count": "3"})
    assert response.status_code == 400 and "one code per phone" in response.text
    viewer = console.sign_in("viewer")
    assert (
        viewer.submit(f"/admin/surveys/{world.survey_id}/cards.pdf", {"count": "3"}).status_code
        == 403
    )
    form = {**builder_form(world.business_id), "action": "open", "mode": "everyone"}
    refused = client.submit("/admin/surveys", form)
    assert refused.status_code == 400 and "single-use cards" in refused.text
    assert client.submit("/admin/surveys/99999/cards.pdf", {"count": "3"}).status_code == 404


def wav(seconds: float = 0.2) -> bytes:
    """A short silent WAV recording, as a laptop makes one."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        writer.writeframes(b"\x00\x00" * int(8000 * seconds))
    return out.getvalue()


def upload(client, survey_id: int, data: bytes, **fields: str):
    form = {"csrf": client.token(), "question": "paid_on_time", "language": "hi", **fields}
    files = {"recording": ("question.wav", data, "audio/wav")}
    return client.post(f"/admin/surveys/{survey_id}/audio", data=form, files=files)


def test_a_recording_is_uploaded_and_served_at_an_unguessable_address(console, world) -> None:
    client = console.sign_in("staff")
    page = client.get(f"/admin/surveys/{world.survey_id}").text
    assert 'id="add-recording"' in page and "No recordings yet" in page
    recording = wav()
    response = upload(client, world.survey_id, recording)
    assert response.status_code == 303
    page = client.get(f"/admin/surveys/{world.survey_id}").text
    assert "paid_on_time: Hindi" in page
    with console.runtime.store.transaction() as session:
        [row] = session.scalars(select(SurveyAudio)).all()
        token, first = row.token, row.token
        assert len(token) >= 40 and row.content_type == "audio/x-wav"
    public = console.client()  # Twilio fetches it: no sign-in
    served = public.get(f"/voice/audio/{token}")
    assert served.status_code == 200 and served.content == recording
    assert served.headers["content-type"] == "audio/x-wav"
    assert public.get(f"/voice/audio/{token[:-1]}x").status_code == 404
    assert public.get("/voice/audio/..%2F..%2Fetc").status_code == 404
    assert upload(client, world.survey_id, wav(0.3)).status_code == 303  # replaces it
    with console.runtime.store.transaction() as session:
        [row] = session.scalars(select(SurveyAudio)).all()
        assert row.token != first
    assert public.get(f"/voice/audio/{first}").status_code == 404


@pytest.mark.parametrize(
    ("data", "fields", "says"),
    [
        (b"just some text, not a recording", {}, "not an MP3 or WAV"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, {}, "not an MP3 or WAV"),
        (b"RIFF" + b"\x00" * (MAX_AUDIO_BYTES + 10), {}, "over 5 MB"),
        (None, {"question": "no_such_question"}, "Choose one of the survey"),
        (None, {"question": "<script>" * 100}, "Choose one of the survey"),
        (None, {"language": "xx"}, "Choose one of the programme"),
        (None, {"language": ""}, "Choose one of the programme"),
    ],
)
def test_a_wrong_recording_is_refused_and_nothing_kept(console, world, data, fields, says) -> None:
    client = console.sign_in("staff")
    response = upload(client, world.survey_id, wav() if data is None else data, **fields)
    assert response.status_code == 400 and says in response.text
    with console.runtime.store.transaction() as session:
        assert session.scalars(select(SurveyAudio)).all() == []


def test_a_recording_needs_a_file_and_a_staff_member(console, world) -> None:
    client = console.sign_in("staff")
    response = client.submit(f"/admin/surveys/{world.survey_id}/audio", {"question": "hours"})
    assert response.status_code == 400 and "Choose a recording" in response.text
    viewer = console.sign_in("viewer")
    assert upload(viewer, world.survey_id, wav()).status_code == 403
