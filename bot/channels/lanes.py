"""Which channels are on: a channel whose credentials are absent is simply off.

The simulator is always on and never goes through the sender: it reads its own rows.
"""

from bot.channels import telegram, twilio
from bot.channels.provider import Lane
from bot.settings import Settings


def configured_lanes(settings: Settings) -> list[Lane]:
    """The paced streams this deployment sends through, one per sender identity."""
    lanes = []
    if twilio.is_on(settings) and (settings.twilio_sms_from or settings.twilio_whatsapp_from):
        provider = twilio.TwilioProvider(settings)
        if settings.twilio_sms_from:
            key = f"twilio:{settings.twilio_sms_from.strip()}"
            lanes.append(Lane(key, "sms", settings.twilio_sms_per_second, provider))
        if settings.twilio_whatsapp_from:
            key = f"twilio:{twilio.whatsapp_sender(settings)}"
            lanes.append(Lane(key, "whatsapp", settings.twilio_whatsapp_per_second, provider))
    if telegram.is_on(settings):
        lanes.append(
            Lane(
                "telegram",
                telegram.CHANNEL,
                settings.telegram_per_second,
                telegram.TelegramProvider(settings),
                per_chat_gap_seconds=1.0 / settings.telegram_per_chat_per_second,
            )
        )
    return lanes


def describe(settings: Settings) -> list[str]:
    """One line per channel for the start-up banner, saying how to turn on what is off."""
    lines = ["simulator: on (python -m bot chat)"]
    twilio_on = twilio.is_on(settings)
    if twilio_on and settings.twilio_sms_from:
        lines.append(f"SMS: on, from {settings.twilio_sms_from.strip()}")
    else:
        lines.append("SMS: off (set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_SMS_FROM)")
    if twilio_on and settings.twilio_whatsapp_from:
        template = "" if settings.twilio_whatsapp_template_sid else ", no template for 24h+"
        lines.append(f"WhatsApp: on, from {twilio.whatsapp_sender(settings)}{template}")
    else:
        lines.append(
            "WhatsApp: off (set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_WHATSAPP_FROM)"
        )
    if telegram.webhook_is_on(settings):
        lines.append("Telegram: on (webhook and sending)")
    elif telegram.is_on(settings):
        lines.append("Telegram: sending on; webhook off (set TELEGRAM_WEBHOOK_SECRET)")
    else:
        lines.append("Telegram: off (set TELEGRAM_BOT_TOKEN)")
    return lines
