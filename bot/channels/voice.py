"""Survey phone calls over Twilio Programmable Voice: signed call webhooks in, TwiML out.

The whole of Twilio's voice vocabulary lives here: the fields of a call's webhooks (every one
read checked for shape), the keypad (`Digits`), the call's status callback, and the TwiML
answer built with the SDK's `VoiceResponse` (`<Gather input="dtmf">`, `<Say>` in the caller's
language with a voice that speaks it, `<Play>` for a recording staff uploaded, `<Redirect>`,
`<Hangup>`). The conversation is the
engine's and the survey flow's, as by text: a call hands the engine one message per key
pressed, and the engine's replies come back in the webhook's own answer.

What the call carries between requests is in the addresses of its `<Gather>` and
`<Redirect>`, which Twilio signs back to us: the language chosen (`lang`) and the number of
the request in the call (`n`, so each key pressed is one message). Which question the caller
is on is kept only in the sealed conversation state, as for text; no key pressed is stored.
"""

import re
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlencode

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.twiml.voice_response import Gather, VoiceResponse

from bot.capabilities import Capabilities
from bot.channels.provider import (
    Accepted,
    Answer,
    Arrival,
    Channel,
    Fields,
    Inbound,
    Lane,
    MalformedPayload,
    Outgoing,
    Result,
    Retry,
    Webhook,
    WebhookCall,
)
from bot.channels.twilio import (
    FORM,
    is_on,
    refused,
    rest_client,
    signed_form,
)
from bot.phones import to_e164
from bot.settings import Settings
from messages import LANGUAGES, text
from messages.render import Rendered

VOICE = "voice"
# The paced channel of call-backs: an outbox row on it becomes an outbound call.
CALLBACK = "voice_callback"
CALL_PATH = "/twilio/voice"
STATUS_PATH = "/twilio/voice/status"
AUDIO_PATH = "/voice/audio/"
# The keywords of flows/call.py: the caller chose a language; the call ended; the call was
# refused unanswered, to be returned.
CALL_STARTED, CALL_ENDED, MISSED_CALL = "call", "hangup", "missed_call"
STOP_KEY, REPEAT_KEY = "#", "*"
# <Say> language and a voice that speaks it: Amazon Polly voices as Twilio offers them
# (Twilio's "Text-to-Speech" voice list: Joanna en-US, Lupe es-US, Léa fr-FR, Aditi hi-IN).
VOICES = {
    "en": ("en-US", "Polly.Joanna"),
    "es": ("es-US", "Polly.Lupe"),
    "fr": ("fr-FR", "Polly.Lea"),
    "hi": ("hi-IN", "Polly.Aditi"),
}
# Replies after which the call has nothing more to ask: it says them and hangs up.
CLOSING = frozenset(
    {
        "survey.thanks",
        "survey.declined",
        "survey.closed",
        "survey.already_answered",
        "call.no_code",
        "call.number_hidden",
        "call.goodbye",
    }
)
# Replies that ask for a survey code: several keys, ended by the hash key.
ASKS_CODE = frozenset({"call.enter_code", "call.wrong_code"})
# Twilio's CallStatus words for a call that is over (the status callback's last report).
ENDED = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
# Twilio's Direction of a call: one made to us, or one we placed through the API.
DIRECTIONS = frozenset({"inbound", "outbound-api", "outbound-dial"})
# What Twilio puts in From when the caller withheld the number.
WITHHELD = frozenset({"", "anonymous", "restricted", "unknown", "private", "unavailable"})
SECONDS_TO_ANSWER = 8  # <Gather timeout>: a silent caller hears the question again
MAX_STEPS = 9999
_CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
_DIGITS = re.compile(r"[0-9*#]{0,12}")
_STATUS = re.compile(r"[a-z-]{1,20}")
_STEP = re.compile(r"[0-9]{1,4}")
_MAX_ADDRESS = 64


class BadCall(MalformedPayload):
    """A call webhook we cannot use; the message is the short reason given back."""


def is_voice_on(settings: Settings) -> bool:
    """On when the Twilio credentials are set and TWILIO_VOICE_FROM names the voice number."""
    return is_on(settings) and bool(settings.twilio_voice_from.strip())


def _off(settings: Settings) -> str | None:
    if is_voice_on(settings):
        return None
    return "voice calls are off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_VOICE_FROM"


def _one(form: Fields, name: str) -> str | None:
    values = form.getlist(name)
    if len(values) > 1:
        raise BadCall(f"{name} is given more than once")
    return values[0] if values else None


def call_sid(form: Fields) -> str:
    """The call's id (CA and 32 hex digits). Raises BadCall when missing or malformed."""
    sid = _one(form, "CallSid") or ""
    if not _CALL_SID.fullmatch(sid):
        raise BadCall("CallSid is missing or malformed")
    return sid


def outbound(form: Fields) -> bool:
    """Whether this is a call we placed (a call-back), by Twilio's Direction field."""
    direction = _one(form, "Direction") or "inbound"
    if direction not in DIRECTIONS:
        raise BadCall("Direction is not a direction of a call")
    return direction != "inbound"


def caller(form: Fields) -> str | None:
    """The worker's number in E.164 (From of a call she made, To of a call-back), or None when
    she withheld it. Raises BadCall for a number that is neither."""
    field = "To" if outbound(form) else "From"
    given = _one(form, field) or ""
    if given.strip().lower() in WITHHELD:
        return None
    address = to_e164(given) if len(given) <= _MAX_ADDRESS else None
    if address is None:
        raise BadCall(f"{field} is not a phone number")
    return address


def language_of(query: Fields) -> str | None:
    """The language the caller chose, carried in the call's addresses; None before she chose."""
    chosen = _one(query, "lang")
    if chosen is not None and chosen not in LANGUAGES:
        raise BadCall("lang is not a supported language")
    return chosen


def step_of(query: Fields) -> int:
    """The number of this request in the call (0 before the language is chosen)."""
    given = _one(query, "n") or "0"
    if not _STEP.fullmatch(given):
        raise BadCall("n is not a step number")
    return int(given)


def digits_of(form: Fields) -> str | None:
    """The keys pressed (0-9, * and #), or None when the caller pressed nothing in time."""
    digits = _one(form, "Digits")
    if digits is not None and not _DIGITS.fullmatch(digits):
        raise BadCall("Digits holds something other than keypad keys")
    return digits


def address(settings: Settings, **query: str | int) -> str:
    """The public address of the call webhook with the call's own values in its query."""
    return settings.public_base_url.rstrip("/") + "/webhooks" + CALL_PATH + "?" + urlencode(query)


def recording_address(settings: Settings, token: str) -> str:
    """The public address Twilio fetches a recording from (bot/voice_audio.py serves it)."""
    return settings.public_base_url.rstrip("/") + AUDIO_PATH + token


def say(target: VoiceResponse | Gather, words: str, language: str) -> None:
    """Say `words` (lines read as sentences) in `language`, in a voice that speaks it."""
    spoken_language, voice = VOICES[language]
    sentences = [line.strip() for line in words.splitlines() if line.strip()]
    target.say(". ".join(sentences), language=spoken_language, voice=voice)


def language_menu(settings: Settings) -> VoiceResponse:
    """Each language offered in itself, one key each; silence hears the menu again."""
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf", num_digits=1, action=address(settings), method="POST", timeout=6
    )
    for key, language in enumerate(LANGUAGES, 1):
        say(gather, text(language, "call.language_choice", {"number": key}), language)
    response.redirect(address(settings), method="POST")
    return response


def goodbye(key: str, language: str) -> VoiceResponse:
    """Say the reply `key` in `language`, then hang up."""
    response = VoiceResponse()
    say(response, text(language, key), language)
    response.hangup()
    return response


def answer_replies(
    replies: Sequence[Rendered], language: str, next_step: int, settings: Settings
) -> VoiceResponse:
    """The engine's replies as TwiML: said inside a keypad `<Gather>` that posts the key
    pressed to the next step, then a `<Redirect>` there (no key: the question again); said and
    hung up after a closing reply."""
    response = VoiceResponse()
    keys = {reply.key for reply in replies}
    if not replies or keys & CLOSING:
        for reply in replies:
            say(response, reply.body, language)
        if not replies:
            say(response, text(language, "call.goodbye"), language)
        response.hangup()
        return response
    then = address(settings, lang=language, n=min(next_step, MAX_STEPS))
    if keys & ASKS_CODE:
        gather = response.gather(
            input="dtmf", finish_on_key=STOP_KEY, action=then, method="POST", timeout=10
        )
    else:
        gather = response.gather(
            input="dtmf",
            num_digits=1,
            finish_on_key="",
            action=then,
            method="POST",
            timeout=SECONDS_TO_ANSWER,
        )
    for reply in replies:
        if reply.audio:  # a recording staff uploaded, over text-to-speech
            gather.play(recording_address(settings, reply.audio))
        else:
            say(gather, reply.body, language)
    if not keys & ASKS_CODE:
        say(gather, text(language, "call.keys"), language)
    response.redirect(then, method="POST")
    return response


def _twiml(response: VoiceResponse) -> Answer:
    return Answer(200, "application/xml", str(response).encode())


def _read_call(call: WebhookCall, settings: Settings) -> Arrival:
    """One request of a call: its start (the language menu), the language chosen, or a key
    pressed once the language is known."""
    form = signed_form(call, settings)
    sid = call_sid(form)
    number = caller(form)
    language = language_of(call.query)
    step = step_of(call.query)
    digits = digits_of(form)
    first = language is None and digits is None and number is not None
    if first and settings.voice_callback and not outbound(form):
        # Refused unanswered, so the call costs her nothing; she is called back instead.
        missed = Inbound(VOICE, number, f"{sid}:missed", "", keyword=MISSED_CALL)
        rejected = VoiceResponse()
        rejected.reject(reason="busy")
        return Arrival(inbound=missed, answer=lambda _: _twiml(rejected))
    if language is None:
        chosen = LANGUAGES[int(digits) - 1] if digits and digits in _menu_keys() else None
        if chosen is None:
            answer = _twiml(language_menu(settings))
            return Arrival(answer=lambda _: answer)
        if number is None:  # nobody to hold to one response: said in the chosen language
            answer = _twiml(goodbye("call.number_hidden", chosen))
            return Arrival(answer=lambda _: answer)
        started = Inbound(VOICE, number, f"{sid}:0", chosen, keyword=CALL_STARTED)
        return Arrival(
            inbound=started,
            answer=lambda replies: _twiml(answer_replies(replies, chosen, 1, settings)),
        )
    if number is None:
        answer = _twiml(goodbye("call.number_hidden", language))
        return Arrival(answer=lambda _: answer)
    if digits == STOP_KEY:
        stopped = Inbound(VOICE, number, f"{sid}:{step}", "", keyword=CALL_ENDED)
        answer = _twiml(goodbye("call.goodbye", language))
        return Arrival(inbound=stopped, answer=lambda _: answer)
    pressed = digits.rstrip(STOP_KEY) if digits else REPEAT_KEY
    inbound = Inbound(VOICE, number, f"{sid}:{step}", pressed)
    return Arrival(
        inbound=inbound,
        answer=lambda replies: _twiml(answer_replies(replies, language, step + 1, settings)),
    )


def _menu_keys() -> tuple[str, ...]:
    return tuple(str(key) for key in range(1, len(LANGUAGES) + 1))


def _read_status(call: WebhookCall, settings: Settings) -> Arrival:
    """The call's status callback: a call that is over ends a survey left midway, as STOP
    does in text (the answers given count, the rest as skipped)."""
    form = signed_form(call, settings)
    sid = call_sid(form)
    status = _one(form, "CallStatus") or ""
    if not _STATUS.fullmatch(status):
        raise BadCall("CallStatus is missing or malformed")
    number = caller(form)
    if status not in ENDED or number is None:
        return Arrival(answer=lambda _: Answer(204))
    ended = Inbound(VOICE, number, f"{sid}:end", "", keyword=CALL_ENDED)
    return Arrival(inbound=ended, answer=lambda _: Answer(204))


class CallbackProvider:
    """Places the call-backs: an outbox row on CALLBACK becomes an outbound call through the
    SDK (`client.calls.create`) to the row's address, answered by our call webhook."""

    def __init__(self, settings: Settings) -> None:
        self.client = rest_client(settings)
        self.calls = self.client.calls
        self.voice_from = settings.twilio_voice_from.strip()
        self.url = address(settings)
        self.status_url = settings.public_base_url.rstrip("/") + "/webhooks" + STATUS_PATH

    def send(self, message: Outgoing, now: datetime) -> Result:
        """Start the call: Accepted with its CallSid once Twilio has queued it."""
        try:
            call = self.calls.create(
                to=message.address,
                from_=self.voice_from,
                url=self.url,
                method="POST",
                status_callback=self.status_url,
                status_callback_method="POST",
            )
        except TwilioRestException as error:
            return refused(error)
        except requests.Timeout as error:
            return Retry("timeout", str(error)[:500])
        except requests.RequestException as error:
            return Retry("network", str(error)[:500])
        return Accepted(call.sid)

    def close(self) -> None:
        session = getattr(self.client.http_client, "session", None)
        if session is not None:
            session.close()


def lanes(settings: Settings) -> list[Lane]:
    """The call-back lane, when call-backs are on: paced at TWILIO_VOICE_CALLS_PER_SECOND."""
    if not (is_voice_on(settings) and settings.voice_callback):
        return []
    key = f"twilio-voice:{settings.twilio_voice_from.strip()}"
    rate = settings.twilio_voice_calls_per_second
    return [Lane(key, CALLBACK, rate, CallbackProvider(settings))]


def banner(settings: Settings) -> list[str]:
    """Whether survey calls are on, and what to set when they are not."""
    if is_voice_on(settings):
        back = ", missed calls called back" if settings.voice_callback else ""
        return [f"voice: on, calls to {settings.twilio_voice_from.strip()}{back}"]
    return ["voice: off (set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_VOICE_FROM)"]


ADAPTER = Channel(
    capabilities={
        VOICE: Capabilities(
            label="Voice call", paced=False, answers_in_response=True, calls_back_on=CALLBACK
        ),
        CALLBACK: Capabilities(label="Call-back"),
    },
    banner=banner,
    lanes=lanes,
    webhooks=(
        Webhook(CALL_PATH, FORM, _off, _read_call),
        Webhook(STATUS_PATH, FORM, _off, _read_status),
    ),
)
