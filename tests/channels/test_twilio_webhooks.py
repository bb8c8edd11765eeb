"""Twilio posting SMS and WhatsApp messages to us, signed exactly as Twilio signs them."""

import pytest
from channel_support import PUBLIC, post_signed, twilio_form
from fakes.twilio import ACCOUNT_SID, sign
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.app import create_app
from bot.models import Contact, ConversationState, InboundMessage, OutboundMessage

PHONE = "+919812345678"


def count(store, model) -> int:
    with store.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_an_sms_is_handled_and_answered_with_empty_twiml(client, store) -> None:
    sid = "SM" + "a" * 32
    response = post_signed(client, twilio_form(sid))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert "<Response />" in response.text and "<Message" not in response.text
    with store.transaction() as session:
        inbound = session.scalar(select(InboundMessage))
        reply = session.scalar(select(OutboundMessage))
        assert (inbound.channel, inbound.provider_id, inbound.body) == ("sms", sid, "hi")
        assert (reply.channel, reply.address, reply.status) == ("sms", PHONE, "queued")
        assert "Choose your language" in reply.body


def test_a_webhook_retried_by_twilio_is_answered_once(client, store) -> None:
    form = twilio_form("SM" + "b" * 32)
    assert post_signed(client, form).status_code == 200
    assert post_signed(client, form).status_code == 200
    assert (count(store, InboundMessage), count(store, OutboundMessage)) == (1, 1)


def test_one_person_on_sms_then_whatsapp_is_one_contact_with_one_session(client, store) -> None:
    post_signed(client, twilio_form("SM" + "c" * 32, PHONE, "hi"))
    post_signed(client, twilio_form("SM" + "d" * 32, f"whatsapp:{PHONE}", "1"))
    with store.transaction() as session:
        [contact] = session.scalars(select(Contact)).all()
        assert (contact.address, contact.channel, contact.language) == (PHONE, "whatsapp", "en")
        assert session.get(ConversationState, contact.id).step == "consent"
        channels = session.scalars(select(InboundMessage.channel).order_by(InboundMessage.id))
        assert list(channels) == ["sms", "whatsapp"]
        replies = session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()
        assert [(reply.channel, reply.address) for reply in replies] == [
            ("sms", PHONE),
            ("whatsapp", PHONE),
        ]


def test_a_photo_sent_as_evidence_is_recorded_by_its_url(client, store) -> None:
    photo = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM1/Media/ME1"
    form = twilio_form("MM" + "e" * 32, body="", NumMedia="1", MediaUrl0=photo)
    form["MediaContentType0"] = "image/jpeg"
    assert post_signed(client, form).status_code == 200
    with store.transaction() as session:
        assert session.scalar(select(InboundMessage.media)) == [photo]


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "not-a-signature",
        sign(PUBLIC + "/webhooks/twilio", twilio_form("SM1"), token="another-accounts-token"),
        # Signed for the address the app sees behind the proxy, not the public one.
        sign("http://testserver/webhooks/twilio", twilio_form("SM1")),
        # Signed for other fields than the ones posted.
        sign(PUBLIC + "/webhooks/twilio", twilio_form("SM1", body="something else")),
    ],
)
def test_a_missing_or_wrong_signature_is_refused_and_nothing_is_stored(
    client, store, signature
) -> None:
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    response = client.post("/webhooks/twilio", data=twilio_form("SM1"), headers=headers)
    assert response.status_code == 403
    assert "Signature" in response.json()["detail"]
    assert (count(store, InboundMessage), count(store, Contact)) == (0, 0)


def test_status_reports_are_signed_too(client, store) -> None:
    form = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    response = client.post("/webhooks/twilio/status", data=form, headers={})
    assert response.status_code == 403


FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "reason"),
    [
        (b'{"From": "+15550001111"}', "application/json", 415, "expected"),
        (b"", "text/plain", 415, "expected"),
        (b"From=%2B1555&Body=\xff\xfe", FORM, 400, "UTF-8"),
        (b"From=%2B1555&Body=%FF", FORM, 400, "UTF-8"),
        (b"a=1&" * 300, FORM, 400, "form"),
        (b"Body=" + b"x" * 70_000, FORM, 413, "bytes"),
    ],
)
def test_malformed_bodies_get_a_short_reason_and_nothing_is_stored(
    client, store, body, content_type, status, reason
) -> None:
    headers = {"Content-Type": content_type, "X-Twilio-Signature": "whatever"}
    response = client.post("/webhooks/twilio", content=body, headers=headers)
    assert response.status_code == status
    assert reason in response.json()["detail"]
    assert count(store, InboundMessage) == 0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"From": ""}, "From"),
        ({"From": "not a phone"}, "From"),
        ({"From": "whatsapp:"}, "From"),
        ({"From": "+1555'; DROP TABLE contacts;--"}, "From"),
        ({"From": "+" + "9" * 5000}, "From"),
        ({"MessageSid": "", "SmsMessageSid": ""}, "MessageSid"),
        ({"MessageSid": "SM<script>", "SmsMessageSid": ""}, "MessageSid"),
        ({"MessageSid": "S" * 200, "SmsMessageSid": ""}, "MessageSid"),
        ({"NumMedia": "many"}, "NumMedia"),
    ],
)
def test_signed_messages_missing_what_we_need_are_refused(client, store, change, reason) -> None:
    form = twilio_form("SM" + "f" * 32) | change
    response = post_signed(client, form)
    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert (count(store, InboundMessage), count(store, Contact)) == (0, 0)


@pytest.mark.parametrize(
    "body",
    ["", "x" * 20_000, "ना" * 3000, "\u0000 emoji 🧵🪡", "<Response><Message>hi</Message>"],
)
def test_any_text_within_the_cap_is_taken_and_answered(client, store, body) -> None:
    response = post_signed(client, twilio_form("SM" + "9" * 32, body=body))
    assert response.status_code == 200
    assert "<Message" not in response.text
    assert (count(store, InboundMessage), count(store, OutboundMessage)) == (1, 1)


PHOTO = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"


@pytest.mark.parametrize(
    ("media", "reason"),
    [
        ({"NumMedia": "2", "MediaUrl0": PHOTO, "MediaContentType0": "image/jpeg"}, "MediaUrl1"),
        ({"NumMedia": "1", "MediaUrl0": "javascript:alert(1)"}, "MediaUrl0"),
        ({"NumMedia": "1", "MediaUrl0": "http://example.org/a.jpg"}, "MediaUrl0"),
        ({"NumMedia": "1", "MediaUrl0": PHOTO}, "MediaContentType0"),
        ({"NumMedia": "1", "MediaUrl0": PHOTO, "MediaContentType0": "jpeg"}, "MediaContentType0"),
        ({"NumMedia": "0", "MediaUrl0": PHOTO}, "MediaUrl0"),
        ({"NumMedia": "0", "MediaContentType3": "image/png"}, "MediaContentType3"),
        ({"NumMedia": "11"}, "NumMedia"),
        ({"NumMedia": "-1"}, "NumMedia"),
    ],
)
def test_media_fields_that_do_not_match_num_media_are_refused(client, store, media, reason) -> None:
    response = post_signed(client, twilio_form("MM" + "1" * 32, body="") | media)
    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert count(store, InboundMessage) == 0


def test_with_twilio_off_the_webhook_says_so_and_stores_nothing(make_runtime, store) -> None:
    runtime = make_runtime(twilio_account_sid="", twilio_auth_token="")
    with TestClient(create_app(runtime)) as client:
        response = post_signed(client, twilio_form("SM" + "2" * 32))
    assert response.status_code == 404
    assert "TWILIO_AUTH_TOKEN" in response.json()["detail"]
    assert count(store, InboundMessage) == 0


def test_with_the_store_down_twilio_is_told_to_retry(make_runtime) -> None:
    runtime = make_runtime(database_url="postgresql://nobody@127.0.0.1:9/nothing")
    with TestClient(create_app(runtime)) as client:
        response = post_signed(client, twilio_form("SM" + "3" * 32))
        report = {"MessageSid": "SM" + "3" * 32, "MessageStatus": "delivered"}
        status = post_signed(client, report, "/webhooks/twilio/status")
    assert response.status_code == 503
    assert status.status_code == 503
