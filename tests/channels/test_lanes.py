"""Which channels are on follows from the settings alone, and the start-up banner says so."""

from channel_support import channel_env

from bot.channels.registry import configured_lanes, describe
from bot.settings import Settings


def settings(**values: str) -> Settings:
    return Settings(_env_file=None, **values)


def test_without_credentials_only_the_simulator_is_on_and_the_banner_says_what_to_set() -> None:
    off = settings()
    assert configured_lanes(off) == []
    banner = "\n".join(describe(off))
    assert "simulator: on" in banner
    assert "SMS: off (set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_SMS_FROM)" in banner
    assert "WhatsApp: off" in banner and "TWILIO_WHATSAPP_FROM" in banner
    assert "Telegram: off (set TELEGRAM_BOT_TOKEN)" in banner


def test_with_every_credential_each_channel_has_its_own_paced_lane() -> None:
    env = channel_env("sqlite://", "http://127.0.0.1:9", "http://127.0.0.1:9")
    on = settings(**{key.lower(): value for key, value in env.items()})
    lanes = configured_lanes(on)
    assert [(lane.channel, lane.key) for lane in lanes] == [
        ("sms", "twilio:+15005550006"),
        ("whatsapp", "twilio:whatsapp:+14155238886"),
        ("telegram", "telegram"),
    ]
    assert lanes[2].per_chat_gap_seconds == 1.0
    banner = "\n".join(describe(on))
    assert "SMS: on, from +15005550006" in banner
    assert "Telegram: on (webhook and sending)" in banner
    for lane in lanes:
        lane.provider.close()


def test_a_telegram_token_without_a_webhook_secret_sends_but_takes_no_webhooks() -> None:
    partial = settings(telegram_bot_token="123:abc")
    [lane] = configured_lanes(partial)
    lane.provider.close()
    assert lane.channel == "telegram"
    assert "webhook off (set TELEGRAM_WEBHOOK_SECRET)" in "\n".join(describe(partial))
