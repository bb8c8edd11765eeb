"""A keyword the channel recognised itself (a Telegram command, a word Twilio's Advanced Opt-Out
acted on) counts at every step, whatever the text; the carrier's own answer is not doubled."""

import pytest
from flow_support import LEADER, FakeLookup

from flows.conversation import respond
from flows.core import Facts, Message, OptIn, OptOut, State

STEPS = [
    State("onboarding", "language"),
    State("onboarding", "business_name", {"language": "en", "role": "leader"}),
    State("menu", "main"),
    State("supply", "name", {"parent": None}),
]
OPTED_OUT = Facts(**{**LEADER.__dict__, "opted_out": True})


def keys(state: State, message: Message, facts: Facts = LEADER) -> tuple[list[str], tuple]:
    outcome = respond(state, message, facts, FakeLookup())
    return [reply.key for reply in outcome.replies], outcome.effects


@pytest.mark.parametrize("state", STEPS)
def test_a_telegram_menu_command_opens_the_menu_at_any_step(state: State) -> None:
    replies, _ = keys(state, Message("/menu@HandcraftBot", keyword="menu"))
    assert replies == ["menu.main"]


@pytest.mark.parametrize("state", STEPS)
def test_a_stop_the_carrier_answered_opts_out_in_silence(state: State) -> None:
    replies, effects = keys(state, Message("ARRET", keyword="stop", carrier_answered=True))
    assert (replies, effects) == ([], (OptOut(),))


@pytest.mark.parametrize("state", STEPS)
def test_help_the_carrier_answered_gets_nothing_more(state: State) -> None:
    assert keys(state, Message("AIDE", keyword="help", carrier_answered=True)) == ([], ())
    assert keys(state, Message("AIDE", keyword="help", carrier_answered=True), OPTED_OUT) == (
        [],
        (),
    )


@pytest.mark.parametrize("state", STEPS)
def test_start_from_the_carrier_brings_back_to_the_same_question(state: State) -> None:
    replies, effects = keys(
        state, Message("REPRENDRE", keyword="start", carrier_answered=True), OPTED_OUT
    )
    assert replies[0] == "keyword.restarted" and effects == (OptIn(),)
    assert len(replies) == 2  # and the question asked again


def test_a_command_is_not_read_as_an_answer() -> None:
    replies, _ = keys(
        State("onboarding", "business_name", {"language": "en"}), Message("/help", keyword="help")
    )
    assert replies == ["keyword.help", "onboarding.business_name"]
