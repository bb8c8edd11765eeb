"""Every setting comes from the environment so one build runs on a laptop and in production."""

import ipaddress
import zoneinfo
from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./data/handcraft.db"
    # Console cookies are signed with it; 32+ bytes, required off loopback (see bot/keys.py).
    secret_key: str = "change-me-in-production"
    # Seals survey answers in progress and keys the one-response-per-person hashes. Kept outside
    # the database and its backups; 32+ bytes, required off loopback (see bot/keys.py).
    survey_key: str = ""
    # Keys used before a rotation, comma-separated: still accepted to open what they sealed and
    # to recognise who already answered. Keep them until the pool is drained (see README).
    survey_keys_previous: str = ""
    # Where generated local keys (and other local files) live.
    data_dir: str = "./data"
    default_language: str = "en"
    assessment_months_after_pre_assessment: int = 6
    # How long the link a leader gets for an issued report keeps opening it.
    report_link_days: int = Field(30, ge=1, le=365)
    # The first-response target for tickets: the leader is told it, the inbox flags overdue ones.
    ticket_response_hours: int = Field(24, ge=1, le=720)
    # Email to a ticket's assignee, when a server is set (otherwise the console alone shows them).
    smtp_host: str = ""
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    smtp_starttls: bool = True
    # How long a seal holds after it is awarded, and how many days before it ends the
    # re-assessment is scheduled (halfway through that lead; see bot/domain/assessments.py).
    seal_valid_months: int = Field(24, ge=1, le=120)
    seal_reassessment_days_before: int = Field(120, ge=2, le=3650)
    # Seal verifications one client (a web address, a phone number) may make per window, so
    # codes cannot be enumerated; beyond it the page answers 429 and chat stays silent.
    verify_limit: int = Field(20, ge=1, le=100_000)
    verify_window_minutes: int = Field(60, ge=1, le=10_080)
    # A survey left unanswered this long ends; the answers given so far leave the conversation.
    survey_idle_hours: float = Field(24.0, gt=0)
    # Recipients a broadcast queues per transaction: bounds memory and the work a crash repeats.
    broadcast_chunk: int = Field(5000, ge=1, le=50_000)
    # The time zone (IANA name) new staff accounts start with; each person can change theirs.
    console_time_zone: str = "UTC"
    # Hours, in the recipient's local time, when the programme sends nothing on its own
    # initiative (reminders, notices, broadcasts wait for the morning): "HH:MM-HH:MM", empty
    # for none; checked when a process starts (bot.domain.quiet). Replies to a person's own
    # message are never held.
    quiet_hours: str = "21:00-08:00"
    public_base_url: str = "http://127.0.0.1:8000"
    # Reverse proxies whose X-Forwarded-For is believed: addresses or networks, comma-separated
    # (e.g. "127.0.0.1, 10.0.0.0/8"). Empty: the connecting address is the client.
    trusted_proxies: str = ""
    # Every admin must sign in with a TOTP code; an admin without one is sent to enrol first.
    require_admin_totp: bool = False
    # /docs, /redoc and /openapi.json, for signed-in admins only; off (404) unless turned on.
    api_docs: bool = False

    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_sms_from: str = ""
    twilio_whatsapp_from: str = ""
    # The Twilio number workers call to answer a survey by voice (on when set).
    twilio_voice_from: str = ""
    # A call to the voice number is refused unanswered (so it costs the caller nothing) and
    # the caller is called back, through a paced lane of its own.
    voice_callback: bool = False
    twilio_api_base_url: str = "https://api.twilio.com"
    # Outside WhatsApp's 24-hour window only an approved template may be sent.
    twilio_whatsapp_template_sid: str = ""

    telegram_bot_token: str = ""
    # The bot's public name ("@handcraft_survey_bot"), printed on survey join-code cards.
    telegram_bot_username: str = ""
    telegram_webhook_secret: str = ""
    telegram_api_base_url: str = "https://api.telegram.org/bot"

    # Provider rate limits, in messages per second, held across every sender process.
    twilio_sms_per_second: float = Field(1.0, gt=0)  # per sender number (a long code)
    twilio_whatsapp_per_second: float = Field(80.0, gt=0)  # per sender number
    # Outbound call-backs started per second: Twilio's default limit for an account is one
    # call per second (its "calls per second" setting), raised on request.
    twilio_voice_calls_per_second: float = Field(1.0, gt=0)
    telegram_per_second: float = Field(30.0, gt=0)  # the whole bot
    telegram_per_chat_per_second: float = Field(1.0, gt=0)
    # How often, in seconds, each channel's sender looks for due messages by itself. A message
    # queued for now wakes the sender at once (in the process that queued it and, on
    # PostgreSQL, in every worker through LISTEN/NOTIFY); the poll is the fallback, and what
    # finds retries and messages held for the morning.
    outbox_poll_seconds: float = Field(1.0, gt=0, le=3600)
    # How long a sender may hold claimed outbox rows before another sender may take them.
    outbox_lease_seconds: float = Field(60.0, gt=0)

    # Files people send as evidence (photos, documents, voice notes), fetched from the provider
    # in the background and kept by content hash. Larger or other files are refused with a
    # reply; MEDIA_ALLOWED_TYPES is the file types kept, as detected from the bytes.
    media_max_bytes: int = Field(10 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    media_allowed_types: str = (
        "image/jpeg,image/png,image/webp,application/pdf,"
        "audio/ogg,audio/mpeg,audio/mp4,audio/amr,audio/x-wav,video/mp4"
    )
    # Days a stored file is kept after it came; 0 keeps it until an admin deletes it.
    media_retention_days: int = Field(0, ge=0)
    # With a bucket, files go to any S3-compatible object store (shared by every process);
    # without one, to DATA_DIR/media. Empty keys: boto3's usual credentials chain.
    media_s3_bucket: str = ""
    media_s3_endpoint_url: str = ""
    media_s3_region: str = "us-east-1"
    media_s3_access_key_id: str = ""
    media_s3_secret_access_key: str = ""
    media_s3_prefix: str = "media/"

    @field_validator("console_time_zone")
    @classmethod
    def _zone_is_known(cls, value: str) -> str:
        if value != "UTC" and value not in zoneinfo.available_timezones():
            raise ValueError(
                f"CONSOLE_TIME_ZONE: '{value[:64]}' is not a time zone name like Europe/Paris."
            )
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for entry in proxy_entries(value):
            try:
                ipaddress.ip_network(entry)
            except ValueError:
                raise ValueError(
                    f"TRUSTED_PROXIES: '{entry[:60]}' is not an IP address or network "
                    "(like 10.0.0.5 or 10.0.0.0/8, with no host bits set)."
                ) from None
        return value


def allowed_media_types(settings: Settings) -> frozenset[str]:
    """MEDIA_ALLOWED_TYPES as a set of lower-case content types, blanks dropped."""
    return frozenset(
        kind.strip().lower() for kind in settings.media_allowed_types.split(",") if kind.strip()
    )


def proxy_entries(value: str) -> list[str]:
    """The addresses and networks of a TRUSTED_PROXIES value, blanks dropped."""
    return [entry.strip() for entry in value.split(",") if entry.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()
