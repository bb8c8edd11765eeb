"""Anonymous worker surveys: joining, answering, leaving, pooling and counting."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from survey_support import add_responses, opened_state, pooled, state_of, write, written

from bot.domain.business import register_business
from bot.domain.surveys import (
    SurveyError,
    business_results,
    close_survey,
    default_definition,
    describe_results,
    every_survey_results,
    open_survey,
    results_rows,
    survey_results,
    validate_definition,
)
from bot.models import Contact, ConversationState, Survey
from bot.runtime import Runtime
from bot.settings import Settings
from flows.core import Option, Reply
from messages import LANGUAGES, catalogue
from messages.render import render_text
from messages.sms import segments

QUESTIONS = ("paid_on_time", "agreed_rate", "hours", "children", "safety", "complaint")
ASIDE = "my boss owes me 4500 rupees"


def make_business(store, now: datetime, phone: str = "+15550100001") -> int:
    with store.transaction() as session:
        leader = Contact(
            address=phone, channel="sim", language="en", created_at=now, consented_at=now
        )
        session.add(leader)
        session.flush()
        business = register_business(session, leader, "Blue Thread", "Jaipur", "IN", now)
        session.add(
            ConversationState(
                contact_id=leader.id, flow="menu", step="main", data={}, updated_at=now
            )
        )
        return business.id


def make_survey(store, now: datetime, business_id: int | None = None) -> tuple[int, str]:
    business_id = business_id or make_business(store, now)
    with store.transaction() as session:
        survey = open_survey(session, business_id, now)
        return survey.id, survey.code


def test_a_new_number_joins_by_code_chooses_a_language_answers_and_is_thanked(
    store, clock, make_phone, sealer
) -> None:
    _, code = make_survey(store, clock.now())
    worker = make_phone("+919800000001", "sms")
    assert worker.keys(f"JOIN {code}") == ["onboarding.choose_language"]
    [(key, consent)] = worker.send("2")
    assert key == "survey.consent"
    assert consent.endswith("\n1 Empezar\n2 No, gracias")
    [(key, first)] = worker.send("1")
    assert key == "survey.question"
    assert first.startswith("1/6 ¿Le pagaron")
    assert first.endswith("\n0 Saltar\n1 Sí\n2 Tarde\n3 Aún no me pagan")
    for answer in ("2", "0", "saltar", "3", "SKIP"):
        assert worker.keys(answer) == ["survey.question"]
    assert worker.texts("1") == [catalogue("es")["survey.thanks"]]

    assert written(store) == []  # it waits in the pool for a whole batch
    assert pooled(store, sealer) == [
        {
            "paid_on_time": 2,
            "agreed_rate": None,
            "hours": None,
            "children": 3,
            "safety": None,
            "complaint": 1,
        }
    ]
    state = state_of(store, "+919800000001")
    assert (state.flow, state.step, state.data) == ("onboarding", "survey_code", {})


def test_a_worker_reaches_the_survey_through_onboarding(store, clock, make_phone, sealer) -> None:
    _, code = make_survey(store, clock.now())
    phone = make_phone("+919812345678", "whatsapp")
    for answer in ("hello", "1", "1"):
        phone.send(answer)
    assert phone.keys("2") == ["worker.code"]
    assert phone.keys(code) == ["survey.consent"]
    phone.send("1")
    for answer in ("1", "1", "1", "1", "1"):
        phone.send(answer)
    assert phone.keys("1") == ["survey.thanks"]
    assert pooled(store, sealer) == [dict.fromkeys(QUESTIONS, 1)]


def test_join_works_from_any_state_and_a_leader_returns_to_the_menu(
    store, clock, make_phone
) -> None:
    _, code = make_survey(store, clock.now())
    leader = make_phone("+15550100001")
    assert leader.keys(f"join  {code}") == ["survey.consent"]
    assert leader.keys("2") == ["survey.declined"]
    assert written(store) == []
    state = state_of(store, "+15550100001")
    assert (state.flow, state.step, state.data) == ("menu", "main", {})

    newcomer = make_phone("+15550100002")
    assert newcomer.keys(code) == ["onboarding.choose_language"]
    midway = make_phone("+15550100003")
    midway.send("hello")
    midway.send("1")
    assert midway.keys(f"Rejoindre {code}") == ["survey.consent"]


@pytest.mark.parametrize("text", ["JOIN 12", "JOIN ✨✨✨✨", "join", "JOIN 12345678901"])
def test_a_malformed_code_is_not_a_survey(store, clock, make_phone, text) -> None:
    make_survey(store, clock.now())
    assert make_phone("+15550100009").keys(text) == ["onboarding.choose_language"]


def test_a_code_of_no_open_survey_is_answered_so_then_the_welcome(store, clock, make_phone) -> None:
    make_survey(store, clock.now())
    newcomer = make_phone("+15550100009")
    assert newcomer.keys("JOIN 0000") == ["worker.code_unknown", "onboarding.choose_language"]
    assert newcomer.keys("1") == ["onboarding.consent"]


@pytest.mark.parametrize(
    "text", ["", "4", "-1", "1.5", "🧵", "x" * 5000, "\x00", "'; DROP TABLE survey_responses;--"]
)
def test_a_wrong_answer_says_what_is_expected_and_keeps_the_question(
    store, clock, make_phone, sealer, text
) -> None:
    _, code = make_survey(store, clock.now())
    worker = make_phone("+15550100009")
    for answer in (f"JOIN {code}", "1", "1", "1"):
        worker.send(answer)
    replies = worker.send(text)
    assert replies[0][0] in ("survey.answer_invalid", "invalid.empty")
    assert "\n1 Yes\n2 Less\n3 No rate was agreed" in "\n".join(body for _, body in replies)
    assert worker.send("", media=("https://example.org/photo.jpg",))[0][0] == "invalid.media"
    assert worker.texts("٣")[0].startswith("3/6 ")
    assert opened_state(store, sealer, "+15550100009").data["answers"] == [1, 3]


def test_telegram_shows_the_answers_as_buttons(store, clock, engine) -> None:
    from fakes.telegram import options

    from bot.channels.provider import Inbound

    _, code = make_survey(store, clock.now())
    for number, text in enumerate((f"JOIN {code}", "1", "1"), 1):
        handled = engine.handle(Inbound("telegram", "telegram:77", f"t{number}", text))
    [question] = handled.replies
    assert question.body.endswith("\n0 Skip")
    assert options(question.buttons) == [["Yes", "1"], ["Late", "2"], ["Not paid yet", "3"]]


def test_lang_during_a_survey_returns_to_the_same_question(
    store, clock, make_phone, sealer
) -> None:
    _, code = make_survey(store, clock.now())
    worker = make_phone("+15550100009", "sms")
    for answer in (f"JOIN {code}", "1", "1", "2"):
        worker.send(answer)
    assert worker.keys("LANG") == ["onboarding.choose_language"]
    [question] = worker.texts("3")
    assert question.startswith("2/6 Le tarif")
    for answer in ("1", "1", "1", "1", "1"):
        worker.send(answer)
    assert pooled(store, sealer) == [{**dict.fromkeys(QUESTIONS, 1), "paid_on_time": 2}]


def test_stop_pauses_and_an_abandoned_survey_ends_keeping_only_given_answers(
    store, clock, make_phone, migrated, sealer
) -> None:
    _, code = make_survey(store, clock.now())
    worker = make_phone("+15550100009", "sms")
    for answer in (f"JOIN {code}", "1", "1", "3"):
        worker.send(answer)
    assert worker.keys("STOP") == ["keyword.stopped"]
    assert worker.send("2") == []
    runtime = Runtime(Settings(database_url=migrated, survey_idle_hours=24), clock)
    try:
        from bot.scheduler import end_idle_surveys_tick

        clock.advance(timedelta(hours=23))
        assert end_idle_surveys_tick(runtime) == 0
        assert worker.keys("START") == ["keyword.restarted", "survey.question"]
        worker.send("2")
        clock.advance(timedelta(hours=25))
        assert end_idle_surveys_tick(runtime) == 1
        assert end_idle_surveys_tick(runtime) == 0
    finally:
        runtime.close()
    assert pooled(store, sealer) == [
        {**dict.fromkeys(QUESTIONS), "paid_on_time": 3, "agreed_rate": 2}
    ]
    state = state_of(store, "+15550100009")
    assert (state.flow, state.data) == ("onboarding", {})


def test_a_survey_left_behind_a_language_change_also_ends(
    store, clock, make_phone, migrated, sealer
) -> None:
    _, code = make_survey(store, clock.now())
    for number in range(3):
        make_phone(f"+1555010010{number}").send("hello")  # left at the language question
    worker = make_phone("+15550100009", "telegram")
    for answer in (f"JOIN {code}", "1", "1", "3", "LANG"):
        worker.send(answer)
    clock.advance(timedelta(days=2))
    runtime = Runtime(Settings(database_url=migrated), clock)
    try:
        from bot.scheduler import end_idle_surveys_tick

        assert end_idle_surveys_tick(runtime) == 1
    finally:
        runtime.close()
    assert pooled(store, sealer) == [{**dict.fromkeys(QUESTIONS), "paid_on_time": 3}]
    assert "return_to" not in state_of(store, "+15550100009").data


def test_closing_stops_new_workers_but_lets_those_answering_finish(
    store, clock, make_phone, sealer
) -> None:
    survey_id, code = make_survey(store, clock.now())
    answering, consenting = make_phone("+15550100011", "sms"), make_phone("+15550100012", "sms")
    for answer in (f"JOIN {code}", "1", "1"):
        answering.send(answer)
    consenting.send(f"JOIN {code}")
    consenting.send("1")
    with store.transaction() as session:
        close_survey(session, survey_id, clock.now())
        close_survey(session, survey_id, clock.now())
    assert consenting.keys("1") == ["survey.closed"]
    for answer in ("1", "1", "1", "1", "1"):
        answering.send(answer)
    assert answering.keys("1") == ["survey.thanks"]
    assert len(pooled(store, sealer)) == 1
    late = make_phone("+15550100013")
    assert late.keys(f"JOIN {code}") == ["worker.code_unknown", "onboarding.choose_language"]


def test_no_single_response_shows_results_move_a_whole_batch_at_a_time(
    store, clock, sealer
) -> None:
    survey_id, code = make_survey(store, clock.now())
    everything = dict.fromkeys(QUESTIONS, 1)
    add_responses(store, sealer, code, *[everything] * 4, now=clock.now())
    with store.transaction() as session:
        results = survey_results(session, survey_id)
    assert (results.responses, results.waiting) == (0, 4)
    assert all(q.suppressed and q.counts is None and q.skipped is None for q in results.questions)
    rows = results_rows(results)
    assert all(row[-1].startswith("withheld") and row[3] == "" for row in rows[1:])
    text = describe_results(results)
    assert "withheld: fewer than 5 respondents" in text
    assert "4 waiting to be counted with a group of at least 5" in text

    odd = {**everything, "paid_on_time": 3, "hours": None, "bogus": 2, "safety": 9}
    add_responses(store, sealer, code, odd, now=clock.now())
    with store.transaction() as session:
        results = survey_results(session, survey_id)
    assert (results.responses, results.waiting) == (5, 0)
    by_key = {q.key: q for q in results.questions}
    assert (by_key["paid_on_time"].respondents, by_key["paid_on_time"].counts) == (5, (4, 0, 1))
    assert by_key["children"].counts == (5, 0, 0)
    for key in ("hours", "safety"):  # skipped (or nonsense) counts as answered: no gap to read
        assert (by_key[key].respondents, by_key[key].counts, by_key[key].skipped) == (
            5,
            (4, 0, 0),
            1,
        )
    assert "  0 Skipped: 1" in describe_results(results)

    def visible() -> tuple:
        with store.transaction() as session:
            shown = survey_results(session, survey_id)
            return shown.responses, [(q.respondents, q.counts, q.skipped) for q in shown.questions]

    before = visible()
    add_responses(store, sealer, code, {"paid_on_time": 2}, now=clock.now())  # a sixth person
    assert visible() == before
    with_skips = [{"paid_on_time": 2}, {}, {"hours": 3}, {"children": 2, "safety": 1}]
    add_responses(store, sealer, code, *with_skips, now=clock.now())
    after = visible()
    assert after[0] == before[0] + 5
    assert all(now[0] == then[0] + 5 for now, then in zip(after[1], before[1], strict=True))


def test_a_remainder_too_small_is_held_back_once_the_survey_has_closed(
    store, clock, sealer
) -> None:
    survey_id, code = make_survey(store, clock.now())
    add_responses(store, sealer, code, *[dict.fromkeys(QUESTIONS, 2)] * 7, now=clock.now())
    add_responses(store, sealer, code, *[dict.fromkeys(QUESTIONS, 1)] * 3, now=clock.now())
    with store.transaction() as session:
        close_survey(session, survey_id, clock.now())
    clock.advance(timedelta(hours=23))
    assert write(store, sealer, survey_id, clock.now()) == 0  # someone may still be answering
    with store.transaction() as session:
        results = survey_results(session, survey_id)
    assert (results.responses, results.waiting, results.held_back) == (7, 3, 0)
    clock.advance(timedelta(hours=2))
    assert write(store, sealer, survey_id, clock.now()) == 0
    with store.transaction() as session:
        results = survey_results(session, survey_id)
    assert (results.responses, results.waiting, results.held_back) == (7, 0, 3)
    assert "3 held back: fewer than 5 were left when it closed" in describe_results(results)
    assert all(q.counts == (0, 7, 0) for q in results.questions)
    assert pooled(store, sealer) == []


def test_a_business_total_never_adds_a_withheld_group(store, clock, sealer) -> None:
    business_id = make_business(store, clock.now())
    _, big = make_survey(store, clock.now(), business_id)
    _, small = make_survey(store, clock.now(), business_id)
    add_responses(store, sealer, big, *[dict.fromkeys(QUESTIONS, 1)] * 5, now=clock.now())
    add_responses(store, sealer, small, *[dict.fromkeys(QUESTIONS, 2)] * 2, now=clock.now())
    with store.transaction() as session:
        totals = business_results(session, business_id)
    assert (totals.surveys, totals.responses) == (2, 5)
    assert all((q.respondents, q.counts, q.skipped) == (5, (5, 0, 0), 0) for q in totals.questions)
    with store.transaction() as session:
        assert all(q.suppressed for q in business_results(session, 999).questions)


def test_export_rows_keep_staff_text_from_running_as_a_spreadsheet_formula(
    store, clock, sealer
) -> None:
    definition = default_definition()
    definition["questions"][0]["text"]["en"] = "=HYPERLINK(1)"
    with store.transaction() as session:
        survey = open_survey(session, make_business(store, clock.now()), clock.now(), definition)
        survey_id, code = survey.id, survey.code
    add_responses(store, sealer, code, *[dict.fromkeys(QUESTIONS, 2)] * 5, now=clock.now())
    with store.transaction() as session:
        rows = results_rows(survey_results(session, survey_id))
    assert rows[0] == ("question", "text", "respondents", "answer", "label", "count")
    assert rows[1] == ("paid_on_time", "'=HYPERLINK(1)", "5", "1", "Yes", "0")
    assert rows[2][-1] == "5"
    assert rows[4] == ("paid_on_time", "'=HYPERLINK(1)", "5", "0", "Skipped", "0")


def test_codes_are_short_numbers_and_never_repeat(store, clock) -> None:
    business_id = make_business(store, clock.now())
    with store.transaction() as session:
        codes = [open_survey(session, business_id, clock.now()).code for _ in range(300)]
    assert len(set(codes)) == 300
    assert all(code.isdigit() and 4 <= len(code) <= 5 for code in codes)


def test_the_standard_questions_fit_two_text_messages_in_every_language() -> None:
    definition = validate_definition(default_definition())
    for question in definition["questions"]:
        for language in LANGUAGES:
            labels = question["options"][language]
            options = tuple(Option("common.value", {"value": label}) for label in labels)
            params = {"number": 6, "total": 6, "question": question["text"][language]}
            body = render_text(language, Reply("survey.question", params, options)).body
            assert segments(body) <= 2, (language, body)


def long_question() -> dict:
    definition = default_definition()
    definition["questions"][0]["text"]["hi"] = "क" * 400
    return definition


def missing_language() -> dict:
    definition = default_definition()
    del definition["questions"][1]["options"]["fr"]
    return definition


def uneven_answers() -> dict:
    definition = default_definition()
    definition["questions"][2]["options"]["es"].append("Nunca")
    return definition


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ([], '"questions" list'),
        ({"questions": []}, "1 to 20 questions"),
        ({"questions": ["why?"]}, "expected an object"),
        ({"questions": [{"key": "Bad Key!", "text": {}, "options": {}}]}, "lowercase letters"),
        ({"questions": [*default_definition()["questions"]] * 2}, "used twice"),
        (long_question(), "1 to 300 printable"),
        (missing_language(), "2 to 9 answers in fr"),
        (uneven_answers(), "same number of answers"),
    ],
)
def test_a_wrong_definition_is_refused_with_what_to_fix(store, clock, definition, message) -> None:
    business_id = make_business(store, clock.now())
    with pytest.raises(SurveyError, match=message), store.transaction() as session:
        open_survey(session, business_id, clock.now(), definition)
    with store.transaction() as session:
        assert session.scalar(select(Survey)) is None


def test_a_question_too_long_for_three_messages_is_refused() -> None:
    definition = default_definition()
    definition["questions"][0]["text"]["hi"] = "क" * 200
    with pytest.raises(SurveyError, match="too long for 3 text messages in hi"):
        validate_definition(definition)


@pytest.mark.parametrize("business_id", [0, -3, 10**30, 424242])
def test_opening_for_a_missing_business_says_so(store, clock, business_id) -> None:
    with pytest.raises(SurveyError, match="No business"), store.transaction() as session:
        open_survey(session, business_id, clock.now())
    for call in (survey_results, lambda session, i: close_survey(session, i, clock.now())):
        with pytest.raises(SurveyError, match="No survey"), store.transaction() as session:
            call(session, business_id)


def test_a_redelivered_survey_message_is_handled_once(store, clock, engine, sealer) -> None:
    from bot.channels.provider import Inbound
    from bot.models import InboundMessage

    _, code = make_survey(store, clock.now())
    address = "+15550100077"
    for sid, text in (("SMjoin", f"JOIN {code}"), ("SMlang", "1"), ("SMyes", "1")):
        assert not engine.handle(Inbound("sms", address, sid, text)).duplicate
        assert engine.handle(Inbound("sms", address, sid, text)).duplicate
    assert opened_state(store, sealer, address).step == "question"
    with store.transaction() as session:
        kept = session.scalars(select(InboundMessage.provider_id)).all()
    assert len(kept) == 3 and not {"SMjoin", "SMlang", "SMyes"} & set(kept)


def test_every_survey_read_at_once_reads_as_each_survey_alone(store, clock, sealer) -> None:
    """The programme-wide results (the survey-results export) match each survey's own:
    counts, withheld groups and responses waiting in the pool."""
    shown_id, shown_code = make_survey(store, clock.now())
    small_id, small_code = make_survey(
        store, clock.now(), make_business(store, clock.now(), "+15550100002")
    )
    empty_id, _ = make_survey(store, clock.now(), make_business(store, clock.now(), "+15550100003"))
    answers = [dict.fromkeys(QUESTIONS, 1 + n % 2) for n in range(6)]
    add_responses(store, sealer, shown_code, *answers, now=clock.now())
    add_responses(store, sealer, small_code, *answers[:3], now=clock.now())
    with store.transaction() as session:
        every = every_survey_results(session)
        alone = [survey_results(session, survey_id) for survey_id in (shown_id, small_id, empty_id)]
    assert every == alone
    assert [(results.responses, results.waiting) for results in every] == [(6, 0), (0, 3), (0, 0)]
