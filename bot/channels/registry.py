"""Every channel the product speaks, registered by one line each in CHANNELS.

The webhooks router, the sender's lanes, the scheduler's send ticks, the start-up banner,
rendering (through bot.capabilities) and delivery reports all read this; nothing else names a
channel. Importing this module declares each channel's capabilities.

Which channels are on follows from the settings alone: a channel whose credentials are absent
has no lane and its webhook answers 404 saying what to set.
"""

from bot.capabilities import declare
from bot.channels import simulator, telegram, twilio, voice
from bot.channels.provider import Channel, Lane, MediaFetcher, Webhook
from bot.settings import Settings

CHANNELS: tuple[Channel, ...] = (
    twilio.ADAPTER,
    telegram.ADAPTER,
    simulator.ADAPTER,
    voice.ADAPTER,
)

for _channel in CHANNELS:
    for _name, _capabilities in _channel.capabilities.items():
        declare(_name, _capabilities)


def channel_for(name: str) -> Channel:
    """The registered module that runs the channel called `name` (a contact's channel).

    Raises LookupError for a name no registered channel runs.
    """
    for channel in CHANNELS:
        if name in channel.capabilities:
            return channel
    raise LookupError(f"no registered channel is called {name!r}")


def paced_channels() -> tuple[str, ...]:
    """The channels the sender drains, each with a send tick of its own."""
    return tuple(
        name
        for channel in CHANNELS
        for name, capabilities in channel.capabilities.items()
        if capabilities.paced
    )


def webhooks() -> tuple[Webhook, ...]:
    """Every webhook address of every registered channel."""
    return tuple(webhook for channel in CHANNELS for webhook in channel.webhooks)


def configured_lanes(settings: Settings) -> list[Lane]:
    """The paced streams this deployment sends through, one per sender identity."""
    return [lane for channel in CHANNELS for lane in channel.lanes(settings)]


def describe(settings: Settings) -> list[str]:
    """One line per channel for the start-up banner, saying how to turn on what is off."""
    return [line for channel in CHANNELS for line in channel.banner(settings)]


def media_fetchers(settings: Settings) -> dict[str, MediaFetcher]:
    """Channel name -> the fetcher of its files, for each channel whose module fetches them
    and is configured; the channels of one module share one fetcher."""
    fetchers: dict[str, MediaFetcher] = {}
    for channel in CHANNELS:
        fetcher = channel.fetch_media(settings)
        if fetcher is not None:
            fetchers.update(dict.fromkeys(channel.capabilities, fetcher))
    return fetchers
