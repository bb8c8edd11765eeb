"""The channel boundary: what an adapter hands the engine (`Inbound`), what the sender hands an
adapter (`Outgoing`), and the four ways a hand-over can end."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Inbound:
    """A message as every channel adapter hands it over, whatever the provider."""

    channel: str
    address: str
    provider_id: str
    text: str
    media: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outgoing:
    """One outbox row as an adapter needs it, detached from the database session."""

    id: int
    channel: str
    address: str
    body: str
    buttons: tuple[tuple[str, str], ...] = ()
    # The last time the person wrote to us on this channel (WhatsApp's 24-hour window).
    last_inbound_at: datetime | None = None


@dataclass(frozen=True)
class Accepted:
    """The provider took the message; provider_id matches its delivery reports."""

    provider_id: str
    sent_as: str | None = None
    template_variables: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Retry:
    """A passing failure (timeout, 429, 5xx): try again later; never sent as far as we know."""

    code: str
    detail: str
    after_seconds: float | None = None


@dataclass(frozen=True)
class Failed:
    """A permanent refusal (4xx): recorded, never retried."""

    code: str
    detail: str
    opted_out: bool = False


@dataclass(frozen=True)
class Unknown:
    """The request left but no answer came back: it may have been delivered, so not resent."""

    code: str
    detail: str


Result = Accepted | Retry | Failed | Unknown


class Provider(Protocol):
    def send(self, message: Outgoing, now: datetime) -> Result: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Lane:
    """One paced stream of messages: a channel through one sender identity at a fixed rate."""

    key: str
    channel: str
    per_second: float
    provider: Provider
    # Telegram allows about one message a second into one chat.
    per_chat_gap_seconds: float = 0.0
