"""Telegram: updates in (webhook or long polling), messages with buttons out, via
python-telegram-bot.

The adapter only translates, and owns all of Telegram's vocabulary: the webhook's secret
header and JSON updates, the button keyboard, the API's errors, the paced lane and the
start-up banner (`ADAPTER`). A chat is the contact `telegram:<chat_id>`. The engine dedupes a
message on its chat and message id and a button press on the press's own id, never on the
update id, which Telegram may start again from a random number after a week without updates
(Bot API, getUpdates). A press is handled as the number its button carries, for the question
it was sent with; the commands /start, /stop, /help, /menu and /lang (also as
/help@OurBot) are the global keywords.
"""

import asyncio
import contextlib
import hmac
import json
import logging
import re
import signal
import threading
import warnings
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

import httpx
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError
from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
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
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from bot.capabilities import Capabilities
from bot.channels.provider import (
    Accepted,
    Answer,
    Arrival,
    Channel,
    Failed,
    Fetched,
    FetchResult,
    Inbound,
    Lane,
    MalformedPayload,
    Outgoing,
    Refused,
    Result,
    Retry,
    TooLarge,
    Unknown,
    Webhook,
    WebhookCall,
)
from bot.settings import Settings
from messages.render import pressed

CHANNEL = "telegram"
PREFIX = "telegram:"
WEBHOOK_PATH = "/webhooks/telegram"
JSON = "application/json"
UPDATES = ["message", "callback_query"]
# Telegram's ids fit in 52 bits; anything bigger is not from Telegram.
_MAX_ID = 2**52
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# A command as Telegram clients send it: "/help", "/help@SomeBot", "/start payload"
# (Bot API, "Commands": up to 32 letters, digits and underscores; usernames are 5-32).
_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]{1,64})?(?:\s.*)?", re.DOTALL)
COMMANDS = {"start": "start", "stop": "stop", "help": "help", "menu": "menu", "lang": "lang"}
log = logging.getLogger(__name__)


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


# -- the fields we read from an update, checked before the library parses it ---------------
#
# Telegram omits an optional field rather than sending null, so a field that is present must
# hold its type. Fields we do not read are dropped unseen: Telegram adds fields over time.

_T = TypeVar("_T")


def _not_null(value: _T | None) -> _T:
    if value is None:
        raise PydanticCustomError("null", "null")
    return value


def _button_data(value: str) -> str:
    """Telegram carries at most 64 bytes of UTF-8 from a button (ours carry a number)."""
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate: not something Telegram can send
        raise PydanticCustomError("button_data", "not UTF-8") from None
    if size > 64:
        raise PydanticCustomError("button_data", "over 64 bytes")
    return value


# Present means not null: `Maybe[X]` is a field that may be absent but, if given, is an X.
Maybe = Annotated[_T | None, AfterValidator(_not_null)]
_Id = Annotated[int, Field(ge=0, lt=_MAX_ID)]
_ChatId = Annotated[int, Field(gt=-_MAX_ID, lt=_MAX_ID)]
_Size = Annotated[int, Field(ge=0, lt=_MAX_ID)]  # bytes, pixels, seconds
_Date = Annotated[int, Field(ge=0, lt=2**32)]  # Unix time; 0 marks a message no longer shown
_Token = Annotated[str, Field(pattern=r"^[!-~]{1,256}$")]  # file and query ids: plain ASCII
_Word = Annotated[str, Field(pattern=r"^[a-z_]{1,32}$")]  # "private", "group", ...
_Language = Annotated[str, Field(pattern=r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,4}$")]
_Name = Annotated[str, Field(min_length=1, max_length=256)]
_ButtonData = Annotated[str, AfterValidator(_button_data)]


class _Shape(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class _User(_Shape):
    id: _Id
    is_bot: bool
    first_name: _Name
    language_code: Maybe[_Language] = None


class _Chat(_Shape):
    id: _ChatId
    type: _Word


class _File(_Shape):
    file_id: _Token
    file_unique_id: _Token
    file_size: Maybe[_Size] = None


class _Photo(_File):
    width: _Size
    height: _Size


class _Sound(_File):
    duration: _Size


class _Video(_Photo):
    duration: _Size


class _Message(_Shape):
    message_id: _Id
    date: _Date
    chat: _Chat
    sender: Maybe[_User] = Field(None, alias="from")
    text: Maybe[str] = None  # any text, any length: answering it is the engine's work
    caption: Maybe[str] = None
    photo: Maybe[Annotated[list[_Photo], Field(min_length=1, max_length=32)]] = None
    document: Maybe[_File] = None
    audio: Maybe[_Sound] = None
    voice: Maybe[_Sound] = None
    video: Maybe[_Video] = None


class _CallbackQuery(_Shape):
    id: _Token
    sender: _User = Field(alias="from")
    chat_instance: _Token
    data: Maybe[_ButtonData] = None
    message: Maybe[_Message] = None


class _Update(_Shape):
    update_id: _Id
    message: Maybe[_Message] = None
    edited_message: Maybe[_Message] = None
    callback_query: Maybe[_CallbackQuery] = None


# What is wrong with a field, by pydantic's error type; anything else is "malformed".
_PROBLEMS = {
    "missing": "is missing",
    "null": "is null",
    "int_type": "is not a whole number",
    "string_type": "is not a string",
    "bool_type": "is not true or false",
    "model_type": "is not an object",
    "list_type": "is not a list",
    "greater_than": "is out of range",
    "greater_than_equal": "is out of range",
    "less_than": "is out of range",
    "less_than_equal": "is out of range",
    "too_short": "is too short",
    "string_too_short": "is too short",
    "too_long": "is too long",
    "string_too_long": "is too long",
}


def _reason(error: ValidationError) -> str:
    """The first problem, naming the field by its path in the update: `message.chat.id`."""
    first = error.errors(include_url=False, include_input=False)[0]
    if not first["loc"]:
        return "an update is a JSON object"
    path = ".".join(str(part) for part in first["loc"])
    return f"{path} {_PROBLEMS.get(first['type'], 'is malformed')}"


def _refuse_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        raise BadUpdate("a JSON key is given twice")
    return data


def parse_body(body: bytes) -> Received:
    """A webhook's body: JSON holding one update."""
    try:
        data = json.loads(body, object_pairs_hook=_refuse_repeated_keys)
    except BadUpdate:
        raise
    except (ValueError, RecursionError):
        raise BadUpdate("body is not JSON") from None
    return parse_update(data)


def parse_update(data: object) -> Received:
    """An update from Telegram, translated; updates we do not serve (edits, groups) are None.

    Every field we read is checked for type and range first, and only those fields reach the
    library's parser, so nothing in an update can surprise it.
    """
    try:
        checked = _Update.model_validate(data)
    except ValidationError as error:
        raise BadUpdate(_reason(error)) from None
    kinds = (checked.message, checked.edited_message, checked.callback_query)
    if sum(kind is not None for kind in kinds) > 1:
        raise BadUpdate("an update carries one message or button press, not several")
    try:
        update = Update.de_json(checked.model_dump(by_alias=True, exclude_unset=True), None)
    except Exception as error:  # checked above; this guards against the library changing
        raise BadUpdate("not a Telegram update") from error
    return _translate(update)


def _translate(update: Update) -> Received:
    query = update.callback_query
    if query is not None:
        message = query.message
        if message is None or message.chat.type != ChatType.PRIVATE:
            return Received(None, query.id)
        value, question = pressed(query.data or "")
        address = f"{PREFIX}{message.chat.id}"
        return Received(
            Inbound(CHANNEL, address, f"press:{query.id}", value, question=question), query.id
        )
    message = update.message
    if message is None or message.chat.type != ChatType.PRIVATE:
        return Received(None)
    text = message.text or message.caption or ""
    return Received(
        Inbound(
            CHANNEL,
            f"{PREFIX}{message.chat.id}",
            f"{message.chat.id}:{message.message_id}",
            text,
            _media(message),
            keyword=command(message.text or ""),
        )
    )


def command(text: str) -> str | None:
    """The global keyword a Telegram command is (`/help`, `/help@OurBot`, `/start payload`),
    or None for any other text. In a private chat every command is meant for this bot."""
    found = _COMMAND.fullmatch(text.strip())
    return COMMANDS.get(found.group(1).lower()) if found else None


def _media(message: Message) -> tuple[str, ...]:
    """Photos (the largest size) and files by their Telegram file id (a download URL would
    carry the bot token)."""
    files = (*message.photo[-1:], message.document, message.audio, message.video, message.voice)
    return tuple(f"telegram-file:{item.file_id}" for item in files if item is not None)


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


_T_Result = TypeVar("_T_Result")


class LoopThread:
    """One event loop running in a thread of its own for the life of a provider, so its
    connection pool lives in one loop, and a caller on any thread (also one already running
    an event loop: the web app, a browser driver) gets the result of a coroutine."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, _T_Result]) -> _T_Result:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self, last: Coroutine[Any, Any, object]) -> None:
        """Run `last` (closing a connection pool), then stop and close the loop."""
        try:
            self.run(last)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join()
            self.loop.close()


class TelegramProvider:
    """Sends through one Bot, one connection pool and one event loop kept for the life of the
    process. The Bot is not initialised (no getMe), so a send is one request and starts on
    time for its paced moment."""

    def __init__(self, settings: Settings) -> None:
        self.request = StatusKeepingRequest(
            connection_pool_size=8, read_timeout=15, connect_timeout=10
        )
        self.bot = make_bot(settings, self.request)
        self.loop = LoopThread()

    def send(self, message: Outgoing, now: datetime) -> Result:
        chat_id = chat_id_of(message.address)
        if chat_id is None:
            return Failed("bad_address", f"not a Telegram chat: {message.address[:64]}")
        return self.loop.run(self._send(chat_id, message))

    async def _send(self, chat_id: int, message: Outgoing) -> Result:
        try:
            if message.document_url:
                # Telegram fetches the document from its address (Bot API sendDocument); the
                # text goes as its caption, which Telegram caps at 1024 characters.
                sent = await self.bot.send_document(
                    chat_id,
                    message.document_url,
                    caption=message.body[:1024],
                    reply_markup=keyboard(message.buttons),
                )
            else:
                sent = await self.bot.send_message(
                    chat_id, message.body, reply_markup=keyboard(message.buttons)
                )
        except TelegramError as error:
            return refused(error, self.request.last_status)
        return Accepted(f"{chat_id}:{sent.message_id}")

    def close(self) -> None:
        """Closes the connection pool and the provider's event loop."""
        self.loop.close(self.request.shutdown())


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
            fetch = asyncio.ensure_future(_fetch_updates(bot, offset, wait_seconds))
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
            for data in updates:
                try:
                    await _handle_polled(bot, data, handle)
                except SQLAlchemyError:
                    failures += 1  # the store is down: ask for this update again shortly
                    await asyncio.sleep(min(30, 2**failures))
                    break
                update_id = _update_id_of(data)
                if update_id is None:  # cannot ask past it: do not ask again at once
                    failures += 1
                    await asyncio.sleep(min(30, 2**failures))
                else:
                    offset = update_id + 1


async def _fetch_updates(bot: Bot, offset: int | None, wait_seconds: int) -> list[object]:
    """The updates as Telegram sent them, so each is checked like a webhook's: the library's
    own get_updates parses the whole batch at once, and one malformed update would sink it."""
    arguments: dict[str, object] = {"timeout": wait_seconds, "allowed_updates": UPDATES}
    if offset is not None:
        arguments["offset"] = offset
    with warnings.catch_warnings():  # it suggests get_updates, which we mean not to use
        warnings.simplefilter("ignore", PTBUserWarning)
        result = await bot.do_api_request(
            "getUpdates", api_kwargs=arguments, read_timeout=wait_seconds + 15
        )
    return result if isinstance(result, list) else []


def _update_id_of(data: object) -> int | None:
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if isinstance(update_id, bool) or not isinstance(update_id, int):
        return None
    return update_id if 0 <= update_id < _MAX_ID else None


async def _handle_polled(bot: Bot, data: object, handle: Callable[[Inbound], object]) -> None:
    """One polled update: a malformed one is logged and skipped, as a webhook would refuse it."""
    try:
        received = parse_update(data)
    except BadUpdate as error:
        log.warning("skipped a malformed Telegram update: %s", error)
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
    received = parse_body(call.body)
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


FILE_PREFIX = "telegram-file:"
# A file id as Telegram issues them; anything else is never sent to the API.
_FILE_ID = re.compile(r"[A-Za-z0-9_-]{1,256}")
# A file path as getFile gives it ("photos/file_1.jpg"): no "..", no absolute path.
_FILE_PATH = re.compile(r"[A-Za-z0-9_-]+(?:[./][A-Za-z0-9_-]+)*")


def file_base_url(settings: Settings) -> str:
    """Where files are downloaded from, next to the API: ".../bot" -> ".../file/bot"."""
    base = settings.telegram_api_base_url.rstrip("/")
    root, _, last = base.rpartition("/")
    return f"{root}/file/{last}" if root else base + "/file"


class TelegramMediaFetcher:
    """Fetches the files of a chat (photos, documents, voice notes) by their file id: getFile,
    then the file's address, through python-telegram-bot on one event loop of its own."""

    def __init__(self, settings: Settings) -> None:
        self.request = HTTPXRequest(read_timeout=60, connect_timeout=10)
        self.bot = Bot(
            settings.telegram_bot_token,
            base_url=settings.telegram_api_base_url,
            base_file_url=file_base_url(settings),
            request=self.request,
            get_updates_request=self.request,
        )
        self.loop = LoopThread()

    def fetch(self, reference: str, max_bytes: int) -> FetchResult:
        """The file `telegram-file:<file_id>`, up to `max_bytes` bytes; Failed for a reference
        that is not one (never sent to Telegram), Retry for what may pass."""
        file_id = reference.removeprefix(FILE_PREFIX)
        if not reference.startswith(FILE_PREFIX) or not _FILE_ID.fullmatch(file_id):
            return Failed("bad_reference", "not a Telegram file id")
        return self.loop.run(self._fetch(file_id, max_bytes))

    async def _fetch(self, file_id: str, max_bytes: int) -> FetchResult:
        try:
            found = await self.bot.get_file(file_id)
            if found.file_size is not None and found.file_size > max_bytes:
                return TooLarge(found.file_size)
            path = (found.file_path or "").removeprefix(self.bot.base_file_url + "/")
            if not _FILE_PATH.fullmatch(path) or ".." in path:
                return Failed("bad_path", "Telegram gave no usable file path")
            data = await found.download_as_bytearray()
        except TelegramError as error:
            if "too big" in str(error).lower():
                return TooLarge()
            result = refused(error)
            return Retry(result.code, result.detail) if isinstance(result, Unknown) else result
        if len(data) > max_bytes:
            return TooLarge(len(data))
        return Fetched(bytes(data), "")

    def close(self) -> None:
        """Closes the connection pool and the fetcher's event loop."""
        self.loop.close(self.request.shutdown())


def media_fetcher(settings: Settings) -> TelegramMediaFetcher | None:
    """The fetcher of chat files, when the bot's token is set."""
    return TelegramMediaFetcher(settings) if is_on(settings) else None


ADAPTER = Channel(
    capabilities={CHANNEL: Capabilities(label="Telegram", buttons=True, media=True)},
    banner=banner,
    lanes=lanes,
    webhooks=(Webhook("/telegram", JSON, _off, _read_update, _check_secret),),
    fetch_media=media_fetcher,
)
