"""Every field a webhook reads, replaced in turn by every wrong kind of value, posted through
the app with a valid signature or secret. Each answer is a 4xx with nothing stored; or, where
the value is one a person or the provider may send (an empty message), the message is handled
as usual; never a 500. Fields we do not read take any value and change nothing."""

import itertools
import json
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, get_args, get_origin
from urllib.parse import quote

import pytest
from channel_support import PHONE, PUBLIC
from fakes.telegram import WEBHOOK_SECRET
from fakes.twilio import ACCOUNT_SID, sign
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from sqlalchemy import func, select
from starlette.datastructures import ImmutableMultiDict

from bot.channels import telegram
from bot.channels.twilio import STATUS_PATH
from bot.models import Contact, InboundMessage, OutboundMessage

HANDLED, IGNORED, REFUSED = "handled", "ignored", "refused"
CHAT = 5550001
_ids = itertools.count(1000)


def stored(store) -> tuple[int, int, int]:
    with store.transaction() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (InboundMessage, OutboundMessage, Contact)
        )


def outcome_of(status: int, before: tuple[int, ...], after: tuple[int, ...]) -> str:
    """What a person would notice: their message answered, or nothing at all."""
    if status >= 500:
        return f"a {status}"
    if 400 <= status < 500:
        return REFUSED if after == before else f"a {status} that stored something"
    if after == before:
        return IGNORED
    inbound, replies = after[0] - before[0], after[1] - before[1]
    return HANDLED if inbound == 1 and replies >= 1 else f"{inbound} in, {replies} out"


# -- the JSON values a field may be replaced with ----------------------------------------

JSON_KINDS: dict[str, Any] = {
    "number": 7.5,
    "large number": 2**64,
    "boolean": True,
    "null": None,
    "list": [],
    "object": {},
    "empty string": "",
    "huge string": "x" * 100_000,  # over the body's cap: refused before it is parsed
    "long string": "x" * 20_000,
    "NUL and lone surrogate": "\x00\ud800",
}
ANY_TEXT = {"empty string", "long string", "NUL and lone surrogate"}

Path = tuple[str | int, ...]


def paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every key and list item in a JSON value, outermost first."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, inner in items:
        yield (*prefix, key)
        if isinstance(inner, dict | list):
            yield from paths(inner, (*prefix, key))


def replaced(data: Any, path: Path, value: Any) -> Any:
    changed = deepcopy(data)
    place = changed
    for key in path[:-1]:
        place = place[key]
    place[path[-1]] = deepcopy(value)
    return changed


def field_name(path: Path) -> str:
    """A path as the fields it names: list items as `*`, and every message (an edit, the one
    under a button) as `message`, since all are read alike."""
    name = ".".join("*" if isinstance(key, int) else key for key in path)
    for prefix in ("edited_message.", "callback_query.message."):
        if name.startswith(prefix):
            return "message." + name.removeprefix(prefix)
    return name


# -- Telegram -----------------------------------------------------------------------------

PERSON = {"id": CHAT, "is_bot": False, "first_name": "Asha", "language_code": "hi"}
PRIVATE = {"id": CHAT, "type": "private", "first_name": "Asha"}


def a_file(name: str, **more: Any) -> dict[str, Any]:
    return {"file_id": f"{name}-id", "file_unique_id": f"{name}-u", "file_size": 2048, **more}


def a_message(**content: Any) -> dict[str, Any]:
    return {"message_id": 5, "date": 1767603600, "chat": PRIVATE, "from": PERSON, **content}


@dataclass(frozen=True)
class Base:
    """A valid payload, what becomes of it, and the replacements that leave it valid."""

    payload: dict[str, Any]
    outcome: str = HANDLED
    acceptable: dict[str, set[str]] = field(default_factory=dict)


TELEGRAM_ACCEPTABLE = {
    "message.text": ANY_TEXT,
    "message.caption": ANY_TEXT,
    "message.from.is_bot": {"boolean"},
    "callback_query.from.is_bot": {"boolean"},
    "callback_query.data": {"empty string"},
}
TELEGRAM_BASES = {
    "text": {"update_id": 1, "message": a_message(text="hi")},
    "photo": {
        "update_id": 1,
        "message": a_message(
            caption="the new first-aid kit",
            photo=[a_file("s", width=90, height=90), a_file("l", width=1280, height=1280)],
        ),
    },
    "document": {
        "update_id": 1,
        "message": a_message(
            document=a_file("doc", file_name="wages.pdf", mime_type="application/pdf")
        ),
    },
    "audio": {"update_id": 1, "message": a_message(audio=a_file("a", duration=30, title="x"))},
    "voice": {"update_id": 1, "message": a_message(voice=a_file("v", duration=4))},
    "video": {
        "update_id": 1,
        "message": a_message(video=a_file("m", width=640, height=480, duration=9)),
    },
    "button": {
        "update_id": 1,
        "callback_query": {
            "id": "4382bfdwdsb323b2d9",
            "from": PERSON,
            "chat_instance": "-7255350943567093447",
            "data": "2",
            "message": a_message(
                text="Choose your language:",
                **{"from": {"id": 123456789, "is_bot": True, "first_name": "Handcraft"}},
            ),
        },
    },
    "edit": {"update_id": 1, "edited_message": a_message(text="hi", edit_date=1767603700)},
}

# Every field the Telegram adapter reads (a message's fields stand for those of an edit and
# of the message under a button too).
FILE = ["file_id", "file_unique_id", "file_size"]
TELEGRAM_READ = {
    "update_id",
    "message",
    "edited_message",
    "callback_query",
    *(
        f"message.{name}"
        for name in [
            "message_id",
            "date",
            "chat",
            "chat.id",
            "chat.type",
            "from",
            "from.id",
            "from.is_bot",
            "from.first_name",
            "from.language_code",
            "text",
            "caption",
            "photo",
            "photo.*",
            *(f"photo.*.{name}" for name in [*FILE, "width", "height"]),
            "document",
            *(f"document.{name}" for name in FILE),
            *(f"{kind}.{name}" for kind in ("audio", "voice") for name in [*FILE, "duration"]),
            "audio",
            "voice",
            "video",
            *(f"video.{name}" for name in [*FILE, "width", "height", "duration"]),
        ]
    ),
    *(
        f"callback_query.{name}"
        for name in ["id", "from", "chat_instance", "data", "message"]
        + [f"from.{name}" for name in ("id", "is_bot", "first_name", "language_code")]
    ),
}


def telegram_expected(base: str, path: Path, kind: str) -> str:
    name = field_name(path)
    if kind == "huge string":
        return REFUSED
    if name not in TELEGRAM_READ or kind in TELEGRAM_ACCEPTABLE.get(name, set()):
        return IGNORED if base == "edit" else HANDLED
    return REFUSED


def shape_fields(annotation: Any, prefix: str = "") -> Iterator[str]:
    """The fields the adapter's checks name, from its models."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, info in annotation.model_fields.items():
            path = f"{prefix}{info.alias or name}"
            yield path
            yield from shape_fields(info.annotation, path + ".")
    elif get_origin(annotation) is list:
        yield prefix + "*"
        yield from shape_fields(get_args(annotation)[0], prefix + "*.")
    else:
        for inner in get_args(annotation):
            yield from shape_fields(inner, prefix)


def test_the_telegram_table_covers_every_field_the_adapter_checks() -> None:
    checked = {field_name(tuple(name.split("."))) for name in shape_fields(telegram._Update)}
    assert checked == TELEGRAM_READ
    in_table = {field_name(path) for base in TELEGRAM_BASES.values() for path in paths(base)}
    assert in_table >= TELEGRAM_READ


def post_update(client, update: Any):
    body = json.dumps(update)  # escapes a lone surrogate as \ud800, as JSON allows
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    return client.post(
        "/webhooks/telegram",
        content=body,
        headers={**headers, "Content-Type": "application/json"},
    )


TELEGRAM_CASES = [
    (base, path) for base, payload in TELEGRAM_BASES.items() for path in paths(payload)
]


def fresh(update: dict[str, Any]) -> dict[str, Any]:
    """The update as a new one, not a repeat: new update, message and button-press ids."""
    update = deepcopy(update)
    update["update_id"] = next(_ids)
    for kind in ("message", "edited_message"):
        if kind in update:
            update[kind]["message_id"] = next(_ids)
    if "callback_query" in update:
        update["callback_query"]["id"] = f"cbq-{next(_ids)}"
    return update


@pytest.mark.parametrize(
    ("base", "path"),
    TELEGRAM_CASES,
    ids=[f"{base}:{'.'.join(map(str, path))}" for base, path in TELEGRAM_CASES],
)
def test_every_telegram_field_with_every_kind_of_value(client, store, base, path) -> None:
    wrong = []
    for kind, value in JSON_KINDS.items():
        update = replaced(fresh(TELEGRAM_BASES[base]), path, value)
        before = stored(store)
        response = post_update(client, update)
        got = outcome_of(response.status_code, before, stored(store))
        expected = telegram_expected(base, path, kind)
        if got != expected:
            wrong.append(f"{kind}: {got} ({response.text[:80]}), expected {expected}")
        if got == REFUSED:
            assert 0 < len(response.json()["detail"]) <= 100
    assert not wrong, "\n".join(wrong)


# Any JSON at all, and valid updates with parts replaced, removed or added at random.
KEYS = sorted({name.split(".")[-1] for name in TELEGRAM_READ} - {"*"})
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def mangled_updates(draw: st.DrawFn) -> Any:
    update = fresh(draw(st.sampled_from(list(TELEGRAM_BASES.values()))))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        places = list(paths(update))
        if not places:
            break
        path = draw(st.sampled_from(places))
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        place = update
        for key in path[:-1]:
            place = place[key]
        if action == "remove":
            del place[path[-1]]
        elif action == "add" and isinstance(place, dict):
            place[draw(st.sampled_from(KEYS))] = draw(json_values)
        else:
            place[path[-1]] = draw(json_values)
    return update


def test_random_telegram_payloads_never_get_a_500(client, store) -> None:
    @settings(
        max_examples=400,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(json_values | mangled_updates())
    def posted(update: Any) -> None:
        before = stored(store)
        response = post_update(client, update)
        after = stored(store)
        assert response.status_code in (200, 400, 413), response.text
        if response.status_code != 200:
            assert after == before
        assert after[0] - before[0] <= 1

    posted()


# -- Twilio -------------------------------------------------------------------------------

ABSENT, TWICE, SURROGATE = object(), object(), object()
FORM_KINDS: dict[str, Any] = {
    "number": "42",
    "boolean": "true",
    "null": ABSENT,  # a form has no null: the field left out
    "list": TWICE,  # a form's list: the field given twice, with two values
    "object": '{"a": 1}',
    "empty string": "",
    "huge string": "x" * 100_000,
    "long string": "x" * 20_000,
    "NUL": "\x00",
    "lone surrogate": SURROGATE,  # as UTF-8 cannot carry it: refused as the body is read
}
FORM = "application/x-www-form-urlencoded"
ANY_BODY = {"number", "boolean", "null", "object", "empty string", "long string", "NUL"}
SIDS = ("MessageSid", "SmsMessageSid", "SmsSid")


def form_with(fields: dict[str, str], name: str, kind: str) -> list[tuple[str, Any]]:
    value = FORM_KINDS[kind]
    pairs: list[tuple[str, Any]] = []
    for key, original in fields.items():
        if key != name:
            pairs.append((key, original))
        elif value is TWICE:
            pairs += [(key, original), (key, original + "1")]
        elif value is not ABSENT:
            pairs.append((key, value))
    return pairs


def encoded(pairs: list[tuple[str, Any]]) -> str:
    return "&".join(
        f"{quote(key)}={'%ED%A0%80' if value is SURROGATE else quote(value, safe='')}"
        for key, value in pairs
    )


def post_form(client, path: str, pairs: list[tuple[str, Any]], query: str = ""):
    url = path + (f"?{query}" if query else "")
    signed = ImmutableMultiDict([(k, "" if v is SURROGATE else v) for k, v in pairs])
    headers = {"Content-Type": FORM, "X-Twilio-Signature": sign(PUBLIC + url, signed)}
    return client.post(url, content=encoded(pairs).encode("ascii"), headers=headers)


def inbound_form(sender: str, to: str, body: str, **more: str) -> dict[str, str]:
    return {
        "ToCountry": "US",
        "SmsMessageSid": "",
        "NumMedia": "0",
        "SmsSid": "",
        "SmsStatus": "received",
        "Body": body,
        "To": to,
        "NumSegments": "1",
        "MessageSid": "",
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
        **more,
    }


PHOTO = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM1/Media/ME1"
TWILIO_READ = {*SIDS, "From", "To", "Body", "NumMedia", "OptOutType"}
TWILIO_BASES = {
    "photo by SMS": Base(
        inbound_form(
            PHONE,
            "+15005550006",
            "the new first-aid kit",
            NumMedia="1",
            MediaUrl0=PHOTO,
            MediaContentType0="image/jpeg",
        ),
        acceptable={"Body": ANY_BODY} | {sid: {"null"} for sid in SIDS},
    ),
    # START as Twilio's Advanced Opt-Out reports it: it brings the question back, so an answer
    # shows the message was handled (to STOP and HELP Twilio alone answers).
    "keyword on WhatsApp": Base(
        inbound_form(f"whatsapp:{PHONE}", "whatsapp:+14155238886", "START", OptOutType="START"),
        acceptable={"Body": ANY_BODY, "OptOutType": {"null"}, "NumMedia": {"null"}}
        | {sid: {"null"} for sid in SIDS},
    ),
}
TWILIO_CASES = [(base, name) for base, spec in TWILIO_BASES.items() for name in spec.payload]


def twilio_expected(spec: Base, name: str, kind: str) -> str:
    if kind in ("huge string", "lone surrogate"):
        return REFUSED
    read = name in TWILIO_READ or name.startswith(("MediaUrl", "MediaContentType"))
    if not read or kind in spec.acceptable.get(name, set()):
        return spec.outcome
    return REFUSED


@pytest.mark.parametrize(("base", "name"), TWILIO_CASES, ids=[":".join(c) for c in TWILIO_CASES])
def test_every_twilio_message_field_with_every_kind_of_value(client, store, base, name) -> None:
    spec, wrong = TWILIO_BASES[base], []
    for kind in FORM_KINDS:
        sid = f"SM{next(_ids):032x}"
        fields = spec.payload | {key: sid for key in SIDS}
        before = stored(store)
        response = post_form(client, "/webhooks/twilio", form_with(fields, name, kind))
        got = outcome_of(response.status_code, before, stored(store))
        expected = twilio_expected(spec, name, kind)
        if got != expected:
            wrong.append(f"{kind}: {got} ({response.text[:80]}), expected {expected}")
    assert not wrong, "\n".join(wrong)


STATUS_FIELDS = {
    "MessageSid": "",
    "SmsSid": "",
    "MessageStatus": "undelivered",
    "SmsStatus": "undelivered",
    "ErrorCode": "30003",
    "AccountSid": ACCOUNT_SID,
    "From": "+15005550006",
    "To": PHONE,
    "ApiVersion": "2010-04-01",
    "outbound": "",  # in the callback's query, where we put our row id
}
STATUS_READ = {"MessageSid", "SmsSid", "MessageStatus", "SmsStatus", "ErrorCode", "outbound"}
STATUS_ACCEPTABLE = {
    "MessageSid": {"null"},  # SmsSid carries it
    "SmsSid": {"null"},
    "MessageStatus": {"null"},
    "SmsStatus": {"null"},
    "ErrorCode": {"number", "null", "empty string"},
    "outbound": {"null"},  # the row is then found by Twilio's id
}


def sent_row(store, sid: str, now: datetime) -> int:
    with store.transaction() as session:
        row = OutboundMessage(
            channel="sms",
            address=PHONE,
            message_key="keyword.help",
            body="Help is on its way.",
            status="sent",
            provider_id=sid,
            next_attempt_at=now,
            created_at=now,
            sent_at=now,
        )
        session.add(row)
        session.flush()
        return row.id


def row_state(store, row_id: int) -> tuple:
    with store.transaction() as session:
        row = session.get(OutboundMessage, row_id)
        return (row.status, row.provider_id, row.error_code)


@pytest.mark.parametrize("name", list(STATUS_FIELDS))
def test_every_status_report_field_with_every_kind_of_value(client, store, clock, name) -> None:
    wrong = []
    for kind in FORM_KINDS:
        if name == "outbound" and kind == "huge string":
            continue  # no HTTP client or server takes a 100,000-character address
        sid = f"SM{next(_ids):032x}"
        row_id = sent_row(store, sid, clock.now())
        fields = STATUS_FIELDS | {"MessageSid": sid, "SmsSid": sid, "outbound": str(row_id)}
        pairs = form_with(fields, name, kind)
        query = [(key, value) for key, value in pairs if key == "outbound"]
        form = [(key, value) for key, value in pairs if key != "outbound"]
        before = row_state(store, row_id)
        response = post_form(client, STATUS_PATH, form, encoded(query))
        after = row_state(store, row_id)
        if response.status_code >= 400:
            got = REFUSED if after == before and response.status_code < 500 else "changed"
        elif after == before:
            got = IGNORED
        else:
            got = HANDLED if after[0] == "undelivered" else f"moved to {after}"
        if name not in STATUS_READ or kind in STATUS_ACCEPTABLE.get(name, set()):
            expected = HANDLED
        else:
            expected = REFUSED
        if name == "outbound" and kind == "number":
            expected = IGNORED  # well formed, but names no message of ours
        if kind in ("huge string", "lone surrogate"):
            expected = REFUSED
        if got != expected:
            wrong.append(f"{kind}: {got} ({response.text[:80]}), expected {expected}")
    assert not wrong, "\n".join(wrong)
