"""The compliance assessment: scheduled after the pre-assessment, reminded a month, a week and a
day before (once each, across restarts), its outcome, the corrective plan, the seal, and the stage
the leader sees at every step."""

from datetime import date, datetime, timedelta

import pytest
from assessment_support import assess, outcome_needs
from journey_support import MENU, business_id, last_id, outbox, register
from sqlalchemy import select

from bot.domain.actions import create_action_item, verify_action_item, withdraw_action_item
from bot.domain.assessments import (
    AssessmentError,
    add_months,
    award_seal,
    record_assessment_outcome,
    record_pre_assessment,
    upcoming_assessments,
)
from bot.domain.stage import STAGES, stage_of
from bot.domain.supply import add_node, confirm_mapping
from bot.models import Assessment, Business
from bot.scheduler import fire_due_reminders

pytest_plugins = ["journey_fixtures"]  # leader, new_runtime


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2026, 1, 5, 10), 6, datetime(2026, 7, 5, 10)),
        (datetime(2025, 8, 31), 6, datetime(2026, 2, 28)),
        (datetime(2027, 8, 31), 6, datetime(2028, 2, 29)),
        (datetime(2026, 1, 31), 1, datetime(2026, 2, 28)),
        (datetime(2026, 10, 31), 1, datetime(2026, 11, 30)),
        (datetime(2026, 9, 15), 4, datetime(2027, 1, 15)),
        (datetime(2026, 7, 5), -1, datetime(2026, 6, 5)),
        (datetime(2026, 3, 31), -1, datetime(2026, 2, 28)),
        (datetime(2026, 1, 15), -1, datetime(2025, 12, 15)),
        (datetime(2026, 1, 15), 24, datetime(2028, 1, 15)),
    ],
)
def test_months_are_added_on_the_calendar(start, months, expected) -> None:
    assert add_months(start, months) == expected


def stage(store, business: int) -> str:
    with store.transaction() as session:
        return stage_of(session, session.get(Business, business))


def test_the_assessment_is_scheduled_and_reminded_once_each(
    store, clock, leader, new_runtime
) -> None:
    business = business_id(store, leader.address)
    held_on = datetime(2026, 1, 2, 10, 30)
    with store.transaction() as session:
        assessment = record_pre_assessment(session, business, held_on, clock.now(), 6)
        assert assessment.scheduled_for == datetime(2026, 7, 2, 10, 30)
    [(key, text)] = [(row.message_key, row.body) for row in outbox(store, leader.address)[-1:]]
    assert key == "assessment.scheduled" and text.endswith("will be on 2 July 2026.")
    assert leader.keys(MENU["assessment"]) == ["assessment.date"]
    assert leader.texts(MENU["assessment"]) == ["Your compliance assessment is on 2 July 2026."]

    start = last_id(store)
    expected = [  # at 09:00 in India, the business's time zone (03:30 UTC)
        (datetime(2026, 6, 2, 3, 30), "assessment.month"),
        (datetime(2026, 6, 25, 3, 30), "assessment.week"),
        (datetime(2026, 7, 1, 3, 30), "assessment.day"),
    ]
    for when, key in expected:
        clock.advance(when - clock.now() - timedelta(seconds=1))
        assert fire_due_reminders(new_runtime()) == 0
        clock.advance(timedelta(seconds=1))
        runtime = new_runtime()
        assert fire_due_reminders(runtime) == 1
        assert fire_due_reminders(runtime) == 0
        [row] = outbox(store, leader.address, last_id(store) - 1)
        assert (row.message_key, row.reminder_id is not None) == (key, True)
        assert "2 July 2026" in row.body
    clock.advance(timedelta(days=400))
    assert fire_due_reminders(new_runtime()) == 0
    keys = [row.message_key for row in outbox(store, leader.address, start)]
    assert keys == ["assessment.month", "assessment.week", "assessment.day"]


def test_a_corrected_pre_assessment_date_moves_the_assessment_and_reminders(
    store, clock, leader, new_runtime
) -> None:
    business = business_id(store, leader.address)
    with store.transaction() as session:
        first = record_pre_assessment(session, business, datetime(2026, 1, 2), clock.now(), 6)
        again = record_pre_assessment(session, business, datetime(2026, 1, 4), clock.now(), 3)
        assert first.id == again.id
        assert again.scheduled_for == datetime(2026, 4, 4)
        assert session.scalar(select(Business.pre_assessment_at)) == datetime(2026, 1, 4)
    clock.advance(datetime(2026, 3, 4, 9) - clock.now())
    assert fire_due_reminders(new_runtime()) == 1
    clock.advance(datetime(2026, 6, 3, 9) - clock.now())  # the first date's reminders are gone
    # This date's week and day reminders are both due: only the day's goes, not a burst.
    assert fire_due_reminders(new_runtime()) == 1


def test_the_stage_follows_the_records_and_the_leader_sees_it(store, clock, make_phone) -> None:
    phone = make_phone("+919812345678")
    register(phone, "es", "Tejidos Luna")
    business = business_id(store, phone.address)
    seen = [stage(store, business)]

    def now() -> datetime:
        return clock.now()

    with store.transaction() as session:
        add_node(
            session,
            business,
            now(),
            name="Taller Rosa",
            place="Chamula",
            process="tejido",
            workers=4,
            home_workers=4,
            payment_method="cash",
        )
    seen.append(stage(store, business))
    with store.transaction() as session:
        confirm_mapping(session, business, now())
    seen.append(stage(store, business))
    with store.transaction() as session:
        assessment_id = record_pre_assessment(session, business, now(), now(), 6).id
        item = create_action_item(
            session, business, "remediation", "major", "Anote las tarifas.", date(2026, 2, 1), now()
        )
    seen.append(stage(store, business))
    assert phone.keys("1") == ["actions.thanks_done", "menu.main"]  # the leader answers: done
    seen.append(stage(store, business))
    with store.transaction() as session:
        verify_action_item(session, item.id, now())
        with pytest.raises(AssessmentError, match="outcome"):
            award_seal(session, business, now())
        assess(session, assessment_id, now(), outcome_needs("partial"))
        record_assessment_outcome(session, assessment_id, "partial", "Sin registros.", now())
    seen.append(stage(store, business))
    [row] = outbox(store, phone.address)[-1:]
    assert row.message_key == "assessment.result_partial"
    with store.transaction() as session:
        corrective = create_action_item(
            session, business, "corrective", "minor", "Botiquín.", date(2026, 3, 1), now()
        )
        mistaken = create_action_item(
            session, business, "corrective", "minor", "Extintor.", date(2026, 3, 1), now()
        )
        withdraw_action_item(session, mistaken.id, now())  # taken back: the seal waits not
        with pytest.raises(AssessmentError, match="1 corrective action item"):
            award_seal(session, business, now())
        verify_action_item(session, corrective.id, now())
        award_seal(session, business, now())
        with pytest.raises(AssessmentError, match="already"):
            award_seal(session, business, now())
    seen.append(stage(store, business))
    [row] = outbox(store, phone.address)[-1:]
    assert row.message_key == "assessment.seal"
    assert row.body == "¡Felicidades! Tejidos Luna recibe el sello de Artesanía Ética."

    assert seen == [
        "registered",
        "mapping",
        "pre_assessment",
        "remediation",
        "assessment_scheduled",
        "corrective_action",
        "seal_awarded",
    ]
    assert seen == list(STAGES)
    phone.send("MENU")
    [(key, text)] = phone.send(MENU["stage"])
    assert key == "stage.seal_awarded" and text.startswith("Tejidos Luna tiene el sello")


def test_a_passed_assessment_earns_the_seal_directly(store, clock, leader) -> None:
    business = business_id(store, leader.address)
    with store.transaction() as session:
        assessment = record_pre_assessment(session, business, clock.now(), clock.now(), 6)
        assess(session, assessment.id, clock.now())
        record_assessment_outcome(session, assessment.id, "pass", "", clock.now())
        award_seal(session, business, clock.now())
    keys = [row.message_key for row in outbox(store, leader.address)[-3:]]
    assert keys == ["assessment.scheduled", "assessment.result_pass", "assessment.seal"]
    assert leader.keys("MENU") == ["menu.main"]
    assert leader.keys(MENU["assessment"]) == ["assessment.not_scheduled"]


def test_upcoming_assessments_for_staff(store, clock, make_phone) -> None:
    ids = []
    for number, held in enumerate(
        (datetime(2025, 7, 20), datetime(2025, 9, 1), datetime(2026, 1, 3))
    ):
        phone = make_phone(f"+9198123400{number:02d}")
        register(phone)
        with store.transaction() as session:
            business = business_id(store, phone.address)
            ids.append(record_pre_assessment(session, business, held, clock.now(), 6).id)
    with store.transaction() as session:
        soon = upcoming_assessments(session, clock.now(), within_days=60)
        assert [a.id for a in soon] == ids[:2]
        assert [a.id for a in upcoming_assessments(session, clock.now(), 365)] == ids
        assess(session, ids[0], clock.now(), outcome_needs("fail"))
        record_assessment_outcome(session, ids[0], "fail", "", clock.now())
        assert [a.id for a in upcoming_assessments(session, clock.now())] == ids[1:2]
        with pytest.raises(AssessmentError):
            upcoming_assessments(session, clock.now(), within_days=-1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s, b, a, now: record_pre_assessment(s, 999_999, now, now, 6), "no business"),
        (lambda s, b, a, now: record_pre_assessment(s, b, now, now, 0), "1 to 36"),
        (lambda s, b, a, now: record_pre_assessment(s, b, now, now, 10**9), "1 to 36"),
        (
            lambda s, b, a, now: record_pre_assessment(s, b, now + timedelta(days=2), now, 6),
            "future",
        ),
        (lambda s, b, a, now: record_pre_assessment(s, b, "soon", now, 6), "must be a date"),
        (lambda s, b, a, now: record_assessment_outcome(s, a, "great", "", now), "one of"),
        (lambda s, b, a, now: record_assessment_outcome(s, 999_999, "pass", "", now), "no assess"),
        (lambda s, b, a, now: record_assessment_outcome(s, a, "pass", "x" * 5000, now), "4000"),
        (
            lambda s, b, a, now: record_assessment_outcome(s, a, "pass", "\x07bell", now),
            "cannot be shown",
        ),
        (lambda s, b, a, now: award_seal(s, 999_999, now), "no business"),
    ],
)
def test_invalid_assessment_input_is_refused_clearly(store, clock, leader, call, message) -> None:
    business = business_id(store, leader.address)
    with store.transaction() as session:
        assessment = record_pre_assessment(session, business, clock.now(), clock.now(), 6).id
    with store.transaction() as session, pytest.raises(AssessmentError, match=message):
        call(session, business, assessment, clock.now())
    with store.transaction() as session:
        assert session.get(Assessment, assessment).outcome is None
