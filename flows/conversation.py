"""One inbound message in, one outcome out: keywords, then a survey code, then the flow's step.

This is the one place that turns a flow's name into its code: a step that hands the
conversation over (`Enter`, `Resume`) is followed here, so no flow imports another by name.
"""

from dataclasses import replace

from flows import call, survey
from flows.answers import clean
from flows.core import Enter, Facts, Lookup, Message, Outcome, Reply, State, resume
from flows.keywords import handle_keyword
from flows.registry import flow
from flows.tickets import into_ticket, unread

MAX_TEXT = 1600
MAX_HANDOVERS = 8


def respond(state: State | None, message: Message, facts: Facts, lookup: Lookup) -> Outcome:
    """The outcome of one message, with every hand-over followed to the flow that keeps it.

    Its text is cleaned once, here (`flows.answers.clean`), so keywords, survey codes and every
    step read it free of invisible characters."""
    message = replace(message, text=clean(message.text)[:MAX_TEXT])
    return settle(_respond(state, message, facts, lookup), facts)


def settle(outcome: Outcome, facts: Facts) -> Outcome:
    """Follow the outcome's hand-overs: an entered flow starts, a resumed state asks again.

    Raises RuntimeError when flows keep handing over to each other (a bug in a flow).
    """
    for _ in range(MAX_HANDOVERS):
        then = outcome.then
        if then is None:
            return outcome
        facts = then.facts or facts
        if isinstance(then, Enter):
            started = flow(then.flow).start(facts, then.data)
            replies = (*outcome.replies, *started.replies)
            effects = (*outcome.effects, *started.effects)
            private = outcome.private or started.private
            outcome = Outcome(replies, started.state, effects, started.then, private)
        else:
            prompt = flow(outcome.state.flow).prompt(outcome.state, facts)
            replies = (*outcome.replies, *prompt)
            outcome = Outcome(replies, outcome.state, outcome.effects, private=outcome.private)
    raise RuntimeError(f"flows handed over more than {MAX_HANDOVERS} times in one step")


def _respond(state: State | None, message: Message, facts: Facts, lookup: Lookup) -> Outcome:
    if message.keyword == call.CALL_STARTED:
        return call.answer(state, message.text)
    if message.keyword == call.CALL_ENDED:
        return call.hang_up(state, facts)
    if message.keyword == call.MISSED_CALL:
        return call.missed(state, facts)
    if state is None:
        started = flow("onboarding").start(facts, {})
        keyword = handle_keyword(started.state, message, facts)
        joined = keyword or survey.join(started.state, message, facts, lookup, bare_code=True)
        if joined is None:
            return started
        if joined.private and joined.state == started.state:  # a code refused: still welcome
            return replace(joined, replies=(*joined.replies, *started.replies))
        return joined
    handled = handle_keyword(state, message, facts) or survey.join(
        state, message, facts, lookup, bare_code=False
    )
    if handled is not None:
        return handled
    current = flow(state.flow)
    can_read = message.text or (message.media and getattr(current, "takes_media", False))
    if not can_read:
        outcome = resume(state, Reply("invalid.media" if message.media else "invalid.empty"))
    else:
        outcome = current.step(state, message, facts, lookup)
    if (unread(outcome) or not can_read) and not is_private(state):
        return into_ticket(state, message, facts) or outcome
    return outcome


def question_passed(state: State, facts: Facts) -> Outcome:
    """A button pressed on an older message, for a question that has passed: said so (to
    someone who has not opted out), and nothing else changes."""
    return Outcome(() if facts.opted_out else (Reply("button.passed"),), state)


def is_private(state: State | None) -> bool:
    """Messages handled while an anonymous survey runs must not be kept with the sender, and
    such a state is kept only sealed. (So must a message whose outcome says `private`.)"""
    return survey.running(state) is not None


def expand(state: State | None, lookup: Lookup) -> State | None:
    """A state as kept between messages, made whole for the next step (see `survey.expand`)."""
    return None if state is None else survey.expand(state, lookup)


def compact(state: State) -> State:
    """A state as it is kept between messages: nothing a lookup can give again."""
    return survey.compact(state)
