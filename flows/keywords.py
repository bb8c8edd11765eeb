"""Words that work in any state and any supported language: HELP, MENU, STOP, START, LANG."""

from flows.core import Facts, Message, OptIn, OptOut, Outcome, Reply, State, enter, resume
from messages import keyword


def help_reply() -> Reply:
    return Reply("keyword.help")


def change_language(state: State, facts: Facts) -> Outcome:
    """Ask for a language, then come back to exactly where the person was."""
    back = {"flow": state.flow, "step": state.step, "data": dict(state.data)}
    if state.flow == "onboarding" and state.step == "language":
        back = state.data.get("return_to") or back
    # A worker who joined a survey by its code skipped onboarding's consent, yet comes back too.
    comes_back = facts.consented or state.flow != "onboarding"
    return enter("onboarding", data={"return_to": back} if comes_back else {})


def handle_keyword(state: State, message: Message, facts: Facts) -> Outcome | None:
    """The outcome of a global keyword, or None when the message is not one."""
    word = keyword(message.text)
    if facts.opted_out:
        if word != "start":
            return Outcome((), state)
        return resume(state, Reply("keyword.restarted"), effects=(OptIn(),))
    if word is None:
        return None
    if word == "stop":
        return Outcome((Reply("keyword.stopped"),), state, (OptOut(),))
    if word == "help":
        return resume(state, help_reply())
    if word == "lang":
        return change_language(state, facts)
    if word == "menu" and facts.role == "leader" and facts.business_name:
        return enter("menu")
    return resume(state)
