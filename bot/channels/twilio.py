"""Twilio SMS and WhatsApp: webhook forms in, messages out through the twilio SDK.

The adapter only translates. Signature checks, dedupe and retries belong to the webhooks,
the engine and the sender.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from bot.channels.provider import Accepted, Failed, Outgoing, Result, Retry
from bot.engine import Inbound
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
MAX_MEDIA = 10
SEND_TIMEOUT_SECONDS = 15.0
_SID = re.compile(r"[A-Za-z0-9]{1,64}")
_ERROR_CODE = re.compile(r"[0-9]{1,10}")
_STATUS = re.compile(r"[a-z_]{1,32}")


class BadPayload(ValueError):
    """A webhook payload we cannot use; the message is the short reason given back."""


def is_on(settings: Settings) -> bool:
    return bool(settings.twilio_account_sid and settings.twilio_auth_token)


def whatsapp_sender(settings: Settings) -> str:
    """The WhatsApp sender as Twilio wants it, whether or not the setting has the prefix."""
    number = settings.twilio_whatsapp_from.strip()
    return number if number.startswith(WHATSAPP) else WHATSAPP + number


def inbound_from_form(form: Mapping[str, str]) -> Inbound:
    """An SMS or WhatsApp message as the engine takes it; one phone number, one contact."""
    sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
    if not _SID.fullmatch(sid):
        raise BadPayload("MessageSid is missing or malformed")
    sender = form.get("From", "")
    address = to_e164(sender)
    if address is None:
        raise BadPayload("From is not a phone number")
    channel = "whatsapp" if sender.strip().startswith(WHATSAPP) else "sms"
    return Inbound(channel, address, sid, form.get("Body", ""), media_urls(form))


def media_urls(form: Mapping[str, str]) -> tuple[str, ...]:
    """The photos sent with a message (evidence for an action item), kept by their URL."""
    declared = form.get("NumMedia", "0").strip() or "0"
    if not declared.isdigit():
        raise BadPayload("NumMedia is not a number")
    urls = []
    for index in range(min(int(declared), MAX_MEDIA)):
        url = form.get(f"MediaUrl{index}", "").strip()
        if url.startswith(("https://", "http://")) and len(url) <= 1024:
            urls.append(url)
    return tuple(urls)


@dataclass(frozen=True)
class StatusReport:
    """A delivery report: what became of a message we handed to Twilio."""

    provider_id: str
    status: str
    error_code: str | None
    outbound_id: int | None


def status_from_form(form: Mapping[str, str], query: Mapping[str, str]) -> StatusReport:
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    if not _SID.fullmatch(sid):
        raise BadPayload("MessageSid is missing or malformed")
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if not _STATUS.fullmatch(status):
        raise BadPayload("MessageStatus is missing or malformed")
    error_code = form.get("ErrorCode", "").strip() or None
    if error_code is not None and not _ERROR_CODE.fullmatch(error_code):
        raise BadPayload("ErrorCode is not a number")
    outbound = query.get("outbound", "")
    outbound_id = int(outbound) if outbound.isdigit() and len(outbound) < 19 else None
    return StatusReport(sid, status, error_code, outbound_id)


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

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if url.startswith(TWILIO_API):
            url = self.base_url + url.removeprefix(TWILIO_API)
        return super().request(method, url, *args, **kwargs)


class TwilioProvider:
    """Hands messages to Twilio; one client (and one connection pool) for the whole process."""

    def __init__(self, settings: Settings) -> None:
        http_client = RebasedHttpClient(settings.twilio_api_base_url, SEND_TIMEOUT_SECONDS)
        self.client = Client(
            settings.twilio_account_sid, settings.twilio_auth_token, http_client=http_client
        )
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
        if message.channel != "whatsapp":
            sms = {"to": message.address, "from_": self.sms_from, "body": message.body}
            return self._create(sms, callback, None, {})
        whatsapp = {"to": WHATSAPP + message.address, "from_": self.whatsapp_from}
        if window_is_open(message.last_inbound_at, now):
            return self._create({**whatsapp, "body": message.body}, callback, "freeform", {})
        if not self.template_sid:
            return Failed(
                "no_template",
                "outside the 24-hour WhatsApp window and TWILIO_WHATSAPP_TEMPLATE_SID is not set",
            )
        variables = template_variables(message.body)
        template = {"content_sid": self.template_sid, "content_variables": json.dumps(variables)}
        return self._create({**whatsapp, **template}, callback, "template", variables)

    def _create(
        self, fields: dict[str, str], callback: str, sent_as: str | None, variables: dict[str, str]
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
