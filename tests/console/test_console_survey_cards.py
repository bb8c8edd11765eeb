"""Surveys for shared phones: opened in card mode on the console, N single-use cards printed
(their codes shown only in the PDF, kept as keyed hashes), the voice count on the page."""

import re

import pytest
from console_support import add_business
from sqlalchemy import select
from test_console_survey_builder import builder_form, pdf_text

from bot.domain.survey_cards import cards_left
from bot.models import Survey, SurveyCard


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
