"""What the channel tests share: the public address and settings pointing at the fakes."""

from fakes import DEPLOYMENT_KEYS
from fakes import telegram as tg
from fakes import twilio as tw
from fakes.twilio import ACCOUNT_SID, sign
from fastapi.testclient import TestClient
from httpx import Response

PHONE = "+919812345678"

PUBLIC = "https://bot.example.org"


def channel_env(database_url: str, twilio_url: str, telegram_url: str) -> dict[str, str]:
    """Every channel on, pointed at the fakes; fast limits so tests do not wait on pacing."""
    return {
        "DATABASE_URL": database_url,
        "PUBLIC_BASE_URL": PUBLIC,
        **DEPLOYMENT_KEYS,
        "TWILIO_ACCOUNT_SID": tw.ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": tw.AUTH_TOKEN,
        "TWILIO_SMS_FROM": tw.SMS_FROM,
        "TWILIO_WHATSAPP_FROM": tw.WHATSAPP_FROM,
        "TWILIO_WHATSAPP_TEMPLATE_SID": tw.TEMPLATE_SID,
        "TWILIO_API_BASE_URL": twilio_url,
        "TELEGRAM_BOT_TOKEN": tg.TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": tg.WEBHOOK_SECRET,
        "TELEGRAM_API_BASE_URL": telegram_url + "/bot",
        "TWILIO_SMS_PER_SECOND": "500",
        "TWILIO_WHATSAPP_PER_SECOND": "500",
        "TELEGRAM_PER_SECOND": "500",
    }


def twilio_form(sid: str, sender: str = PHONE, body: str = "hi", **extra: str) -> dict[str, str]:
    """The fields Twilio posts for an inbound message."""
    channel_to = "whatsapp:+14155238886" if sender.startswith("whatsapp:") else "+15005550006"
    return {
        "ToCountry": "US",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "To": channel_to,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def post_signed(
    client: TestClient, params: dict[str, str], path: str = "/webhooks/twilio"
) -> Response:
    headers = {"X-Twilio-Signature": sign(PUBLIC + path, params)}
    return client.post(path, data=params, headers=headers)
