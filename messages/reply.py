"""What a conversation says, before any channel shows it: a message key with its parameters and
the numbered options that follow it."""

from collections.abc import Mapping
from dataclasses import dataclass, field

Params = Mapping[str, str | int]


@dataclass(frozen=True)
class Option:
    """One numbered choice; SMS shows it as '1 Label', Telegram as a button that sends '1'."""

    key: str
    params: Params = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """One message to send: the catalogue key, its placeholders' values and its options."""

    key: str
    params: Params = field(default_factory=dict)
    options: tuple[Option, ...] = ()
