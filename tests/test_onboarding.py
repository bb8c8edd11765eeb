"""Onboarding transcripts in every language, driven through the engine and a real database."""

import pytest
from sqlalchemy import select

from bot.models import Business, Contact
from messages import LANGUAGES, catalogue

LANGUAGE_NUMBER = {code: str(number) for number, code in enumerate(LANGUAGES, 1)}
COUNTRY_TYPED = {"en": "India", "es": "India", "fr": "Inde", "hi": "भारत"}


def opening(language: str, key: str) -> str:
    """The words a text starts with, before its first placeholder, in one language."""
    return catalogue(language)[key].split("{")[0].strip()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_business_leader_registers_in_each_language(store, make_phone, language) -> None:
    phone = make_phone("+919812345678")
    assert phone.keys("hello") == ["onboarding.choose_language"]
    [(key, consent)] = phone.send(LANGUAGE_NUMBER[language])
    assert key == "onboarding.consent"
    assert consent.startswith(opening(language, "onboarding.consent"))
    assert consent.endswith(
        "\n1 " + catalogue(language)["common.yes"] + "\n2 " + catalogue(language)["common.no"]
    )
    assert phone.keys("1") == ["onboarding.role"]
    assert phone.keys("1") == ["onboarding.business_name"]
    assert phone.keys("  Shree   Ganesh Embroidery ") == ["onboarding.place"]
    assert phone.keys("Sanganer, Jaipur") == ["onboarding.country_suggest"]
    [(key, confirm)] = phone.send(COUNTRY_TYPED[language])
    assert key == "onboarding.confirm"
    assert "Shree Ganesh Embroidery, Sanganer, Jaipur" in confirm
    replies = phone.send("1")
    assert [key for key, _ in replies] == ["onboarding.registered", "menu.main"]
    assert replies[0][1].startswith(opening(language, "onboarding.registered"))

    with store.transaction() as session:
        business = session.scalar(select(Business))
        assert (business.name, business.place, business.country) == (
            "Shree Ganesh Embroidery",
            "Sanganer, Jaipur",
            "IN",
        )
        assert business.leader.language == language
        assert business.leader.role == "leader"


def test_the_suggested_country_comes_from_the_phone_number(phone) -> None:
    for answer in ("hi", "1", "1", "1", "Tejidos Luna", "Chiapas"):
        replies = phone.send(answer)
    assert replies[0][1].endswith("\n1 India")
    [(key, confirm)] = phone.send("1")
    assert key == "onboarding.confirm" and "India" in confirm


def test_invalid_answers_say_what_is_expected_and_keep_the_step(phone) -> None:
    phone.send("hi")
    [(key, text)] = phone.send("7")
    assert key == "invalid.choice"
    assert "1 to 4" in text and text.endswith("4 हिन्दी")
    assert phone.keys("English") == ["onboarding.consent"]
    assert phone.keys("maybe") == ["invalid.choice"]
    assert phone.keys("1") == ["onboarding.role"]
    assert phone.keys("1") == ["onboarding.business_name"]
    assert phone.keys("!!!") == ["onboarding.name_invalid", "onboarding.business_name"]
    assert phone.keys("x" * 81) == ["onboarding.name_invalid", "onboarding.business_name"]
    assert phone.keys("Luna") == ["onboarding.place"]
    assert phone.keys("Chiapas") == ["onboarding.country_suggest"]
    assert phone.keys("Atlantis") == ["onboarding.country_invalid"]


def test_a_photo_where_words_were_expected_gets_a_clear_reply(phone) -> None:
    for answer in ("hi", "1", "1", "1"):
        phone.send(answer)
    replies = phone.send("", media=("https://example.org/photo.jpg",))
    assert [key for key, _ in replies] == ["invalid.media", "onboarding.business_name"]
    assert phone.keys("   ") == ["invalid.empty", "onboarding.business_name"]


def test_declining_consent_registers_nothing_and_can_be_changed(store, phone) -> None:
    phone.send("hi")
    phone.send("2")
    assert phone.keys("2") == ["onboarding.consent_declined"]
    with store.transaction() as session:
        assert session.scalar(select(Contact)).consented_at is None
    assert phone.keys("1") == ["onboarding.role"]


def test_the_start_again_answer_asks_for_the_name_again(phone) -> None:
    for answer in ("hi", "1", "1", "1", "Luna", "Chiapas", "Mexico"):
        phone.send(answer)
    assert phone.keys("2") == ["onboarding.business_name"]


def test_a_worker_with_an_unknown_code_is_told_to_check_the_card(phone) -> None:
    for answer in ("hi", "1", "1"):
        phone.send(answer)
    assert phone.keys("2") == ["worker.code"]
    assert phone.keys("12") == ["worker.code_invalid", "worker.code"]
    [(key, text)] = phone.send("join 4821")
    assert key == "worker.code_unknown" and "4821" in text
