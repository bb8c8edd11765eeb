"""HELP, MENU, STOP, START and LANG work in any state and any supported language; YES and UNSTOP
bring back someone who opted out."""

import pytest
from sqlalchemy import func, select

from bot.models import Contact, OutboundMessage
from flows.keywords import keyword
from messages import LANGUAGES, catalogue, keyword_words

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
    assert phone.keys("help") == ["keyword.help"]  # the help text alone, and still opted out
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


CARRIER_STOP_WORDS = (
    "STOP",
    "STOPALL",
    "STOP ALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
    "OPT OUT",
    "opt-out",
    "Opt  Out.",
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_carriers_opt_out_words_are_in_every_languages_list(language) -> None:
    listed = set(keyword_words(language)["stop"])
    for word in ("stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit"):
        assert word in listed
    for word in ("revoke", "optout", "opt out", "opt-out"):
        assert word in listed
    assert {"yes", "unstop"} <= set(keyword_words(language)["resume"])
    assert "help" in keyword_words(language)["help"]


@pytest.mark.parametrize("word", CARRIER_STOP_WORDS)
def test_every_carrier_opt_out_word_opts_out_even_where_a_name_is_asked(store, phone, word):
    walk(phone, 4)  # the business name question: free text, yet the whole message is STOP
    assert keyword(word) == "stop"
    assert phone.keys(word) == ["keyword.stopped"]
    with store.transaction() as session:
        assert session.scalar(select(Contact)).opted_out is True


@pytest.mark.parametrize("word", ["YES", "unstop", "Yes!"])
def test_yes_and_unstop_bring_back_only_someone_who_opted_out(store, phone, word) -> None:
    walk(phone, 2)
    before = phone.keys("help")[1]
    assert phone.keys(word) != ["keyword.restarted"]  # read by the step, not a keyword
    phone.send("STOP")
    keys = phone.keys(word)
    assert keys[0] == "keyword.restarted"
    assert keys[1:] == [before]
    with store.transaction() as session:
        assert session.scalar(select(Contact)).opted_out is False


def test_unstop_is_an_ordinary_answer_while_not_opted_out(store, phone) -> None:
    walk(phone, 4)
    assert phone.keys("Unstop") == ["onboarding.place"]  # a business name, as typed
    with store.transaction() as session:
        assert session.scalar(select(Contact)).opted_out is False


def test_help_while_opted_out_sends_the_help_text_and_nothing_else(store, phone) -> None:
    walk(phone, 5)
    phone.send("END")
    for word in ("HELP", "info", "मदद", "\u200bAyuda"):
        assert phone.keys(word) == ["keyword.help"]
    assert phone.send("menu") == []
    with store.transaction() as session:
        assert session.scalar(select(Contact)).opted_out is True


def test_invisible_characters_do_not_hide_stop(store, phone) -> None:
    walk(phone, 3)
    assert phone.keys("\ufeffS\u200bT\u200dO\u200eP\u200f") == ["keyword.stopped"]
    assert phone.keys("\u200bＳＴＡＲＴ")[0] == "keyword.restarted"
