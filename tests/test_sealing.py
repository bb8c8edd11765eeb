"""Sealing with the survey key: fixed size, authenticated, rotatable; a lost key loses little."""

import pytest
from survey_support import add_responses, opened_state, pooled, state_of, write, written
from test_surveys import QUESTIONS, make_survey

from bot.domain.surveys import pool_response, survey_results
from bot.engine import Engine
from bot.sealing import SEALED_SIZE, Sealer, TooLarge, Unsealable

OLD = b"old-survey-key-" + b"1" * 32
NEW = b"new-survey-key-" + b"2" * 32


def test_every_sealed_value_has_the_same_size_and_opens_only_for_its_purpose() -> None:
    sealer = Sealer(NEW)
    short, long = sealer.seal(b"", "pool"), sealer.seal(b"x" * (SEALED_SIZE - 2), "pool")
    assert len(short) == len(long)
    assert sealer.seal(b"same", "pool") != sealer.seal(b"same", "pool")  # a fresh nonce each
    assert sealer.unseal(long, "pool") == b"x" * (SEALED_SIZE - 2)
    with pytest.raises(TooLarge):
        sealer.seal(b"x" * (SEALED_SIZE - 1), "pool")
    with pytest.raises(Unsealable):
        sealer.unseal(short, "conversation")
    for broken in ("", "not base64 at all!", short[:-4] + "AAAA"):
        with pytest.raises(Unsealable):
            sealer.unseal(broken, "pool")


def test_a_rotated_key_still_opens_and_recognises_what_the_old_one_made() -> None:
    old, rotated = Sealer(OLD), Sealer(NEW, [OLD])
    token, tag = old.seal_json({"a": [1, None]}, "pool"), old.tag("participant|1|+1555")
    assert rotated.unseal_json(token, "pool") == {"a": [1, None]}
    assert tag in rotated.tags("participant|1|+1555")
    assert rotated.tag("participant|1|+1555") != tag  # new tags use the new key
    with pytest.raises(Unsealable):
        Sealer(NEW).unseal(token, "pool")


def test_a_lost_key_ends_the_surveys_in_progress_and_nothing_else(
    store, clock, make_phone, sealer
) -> None:
    survey_id, code = make_survey(store, clock.now())
    add_responses(store, sealer, code, *[dict.fromkeys(QUESTIONS, 1)] * 5, now=clock.now())
    worker = make_phone("+15550500001", "sms")
    for answer in (f"JOIN {code}", "1", "1", "2"):
        worker.send(answer)
    assert opened_state(store, sealer, "+15550500001").data["answers"] == [2]

    worker.engine = Engine(store, clock, Sealer(b"a-replacement-key-" + b"3" * 32))
    # Back where a survey leaves a worker: "1" is then no survey code.
    assert worker.keys("1") == ["worker.code_invalid", "worker.code"]
    stored = state_of(store, "+15550500001")
    assert (stored.flow, stored.step, stored.data) == ("onboarding", "survey_code", {})
    assert len(written(store)) == 5  # written results are unaffected


def test_pending_responses_sealed_under_a_lost_key_are_held_back(store, clock, sealer) -> None:
    survey_id, code = make_survey(store, clock.now())
    lost = Sealer(b"a-key-that-is-lost-" + b"4" * 32)
    with store.transaction() as session:
        for number in range(2):
            pool_response(session, lost, code, dict.fromkeys(QUESTIONS, 1), f"+1555060000{number}")
        for number in range(4):
            pool_response(
                session, sealer, code, dict.fromkeys(QUESTIONS, 2), f"+1555070000{number}"
            )
    assert write(store, sealer, survey_id, clock.now()) == 0  # four readable: not yet a batch
    assert pooled(store, sealer) == [dict.fromkeys(QUESTIONS, 2)] * 4
    with store.transaction() as session:
        assert survey_results(session, survey_id).held_back == 2
