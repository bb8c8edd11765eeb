"""HELP, MENU, STOP, START and LANG work in any state and any supported language."""

import pytest
from sqlalchemy import func, select

from bot.models import Contact, OutboundMessage
from messages import catalogue

STEPS_TO_REGISTER = ("hi", "1", "1", "1", "Blue Thread", "Jaipur", "India", "1")
# After n answers the contact stands at a different step; keywords must work at each.
STATES = range(len(STEPS_TO_REGISTER) + 1)


def walk(phone, count: int) -> None:
    for answer in STEPS_TO_REGISTER[:count]:
        phone.send(answer)


@pytest.mark.parametrize("count", STATES)
@pytest.mark.parametrize("word", ["STOP", "alto", "Arrêt", "रोकें"])
def test_stop_is_confirmed_once_then_silence_until_start(store, phone, count, word) -> None:
    walk(phone, count)
    assert phone.keys(word) == ["keyword.stopped"]
    assert phone.send("hello") == []
    assert phone.send("STOP") == []
    assert phone.send("1") == []
    keys = phone.keys("start")
    assert keys[0] == "keyword.restarted"
    with store.transaction() as session:
        assert session.scalar(select(Contact)).opted_out is False


@pytest.mark.parametrize("count", STATES)
def test_help_explains_and_repeats_the_question(phone, count) -> None:
    walk(phone, count)
    keys = phone.keys("help")
    assert keys[0] == "keyword.help"
    assert len(keys) == 2


@pytest.mark.parametrize("count", range(2, len(STEPS_TO_REGISTER) + 1))
@pytest.mark.parametrize("word", ["LANG", "idioma", "langue", "भाषा"])
def test_lang_changes_language_and_returns_to_the_same_question(phone, count, word) -> None:
    walk(phone, count)
    before = phone.keys("help")[1]
    assert phone.keys(word) == ["onboarding.choose_language"]
    [(key, text)] = phone.send("2")
    assert key == before
    assert phone.texts("help")[0] == catalogue("es")["keyword.help"]


def test_menu_shows_the_main_menu_to_a_registered_leader_from_anywhere(phone) -> None:
    walk(phone, len(STEPS_TO_REGISTER))
    phone.send("LANG")
    assert phone.keys("MENU") == ["menu.main"]
    assert phone.keys("menú") == ["menu.main"]
    assert phone.keys("6") == ["stage.registered"]


def test_menu_before_registration_repeats_the_current_question(phone) -> None:
    walk(phone, 3)
    assert phone.keys("menu") == ["onboarding.role"]


def test_stop_as_the_very_first_message_opts_out(store, phone) -> None:
    assert phone.keys("STOP") == ["keyword.stopped"]
    assert phone.send("hi") == []
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 1
