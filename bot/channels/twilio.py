"""Twilio SMS and WhatsApp: webhook forms in, messages out through the twilio SDK.

This module is the whole of Twilio's vocabulary both ways: the signed forms of its webhooks
(every field read checked for shape), its delivery-status words and error codes, WhatsApp's
24-hour window and templates, emptying a message's body once it is final (`redact`), the two
channels' capabilities, their paced lanes and their start-up banner (`ADAPTER`). Dedupe,
retries and pacing belong to the shared machinery: the webhooks router, the engine, the sender.
"""

import json
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import requests
from starlette.datastructures import ImmutableMultiDict
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from bot.capabilities import Capabilities
from bot.channels.provider import (
    Accepted,
    Answer,
    Arrival,
    Channel,
    DeliveryReport,
    Failed,
    Fetched,
    FetchResult,
    Fields,
    Inbound,
    Lane,
    MalformedPayload,
    Outgoing,
    Refused,
    Result,
    Retry,
    TooLarge,
    Webhook,
    WebhookCall,
)
from bot.phones import to_e164
from bot.settings import Settings

TWILIO_API = "https://api.twilio.com"
WHATSAPP = "whatsapp:"
CHANNELS = ("sms", "whatsapp")
# WhatsApp lets a business write freely only within 24 hours of the person's last message.
SERVICE_WINDOW = timedelta(hours=24)
# "Attempt to send to unsubscribed recipient": the person texted STOP to the carrier.
OPTED_OUT_ERROR = "21610"
STATUS_PATH = "/webhooks/twilio/status"
FORM = "application/x-www-form-urlencoded"
MAX_FORM_FIELDS = 200
MAX_MEDIA = 10
SMS, WHATSAPP_CHANNEL = "sms", "whatsapp"
# Twilio's delivery words, in ours; those for "we have it, not yet with the carrier" all mean
# it left our hands.
DELIVERY_STATUS = {
    "accepted": "sent",
    "scheduled": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "partially_delivered": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
    "read": "read",
}
SEND_TIMEOUT_SECONDS = 15.0
# What Advanced Opt-Out says a message was; the engine takes it as the keyword it names.
OPT_OUT_TYPES = frozenset({"STOP", "START", "HELP"})
_SID = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")  # two letters and 32 hex digits: SM..., MM...
_STATUS = re.compile(r"[a-z_]{1,32}")
_ERROR_CODE = re.compile(r"[0-9]{1,10}")
_OUTBOUND = re.compile(r"[1-9][0-9]{0,17}")  # our row id, as we put it in the callback URL
_COUNT = re.compile(r"[0-9]{1,2}")
_MAX_ADDRESS = 64
_ADDRESS = re.compile(r"(whatsapp:)?\+?[0-9]{3,15}")  # our number, or a short code
_MEDIA_URL = re.compile(r"https://[!-~]{1,1016}")
_CONTENT_TYPE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._+-]{0,126}/[A-Za-z0-9._+-]{1,127}(; ?[ -~]{1,128})?"
)
_MEDIA_FIELDS = ("MediaUrl", "MediaContentType")
_MEDIA_KEY = re.compile(r"(MediaUrl|MediaContentType)[0-9]+")


class BadPayload(MalformedPayload):
    """A webhook payload we cannot use; the message is the short reason given back."""


def is_on(settings: Settings) -> bool:
    return bool(settings.twilio_account_sid and settings.twilio_auth_token)


def whatsapp_sender(settings: Settings) -> str:
    """The WhatsApp sender as Twilio wants it, whether or not the setting has the prefix."""
    number = settings.twilio_whatsapp_from.strip()
    return number if number.startswith(WHATSAPP) else WHATSAPP + number


def inbound_from_form(form: Fields) -> Inbound:
    """An SMS or WhatsApp message as the engine takes it; one phone number, one contact.

    Every field we read is checked for shape; a form Twilio could not have sent is refused
    with a reason naming the field, and nothing of it is stored.
    """
    sid = _agreeing(form, ("MessageSid", "SmsMessageSid", "SmsSid"), _SID)
    sender = _one(form, "From") or ""
    address = to_e164(sender) if len(sender) <= _MAX_ADDRESS else None
    if address is None:
        raise BadPayload("From is not a phone number")
    on_whatsapp = sender.startswith(WHATSAPP)
    to = _one(form, "To") or ""
    if not _ADDRESS.fullmatch(to):
        raise BadPayload("To is missing or malformed")
    if to.startswith(WHATSAPP) != on_whatsapp:
        raise BadPayload("To is not on the channel of From")
    opt_out = _one(form, "OptOutType")
    if opt_out is not None and opt_out not in OPT_OUT_TYPES:
        raise BadPayload("OptOutType is not STOP, START or HELP")
    body = _one(form, "Body") or ""  # any text, any length: answering it is the engine's work
    channel = WHATSAPP_CHANNEL if on_whatsapp else SMS
    # Twilio's Advanced Opt-Out adds OptOutType when the message was one of the account's
    # opt-out, opt-in or help words (its own lists may hold words ours do not) and it has
    # already sent its configured answer: the engine takes the keyword from Twilio, so the
    # carrier and the product agree on who is opted out, and sends no second answer.
    keyword = opt_out.lower() if opt_out is not None else None
    return Inbound(
        channel, address, sid, body, media_urls(form), keyword, carrier_answered=keyword is not None
    )


def media_urls(form: Fields) -> tuple[str, ...]:
    """The photos sent with a message (evidence for an action item), kept by their URL; each
    of the NumMedia files comes as a MediaUrlN and a MediaContentTypeN, and no others."""
    declared = _one(form, "NumMedia")
    if declared is None:
        declared = "0"
    if not _COUNT.fullmatch(declared) or int(declared) > MAX_MEDIA:
        raise BadPayload(f"NumMedia is not a number from 0 to {MAX_MEDIA}")
    count = int(declared)
    urls = []
    for index in range(count):
        url = _one(form, f"MediaUrl{index}") or ""
        if not _MEDIA_URL.fullmatch(url):
            raise BadPayload(f"MediaUrl{index} is missing or not an https address")
        if not _CONTENT_TYPE.fullmatch(_one(form, f"MediaContentType{index}") or ""):
            raise BadPayload(f"MediaContentType{index} is missing or malformed")
        urls.append(url)
    expected = {f"{kind}{index}" for kind in _MEDIA_FIELDS for index in range(count)}
    for key in form:
        if _MEDIA_KEY.fullmatch(key) and key not in expected:
            raise BadPayload(f"{key[:40]} is beyond NumMedia")
    return tuple(urls)


def status_from_form(form: Fields, query: Fields) -> DeliveryReport:
    """A delivery report; our own id for the message comes back in the callback's query."""
    sid = _agreeing(form, ("MessageSid", "SmsSid"), _SID)
    word = _agreeing(form, ("MessageStatus", "SmsStatus"), _STATUS)
    if word not in DELIVERY_STATUS:
        raise BadPayload("MessageStatus is not a status of a message we sent")
    error_code = _one(form, "ErrorCode") or None  # sent empty when there is no error
    if error_code is not None and not _ERROR_CODE.fullmatch(error_code):
        raise BadPayload("ErrorCode is not a number")
    outbound = _one(query, "outbound")
    if outbound is not None and not _OUTBOUND.fullmatch(outbound):
        raise BadPayload("outbound is not a message id")
    return DeliveryReport(sid, word, error_code, int(outbound) if outbound is not None else None)


def delivery_status(status: str, error_code: str | None) -> tuple[str | None, bool]:
    """Twilio's delivery word in ours (None for a word we do not know), and whether the error
    code says the person unsubscribed at the carrier (texted STOP to it)."""
    return DELIVERY_STATUS.get(status), error_code == OPTED_OUT_ERROR


def _one(form: Fields, name: str) -> str | None:
    """A field given at most once; two values for one field are two stories, so refused."""
    values = form.getlist(name)
    if len(values) > 1:
        raise BadPayload(f"{name} is given more than once")
    return values[0] if values else None


def _agreeing(form: Fields, names: tuple[str, ...], shape: re.Pattern[str]) -> str:
    """A value Twilio sends under several names (MessageSid and the older SmsSid): each one
    given must be well formed and all must agree."""
    given = [(name, value) for name in names if (value := _one(form, name)) is not None]
    if not given:
        raise BadPayload(f"{names[0]} is missing")
    for name, value in given:
        if not shape.fullmatch(value):
            raise BadPayload(f"{name} is malformed")
    first_name, first = given[0]
    for name, value in given[1:]:
        if value != first:
            raise BadPayload(f"{name} differs from {first_name}")
    return first


def window_is_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    return last_inbound_at is not None and now - last_inbound_at < SERVICE_WINDOW


def template_variables(body: str) -> dict[str, str]:
    """The message as the one variable of the approved template; WhatsApp refuses new lines
    inside a variable, so a numbered menu is kept on one line."""
    return {"1": " | ".join(line.strip() for line in body.splitlines() if line.strip())}


class RebasedHttpClient(TwilioHttpClient):
    """Sends the SDK's requests to another base URL: a regional proxy or a local test server."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")
        # requests reads the proxy and CA bundle variables (HTTPS_PROXY, NO_PROXY,
        # REQUESTS_CA_BUNDLE...) by walking the whole environment at every request, a fifth
        # of a send's time; they are read once here instead, for the address sends go to.
        found = self.session.merge_environment_settings(self.base_url + "/", {}, None, None, None)
        self.session.trust_env = False
        self.session.verify = found["verify"]
        self.proxy = found["proxies"]

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if url.startswith(TWILIO_API):
            url = self.base_url + url.removeprefix(TWILIO_API)
        return super().request(method, url, *args, **kwargs)


def rest_client(settings: Settings) -> Client:
    """The SDK's REST client for the account in `settings`, sending to TWILIO_API_BASE_URL with
    the sender's timeout (SEND_TIMEOUT_SECONDS); one per provider, so one connection pool."""
    http_client = RebasedHttpClient(settings.twilio_api_base_url, SEND_TIMEOUT_SECONDS)
    return Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http_client)


class TwilioProvider:
    """Hands messages to Twilio; one client (and one connection pool) for the whole process."""

    def __init__(self, settings: Settings) -> None:
        self.client = rest_client(settings)
        # Loaded now, not on the first send, so a send starts on time for its paced moment.
        self.messages = self.client.messages
        self.sms_from = settings.twilio_sms_from.strip()
        self.whatsapp_from = whatsapp_sender(settings)
        self.template_sid = settings.twilio_whatsapp_template_sid.strip()
        # The callback URL carries our id, so a report finds its row even if the sender died
        # before it could write down Twilio's id.
        self.status_url = settings.public_base_url.rstrip("/") + STATUS_PATH

    def send(self, message: Outgoing, now: datetime) -> Result:
        callback = f"{self.status_url}?outbound={message.id}"
        if message.channel != WHATSAPP_CHANNEL:
            sms = {"to": message.address, "from_": self.sms_from, "body": message.body}
            return self._create(sms, callback, None, {})
        whatsapp = {"to": WHATSAPP + message.address, "from_": self.whatsapp_from}
        if window_is_open(message.last_inbound_at, now):
            freeform = {**whatsapp, "body": message.body}
            if message.document_url:  # WhatsApp shows a PDF as a document (Twilio fetches it)
                freeform["media_url"] = [message.document_url]
            return self._create(freeform, callback, "freeform", {})
        if not self.template_sid:
            return Failed(
                "no_template",
                "outside the 24-hour WhatsApp window and TWILIO_WHATSAPP_TEMPLATE_SID is not set",
            )
        variables = template_variables(message.body)
        template = {"content_sid": self.template_sid, "content_variables": json.dumps(variables)}
        return self._create({**whatsapp, **template}, callback, "template", variables)

    def _create(
        self, fields: dict[str, Any], callback: str, sent_as: str | None, variables: dict[str, str]
    ) -> Result:
        try:
            created = self.messages.create(status_callback=callback, **fields)
        except TwilioRestException as error:
            return refused(error)
        except requests.Timeout as error:
            # A late answer may still mean Twilio took it; its report (which names our row)
            # settles that before the retry comes due.
            return Retry("timeout", str(error)[:500])
        except requests.RequestException as error:
            return Retry("network", str(error)[:500])
        return Accepted(created.sid, sent_as, variables)

    def redact(self, provider_id: str) -> Result:
        """Empty the body Twilio keeps of a message (inbound or sent), which it allows once the
        message is final: Accepted when done, Failed when Twilio has no such message, Retry
        otherwise (not final yet, busy, network)."""
        try:
            self.client.messages(provider_id).update(body="")
        except TwilioRestException as error:
            if error.status == 404:
                return Failed(str(error.code or error.status), str(error.msg)[:500])
            return Retry(str(error.code or error.status), str(error.msg)[:500])
        except requests.RequestException as error:
            return Retry("network", str(error)[:500])
        return Accepted(provider_id)

    def close(self) -> None:
        session = getattr(self.client.http_client, "session", None)
        if session is not None:
            session.close()


def refused(error: TwilioRestException) -> Result:
    """Twilio said no: wait and retry when it is busy or broken, record and stop otherwise."""
    code = str(error.code or error.status)
    detail = str(error.msg)[:500]
    if error.status == 429 or error.status >= 500:
        return Retry(code, detail)
    if error.status == 401:
        return Retry(code, detail)  # our credentials, not the message: fixable, so keep it
    return Failed(code, detail, opted_out=code == OPTED_OUT_ERROR)


def signed_form(call: WebhookCall, settings: Settings) -> ImmutableMultiDict[str, str]:
    """The posted form, only if Twilio signed it for our public URL (so it works behind a
    proxy). Raises Refused: 400 for a body that is not a UTF-8 form, 403 for a signature."""
    try:
        pairs = parse_qsl(
            call.body.decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=MAX_FORM_FIELDS,
            errors="strict",
        )
    except ValueError:  # also UnicodeDecodeError: not UTF-8
        raise BadPayload("body is not a UTF-8 form") from None
    form = ImmutableMultiDict(pairs)
    signature = call.headers.get("x-twilio-signature", "")
    validator = RequestValidator(settings.twilio_auth_token)
    if not signature or not validator.validate(call.url, form, signature):
        raise Refused(403, "missing or wrong X-Twilio-Signature")
    return form


def _off(settings: Settings) -> str | None:
    return (
        None if is_on(settings) else "Twilio is off: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
    )


def _twiml(_: object) -> Answer:
    """Empty TwiML: the replies go out through the outbox."""
    return Answer(200, "application/xml", str(MessagingResponse()).encode())


def _read_message(call: WebhookCall, settings: Settings) -> Arrival:
    """An SMS or WhatsApp message."""
    return Arrival(inbound=inbound_from_form(signed_form(call, settings)), answer=_twiml)


def _read_status(call: WebhookCall, settings: Settings) -> Arrival:
    """A delivery report for a message we sent: its status and error code, on its row."""
    report = status_from_form(signed_form(call, settings), call.query)
    return Arrival(report=report, answer=lambda _: Answer(204))


def lanes(settings: Settings) -> list[Lane]:
    """One paced lane per sender number that is configured."""
    if not (is_on(settings) and (settings.twilio_sms_from or settings.twilio_whatsapp_from)):
        return []
    provider = TwilioProvider(settings)
    found = []
    if settings.twilio_sms_from:
        key = f"twilio:{settings.twilio_sms_from.strip()}"
        found.append(Lane(key, SMS, settings.twilio_sms_per_second, provider))
    if settings.twilio_whatsapp_from:
        key = f"twilio:{whatsapp_sender(settings)}"
        found.append(Lane(key, WHATSAPP_CHANNEL, settings.twilio_whatsapp_per_second, provider))
    return found


def banner(settings: Settings) -> list[str]:
    """Whether SMS and WhatsApp are on, and what to set when they are not."""
    on = is_on(settings)
    lines = []
    if on and settings.twilio_sms_from:
        lines.append(f"SMS: on, from {settings.twilio_sms_from.strip()}")
    else:
        lines.append("SMS: off (set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_SMS_FROM)")
    if on and settings.twilio_whatsapp_from:
        template = "" if settings.twilio_whatsapp_template_sid else ", no template for 24h+"
        lines.append(f"WhatsApp: on, from {whatsapp_sender(settings)}{template}")
    else:
        lines.append(
            "WhatsApp: off (set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_WHATSAPP_FROM)"
        )
    return lines


# Where Twilio keeps a file sent to us: the only addresses our credentials are ever sent to.
_MEDIA_PATH = re.compile(
    r"/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages/[A-Z]{2}[0-9a-fA-F]{32}"
    r"/Media/ME[0-9a-fA-F]{32}"
)
MEDIA_TIMEOUT_SECONDS = 30.0
_CHUNK = 64 * 1024


class TwilioMediaFetcher:
    """Downloads the files of MediaUrlN (an image, a voice note, a document) with the
    account's credentials (HTTP basic: account SID and auth token), from the configured API
    base URL. requests drops the credentials when Twilio redirects to its file store."""

    def __init__(self, settings: Settings) -> None:
        self.account = settings.twilio_account_sid.strip()
        self.base_url = settings.twilio_api_base_url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = (self.account, settings.twilio_auth_token)

    def fetch(self, reference: str, max_bytes: int) -> FetchResult:
        """The file at a MediaUrl of our account, up to `max_bytes` bytes; Failed for an
        address that is not one (never requested), Retry for what may pass."""
        path = reference.removeprefix(TWILIO_API) if reference.startswith(TWILIO_API) else ""
        match = _MEDIA_PATH.fullmatch(path)
        if match is None or match.group(1) != self.account:
            return Failed("not_ours", "not a media address of this Twilio account")
        try:
            with self.session.get(
                self.base_url + path, stream=True, timeout=MEDIA_TIMEOUT_SECONDS
            ) as response:
                return read_download(response, max_bytes)
        except requests.RequestException as error:
            return Retry("network", str(error)[:300])

    def close(self) -> None:
        self.session.close()


def read_download(response: requests.Response, max_bytes: int) -> FetchResult:
    """The body of a media download as a result, read no further than `max_bytes` + 1."""
    status = response.status_code
    if status == 429 or status >= 500:
        return Retry(str(status), f"Twilio answered {status}")
    if status in (401, 403):  # our credentials, not the file: fixable, so kept for later
        return Retry(str(status), "Twilio refused the account's credentials")
    if status >= 400:
        return Failed(str(status), f"Twilio answered {status} (deleted or never there)")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return TooLarge(int(declared))
    data = bytearray()
    for chunk in response.iter_content(_CHUNK):
        data += chunk
        if len(data) > max_bytes:
            return TooLarge()
    content_type = response.headers.get("Content-Type", "")
    return Fetched(bytes(data), content_type.split(";")[0].strip().lower()[:100])


def media_fetcher(settings: Settings) -> TwilioMediaFetcher | None:
    """The fetcher of SMS and WhatsApp files, when the account's credentials are set."""
    return TwilioMediaFetcher(settings) if is_on(settings) else None


ADAPTER = Channel(
    capabilities={
        SMS: Capabilities(label="SMS", media=True, sms_segments=True, redacts=True),
        WHATSAPP_CHANNEL: Capabilities(label="WhatsApp", media=True, templates=True, redacts=True),
    },
    banner=banner,
    lanes=lanes,
    webhooks=(
        Webhook("/twilio", FORM, _off, _read_message),
        Webhook("/twilio/status", FORM, _off, _read_status),
    ),
    delivery_status=delivery_status,
    fetch_media=media_fetcher,
)
