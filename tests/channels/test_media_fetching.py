"""Files people send are fetched from the fake Twilio and Telegram servers in the background,
checked, kept by content hash, and refused or retried with a clear outcome."""

import io
from datetime import timedelta
from urllib.parse import unquote

import pytest
import requests
from channel_support import PHONE, post_signed, twilio_form
from fakes.telegram import TOKEN, WEBHOOK_SECRET, photo_update, voice_update
from fakes.twilio import ACCOUNT_SID
from media_support import (
    DATETIME,
    GPS_IFD,
    MAKE,
    ORIENTATION,
    attachments,
    jpeg_with_gps,
    ogg_voice,
    pdf_document,
)
from PIL import Image
from sqlalchemy import select

from bot.channels.provider import Fetched, Inbound, TooLarge
from bot.channels.twilio import read_download
from bot.domain.business import register_business
from bot.domain.media import MAX_ATTEMPTS
from bot.domain.surveys import default_definition, open_survey
from bot.media.checks import examine
from bot.media.store import digest_of
from bot.models import Contact, InboundMessage, OutboundMessage
from bot.scheduler import expire_media_tick, fetch_media_tick, ticks

CHAT = 5550077
SECRET = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}


def send_twilio(client, sid: int, url: str, content_type: str, body: str = "") -> None:
    form = twilio_form(
        f"SM{sid:032x}", body=body, NumMedia="1", MediaUrl0=url, MediaContentType0=content_type
    )
    assert post_signed(client, form).status_code == 200


def replies(store, key_prefix: str = "media.") -> list[OutboundMessage]:
    with store.transaction() as session:
        rows = session.scalars(
            select(OutboundMessage).where(OutboundMessage.message_key.startswith(key_prefix))
        ).all()
        session.expunge_all()
        return list(rows)


def test_a_photo_with_a_gps_position_is_kept_without_any_exif_but_its_orientation(
    client, runtime, store, fake_twilio
) -> None:
    url = fake_twilio.add_media(jpeg_with_gps(), "image/jpeg")
    send_twilio(client, 1, url, "image/jpeg", "the new first-aid kit")

    report = fetch_media_tick(runtime)

    assert report.stored == 1
    [download] = fake_twilio.media_downloads()
    assert download.headers["authorization"].startswith("Basic ")
    [row] = attachments(store)
    assert (row.state, row.kind, row.content_type, row.reason) == (
        "stored",
        "image",
        "image/jpeg",
        "",
    )
    kept = runtime.media.store.get(row.sha256)
    assert row.size == len(kept)
    with Image.open(io.BytesIO(kept)) as image:
        exif = image.getexif()
        assert dict(exif) == {ORIENTATION: 6}
        assert not exif.get_ifd(GPS_IFD)
        assert MAKE not in exif and DATETIME not in exif
        assert "comment" not in image.info and "xmp" not in image.info
        assert image.size == (640, 480)
    assert b"home of the photographer" not in kept and b"PhoneMaker" not in kept
    with Image.open(io.BytesIO(runtime.media.store.get(row.thumbnail_sha256))) as thumbnail:
        assert thumbnail.format == "JPEG"
        assert thumbnail.size == (240, 320)  # turned upright by its orientation
        assert not thumbnail.getexif()


def test_an_oversized_file_is_refused_with_a_reply_in_the_senders_language(
    make_runtime, store, fake_twilio
) -> None:
    runtime = make_runtime(media_max_bytes=2048)
    runtime.engine.handle(Inbound("sms", PHONE, "SM" + "1" * 32, "hola"))
    with store.transaction() as session:
        session.scalar(select(Contact)).language = "es"
    url = fake_twilio.add_media(jpeg_with_gps(), "image/jpeg")
    runtime.engine.handle(Inbound("sms", PHONE, "SM" + "2" * 32, "", (url,)))

    assert fetch_media_tick(runtime).refused == 1

    [row] = attachments(store)
    assert row.state == "refused" and row.sha256 is None
    assert "over the limit of 2048" in row.reason
    [reply] = replies(store)
    assert reply.message_key == "media.refused_size"
    assert reply.address == PHONE and "demasiado grande" in reply.body and "1 MB" in reply.body


def test_a_failed_fetch_is_retried_later_and_then_succeeds(
    client, runtime, store, fake_twilio, clock
) -> None:
    url = fake_twilio.add_media(pdf_document(), "application/pdf")
    fake_twilio.media_planned.extend([503])
    send_twilio(client, 2, url, "application/pdf")

    assert fetch_media_tick(runtime).retrying == 1
    [row] = attachments(store)
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.reason.startswith("503")
    assert fetch_media_tick(runtime).stored == 0  # not due yet: no second download
    assert len(fake_twilio.media_downloads()) == 1

    clock.advance(timedelta(minutes=2))
    assert fetch_media_tick(runtime).stored == 1
    [row] = attachments(store)
    assert (row.state, row.kind, row.content_type, row.attempts) == (
        "stored",
        "document",
        "application/pdf",
        2,
    )
    assert runtime.media.store.get(row.sha256) == pdf_document()
    assert row.thumbnail_sha256 is None
    assert replies(store) == []


def test_a_fetch_that_keeps_failing_ends_failed_with_its_reason(
    make_runtime, store, fake_twilio, clock
) -> None:
    runtime = make_runtime()
    url = fake_twilio.add_media(pdf_document(), "application/pdf")
    fake_twilio.media_planned.extend([500] * MAX_ATTEMPTS)
    runtime.engine.handle(Inbound("sms", PHONE, "SM" + "3" * 32, "", (url,)))
    for _ in range(MAX_ATTEMPTS):
        fetch_media_tick(runtime)
        clock.advance(timedelta(hours=7))
    [row] = attachments(store)
    assert (row.state, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert row.reason.startswith("500")


def test_a_telegram_voice_note_is_kept_as_audio(client, runtime, store, fake_telegram) -> None:
    file_id = fake_telegram.add_file(ogg_voice(), "voice", "oga")
    response = client.post(
        "/webhooks/telegram", json=voice_update(40, CHAT, file_id), headers=SECRET
    )
    assert response.status_code == 200

    assert fetch_media_tick(runtime).stored == 1

    [row] = attachments(store)
    assert (row.state, row.kind, row.content_type) == ("stored", "audio", "audio/ogg")
    assert row.thumbnail_sha256 is None  # a voice note is no photo
    assert runtime.media.store.get(row.sha256) == ogg_voice()
    assert [
        call.params["file_id"] for call in fake_telegram.calls if call.path.endswith("getFile")
    ] == [file_id]


def test_a_telegram_photo_is_fetched_with_getfile_and_its_file_address(
    client, runtime, store, fake_telegram
) -> None:
    file_id = fake_telegram.add_file(jpeg_with_gps((64, 48), orientation=1))
    update = photo_update(41, CHAT, file_id, caption="kit")
    assert client.post("/webhooks/telegram", json=update, headers=SECRET).status_code == 200
    fetch_media_tick(runtime)
    [row] = attachments(store)
    assert (row.state, row.kind, row.channel) == ("stored", "image", "telegram")
    with Image.open(io.BytesIO(runtime.media.store.get(row.sha256))) as image:
        assert dict(image.getexif()) == {ORIENTATION: 1}
    downloads = [unquote(c.path) for c in fake_telegram.calls if c.path.startswith("/file/")]
    assert downloads == [f"/file/bot{TOKEN}/photos/file_1.jpg"]


def test_a_survey_answers_media_is_never_recorded_or_fetched(runtime, store, fake_twilio) -> None:
    now = runtime.clock.now()
    with store.transaction() as session:
        leader = Contact(address="+15550100001", channel="sms", language="en", created_at=now)
        session.add(leader)
        session.flush()
        business = register_business(session, leader, "Blue Thread", "Jaipur", "IN", now)
        code = open_survey(session, business.id, now, default_definition()).code
    worker = "+15550400009"
    for number, body in enumerate((f"JOIN {code}", "1", "1"), start=1):
        runtime.engine.handle(Inbound("sms", worker, f"SM{number:032x}", body))
    url = fake_twilio.add_media(jpeg_with_gps(), "image/jpeg")
    runtime.engine.handle(Inbound("sms", worker, "SM" + "f" * 32, "2", (url,)))

    fetch_media_tick(runtime)

    with store.transaction() as session:
        kept = session.scalars(select(InboundMessage.media)).all()
    assert all(media == [] for media in kept)
    assert attachments(store) == []
    assert fake_twilio.media_downloads() == []


def test_a_file_claiming_to_be_a_jpeg_that_is_not_an_image_is_refused(
    client, runtime, store, fake_twilio
) -> None:
    page = b"<html><body><script>alert(document.cookie)</script></body></html>"
    send_twilio(client, 5, fake_twilio.add_media(page, "image/jpeg"), "image/jpeg")
    fetch_media_tick(runtime)
    [row] = attachments(store)
    assert row.state == "refused" and row.sha256 is None
    assert row.reason == "said image/jpeg but is not a known type"
    assert [reply.message_key for reply in replies(store)] == ["media.refused_type"]


def test_a_type_that_is_not_kept_is_refused(client, runtime, store, fake_twilio) -> None:
    archive = b"PK\x03\x04" + b"\x00" * 200
    send_twilio(client, 6, fake_twilio.add_media(archive, "application/zip"), "application/zip")
    fetch_media_tick(runtime)
    [row] = attachments(store)
    assert row.state == "refused" and "not among the types kept" in row.reason


def test_an_image_of_too_many_pixels_is_refused_unopened(client, runtime, store, fake_twilio):
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG")
    send_twilio(client, 7, fake_twilio.add_media(out.getvalue(), "image/png"), "image/png")
    fetch_media_tick(runtime)
    [row] = attachments(store)
    assert row.state == "refused" and "too many" in row.reason


@pytest.mark.parametrize(
    ("channel", "reference"),
    [
        ("telegram", "telegram-file:../../../etc/passwd"),
        ("telegram", "telegram-file:a/b"),
        ("sms", f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/../../x"),
        ("sms", "https://evil.example.org/2010-04-01/Accounts/x/Messages/y/Media/z"),
        (
            "sms",
            "https://api.twilio.com/2010-04-01/Accounts/AC"
            + "9" * 32
            + "/Messages/MM"
            + "1" * 32
            + "/Media/ME"
            + "1" * 32,
        ),
    ],
)
def test_references_that_are_not_the_providers_files_fail_without_a_request(
    runtime, store, fake_twilio, fake_telegram, channel, reference
) -> None:
    address = "telegram:5550078" if channel == "telegram" else PHONE
    runtime.engine.handle(Inbound(channel, address, "SM" + "e" * 32, "", (reference,)))
    calls_before = len(fake_twilio.calls) + len(fake_telegram.calls)
    assert fetch_media_tick(runtime).failed == 1
    [row] = attachments(store)
    assert row.state == "failed" and row.attempts == 1
    assert len(fake_twilio.calls) + len(fake_telegram.calls) == calls_before


def test_files_are_not_fetched_for_a_channel_without_credentials(
    make_runtime, store, fake_twilio
) -> None:
    runtime = make_runtime(twilio_auth_token="")
    url = fake_twilio.add_media(pdf_document(), "application/pdf")
    runtime.engine.handle(Inbound("sms", PHONE, "SM" + "4" * 32, "", (url,)))
    fetch_media_tick(runtime)
    [row] = attachments(store)
    assert row.state == "pending"
    assert fake_twilio.media_downloads() == []


def test_the_fetching_and_retention_ticks_are_registered_with_the_scheduler() -> None:
    names = {tick.name for tick in ticks()}
    assert {"media.fetch", "media.expire"} <= names


def test_telegram_files_over_the_limit_are_refused_before_downloading(
    make_runtime, store, fake_telegram
) -> None:
    runtime = make_runtime(media_max_bytes=1024)
    file_id = fake_telegram.add_file(pdf_document() + b"%" * 4096, "documents", "pdf")
    runtime.engine.handle(
        Inbound("telegram", f"telegram:{CHAT}", "tg-50", "", (f"telegram-file:{file_id}",))
    )
    assert fetch_media_tick(runtime).refused == 1
    assert not [call for call in fake_telegram.calls if call.path.startswith("/file/")]
    [reply] = replies(store)
    assert reply.message_key == "media.refused_size" and reply.channel == "telegram"


def test_a_telegram_fetch_that_fails_is_retried(runtime, store, fake_telegram, clock) -> None:
    file_id = fake_telegram.add_file(ogg_voice(), "voice", "oga")
    fake_telegram.file_planned.append(500)
    runtime.engine.handle(
        Inbound("telegram", f"telegram:{CHAT}", "tg-51", "", (f"telegram-file:{file_id}",))
    )
    assert fetch_media_tick(runtime).retrying == 1
    clock.advance(timedelta(minutes=1))
    assert fetch_media_tick(runtime).stored == 1


def test_old_files_are_forgotten_after_the_retention_period_shared_bytes_kept_while_used(
    make_runtime, store, fake_twilio, clock
) -> None:
    runtime = make_runtime(media_retention_days=30)
    photo = jpeg_with_gps()
    first = fake_twilio.add_media(photo, "image/jpeg")
    runtime.engine.handle(Inbound("sms", PHONE, "SM" + "6" * 32, "", (first,)))
    fetch_media_tick(runtime)
    clock.advance(timedelta(days=20))
    again = fake_twilio.add_media(photo, "image/jpeg")  # the same photo, sent again later
    runtime.engine.handle(Inbound("sms", PHONE, "SM" + "7" * 32, "", (again,)))
    fetch_media_tick(runtime)
    old, new = attachments(store)
    assert old.sha256 == new.sha256

    clock.advance(timedelta(days=11))
    assert expire_media_tick(runtime) == 0  # the bytes are still the newer record's
    old, new = attachments(store)
    assert (old.state, new.state) == ("deleted", "stored")
    assert runtime.media.store.exists(new.sha256)

    clock.advance(timedelta(days=20))
    assert expire_media_tick(runtime) == 2  # the photo and its thumbnail
    assert [row.state for row in attachments(store)] == ["deleted", "deleted"]
    kept = examine(photo, "image/jpeg", frozenset({"image/jpeg"}), 10**7)
    assert not runtime.media.store.exists(digest_of(kept.original))
    assert not runtime.media.store.exists(digest_of(kept.thumbnail))


def test_a_file_path_from_telegram_that_climbs_out_is_not_downloaded(
    runtime, store, fake_telegram
) -> None:
    file_id = fake_telegram.add_file(pdf_document(), "documents", "pdf")
    fake_telegram.files[file_id] = ("../../etc/passwd", pdf_document())
    runtime.engine.handle(
        Inbound("telegram", f"telegram:{CHAT}", "tg-52", "", (f"telegram-file:{file_id}",))
    )
    assert fetch_media_tick(runtime).failed == 1
    [row] = attachments(store)
    assert row.reason.startswith("bad_path")
    assert not [call for call in fake_telegram.calls if call.path.startswith("/file/")]


def test_a_download_without_a_declared_length_stops_at_the_limit() -> None:
    response = requests.Response()
    response.status_code = 200
    response.headers["Content-Type"] = "image/jpeg"
    response.raw = io.BytesIO(b"\xff" * 5000)
    assert read_download(response, 4096) == TooLarge()
    response.raw = io.BytesIO(b"\xff" * 4096)
    assert read_download(response, 4096) == Fetched(b"\xff" * 4096, "image/jpeg")
