"""Whole survey calls through signed Twilio voice webhooks: the language by key, the code,
the consent, answers with 0 to skip, * to repeat and # to stop, a hang-up midway, a wrong
code, a withheld number, and one response per phone."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from survey_support import pooled
from voice_support import CALL_PATH, VOICE_FROM, Call, post_call

from bot.app import create_app
from bot.channels.provider import Inbound
from bot.domain.business import register_business
from bot.domain.survey_audio import set_audio
from bot.domain.survey_cards import CARDS, cards_left, make_cards
from bot.domain.surveys import BY_CALL, default_definition, open_survey
from bot.models import Contact, InboundMessage, OutboundMessage, Survey, SurveyParticipant
from bot.runtime import Runtime
from messages import LANGUAGES, text

PHONE = "+919800000001"
QUESTIONS = len(default_definition()["questions"])
VOICE_OF = {"en": "en-US", "es": "es-US", "fr": "fr-FR", "hi": "hi-IN"}


@pytest.fixture
def voice_runtime(make_runtime) -> Runtime:
    return make_runtime(twilio_voice_from=VOICE_FROM)


@pytest.fixture
def phone(voice_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(voice_runtime)) as test_client:
        yield test_client


@pytest.fixture
def code(voice_runtime: Runtime) -> str:
    now = voice_runtime.clock.now()
    with voice_runtime.store.transaction() as session:
        leader = Contact(address="+15550100001", channel="sms", language="en", created_at=now)
        session.add(leader)
        session.flush()
        business = register_business(session, leader, "Blue Thread", "Jaipur", "IN", now)
        return open_survey(session, business.id, now).code


def answers(runtime: Runtime) -> list[list]:
    """The pooled responses, opened with the key: the answers in question order, and whether
    each came by a call."""
    return [
        [value for key, value in response.items() if key != BY_CALL] + [response.get(BY_CALL)]
        for response in pooled(runtime.store, runtime.sealer)
    ]


def start(phone: TestClient, code: str, language: str = "en", number: str = PHONE) -> Call:
    """Call, choose the language, enter the code and begin."""
    call = Call(phone, number)
    call.press(str(LANGUAGES.index(language) + 1))
    call.press(code)
    assert text(language, "survey.consent")[:20] in call.words()
    call.press("1")
    return call


def test_the_first_answer_offers_each_language_in_itself(phone, code) -> None:
    call = Call(phone, PHONE)
    assert call.gather is not None and call.gather.get("numDigits") == "1"
    said = {say.get("language"): say.text for say in call.heard}
    assert said == {
        VOICE_OF[language]: text(language, "call.language_choice", {"number": key})
        for key, language in enumerate(LANGUAGES, 1)
    }
    assert all(say.get("voice", "").startswith("Polly.") for say in call.heard)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_whole_call_in_each_language(phone, code, voice_runtime, language) -> None:
    call = start(phone, code, language)
    for number in range(QUESTIONS):
        assert {say.get("language") for say in call.heard} == {VOICE_OF[language]}
        assert text(language, "call.keys") in call.words()
        assert not call.hung_up
        call.press("0" if number == 1 else "2")
    assert text(language, "survey.thanks") in call.words()
    assert call.hung_up and call.gather is None
    given = [None if number == 1 else 2 for number in range(QUESTIONS)]
    assert answers(voice_runtime) == [[*given, True]]


def test_star_repeats_and_silence_repeats(phone, code, voice_runtime) -> None:
    call = start(phone, code)
    first = call.words()
    call.press("*")
    assert call.words() == first
    call.stay_silent()
    assert call.words() == first
    call.press("1")
    assert call.words() != first
    assert "2/" in call.words()


def test_a_hang_up_midway_ends_the_survey_as_stop_does(phone, code, voice_runtime, clock) -> None:
    call = start(phone, code)
    call.press("3")
    call.press("1")
    assert call.hang_up().status_code == 204
    assert answers(voice_runtime) == [[3, 1] + [None] * (QUESTIONS - 2) + [True]]
    again = Call(phone, PHONE)  # the next call starts afresh and is refused: she answered
    again.press("1")
    again.press(code)
    assert text("en", "survey.already_answered") in again.words() and again.hung_up


def test_hash_stops_the_survey_and_says_goodbye(phone, code, voice_runtime) -> None:
    call = start(phone, code)
    call.press("2")
    call.press("#")
    assert text("en", "call.goodbye") in call.words() and call.hung_up
    assert answers(voice_runtime) == [[2] + [None] * (QUESTIONS - 1) + [True]]
    assert call.hang_up().status_code == 204  # the status callback after it changes nothing
    assert len(pooled(voice_runtime.store, voice_runtime.sealer)) == 1


def test_a_wrong_code_is_asked_again_then_the_call_ends(phone, code) -> None:
    call = Call(phone, PHONE)
    call.press("3")
    wrong = "0000" if code != "0000" else "1111"
    call.press(wrong)
    assert text("fr", "call.wrong_code") in call.words() and not call.hung_up
    call.press("12")
    assert text("fr", "call.wrong_code") in call.words()
    call.press(wrong)
    assert text("fr", "call.no_code") in call.words() and call.hung_up


def test_a_withheld_number_is_told_in_the_chosen_language(phone, code, voice_runtime) -> None:
    call = Call(phone, "anonymous")
    call.press("4")
    assert call.words() == text("hi", "call.number_hidden") and call.hung_up
    assert call.heard[0].get("language") == "hi-IN"
    with voice_runtime.store.transaction() as session:
        assert session.query(Contact).filter(Contact.address == "anonymous").count() == 0


def test_a_second_call_from_the_same_phone_is_refused(phone, code, voice_runtime) -> None:
    call = start(phone, code, "es")
    for _ in range(QUESTIONS):
        call.press("1")
    second = Call(phone, PHONE)
    second.press("2")
    second.press(code)
    assert text("es", "survey.already_answered") in second.words() and second.hung_up
    assert len(pooled(voice_runtime.store, voice_runtime.sealer)) == 1


def test_a_call_keeps_no_key_and_leaves_texts_on_their_channel(phone, code, voice_runtime) -> None:
    with voice_runtime.store.transaction() as session:
        now = voice_runtime.clock.now()
        session.add(Contact(address=PHONE, channel="whatsapp", language="en", created_at=now))
    call = start(phone, code)
    call.press("3")
    call.hang_up()
    with voice_runtime.store.transaction() as session:
        contact = session.query(Contact).filter(Contact.address == PHONE).one()
        assert contact.channel == "whatsapp"
        bodies = [row.body for row in session.query(InboundMessage)]
        assert set(bodies) == {""}
        assert not any(row.private for row in session.query(OutboundMessage))
        assert all(
            not row.message_key.startswith("survey.") for row in session.query(OutboundMessage)
        )


@pytest.mark.parametrize(
    ("query", "fields", "status"),
    [
        ("", {"CallSid": "nope"}, 400),
        ("?lang=xx&n=1", {}, 400),
        ("?lang=en&n=abc", {}, 400),
        ("?lang=en&n=1", {"Digits": "<Say>"}, 400),
        ("?lang=en&n=1", {"From": "x" * 500}, 400),
        ("?lang=en&n=1", {"Digits": "1" * 5000}, 400),
    ],
)
def test_hostile_call_webhooks_get_a_reason_and_change_nothing(
    phone, code, voice_runtime, query, fields, status
) -> None:
    params = {
        "CallSid": "CA" + "a" * 32,
        "From": PHONE,
        "To": VOICE_FROM,
        "AccountSid": "AC" + "0" * 32,
        **fields,
    }
    response = post_call(phone, CALL_PATH + query, params)
    assert response.status_code == status and response.text
    with voice_runtime.store.transaction() as session:
        assert session.query(InboundMessage).count() == 0


def test_an_unsigned_call_is_refused(phone, code) -> None:
    response = phone.post(CALL_PATH, data={"CallSid": "CA" + "a" * 32, "From": PHONE})
    assert response.status_code == 403


def test_voice_is_off_without_its_number(make_runtime) -> None:
    with TestClient(create_app(make_runtime())) as client:
        response = post_call(client, CALL_PATH, {"CallSid": "CA" + "a" * 32})
    assert response.status_code == 404 and "TWILIO_VOICE_FROM" in response.text


@pytest.fixture
def cards(voice_runtime: Runtime) -> tuple[str, list[str]]:
    """A survey in card mode and three of its single-use card codes."""
    runtime = voice_runtime
    now = runtime.clock.now()
    with runtime.store.transaction() as session:
        leader = Contact(address="+15550100002", channel="sms", language="en", created_at=now)
        session.add(leader)
        session.flush()
        business = register_business(session, leader, "Red Thread", "Agra", "IN", now)
        survey = open_survey(session, business.id, now, mode=CARDS)
        return survey.code, make_cards(session, runtime.sealer, survey, 3)


def answer_all(call: Call, key: str = "1") -> None:
    for _ in range(QUESTIONS):
        call.press(key)
    assert call.hung_up


def test_two_calls_from_one_phone_with_two_cards_both_count(phone, cards, voice_runtime) -> None:
    own_code, (first, second, _) = cards
    answer_all(start(phone, first))
    answer_all(start(phone, second), "2")
    assert sorted(answers(voice_runtime)) == [
        [1] * QUESTIONS + [True],
        [2] * QUESTIONS + [True],
    ]
    used = Call(phone, PHONE)  # a used card, and the survey's own code, open nothing
    used.press("1")
    used.press(first)
    assert text("en", "call.wrong_code") in used.words()
    used.press(own_code)
    assert text("en", "call.wrong_code") in used.words()
    with voice_runtime.store.transaction() as session:
        survey_id = session.query(Survey.id).filter(Survey.code == own_code).scalar()
        assert cards_left(session, survey_id) == 1
        assert session.query(SurveyParticipant).count() == 0  # no per-phone marker


def test_a_card_works_by_text_too_and_answers_once(phone, cards, voice_runtime) -> None:
    _, (first, _, third) = cards
    engine = voice_runtime.engine
    sms = ["JOIN " + third, "1", "1", *["3"] * QUESTIONS]
    for number, body in enumerate(sms):
        engine.handle(Inbound("sms", "+919800000077", f"SM{number + 1:032x}", body))
    assert answers(voice_runtime) == [[3] * QUESTIONS + [None]]
    again = engine.handle(Inbound("sms", "+919800000078", f"SM{99:032x}", "JOIN " + third))
    assert not any("anonymous" in reply.body for reply in again.replies)
    answer_all(start(phone, first))  # the same phone may still use another card by voice
    assert len(answers(voice_runtime)) == 2


def test_a_recording_is_played_for_its_question_and_language_only(
    phone, code, voice_runtime
) -> None:
    runtime = voice_runtime
    digest = runtime.media.store.put(b"ID3\x04" + b"\x00" * 200)
    with runtime.store.transaction() as session:
        survey_id = session.query(Survey.id).filter(Survey.code == code).scalar()
        token = set_audio(session, survey_id, "paid_on_time", "hi", digest, "audio/mpeg").token
    call = start(phone, code, "hi")
    [played] = call.twiml.iter("Play")
    assert played.text == f"https://bot.example.org/voice/audio/{token}"
    assert text("hi", "survey.q.paid_on_time") not in call.words()
    assert text("hi", "call.keys") in call.words()
    assert phone.get(f"/voice/audio/{token}").content == b"ID3\x04" + b"\x00" * 200
    call.press("1")  # the next question has no recording: read aloud
    assert list(call.twiml.iter("Play")) == [] and "2/" in call.words()
    spanish = start(phone, code, "es", number="+919800000002")
    assert list(spanish.twiml.iter("Play")) == []


def test_a_missed_call_is_refused_free_and_called_back_once(
    make_runtime, fake_twilio, code
) -> None:
    runtime = make_runtime(twilio_voice_from=VOICE_FROM, voice_callback=True)
    with TestClient(create_app(runtime)) as client:
        rang = Call(client, PHONE)
        assert rang.twiml.find("Reject") is not None and rang.gather is None
        assert rang.hang_up().status_code == 204  # Twilio reports the refused call as over
        Call(client, PHONE)  # rings again at once: still one call-back
        assert runtime.sender.send_due() >= 1
        [placed] = fake_twilio.placed
        assert (placed["To"], placed["From"]) == (PHONE, VOICE_FROM)
        assert placed["Url"] == "https://bot.example.org/webhooks/twilio/voice?"
        assert placed["StatusCallback"] == "https://bot.example.org/webhooks/twilio/voice/status"
        back = Call(client, PHONE, called_back=True)  # she picks up: the survey as usual
        assert back.gather is not None and len(back.heard) == len(LANGUAGES)
        back.press("1")
        back.press(code)
        back.press("1")
        for _ in range(QUESTIONS):
            back.press("2")
        assert text("en", "survey.thanks") in back.words() and back.hung_up
    assert answers(runtime) == [[2] * QUESTIONS + [True]]
    with runtime.store.transaction() as session:
        rows = session.query(OutboundMessage).filter(OutboundMessage.channel == "voice_callback")
        assert [(row.status, row.body) for row in rows] == [("sent", "")]


def test_call_backs_are_off_unless_set(phone, fake_twilio, voice_runtime) -> None:
    call = Call(phone, PHONE)
    assert call.twiml.find("Reject") is None and call.gather is not None
    voice_runtime.sender.send_due()
    assert fake_twilio.placed == []
