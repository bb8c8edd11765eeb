"""Turns a reply into what a channel shows: numbered lines, or buttons where it has them."""

from dataclasses import dataclass

from messages import text
from messages.reply import Reply

_QUESTION = "/"


@dataclass(frozen=True)
class Rendered:
    body: str
    buttons: tuple[tuple[str, str], ...] = ()
    # The catalogue key of the reply (a voice call ends after a closing one).
    key: str = ""
    # The token of a recording to play instead of reading the body (a survey call's question).
    audio: str = ""


def option_labels(language: str | None, reply: Reply) -> list[str]:
    return [text(language, option.key, dict(option.params)) for option in reply.options]


def render_text(language: str | None, reply: Reply) -> Rendered:
    """Basic phones: the menu is part of the text, one numbered line per option."""
    body = text(language, reply.key, dict(reply.params))
    lines = [f"{number} {label}" for number, label in enumerate(option_labels(language, reply), 1)]
    return Rendered("\n".join([body, *lines]), key=reply.key)


def render_buttons(language: str | None, reply: Reply) -> Rendered:
    """Telegram: the menu becomes buttons whose press sends the option's number."""
    body = text(language, reply.key, dict(reply.params))
    labels = option_labels(language, reply)
    numbered = tuple((label, str(number)) for number, label in enumerate(labels, 1))
    return Rendered(body, numbered, reply.key)


def for_question(
    buttons: tuple[tuple[str, str], ...], question: str
) -> tuple[tuple[str, str], ...]:
    """The buttons, each carrying the name of the question they answer ("2/5f3a9c01"), so a
    press on an older message can be told apart (`pressed`). Telegram carries up to 64 bytes."""
    if not question:
        return buttons
    return tuple((label, f"{data}{_QUESTION}{question}") for label, data in buttons)


def pressed(data: str) -> tuple[str, str | None]:
    """What a pressed button carries: its option's number and the question it was sent with
    (None on a button sent before buttons named their question)."""
    value, mark, question = data.rpartition(_QUESTION)
    return (value, question) if mark else (data, None)


def render(language: str | None, reply: Reply, *, buttons: bool) -> Rendered:
    """The reply as a channel with (or without) buttons shows it; the channel says which."""
    return render_buttons(language, reply) if buttons else render_text(language, reply)
