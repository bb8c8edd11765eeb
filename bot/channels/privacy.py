"""What the engine and the survey domain need to know about a channel for anonymity, without
naming one: practice channels never count, and some providers let us empty a message's body."""

from bot.channels.simulator import CHANNEL as SIMULATOR


def is_practice(channel: str) -> bool:
    """True for the simulator (console and `bot chat`): staff practise there, and answers given
    there never reach survey results."""
    return channel == SIMULATOR


def can_redact(channel: str) -> bool:
    """True when the channel's provider can empty a message's body after the fact (Twilio)."""
    from bot.channels import twilio  # imported late: the adapter imports the engine

    return channel in twilio.CHANNELS
