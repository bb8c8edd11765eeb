"""The channel boundary: what an adapter hands the engine (`Inbound`), what the sender hands an
adapter (`Outgoing`), the four ways a hand-over can end, how a file a person sent is fetched
back (`MediaFetcher`), and what a channel module registers (`Channel`: its capabilities,
banner, lanes, webhooks, delivery words and media fetcher)."""

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.capabilities import Capabilities
from bot.settings import Settings
from messages.render import Rendered


@dataclass(frozen=True)
class Inbound:
    """A message as every channel adapter hands it over, whatever the provider.

    `keyword` is a global keyword (`stop`, `start`, `help`, `menu`, `lang`) the channel itself
    recognised: a Telegram command, or a word the carrier acted on before us, in which case
    `carrier_answered` says the carrier has already sent its own reply. `question` is the name
    of the question a pressed button was sent with (`messages.render.pressed`).
    """

    channel: str
    address: str
    provider_id: str
    text: str
    media: tuple[str, ...] = ()
    keyword: str | None = None
    carrier_answered: bool = False
    question: str | None = None


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
    # A document to send with the message (a report's PDF), by a public address the provider
    # fetches it from; the body names the same address for channels that carry no documents.
    document_url: str | None = None


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


class Redacting(Provider, Protocol):
    """A provider that can empty the body it keeps of a message once the message is final (a
    channel whose capabilities say `redacts`): Accepted when done, Failed when it has no such
    message, Retry otherwise."""

    def redact(self, provider_id: str) -> Result: ...


@dataclass(frozen=True)
class Lane:
    """One paced stream of messages: a channel through one sender identity at a fixed rate."""

    key: str
    channel: str
    per_second: float
    provider: Provider
    # Telegram allows about one message a second into one chat.
    per_chat_gap_seconds: float = 0.0


@dataclass(frozen=True)
class DeliveryReport:
    """A provider's report on a message we handed it, in the provider's own words."""

    provider_id: str
    status: str
    error_code: str | None
    outbound_id: int | None  # our row's id, when the report's address carries it


class Fields(Protocol):
    """A form or a query string as the web framework parsed it, repeated keys kept."""

    def getlist(self, key: str) -> list[str]: ...

    def __iter__(self) -> Iterator[str]: ...


@dataclass(frozen=True)
class WebhookCall:
    """One request to a channel's webhook, free of any web framework."""

    url: str  # the public address the provider called (PUBLIC_BASE_URL, path and query)
    headers: Mapping[str, str]  # lower-case names
    query: Fields  # repeated keys kept
    body: bytes


@dataclass(frozen=True)
class Answer:
    """The webhook's HTTP answer."""

    status: int = 200
    media_type: str | None = None
    body: bytes = b""


@dataclass(frozen=True)
class Arrival:
    """What a webhook request brought for the shared machinery: a message for the engine, a
    delivery report to record, or both; then `answer`, given the replies as rendered (for a
    channel that answers in the webhook's own response), builds the HTTP answer."""

    inbound: Inbound | None = None
    report: DeliveryReport | None = None
    answer: Callable[[Sequence[Rendered]], Answer] = lambda _: Answer(204)


class Refused(Exception):
    """A webhook request the channel will not take: the status and a short reason given back."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class MalformedPayload(Refused):
    """A payload the channel cannot use (400); the message is the short reason given back."""

    def __init__(self, reason: str) -> None:
        super().__init__(400, reason)


@dataclass(frozen=True)
class Webhook:
    """One address under /webhooks that a provider posts to.

    The shared machinery answers 404 with `off` (what to set) while `off(settings)` says so,
    then calls `check_headers` (a secret in a header, before the body is read), refuses any
    other content type than `content_type` (415) and bodies over its limit (413), and hands
    the body to `read`, which checks a signature and parses. Both raise Refused.
    """

    path: str
    content_type: str
    off: Callable[[Settings], str | None]
    read: Callable[[WebhookCall, Settings], Arrival]
    check_headers: Callable[[Mapping[str, str], Settings], None] = lambda _, __: None


@dataclass(frozen=True)
class Fetched:
    """A file a person sent, as its provider gave it back: the bytes (at most the limit asked
    for) and the content type the provider declared (checked again before it is kept)."""

    data: bytes
    declared_type: str


@dataclass(frozen=True)
class TooLarge:
    """The provider says, or the download showed, the file is over the limit: not kept.
    `size` in bytes when the provider said it."""

    size: int | None = None


# Fetched; TooLarge; Retry for a passing failure (network, 5xx, 429); Failed for a refusal
# that will not pass (the provider has no such file, the reference is not one of ours).
FetchResult = Fetched | TooLarge | Retry | Failed


class MediaFetcher(Protocol):
    """Fetches files people sent on one channel module's channels, with its credentials."""

    def fetch(self, reference: str, max_bytes: int) -> FetchResult:
        """The file an inbound message referred to (`Inbound.media`), read up to `max_bytes`
        bytes; never raises for what the provider or the network does."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Channel:
    """Everything one channel module registers (bot/channels/registry.py): the webhooks
    router, the sender's lanes, the scheduler, the renderer and delivery reports read these,
    and the engine and the domain never name a channel."""

    capabilities: Mapping[str, Capabilities]  # name -> what it does; one module may run several
    banner: Callable[[Settings], list[str]]  # one line per name: on, or what to set
    lanes: Callable[[Settings], list[Lane]] = lambda _: []
    webhooks: tuple[Webhook, ...] = ()
    # A delivery report's words -> (our status or None when it means nothing to us, opted out).
    delivery_status: Callable[[str, str | None], tuple[str | None, bool]] = lambda _, __: (
        None,
        False,
    )
    # Fetches the files people send (None while its credentials are absent).
    fetch_media: Callable[[Settings], MediaFetcher | None] = lambda _: None
