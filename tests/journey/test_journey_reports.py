"""The three documents, generated from the records, issued as versions that never change, in
English and the leader's language; their PDFs read back as text (pypdf)."""

import io
import re
from datetime import timedelta

import pytest
from assessment_support import assess, first_of
from journey_support import business_id, outbox, register
from pypdf import PdfReader
from sqlalchemy import select

from admin.programme import ITEM_STATUSES
from bot.domain.actions import update_action_item, verify_action_item, withdraw_action_item
from bot.domain.assessments import record_assessment_outcome, record_pre_assessment, review_of
from bot.domain.findings import items_from_findings, mark
from bot.domain.reports import ReportError, draft, issue, latest
from bot.domain.standards import standards
from bot.models import ActionItem, Report
from messages import LANGUAGES, text
from messages.dates import date_text

pytest_plugins = ["journey_fixtures"]
PUBLIC = "https://bot.example.org"


def words(pdf: bytes) -> str:
    """The PDF's text with runs of white space made one space."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def issue_now(session, business: int, kind: str, clock) -> Report:
    return issue(
        session, business, kind, clock.now(), staff_id=None, public_base_url=PUBLIC, link_days=30
    )


def through_assessment(store, clock, phone, language: str) -> tuple[int, int]:
    """A leader registered in `language`, a pre-assessment review with one unmet indicator,
    and an assessment with a major and a minor finding, recorded as partial, with its plan."""
    register(phone, language, "Atelier Soleil")
    business = business_id(store, phone.address)
    now = clock.now()
    with store.transaction() as session:
        assessment = record_pre_assessment(session, business, now, now, 6)
        review = review_of(session, business)
        mark(session, review.id, first_of("major"), "not_met", now, note="Rates by word only")
        items_from_findings(session, review.id, now)
        assess(session, assessment.id, now, {first_of("major"): None, first_of("minor"): None})
        record_assessment_outcome(session, assessment.id, "partial", "", now)
        items_from_findings(session, assessment.id, now)
        return business, assessment.id


def expected(language: str, business: str, kind: str, clock) -> list[str]:
    """What every document says in `language`: its title, the business, the issue date."""
    return [
        text(language, f"report.{kind}.title"),
        business,
        date_text(language, clock.now().date()),
    ]


@pytest.mark.parametrize("language", ["en", "es", "fr"])
@pytest.mark.parametrize("kind", ["pre_assessment", "assessment", "corrective_plan"])
def test_each_document_reads_back_in_english_and_the_leaders_language(
    store, clock, make_phone, language, kind
) -> None:
    phone = make_phone("+15550188001")
    business, _ = through_assessment(store, clock, phone, language)
    with store.transaction() as session:
        report = issue_now(session, business, kind, clock)
        read = words(report.pdf)
        assert report.languages == (["en"] if language == "en" else ["en", language])
    for lang in report.languages:
        for phrase in expected(lang, "Atelier Soleil", kind, clock):
            assert " ".join(phrase.split()) in read, (lang, phrase)
    major, minor = first_of("major"), first_of("minor")
    if kind == "pre_assessment":
        assert "Rates by word only" in read
        for lang in report.languages:
            assert text(lang, "report.recommendations") in read
            assert " ".join(text(lang, f"indicator.{major}").split()) in read
    elif kind == "assessment":
        assert f"{major} · " in read and f"{minor} · " in read
        assert standards().version in read
        for lang in report.languages:
            assert text(lang, "report.outcome_partial") in read
            assert text(lang, f"category.{standards().indicator(major).category}") in read
    else:
        due = clock.now().date() + timedelta(days=90)
        for lang in report.languages:
            assert date_text(lang, due) in read
            assert text(lang, "report.item_open") in read
        # The items are worded in the leader's language, as the leader got them.
        assert " ".join(text(language, f"indicator.{major}.remediation").split()) in read


def test_the_hindi_document_embeds_a_devanagari_font_and_keeps_codes_dates_and_numbers(
    store, clock, make_phone
) -> None:
    phone = make_phone("+15550188002")
    business, _ = through_assessment(store, clock, phone, "hi")
    with store.transaction() as session:
        report = issue_now(session, business, "assessment", clock)
    reader = PdfReader(io.BytesIO(report.pdf))
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("Devanagari" in font for font in fonts), fonts
    read = words(report.pdf)
    assert f"{first_of('major')} · " in read
    day = clock.now().date()
    assert str(day.year) in read and str(day.day) in read
    assert re.search(r"\b\d+\b", read)
    assert report.languages == ["en", "hi"]


def test_an_issued_report_never_changes_and_a_reissue_is_version_two(
    store, clock, make_phone
) -> None:
    phone = make_phone("+15550188003")
    business, _ = through_assessment(store, clock, phone, "en")
    with store.transaction() as session:
        first = issue_now(session, business, "corrective_plan", clock)
        first_id, first_pdf, first_hash = first.id, first.pdf, first.sha256
        item = session.scalar(select(ActionItem).where(ActionItem.kind == "corrective"))
        update_action_item(session, item.id, clock.now(), description="Write new rates today")
        verify_action_item(session, item.id, clock.now())
    with store.transaction() as session:
        kept = session.get(Report, first_id)
        assert (kept.pdf, kept.sha256, kept.version) == (first_pdf, first_hash, 1)
        assert "Write new rates today" not in words(kept.pdf)
        now_drafted = draft(session, business, "corrective_plan", clock.now())
        assert "Write new rates today" in now_drafted.html(issued_on=clock.now().date(), draft=True)
        second = issue_now(session, business, "corrective_plan", clock)
        assert second.version == 2 and second.sha256 != first_hash
        assert "Write new rates today" in words(second.pdf)
        assert latest(session, business, "corrective_plan").id == second.id


def test_nothing_to_report_on_yet_is_said_plainly(store, clock, leader) -> None:
    business = business_id(store, leader.address)
    with store.transaction() as session:
        for kind, message in [
            ("pre_assessment", "pre-assessment visit"),
            ("assessment", "findings"),
            ("corrective_plan", "outcome"),
            ("letter", "must be one of"),
        ]:
            with pytest.raises(ReportError, match=message):
                draft(session, business, kind, clock.now())
        with pytest.raises(ReportError, match="1 to 365"):
            issue(session, business, "assessment", clock.now(), staff_id=None,
                  public_base_url=PUBLIC, link_days=0)  # fmt: skip


def test_the_leader_is_told_in_their_language_with_a_link(store, clock, make_phone) -> None:
    phone = make_phone("+15550188004")
    business, _ = through_assessment(store, clock, phone, "fr")
    with store.transaction() as session:
        issue_now(session, business, "assessment", clock)
    [told] = [row for row in outbox(store, phone.address) if row.message_key.startswith("report.")]
    assert told.body.startswith("Votre Rapport d'évaluation est prêt : https://bot.example.org/r/")
    assert told.document_url and told.document_url in told.body
    until = date_text("fr", (clock.now() + timedelta(days=30)).date())
    assert until in told.body


def test_every_item_status_has_its_words_in_the_documents() -> None:
    """Documents list items by status: each status an item can have (as the console knows
    them) is worded in every language, so no report fails on an item's status."""
    for language in LANGUAGES:
        for status in ITEM_STATUSES:
            assert text(language, f"report.item_{status}"), (language, status)


@pytest.mark.parametrize("kind", ["pre_assessment", "corrective_plan"])
def test_a_withdrawn_item_reads_as_withdrawn_in_the_report(store, clock, make_phone, kind) -> None:
    phone = make_phone("+15550188009")
    business, _ = through_assessment(store, clock, phone, "es")
    wanted = "remediation" if kind == "pre_assessment" else "corrective"
    with store.transaction() as session:
        item = session.scalars(
            select(ActionItem).where(ActionItem.business_id == business, ActionItem.kind == wanted)
        ).first()
        withdraw_action_item(session, item.id, clock.now())
        read = words(issue_now(session, business, kind, clock).pdf)
    assert text("en", "report.item_withdrawn") in read
    assert text("es", "report.item_withdrawn") in read
