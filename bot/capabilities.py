"""What each channel can show and do, by the channel's name, as the channel registry declares it.

The domain renders outbox rows and checks broadcast segments without knowing any channel: it
asks here by name. `bot/channels/registry.py` declares every registered channel when it is
imported, and every entry point imports it (the engine, the sender, the webhooks, the CLI).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Capabilities:
    """What one channel can do; the renderer, the sender and the scheduler read these."""

    # The channel's name as people know it, shown in the console ("SMS", "WhatsApp").
    label: str = ""
    buttons: bool = False  # options become buttons whose press sends the option's number
    media: bool = False  # people can send photos and files (evidence for an item)
    templates: bool = False  # outside a service window only an approved template may go
    sms_segments: bool = False  # cut and billed in SMS parts (GSM-7 or UCS-2)
    paced: bool = True  # the sender hands its rows to a provider, at the provider's pace
    # Replies go back in the webhook's own answer (a voice call's TwiML), not through a sender.
    answers_in_response: bool = False
    # Staff practise here (the simulator): survey answers given here never reach results.
    practice: bool = False
    # The provider can empty a message's body after the fact (a survey answer, a survey reply).
    redacts: bool = False
    # The paced channel a call-back to someone who rang and hung up goes out on (empty: none).
    calls_back_on: str = ""


_DECLARED: dict[str, Capabilities] = {}


def declare(channel: str, capabilities: Capabilities) -> None:
    """Record what `channel` can do; declaring a name twice with other values is a bug.

    Raises ValueError when the name is already declared differently.
    """
    if _DECLARED.setdefault(channel, capabilities) != capabilities:
        raise ValueError(f"channel {channel!r} is declared twice, differently")


def capabilities_of(channel: str) -> Capabilities:
    """What the channel can do. Raises LookupError for a name no registered channel declared."""
    try:
        return _DECLARED[channel]
    except KeyError:
        raise LookupError(
            f"no registered channel is called {channel!r} (see bot/channels/registry.py)"
        ) from None


def channel_names() -> tuple[str, ...]:
    """Every declared channel's name, in the registry's order."""
    return tuple(_DECLARED)


def written_channels() -> tuple[str, ...]:
    """The declared channels people can be written to (a broadcast's choices): not a call,
    which answers only in its own response, nor the lane that places call-backs."""
    call_backs = {capabilities.calls_back_on for capabilities in _DECLARED.values()}
    return tuple(
        name
        for name, capabilities in _DECLARED.items()
        if not capabilities.answers_in_response and name not in call_backs
    )


def channel_label(channel: str) -> str:
    """The channel's name for people ("WhatsApp" for "whatsapp"); a name no registered channel
    declares (an old row's) is given back as it is."""
    declared = _DECLARED.get(channel)
    return declared.label if declared and declared.label else channel


def is_practice(channel: str) -> bool:
    """True for a practice channel (the simulator): answers given there never count."""
    return capabilities_of(channel).practice


def can_redact(channel: str) -> bool:
    """True when the channel's provider can empty a message's body once it is final."""
    return capabilities_of(channel).redacts
