"""Anonymous worker surveys: joining, answering, leaving, and what the database can tell."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.domain.business import register_business
from bot.domain.surveys import (
    SurveyError,
    business_results,
    close_survey,
    default_definition,
    describe_results,
    open_survey,
    record_response,
    results_rows,
    survey_results,
    validate_definition,
)
from bot.models import Base, Contact, ConversationState, Survey, SurveyResponse
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


def responses(store) -> list[dict]:
    with store.transaction() as session:
        return [row.answers for row in session.scalars(select(SurveyResponse))]


def state_of(store, address: str) -> ConversationState:
    with store.transaction() as session:
        contact = session.scalar(select(Contact).where(Contact.address == address))
        return session.get(ConversationState, contact.id)


def test_a_new_number_joins_by_code_chooses_a_language_answers_and_is_thanked(
    store, clock, make_phone
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

    assert responses(store) == [
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


def test_a_worker_reaches_the_survey_through_onboarding(store, clock, phone) -> None:
    _, code = make_survey(store, clock.now())
    for answer in ("hello", "1", "1"):
        phone.send(answer)
    assert phone.keys("2") == ["worker.code"]
    assert phone.keys(code) == ["survey.consent"]
    phone.send("1")
    for answer in ("1", "1", "1", "1", "1"):
        phone.send(answer)
    assert phone.keys("1") == ["survey.thanks"]
    assert responses(store) == [dict.fromkeys(QUESTIONS, 1)]


def test_join_works_from_any_state_and_a_leader_returns_to_the_menu(
    store, clock, make_phone
) -> None:
    _, code = make_survey(store, clock.now())
    leader = make_phone("+15550100001")
    assert leader.keys(f"join  {code}") == ["survey.consent"]
    assert leader.keys("2") == ["survey.declined"]
    assert responses(store) == []
    state = state_of(store, "+15550100001")
    assert (state.flow, state.step, state.data) == ("menu", "main", {})

    newcomer = make_phone("+15550100002")
    assert newcomer.keys(code) == ["onboarding.choose_language"]
    midway = make_phone("+15550100003")
    midway.send("hello")
    midway.send("1")
    assert midway.keys(f"Rejoindre {code}") == ["survey.consent"]


@pytest.mark.parametrize(
    "text", ["JOIN 12", "JOIN ✨✨✨✨", "JOIN 0000", "join", "JOIN 12345678901"]
)
def test_a_wrong_or_unknown_code_is_not_a_survey(store, clock, make_phone, text) -> None:
    make_survey(store, clock.now())
    assert make_phone("+15550100009").keys(text) == ["onboarding.choose_language"]


@pytest.mark.parametrize(
    "text", ["", "4", "-1", "1.5", "🧵", "x" * 5000, "\x00", "'; DROP TABLE survey_responses;--"]
)
def test_a_wrong_answer_says_what_is_expected_and_keeps_the_question(
    store, clock, make_phone, text
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
    assert state_of(store, "+15550100009").data["answers"] == [1, 3]


def test_telegram_shows_the_answers_as_buttons(store, clock, engine) -> None:
    from bot.channels.provider import Inbound

    _, code = make_survey(store, clock.now())
    for number, text in enumerate((f"JOIN {code}", "1", "1"), 1):
        handled = engine.handle(Inbound("telegram", "telegram:77", f"t{number}", text))
    [question] = handled.replies
    assert question.body.endswith("\n0 Skip")
    assert question.buttons == (("Yes", "1"), ("Late", "2"), ("Not paid yet", "3"))


def test_lang_during_a_survey_returns_to_the_same_question(store, clock, make_phone) -> None:
    _, code = make_survey(store, clock.now())
    worker = make_phone("+15550100009")
    for answer in (f"JOIN {code}", "1", "1", "2"):
        worker.send(answer)
    assert worker.keys("LANG") == ["onboarding.choose_language"]
    [question] = worker.texts("3")
    assert question.startswith("2/6 Le tarif")
    for answer in ("1", "1", "1", "1", "1"):
        worker.send(answer)
    assert responses(store) == [{**dict.fromkeys(QUESTIONS, 1), "paid_on_time": 2}]


def test_stop_pauses_and_an_abandoned_survey_ends_keeping_only_given_answers(
    store, clock, make_phone, migrated
) -> None:
    _, code = make_survey(store, clock.now())
    worker = make_phone("+15550100009")
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
    assert responses(store) == [{**dict.fromkeys(QUESTIONS), "paid_on_time": 3, "agreed_rate": 2}]
    state = state_of(store, "+15550100009")
    assert (state.flow, state.data) == ("onboarding", {})


def test_a_survey_left_behind_a_language_change_also_ends(
    store, clock, make_phone, migrated
) -> None:
    _, code = make_survey(store, clock.now())
    for number in range(3):
        make_phone(f"+1555010010{number}").send("hello")  # left at the language question
    worker = make_phone("+15550100009")
    for answer in (f"JOIN {code}", "1", "1", "3", "LANG"):
        worker.send(answer)
    clock.advance(timedelta(days=2))
    runtime = Runtime(Settings(database_url=migrated), clock)
    try:
        from bot.scheduler import end_idle_surveys_tick

        assert end_idle_surveys_tick(runtime) == 1
    finally:
        runtime.close()
    assert responses(store) == [{**dict.fromkeys(QUESTIONS), "paid_on_time": 3}]
    assert "return_to" not in state_of(store, "+15550100009").data


def test_closing_stops_new_workers_but_lets_those_answering_finish(
    store, clock, make_phone
) -> None:
    survey_id, code = make_survey(store, clock.now())
    answering, consenting = make_phone("+15550100011"), make_phone("+15550100012")
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
    assert len(responses(store)) == 1
    assert make_phone("+15550100013").keys(f"JOIN {code}") == ["onboarding.choose_language"]


def dump(store) -> dict[str, list[dict]]:
    """Every row of every table, every column, in the order the database keeps them."""
    with store.engine.connect() as connection:
        return {
            table.name: [dict(row._mapping) for row in connection.execute(table.select())]
            for table in Base.metadata.sorted_tables
        }


def test_no_stored_record_links_a_worker_to_their_answers(store, clock, make_phone) -> None:
    _, code = make_survey(store, clock.now())
    channels = ("sms", "whatsapp", "telegram")
    given: list[dict] = []
    for index in range(12):
        channel = channels[index % 3]
        address = f"telegram:{9000 + index}" if channel == "telegram" else f"+1555020{index:04d}"
        worker = make_phone(address, channel)
        # Each worker's answers are unique (base-4 digits; 0 skips), so the test can tell
        # whose a stored response is, which is exactly what the database must not tell.
        pattern = [((index + 1) >> (2 * question)) & 3 for question in range(6)]
        for answer in (f"JOIN {code}", "1", "1", ASIDE, *map(str, pattern)):
            worker.send(answer)
        given.append({key: answer or None for key, answer in zip(QUESTIONS, pattern, strict=True)})
        clock.advance(timedelta(minutes=7))
    tables = dump(store)

    assert ASIDE not in repr(tables)
    stored = tables["survey_responses"]
    assert sorted(map(repr, (row["answers"] for row in stored))) == sorted(map(repr, given))
    for row in stored:
        assert set(row) == {"id", "survey_id", "answers", "submitted_on"}
        assert type(row["submitted_on"]) is date
    finish_order = list(range(12))
    by_id = [given.index(row["answers"]) for row in sorted(stored, key=lambda row: row["id"])]
    as_kept = [given.index(row["answers"]) for row in stored]
    assert by_id != finish_order and as_kept != finish_order
    ids = sorted(row["id"] for row in stored)
    assert ids[-1] - ids[0] > 1000 * len(ids)

    workers = {row["id"] for row in tables["contacts"] if row["address"] != "+15550100001"}
    for name, rows in tables.items():
        if name in ("surveys", "survey_responses"):
            continue
        for row in rows:
            assert not any(repr(key) in repr(row) for key in QUESTIONS), (name, row)
    for row in tables["inbound_messages"]:
        assert (row["body"], row["media"]) == ("[survey answer]", [])
    for row in tables["conversation_states"]:
        if row["contact_id"] in workers:
            assert (row["flow"], row["data"]) == ("onboarding", {})
    received: dict[str, set] = {}
    for contact_id in workers:
        messages = [
            (row["message_key"], row["body"], repr(row["buttons"]), repr(row["template_variables"]))
            for row in sorted(tables["outbound_messages"], key=lambda row: row["id"])
            if row["contact_id"] == contact_id
        ]
        channel = next(row["channel"] for row in tables["contacts"] if row["id"] == contact_id)
        received.setdefault(channel, set()).add(tuple(messages))
    assert all(len(sequences) == 1 for sequences in received.values()), received


def add(store, code: str, *answer_sets: dict) -> None:
    with store.transaction() as session:
        for answers in answer_sets:
            record_response(session, code, answers, date(2026, 1, 5))


def test_results_are_withheld_for_any_question_with_fewer_than_five_respondents(
    store, clock
) -> None:
    survey_id, code = make_survey(store, clock.now())
    everything = dict.fromkeys(QUESTIONS, 1)
    add(store, code, *[everything] * 4)
    with store.transaction() as session:
        results = survey_results(session, survey_id)
    assert results.responses == 4
    assert all(q.suppressed and q.counts is None for q in results.questions)
    rows = results_rows(results)
    assert all(row[-1].startswith("withheld") and row[3] == "" for row in rows[1:])
    assert "withheld: fewer than 5 respondents" in describe_results(results)

    add(store, code, {**everything, "paid_on_time": 3, "hours": None, "bogus": 2, "safety": 9})
    with store.transaction() as session:
        results = {q.key: q for q in survey_results(session, survey_id).questions}
    assert (results["paid_on_time"].respondents, results["paid_on_time"].counts) == (5, (4, 0, 1))
    assert results["children"].counts == (5, 0, 0)
    for key in ("hours", "safety"):
        assert results[key].suppressed and results[key].counts is None
        assert results[key].respondents == 4


def test_a_business_total_never_adds_a_withheld_group(store, clock) -> None:
    business_id = make_business(store, clock.now())
    _, big = make_survey(store, clock.now(), business_id)
    _, small = make_survey(store, clock.now(), business_id)
    add(store, big, *[dict.fromkeys(QUESTIONS, 1)] * 5)
    add(store, small, *[dict.fromkeys(QUESTIONS, 2)] * 2)
    with store.transaction() as session:
        totals = business_results(session, business_id)
    assert (totals.surveys, totals.responses) == (2, 7)
    assert all((q.respondents, q.counts) == (5, (5, 0, 0)) for q in totals.questions)
    with store.transaction() as session:
        assert all(q.suppressed for q in business_results(session, 999).questions)


def test_export_rows_keep_staff_text_from_running_as_a_spreadsheet_formula(store, clock) -> None:
    definition = default_definition()
    definition["questions"][0]["text"]["en"] = "=HYPERLINK(1)"
    with store.transaction() as session:
        survey = open_survey(session, make_business(store, clock.now()), clock.now(), definition)
        survey_id, code = survey.id, survey.code
    add(store, code, *[dict.fromkeys(QUESTIONS, 2)] * 5)
    with store.transaction() as session:
        rows = results_rows(survey_results(session, survey_id))
    assert rows[0] == ("question", "text", "respondents", "answer", "label", "count")
    assert rows[1] == ("paid_on_time", "'=HYPERLINK(1)", "5", "1", "Yes", "0")
    assert rows[2][-1] == "5"


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
