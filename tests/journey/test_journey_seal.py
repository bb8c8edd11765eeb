"""The seal as a record (number, code, validity, standards version, status), revoked with a
reason, its re-assessment scheduled before expiry by the scheduler's tick, then expired; and
brand partners asking leaders for consent over chat, given, declined and withdrawn."""

from datetime import timedelta

import pytest
from assessment_support import assess
from journey_support import business_id, outbox, register
from seal_support import sealed_business
from sqlalchemy import func, select

from bot.domain.actions import create_action_item
from bot.domain.assessments import (
    award_seal,
    plan_reassessments,
    record_assessment_outcome,
    record_pre_assessment,
    upcoming_assessments,
)
from bot.domain.brands import (
    BrandError,
    BrandNotFound,
    consents_of,
    may_see,
    parse_business_ids,
    request_links,
)
from bot.domain.seals import (
    ALPHABET,
    SealError,
    SealNotFound,
    add_months,
    current_seal,
    normal_code,
    revoke_seal,
    verification,
)
from bot.domain.stage import stage_of
from bot.domain.surveys import open_survey
from bot.models import (
    Assessment,
    BrandLink,
    Business,
    Contact,
    ConversationState,
    Reminder,
    Seal,
    StaffUser,
)
from bot.scheduler import seals_tick
from bot.settings import Settings

pytest_plugins = ["journey_fixtures"]  # leader, new_runtime


def move_to(clock, moment) -> None:
    clock.advance(moment - clock.now())


def leader_contact(session, address: str) -> int:
    return session.scalar(select(Contact.id).where(Contact.address == address))


def brand_account(store, now, email: str = "buyer@fairthreads.example", name: str = "") -> int:
    with store.transaction() as session:
        user = StaffUser(
            email=email, role="brand", password_hash="x", created_at=now, organisation=name
        )
        session.add(user)
        session.flush()
        return user.id


def test_a_passed_assessment_issues_a_numbered_seal_with_an_unguessable_code(
    store, clock, leader
) -> None:
    business = business_id(store, leader.address)
    now = clock.now()
    with store.transaction() as session:
        assessment = record_pre_assessment(session, business, now, now, 6)
        assess(session, assessment.id, now)
        record_assessment_outcome(session, assessment.id, "pass", "", now)
        award_seal(session, business, now, 24)
        seal = current_seal(session, business)
        assert seal.number == f"EH-{now.year}-{seal.id:05d}"
        assert len(seal.code) == 10 and set(seal.code) <= set(ALPHABET)
        assert (seal.awarded_at, seal.valid_until) == (now, add_months(now, 24))
        assert seal.standards_version == session.get(Assessment, assessment.id).standards_version
        assert seal.standards_version  # taken at the first finding
        assert seal.status == "active" and seal.assessment_id == assessment.id
        assert stage_of(session, session.get(Business, business)) == "seal_awarded"
        codes = {seal.code}
    # Codes come from `secrets`: a thousand more never repeat and use the whole alphabet.
    with store.transaction() as session:
        for number in range(30):
            made = sealed_business(session, now, phone=f"+9198000{number:05d}")
            codes.add(made.code)
    assert len(codes) == 31 and len(set("".join(codes))) > 20


def test_revoking_tells_the_leader_and_needs_a_new_assessment_for_a_new_seal(
    store, clock, leader
) -> None:
    business = business_id(store, leader.address)
    now = clock.now()
    with store.transaction() as session:
        assessment = record_pre_assessment(session, business, now, now, 6)
        assess(session, assessment.id, now)
        record_assessment_outcome(session, assessment.id, "pass", "", now)
        award_seal(session, business, now)
    for reason in ("", "  ", "no", "x" * 81, "bad\x00reason", None, 42):
        with pytest.raises(SealError), store.transaction() as session:
            revoke_seal(session, business, reason, now)
    with pytest.raises(SealNotFound), store.transaction() as session:
        revoke_seal(session, 999_999, "Zero-tolerance finding", now)
    with store.transaction() as session:
        revoke_seal(session, business, "Child labour found on a later visit", now)
        seal = current_seal(session, business)
        assert (seal.status, seal.status_reason) == (
            "revoked",
            "Child labour found on a later visit",
        )
        assert session.get(Business, business).seal_awarded_at is None
        assert stage_of(session, session.get(Business, business)) != "seal_awarded"
        assert verification(session, seal.code, now).status == "revoked"
    told = outbox(store, leader.address)[-1]
    assert told.message_key == "seal.revoked" and "Child labour found" in told.body
    with pytest.raises(SealError), store.transaction() as session:
        revoke_seal(session, business, "Again", now)
    with pytest.raises(Exception, match="re-assessment first"), store.transaction() as session:
        award_seal(session, business, now)


def test_the_tick_schedules_the_reassessment_before_expiry_then_expires_the_seal(
    store, clock, leader, new_runtime
) -> None:
    business = business_id(store, leader.address)
    with store.transaction() as session:
        assessment = record_pre_assessment(session, business, clock.now(), clock.now(), 6)
        assess(session, assessment.id, clock.now())
        record_assessment_outcome(session, assessment.id, "pass", "", clock.now())
        award_seal(session, business, clock.now(), 24)
        seal = current_seal(session, business)
        seal_id, valid_until = seal.id, seal.valid_until
    runtime = new_runtime()
    days = Settings().seal_reassessment_days_before
    assert seals_tick(runtime) == (0, 0)  # two years ahead: nothing to do yet
    move_to(clock, valid_until - timedelta(days=days + 1))
    assert seals_tick(runtime) == (0, 0)
    move_to(clock, valid_until - timedelta(days=days - 1))
    assert seals_tick(runtime) == (1, 0)
    assert seals_tick(runtime) == (0, 0)  # once
    with store.transaction() as session:
        seal = session.get(Seal, seal_id)
        again = session.get(Assessment, seal.reassessment_id)
        assert again.outcome is None and again.kind == "assessment"
        assert again.scheduled_for.date() == (valid_until - timedelta(days=days // 2)).date()
        kinds = session.scalars(
            select(Reminder.kind).where(Reminder.subject_id == again.id).order_by(Reminder.due_at)
        ).all()
        assert kinds == ["assessment_month", "assessment_week", "assessment_day"]
        # Staff see it among the upcoming assessments in the console and the CLI.
        assert again.id in [a.id for a in upcoming_assessments(session, clock.now(), days)]
    assert outbox(store, leader.address)[-1].message_key == "assessment.scheduled"
    move_to(clock, valid_until + timedelta(minutes=1))
    assert seals_tick(runtime) == (0, 1)
    assert seals_tick(runtime) == (0, 0)
    with store.transaction() as session:
        seal = session.get(Seal, seal_id)
        assert seal.status == "expired"
        business_row = session.get(Business, business)
        assert business_row.seal_awarded_at is None
        assert stage_of(session, business_row) == "assessment_scheduled"
        assert verification(session, seal.code, clock.now()).status == "expired"
    assert outbox(store, leader.address)[-1].message_key == "seal.expired"


def test_a_seal_shorter_than_the_lead_is_scheduled_for_today_at_once(store, clock) -> None:
    with store.transaction() as session:
        seal = sealed_business(session, clock.now(), months=1)
        business = seal.business_id
    with store.transaction() as session:
        [scheduled] = plan_reassessments(session, clock.now(), 120)
        assert scheduled.scheduled_for.date() == clock.now().date()
        assert scheduled.business_id == business
        for wrong in (0, -1, 10_000, "120", 1.5):
            with pytest.raises(Exception, match="days before expiry"):
                plan_reassessments(session, clock.now(), wrong)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("K7QM3-XTP9A", "K7QM3XTP9A"),
        ("k7qm3 xtp9a", "K7QM3XTP9A"),
        ("K7QM3XTP9", None),
        ("K7QM3XTP9AA", None),
        ("K7QM3-XTP9O", None),  # O is not in the alphabet
        ("'; DROP TABLE seals; --", None),
        ("", None),
        ("Ｋ７ＱＭ３ＸＴＰ９Ａ", None),
        ("A" * 5000, None),
    ],
)
def test_typed_codes_are_read_leniently_and_nothing_else_is(typed, expected) -> None:
    assert normal_code(typed) == expected


def test_a_brand_request_is_asked_given_and_withdrawn_over_chat(store, clock, leader) -> None:
    business = business_id(store, leader.address)
    brand = brand_account(store, clock.now(), name="Fair Threads")
    leader.send("4")  # in the middle of something: the action list (none: back to the menu)
    with store.transaction() as session:
        [link] = request_links(session, brand, [business], clock.now())
        assert link.status == "asked" and not may_see(session, brand, business)
    asked = outbox(store, leader.address)[-1]
    assert asked.message_key == "brands.ask"
    assert asked.body.startswith("Fair Threads asks to see your programme status and reports.")
    assert "1 Yes" in asked.body and "2 No" in asked.body
    for hostile in ("maybe", "3", "0", "🙂", "' OR 1=1", "x" * 2000):
        assert leader.keys(hostile) == ["invalid.choice"]
    assert leader.keys("1") == ["brands.given", "menu.main"]  # back where it was
    with store.transaction() as session:
        assert may_see(session, brand, business)
        assert consents_of(session, business) == ((link.id, "Fair Threads"),)
        # Asking again changes nothing while consent is given.
        assert request_links(session, brand, [business], clock.now()) == []
    assert leader.keys("10") == ["brands.list"]
    assert leader.keys("7") == ["invalid.choice"]
    assert leader.keys("1") == ["brands.withdrawn", "menu.main"]
    with store.transaction() as session:
        assert not may_see(session, brand, business)
        assert session.scalar(select(BrandLink.status)) == "withdrawn"
    assert leader.keys("10") == ["brands.none", "menu.main"]


def test_a_leader_declines_in_spanish_and_requests_wait_their_turn(
    store, clock, make_phone
) -> None:
    phone = make_phone("+5215512345678")
    register(phone, "es", "Tejidos Luna")
    business = business_id(store, phone.address)
    first = brand_account(store, clock.now(), "compras@maison.example", "Maison Artisane")
    second = brand_account(store, clock.now(), "buyer@other.example")
    with store.transaction() as session:
        request_links(session, first, [business], clock.now())
        request_links(session, second, [business], clock.now())
    texts = [row.body for row in outbox(store, phone.address)[-2:]]
    assert texts[0].startswith("Maison Artisane pide ver el estado de su programa")
    assert texts[1].startswith("other.example pide ver")  # no organisation: the email's domain
    assert phone.keys("2") == ["brands.declined", "brands.ask"]  # then the second request
    assert phone.keys("1") == ["brands.given", "menu.main"]
    with store.transaction() as session:
        assert not may_see(session, first, business) and may_see(session, second, business)
        # A declined request may be asked again.
        assert len(request_links(session, first, [business], clock.now())) == 1


def test_brand_requests_refuse_what_is_not_there(store, clock, leader) -> None:
    business = business_id(store, leader.address)
    brand = brand_account(store, clock.now())
    with store.transaction() as session:
        staff = StaffUser(
            email="s@example.org", role="staff", password_hash="x", created_at=clock.now()
        )
        session.add(staff)
        session.flush()
        staff_id = staff.id
    for who, ids, error in (
        (999_999, [business], BrandNotFound),
        (staff_id, [business], BrandError),
        (brand, [business, 999_999], BrandNotFound),
        (brand, [0], BrandNotFound),
        (brand, [2**40], BrandNotFound),
    ):
        with pytest.raises(error), store.transaction() as session:
            request_links(session, who, ids, clock.now())
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(BrandLink)) == 0
    assert parse_business_ids(" 1, 2 2,3 ") == [1, 2, 3]
    for typed in ("1;2", "abc", "-1", "0", "1.5", "९", "9" * 40, ",".join(map(str, range(1, 300)))):
        with pytest.raises(BrandError):
            parse_business_ids(typed)


def test_verify_from_a_leader_mid_conversation_leaves_the_conversation_where_it_was(
    store, clock, leader, make_phone
) -> None:
    with store.transaction() as session:
        code = sealed_business(session, clock.now()).code
    assert leader.keys("1") == ["supply.ask_name"]  # reporting a group: asked its name
    [(key, text)] = leader.send(f"verify {code}")
    assert key == "seal.verify_active" and "Golden Jute Crafts" in text
    assert leader.keys("Sunita's group") == ["supply.ask_place"]  # the question goes on
    stranger = make_phone("+4915112345678")
    assert stranger.keys("सत्यापित " + code) == ["seal.verify_active"]
    assert "मान्य" in stranger.texts(f"जाँच {code}")[0]
    assert stranger.keys("VERIFY") == ["seal.verify_usage"]
    assert stranger.keys("VERIFY " + "A" * 5000) == ["seal.verify_unknown"]
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Business)) == 2
        assert session.scalar(select(Contact).where(Contact.address == stranger.address)) is None


def test_a_request_over_a_notice_over_a_survey_keeps_everything_in_order(
    store, clock, leader, sealer
) -> None:
    """A leader answering a survey is told about an action item, then asked by a brand: the
    answer goes to the brand, then the item, then the survey goes on, still sealed at rest."""
    business = business_id(store, leader.address)
    brand = brand_account(store, clock.now(), name="Fair Threads")
    with store.transaction() as session:
        code = open_survey(session, business, clock.now(), None, "Visit").code
    assert leader.keys(f"JOIN {code}") == ["survey.consent"]
    assert leader.keys("1") == ["survey.question"]
    with store.transaction() as session:
        create_action_item(
            session, business, "remediation", "major", "Write down piece rates",
            clock.now().date() + timedelta(days=9), clock.now(),
        )  # fmt: skip
        request_links(session, brand, [business], clock.now())
    with store.transaction() as session:
        stored = session.get(ConversationState, leader_contact(session, leader.address))
        assert (stored.flow, stored.step) == ("brands", "ask")
        assert stored.data["return_to"]["flow"] == "survey"  # sealed, one level down
        assert stored.data["return_to"]["step"] == "sealed"
    assert leader.keys("1") == ["brands.given", "actions.item", "actions.ask"]
    assert leader.keys("3") == ["survey.question"]  # the item later: back to the survey
    with store.transaction() as session:
        assert may_see(session, brand, business)
