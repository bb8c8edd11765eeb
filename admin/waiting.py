"""Plain sentences saying why a broadcast's unsent messages wait, from what their outbox rows
say (bot.domain.broadcast_delivery) and the paced lanes this server sends through."""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from babel.dates import format_timedelta

from admin.times import shown
from bot.capabilities import channel_label
from bot.domain.broadcast_delivery import Waiting


def _messages(count: int, channel: str) -> str:
    return f"{count} {channel_label(channel)} message{'s' if count != 1 else ''}"


def _verb(count: int, one: str, more: str) -> str:
    return one if count == 1 else more


def explain(
    waiting: Sequence[Waiting],
    rates: Mapping[str, float],
    templated: Mapping[str, int],
    window: timedelta,
    zone_name: str,
) -> list[str]:
    """One sentence per reason, its times in `zone_name` (the reader's zone). `rates`:
    messages per second per channel this server sends through (a paced channel missing from
    it is not set up here); `templated`: per channel, the waiting messages going as the
    approved template, to people who last wrote more than `window` ago."""
    sentences = []
    for entry in waiting:
        n, label = entry.count, channel_label(entry.channel)
        what = _messages(n, entry.channel)
        are, wait = _verb(n, "is", "are"), _verb(n, "waits", "wait")
        if entry.reason == "on_next_chat":
            sentences.append(
                f"{what} {wait} for the phone: a {label} contact receives it when that phone "
                "next chats (open the simulator with its number and send anything)."
            )
        elif entry.reason == "in_line" and rates.get(entry.channel):
            rate = rates[entry.channel]
            takes = format_timedelta(timedelta(seconds=n / rate), locale="en")
            sentences.append(
                f"{what} {are} in line: {label} goes out at {rate:g} per second, so the last "
                f"leaves in about {takes}."
            )
        elif entry.reason == "in_line":
            sentences.append(
                f"{what} {wait} because {label} is not set up on this server; they go once it "
                "is (the start-up banner says what to set)."
            )
        elif entry.reason == "retry":
            sentences.append(
                f"{what} could not be handed over yet (the provider asked us to wait) and {are} "
                f"tried again from {_at(entry.until, zone_name)}."
            )
        elif entry.reason == "held":
            sentences.append(
                f"{what} {are} held until {_at(entry.until, zone_name)}, and not sent before "
                "then (for example, the recipient's night-time quiet hours)."
            )
        else:
            sentences.append(f"{what} {are} being handed to the provider now.")
    hours = format_timedelta(window, locale="en")
    for channel, count in templated.items():
        people = f"{count} {channel_label(channel)} recipient{'s' if count != 1 else ''}"
        get = _verb(count, "gets", "get")
        sentences.append(
            f"{people} last wrote more than {hours} ago, so {get} the approved template "
            "instead of this text."
        )
    return sentences


def _at(moment: datetime | None, zone_name: str) -> str:
    return shown(moment, zone_name) if moment else "later"
