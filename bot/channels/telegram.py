"""Telegram: updates in (webhook or long polling), messages with buttons out, via
python-telegram-bot.

The adapter only translates, and owns all of Telegram's vocabulary: the webhook's secret
header and JSON updates, the button keyboard, the API's errors, the paced lane and the
start-up banner (`ADAPTER`). A chat is the contact `telegram:<chat_id>`; an update's id is the
message id the engine dedupes on; a button press is handled as the number it carries.
"""

import asyncio
import contextlib
import hmac
import json
import re
import signal
import threading
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.capabilities import Capabilities
from bot.channels.provider import (
    Accepted,
    Answer,
    Arrival,
    Channel,
    Failed,
    Inbound,
    Lane,
    MalformedPayload,
    Outgoing,
    Refused,
    Result,
    Retry,
    Unknown,
    Webhook,
    WebhookCall,
)
from bot.settings import Settings

CHANNEL = "telegram"
PREFIX = "telegram:"
WEBHOOK_PATH = "/webhooks/telegram"
JSON = "application/json"
UPDATES = ["message", "callback_query"]
# Telegram's ids fit in 52 bits; anything bigger is not from Telegram.
_MAX_ID = 2**52
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class BadUpdate(MalformedPayload):
    """An update we cannot use; the message is the short reason given back."""


def is_on(settings: Settings) -> bool:
    return bool(settings.telegram_bot_token)


def webhook_is_on(settings: Settings) -> bool:
    """The webhook needs the secret Telegram echoes back, or anyone could post updates."""
    return is_on(settings) and bool(settings.telegram_webhook_secret)


def secret_is_valid(secret: str) -> bool:
    """Telegram accepts 1-256 letters, digits, '_' and '-' as a webhook secret."""
    return bool(_SECRET.fullmatch(secret))


class StatusKeepingRequest(HTTPXRequest):
    """Remembers the HTTP status of the last answer, which the library's errors leave out."""

    last_status = 0

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        self.last_status = 0
        status, payload = await super().do_request(*args, **kwargs)
        self.last_status = status
        return status, payload


def make_bot(settings: Settings, request: HTTPXRequest | None = None) -> Bot:
    """A Bot on the configured API address; given one request object, it uses only that."""
    return Bot(
        settings.telegram_bot_token,
        base_url=settings.telegram_api_base_url,
        request=request or HTTPXRequest(read_timeout=15, connect_timeout=10),
        get_updates_request=request or HTTPXRequest(read_timeout=60, connect_timeout=10),
    )


@dataclass(frozen=True)
class Received:
    """What one update asks of us: a message for the engine, a button press to acknowledge."""

    inbound: Inbound | None
    callback_query_id: str | None = None


def parse_update(data: object) -> Received:
    """An update from Telegram, translated; updates we do not serve (edits, groups) are None."""
    if not isinstance(data, dict):
        raise BadUpdate("an update is a JSON object")
    try:
        update = Update.de_json(data, None)
    except Exception as error:  # the library's parsers raise whatever the bad field causes
        raise BadUpdate("not a Telegram update") from error
    return translate(update)


def translate(update: Update) -> Received:
    if not isinstance(update.update_id, int) or not 0 <= update.update_id < _MAX_ID:
        raise BadUpdate("update_id is missing or malformed")
    provider_id = str(update.update_id)
    query = update.callback_query
    if query is not None:
        message = query.message
        data = query.data if isinstance(query.data, str) else ""
        if message is None or message.chat.type != "private":
            return Received(None, str(query.id))
        return Received(_inbound(message.chat.id, provider_id, data), str(query.id))
    message = update.message
    if message is None or message.chat.type != "private":
        return Received(None)
    text = message.text or message.caption or ""
    return Received(_inbound(message.chat.id, provider_id, text, _media(message)))


def _inbound(chat_id: object, provider_id: str, text: str, media: tuple[str, ...] = ()) -> Inbound:
    if not isinstance(chat_id, int) or not -_MAX_ID < chat_id < _MAX_ID:
        raise BadUpdate("chat id is missing or malformed")
    return Inbound(CHANNEL, f"{PREFIX}{chat_id}", provider_id, text, media)


def _media(message: Any) -> tuple[str, ...]:
    """Photos and files by their Telegram file id (a download URL would carry the bot token)."""
    files = [message.photo[-1]] if message.photo else []
    files += [item for item in (message.document, message.video, message.voice) if item]
    return tuple(f"telegram-file:{item.file_id}" for item in files)


def chat_id_of(address: str) -> int | None:
    number = address.removeprefix(PREFIX)
    if not address.startswith(PREFIX) or not number.lstrip("-").isdigit() or len(number) > 20:
        return None
    return int(number)


def keyboard(buttons: tuple[tuple[str, str], ...]) -> InlineKeyboardMarkup | None:
    """One button per row: labels are whole phrases, and a press sends the option's number."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data)] for label, data in buttons]
    )


class TelegramProvider:
    """Sends through one Bot, one connection pool and one event loop kept for the life of the
    process. The Bot is not initialised (no getMe), so a send is one request and starts on
    time for its paced moment."""

    def __init__(self, settings: Settings) -> None:
        self.request = StatusKeepingRequest(
            connection_pool_size=8, read_timeout=15, connect_timeout=10
        )
        self.bot = make_bot(settings, self.request)
        self.loop = asyncio.new_event_loop()

    def send(self, message: Outgoing, now: datetime) -> Result:
        chat_id = chat_id_of(message.address)
        if chat_id is None:
            return Failed("bad_address", f"not a Telegram chat: {message.address[:64]}")
        return self.loop.run_until_complete(self._send(chat_id, message))

    async def _send(self, chat_id: int, message: Outgoing) -> Result:
        try:
            sent = await self.bot.send_message(
                chat_id, message.body, reply_markup=keyboard(message.buttons)
            )
        except TelegramError as error:
            return refused(error, self.request.last_status)
        return Accepted(f"{chat_id}:{sent.message_id}")

    def close(self) -> None:
        """Closes the connection pool; in a thread of its own, as the caller may be inside an
        event loop (the web app shutting down) and one thread cannot run two loops."""

        def shut_down() -> None:
            self.loop.run_until_complete(self.request.shutdown())
            self.loop.close()

        closing = threading.Thread(target=shut_down)
        closing.start()
        closing.join()


def refused(error: TelegramError, http_status: int = 0) -> Result:
    """Telegram said no, or did not answer: retry what may pass, record what will not."""
    detail = str(error)[:500]
    if isinstance(error, RetryAfter):
        with warnings.catch_warnings():  # the type changes in a later version; both handled
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            wait = error.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return Retry("429", detail, seconds)
    if isinstance(error, TimedOut):
        cause = error.__cause__
        if isinstance(cause, httpx.ConnectTimeout | httpx.PoolTimeout):
            return Retry("timeout", detail)  # the request never left
        # It left and no answer came: Telegram may have shown it, and it cannot be asked.
        return Unknown("timeout", detail)
    if isinstance(error, Forbidden):
        return Failed("403", detail, opted_out=True)  # the person blocked the bot
    if isinstance(error, BadRequest | ChatMigrated):
        return Failed("400", detail)
    if isinstance(error, InvalidToken):
        return Retry("401", detail)  # our token, not the message: fixable, so keep it
    if isinstance(error, NetworkError):
        return Retry(str(http_status) if http_status else "network", detail)
    return Failed("telegram", detail)


async def set_webhook(settings: Settings) -> str:
    """Tell Telegram where to post updates, and the secret to prove it is Telegram."""
    url = settings.public_base_url.rstrip("/") + WEBHOOK_PATH
    async with make_bot(settings) as bot:
        await bot.set_webhook(
            url, secret_token=settings.telegram_webhook_secret, allowed_updates=UPDATES
        )
    return url


async def poll(
    settings: Settings,
    handle: Callable[[Inbound], object],
    stop: asyncio.Event | None = None,
    wait_seconds: int = 25,
) -> None:
    """Long polling for local development: the same translation and engine as the webhook.

    Telegram keeps an update until a later getUpdates asks past it, so a crash between
    receiving and handling loses nothing; the engine's dedupe makes the repeat harmless.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    async with make_bot(settings) as bot:
        await bot.delete_webhook()
        offset: int | None = None
        failures = 0
        while not stop.is_set():
            fetch = asyncio.ensure_future(
                bot.get_updates(offset, timeout=wait_seconds, allowed_updates=UPDATES)
            )
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not fetch.done():
                fetch.cancel()
                break
            try:
                updates = fetch.result()
            except (InvalidToken, Conflict):
                raise
            except TelegramError:
                failures += 1
                await asyncio.sleep(min(30, 2**failures))  # the network, not a schedule
                continue
            failures = 0
            for update in updates:
                try:
                    await _handle_polled(bot, update, handle)
                except SQLAlchemyError:
                    failures += 1  # the store is down: ask for this update again shortly
                    await asyncio.sleep(min(30, 2**failures))
                    break
                offset = update.update_id + 1


async def _handle_polled(bot: Bot, update: Update, handle: Callable[[Inbound], object]) -> None:
    try:
        received = translate(update)
    except BadUpdate:
        return
    if received.inbound is not None:
        await asyncio.to_thread(handle, received.inbound)
    if received.callback_query_id is not None:
        with contextlib.suppress(TelegramError):
            await bot.answer_callback_query(received.callback_query_id)


def _off(settings: Settings) -> str | None:
    """Why the webhook answers 404: what to set to turn it on."""
    if webhook_is_on(settings):
        return None
    return "Telegram is off: set TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET"


def _check_secret(headers: Mapping[str, str], settings: Settings) -> None:
    """Only Telegram knows the secret we gave it with setWebhook. Raises Refused (403)."""
    given = headers.get("x-telegram-bot-api-secret-token", "").encode("latin-1")
    if not hmac.compare_digest(given, settings.telegram_webhook_secret.encode("utf-8")):
        raise Refused(403, "wrong or missing secret token")


def _read_update(call: WebhookCall, _: Settings) -> Arrival:
    """A Telegram update. A button press is acknowledged in the answer itself (Telegram runs
    a method given in a webhook's answer), which stops the button's spinner."""
    try:
        data = json.loads(call.body)
    except (ValueError, RecursionError):
        raise BadUpdate("body is not JSON") from None
    received = parse_update(data)
    answer = {}
    if received.callback_query_id is not None:
        answer = {"method": "answerCallbackQuery", "callback_query_id": received.callback_query_id}
    body = json.dumps(answer).encode()
    return Arrival(inbound=received.inbound, answer=lambda _: Answer(200, JSON, body))


def lanes(settings: Settings) -> list[Lane]:
    """The whole bot is one paced lane, with about a second between messages to one chat."""
    if not is_on(settings):
        return []
    gap = 1.0 / settings.telegram_per_chat_per_second
    provider = TelegramProvider(settings)
    return [
        Lane(CHANNEL, CHANNEL, settings.telegram_per_second, provider, per_chat_gap_seconds=gap)
    ]


def banner(settings: Settings) -> list[str]:
    """Whether Telegram sends and takes webhooks, and what to set when it does not."""
    if webhook_is_on(settings):
        return ["Telegram: on (webhook and sending)"]
    if is_on(settings):
        return ["Telegram: sending on; webhook off (set TELEGRAM_WEBHOOK_SECRET)"]
    return ["Telegram: off (set TELEGRAM_BOT_TOKEN)"]


ADAPTER = Channel(
    capabilities={CHANNEL: Capabilities(buttons=True, media=True)},
    banner=banner,
    lanes=lanes,
    webhooks=(Webhook("/telegram", JSON, _off, _read_update, _check_secret),),
)
