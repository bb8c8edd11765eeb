"""The assessment as an instrument: findings per indicator, the outcome they imply, the
corrective action plan in the leader's language, the lifecycle of dates, and local law."""

from datetime import date, timedelta

import pytest
from assessment_support import assess, first_of, outcome_needs
from journey_support import business_id, outbox, register
from sqlalchemy import func, select

from bot.domain.assessments import (
    AssessmentError,
    award_seal,
    hold,
    record_assessment_outcome,
    record_pre_assessment,
    review_of,
    schedule_reassessment,
)
from bot.domain.findings import (
    FindingError,
    implied,
    items_from_findings,
    mark,
    requirement,
    unmarked,
)
from bot.domain.law import change_parameter, profile
from bot.domain.standards import DUE_DAYS, implied_outcome, standards
from bot.models import ActionItem, Assessment, Business, Finding
from messages import catalogue, text

pytest_plugins = ["journey_fixtures"]


def test_the_shipped_standards_are_a_real_instrument() -> None:
    shipped = standards()
    assert 40 <= len(shipped.indicators) <= 60
    assert [category.code for category in shipped.categories] == [
        "rights", "records", "child", "forced", "pay", "hours", "safety", "environment",
    ]  # fmt: skip
    for category in shipped.categories:
        assert len(shipped.in_category(category.code)) >= 4, category.code
    severities = {indicator.severity for indicator in shipped.indicators}
    assert severities == {"zero_tolerance", "major", "minor"}
    assert all(i.severity == "zero_tolerance" for i in shipped.in_category("child")[:1])
    for language in ("en", "es", "fr", "hi"):
        texts = catalogue(language)
        for code in shipped.codes:
            assert texts[f"indicator.{code}"] and texts[f"indicator.{code}.remediation"]


@pytest.mark.parametrize(
    ("unmet", "outcome"),
    [
        ([], "pass"),
        (["minor", "minor"], "pass"),
        (["major", "minor"], "partial"),
        (["zero_tolerance"], "fail"),
        (["minor", "major", "zero_tolerance"], "fail"),
    ],
)
def test_the_outcome_rule(unmet, outcome) -> None:
    assert implied_outcome(unmet) == outcome


def start(store, clock, phone, language: str, name: str) -> tuple[int, int]:
    register(phone, language, name)
    business = business_id(store, phone.address)
    with store.transaction() as session:
        assessment = record_pre_assessment(session, business, clock.now(), clock.now(), 6)
        return business, assessment.id


@pytest.mark.parametrize("language", ["fr", "es"])
def test_a_full_assessment_from_findings_to_items_in_the_leaders_language(
    store, clock, make_phone, language
) -> None:
    phone = make_phone("+15550177001")
    business, assessment_id = start(store, clock, phone, language, "Atelier Soleil")
    major, minor = first_of("major"), first_of("minor")
    now = clock.now()
    with store.transaction() as session:
        hold(session, assessment_id, now.date(), now)
        assert len(unmarked(session, assessment_id)) == len(standards().codes)
        assess(session, assessment_id, now, {major: None, minor: None})
        assert unmarked(session, assessment_id) == []
        assert implied(session, assessment_id) == "partial"
        with pytest.raises(AssessmentError, match="imply partial"):
            record_assessment_outcome(session, assessment_id, "pass", "", now)
    with store.transaction() as session:
        record_assessment_outcome(session, assessment_id, "partial", "Visite du jour", now)
        made = items_from_findings(session, assessment_id, now)
        assert items_from_findings(session, assessment_id, now) == []  # never twice
        by_code = {session.get(Finding, item.finding_id).code: item for item in made}
        assert set(by_code) == {major, minor}
        for code, item in by_code.items():
            severity = standards().indicator(code).severity
            assert item.kind == "corrective" and item.severity == severity
            assert item.due_on == now.date() + timedelta(days=DUE_DAYS[severity])
            assert item.description == text(language, f"indicator.{code}.remediation")
        versions = session.get(Assessment, assessment_id)
        assert versions.standards_version == standards().version
        assert versions.profile_version == profile(session, "IN").version
    sent = [row for row in outbox(store, phone.address) if row.message_key == "actions.new"]
    assert len(sent) == 2
    remedies = [text(language, f"indicator.{code}.remediation") for code in (major, minor)]
    assert all(any(remedy in row.body for row in sent) for remedy in remedies)
    assert all(text("en", f"indicator.{code}.remediation") not in row.body for row in sent
               for code in (major, minor))  # fmt: skip


def test_a_zero_tolerance_finding_fails_the_assessment(store, clock, leader) -> None:
    business = business_id(store, leader.address)
    now = clock.now()
    with store.transaction() as session:
        assessment_id = record_pre_assessment(session, business, now, now, 6).id
        assess(session, assessment_id, now, outcome_needs("fail"))
        assert implied(session, assessment_id) == "fail"
        with pytest.raises(AssessmentError, match="reason"):
            record_assessment_outcome(session, assessment_id, "partial", "", now)
        record_assessment_outcome(session, assessment_id, "fail", "", now)
        [item] = items_from_findings(session, assessment_id, now)
        assert item.severity == "zero_tolerance"
        assert item.due_on == now.date() + timedelta(days=DUE_DAYS["zero_tolerance"])
    keys = [row.message_key for row in outbox(store, leader.address)]
    assert keys.index("assessment.result_fail") < keys.index("actions.new")


def test_overriding_the_implied_outcome_needs_a_reason_and_keeps_it(store, clock, leader) -> None:
    business = business_id(store, leader.address)
    now = clock.now()
    with store.transaction() as session:
        assessment_id = record_pre_assessment(session, business, now, now, 6).id
        assess(session, assessment_id, now, outcome_needs("partial"))
        record_assessment_outcome(
            session, assessment_id, "pass", "", now, reason="Fixed during the visit"
        )
        assert session.get(Assessment, assessment_id).outcome_reason == "Fixed during the visit"
        with pytest.raises(AssessmentError, match="reason to correct"):
            record_assessment_outcome(session, assessment_id, "partial", "", now)
        record_assessment_outcome(session, assessment_id, "partial", "", now, reason="Re-read")
        with pytest.raises(FindingError, match="outcome is recorded"):
            mark(session, assessment_id, first_of("minor"), "met", now)


def test_a_severity_other_than_the_default_needs_a_reason(store, clock, leader) -> None:
    business = business_id(store, leader.address)
    code = first_of("minor")
    now = clock.now()
    with store.transaction() as session:
        assessment_id = record_pre_assessment(session, business, now, now, 6).id
        with pytest.raises(FindingError, match="Say why"):
            mark(session, assessment_id, code, "not_met", now, severity="major")
        with pytest.raises(FindingError, match="severity"):
            mark(session, assessment_id, code, "not_met", now, severity="catastrophic")
        with pytest.raises(FindingError, match="one of"):
            mark(session, assessment_id, code, "maybe", now)
        found = mark(
            session, assessment_id, code, "not_met", now, severity="major", reason="Recurs"
        )
        assert (found.severity, found.severity_reason) == ("major", "Recurs")
        again = mark(session, assessment_id, code, "met", now)
        assert (again.id, again.severity, again.severity_reason) == (found.id, None, "")
        assert session.scalar(select(func.count(Finding.id))) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("note", "x" * 5000, "2000"),
        ("note", "bell \x07", "cannot be shown"),
        ("reason", "y" * 600, "500"),
    ],
)
def test_hostile_notes_and_reasons_are_refused(store, clock, leader, field, value, message):
    business = business_id(store, leader.address)
    now = clock.now()
    with store.transaction() as session:
        assessment_id = record_pre_assessment(session, business, now, now, 6).id
    with store.transaction() as session, pytest.raises(FindingError, match=message):
        mark(session, assessment_id, first_of("minor"), "not_met", now, **{field: value})
    with store.transaction() as session:
        assert session.scalar(select(func.count(Finding.id))) == 0


def test_an_unknown_indicator_is_not_found(store, clock, leader) -> None:
    business = business_id(store, leader.address)
    now = clock.now()
    with store.transaction() as session:
        assessment_id = record_pre_assessment(session, business, now, now, 6).id
        for code in ("NOPE-01", "", "'; DROP TABLE findings; --", "x" * 10_000):
            with pytest.raises(Exception, match="no indicator"):
                mark(session, assessment_id, code, "met", now)


def test_no_outcome_before_the_day_it_is_held_nor_while_anything_is_unmarked(
    store, clock, leader
) -> None:
    business = business_id(store, leader.address)
    now = clock.now()
    with store.transaction() as session:
        assessment_id = record_pre_assessment(session, business, now, now, 6).id
        with pytest.raises(AssessmentError, match="day the assessment is held first"):
            record_assessment_outcome(session, assessment_id, "pass", "", now)
        hold(session, assessment_id, now.date() + timedelta(days=3), now)
        assess(session, assessment_id, now, held_on=now.date() + timedelta(days=3))
        with pytest.raises(AssessmentError, match="can be recorded from"):
            record_assessment_outcome(session, assessment_id, "pass", "", now)
    with store.transaction() as session:
        hold(session, assessment_id, now.date(), now)
        mark(session, assessment_id, first_of("minor"), "met", now)
        session.delete(session.scalar(select(Finding).where(Finding.code == first_of("major"))))
        session.flush()
        with pytest.raises(AssessmentError, match="1 indicator"):
            record_assessment_outcome(session, assessment_id, "pass", "", now)
    clock.advance(timedelta(days=3))
    with store.transaction() as session:
        mark(session, assessment_id, first_of("major"), "met", clock.now())
        record_assessment_outcome(session, assessment_id, "pass", "", clock.now())


def test_correcting_the_pre_assessment_date_after_a_seal_never_makes_a_second_assessment(
    store, clock, leader
) -> None:
    business = business_id(store, leader.address)
    now = clock.now()
    with store.transaction() as session:
        first = record_pre_assessment(session, business, now - timedelta(days=10), now, 6)
        scheduled = first.scheduled_for
        assess(session, first.id, now)
        record_assessment_outcome(session, first.id, "pass", "", now)
        award_seal(session, business, now)
    with store.transaction() as session:
        again = record_pre_assessment(session, business, now - timedelta(days=12), now, 6)
        assert again.id == first.id and again.scheduled_for == scheduled
        formal = session.scalars(select(Assessment).where(Assessment.kind == "assessment")).all()
        assert len(formal) == 1
        assert session.get(Business, business).pre_assessment_at == now - timedelta(days=12)
        assert review_of(session, business).held_on == (now - timedelta(days=12)).date()
        with pytest.raises(AssessmentError, match="past"):
            schedule_reassessment(session, business, now.date() - timedelta(days=1), now)
        later = schedule_reassessment(session, business, now.date() + timedelta(days=400), now)
        assert later.id != first.id
        with pytest.raises(AssessmentError, match="already scheduled"):
            schedule_reassessment(session, business, now.date() + timedelta(days=500), now)


def test_a_pre_assessment_review_gives_remediation_recommendations(store, clock, leader) -> None:
    business = business_id(store, leader.address)
    now = clock.now()
    code = first_of("major")
    with store.transaction() as session:
        record_pre_assessment(session, business, now, now, 6)
        review = review_of(session, business)
        mark(session, review.id, code, "not_met", now, note="No written rates yet")
        with pytest.raises(AssessmentError, match="recommendations, not an outcome"):
            record_assessment_outcome(session, review.id, "pass", "", now)
        [item] = items_from_findings(session, review.id, now)
        assert (item.kind, item.severity) == ("remediation", "major")
        assert item.description == text("en", f"indicator.{code}.remediation")
    with store.transaction() as session:
        assert session.scalar(select(func.count(ActionItem.id))) == 1


def test_a_passed_assessments_minor_findings_become_items_that_do_not_block_the_seal(
    store, clock, leader
) -> None:
    business = business_id(store, leader.address)
    now = clock.now()
    with store.transaction() as session:
        assessment_id = record_pre_assessment(session, business, now, now, 6).id
        assess(session, assessment_id, now, {first_of("minor"): None})
        record_assessment_outcome(session, assessment_id, "pass", "", now)
        [item] = items_from_findings(session, assessment_id, now)
        assert item.due_on == now.date() + timedelta(days=180)
        award_seal(session, business, now)


def test_a_country_figure_changed_later_leaves_past_assessments_as_they_were(
    store, clock, make_phone
) -> None:
    phone = make_phone("+15550177002")
    business, assessment_id = start(store, clock, phone, "en", "Kamal Prints")
    child = standards().in_category("child")
    age_rule = next(i for i in child if "{min_working_age}" in i.requirement)
    now = clock.now()
    with store.transaction() as session:
        mark(session, assessment_id, age_rule.code, "met", now)
        before = requirement(session, session.get(Assessment, assessment_id), age_rule)
        old = profile(session, "IN").parameters["min_working_age"]
        assert str(old["value"]) in before
        changed = change_parameter(
            session,
            "IN",
            "min_working_age",
            value=16,
            unit="years",
            source="A later amendment (test)",
            effective=date(2027, 1, 1),
            verified=True,
            staff_id=None,
            now=now,
        )
        assert changed.version != session.get(Assessment, assessment_id).profile_version
    with store.transaction() as session:
        past = session.get(Assessment, assessment_id)
        assert requirement(session, past, age_rule) == before
        assert profile(session, "IN").parameters["min_working_age"]["value"] == 16
        later = Assessment(business_id=business, scheduled_for=now, notes="")
        session.add(later)
        session.flush()
        assert "16 years" in requirement(session, later, age_rule)


def test_the_day_it_is_held_lies_between_registering_and_a_year_ahead(store, clock, leader):
    business = business_id(store, leader.address)
    now = clock.now()
    with store.transaction() as session:
        assessment_id = record_pre_assessment(session, business, now, now, 6).id
        for day in (now.date() - timedelta(days=1), now.date() + timedelta(days=400)):
            with pytest.raises(AssessmentError, match="when the business registered"):
                hold(session, assessment_id, day, now)
        hold(session, assessment_id, now.date() + timedelta(days=300), now)
