"""Evidence in the console: thumbnails, full photos (audited), voice notes and documents on the
action item and in the conversation, what could not be fetched, deleting a file; served with
safe headers; and, in a real browser, a photo with a GPS position sent over SMS, fetched from
the fake Twilio, shown on the business page without its EXIF."""

import io
from collections.abc import Iterator

import pytest
from console_support import add_business, add_evidence
from fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from PIL import Image
from sqlalchemy import select

from bot.channels.provider import Inbound
from bot.domain.actions import create_action_item
from bot.domain.media import NotFetched, record_attachments, settle
from bot.models import Attachment, AuditEntry, Contact, InboundMessage
from bot.scheduler import fetch_media_tick

GPS_IFD = 0x8825


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (400, 300), (180, 60, 40))
    exif = Image.Exif()
    exif[0x0112] = 1
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (26.0, 54.0, 42.0), 3: "E", 4: (75.0, 47.0, 6.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def voice() -> bytes:
    return b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x13OpusHead\x01\x01" + b"\x00" * 300


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def audit(console, action: str) -> list[AuditEntry]:
    with console.runtime.store.transaction() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()
        session.expunge_all()
        return list(rows)


def test_staff_see_the_photo_on_the_item_and_every_full_view_is_audited(console, world) -> None:
    staff = console.sign_in("staff")
    page = staff.get(f"/admin/businesses/{world.business_id}").text
    thumbnail = f'src="/admin/media/{world.attachment_id}/thumbnail"'
    assert page.count(thumbnail) == 2  # on the item, and in the conversation
    assert f'href="/admin/media/{world.attachment_id}"' in page

    small = staff.get(f"/admin/media/{world.attachment_id}/thumbnail")
    assert small.status_code == 200 and small.headers["content-type"] == "image/jpeg"
    assert audit(console, "media.view") == []  # thumbnails are not full views

    full = staff.get(f"/admin/media/{world.attachment_id}")
    assert full.status_code == 200
    assert full.headers["content-type"] == "image/jpeg"
    assert full.headers["x-content-type-options"] == "nosniff"
    assert full.headers["content-disposition"].startswith("inline;")
    assert "sandbox" in full.headers["content-security-policy"]
    Image.open(io.BytesIO(full.content)).verify()
    staff.get(f"/admin/media/{world.attachment_id}")
    views = audit(console, "media.view")
    assert [(entry.target, entry.staff_id) for entry in views] == [
        (f"attachment:{world.attachment_id}", console.account_id("staff@example.org"))
    ] * 2


def test_viewers_see_thumbnails_but_not_the_full_files(console, world) -> None:
    viewer = console.sign_in("viewer")
    page = viewer.get(f"/admin/businesses/{world.business_id}").text
    assert f"/admin/media/{world.attachment_id}/thumbnail" in page
    assert f'href="/admin/media/{world.attachment_id}"' not in page
    assert viewer.get(f"/admin/media/{world.attachment_id}/thumbnail").status_code == 200
    assert viewer.get(f"/admin/media/{world.attachment_id}").status_code == 403
    assert audit(console, "media.view") == []
    assert console.client().get(f"/admin/media/{world.attachment_id}").status_code == 303


def test_voice_notes_play_and_documents_download(console, world) -> None:
    audio_id, document_id = add_evidence(
        console, world.leader, world.item_id, [(voice(), "audio/ogg"), (pdf(), "application/pdf")]
    )
    staff = console.sign_in("staff")
    page = staff.get(f"/admin/businesses/{world.business_id}").text
    assert f'<audio controls preload="none" src="/admin/media/{audio_id}"></audio>' in page
    assert f'href="/admin/media/{document_id}">Document (application/pdf' in page
    assert f"/admin/media/{audio_id}/thumbnail" not in page  # a voice note is no photo

    played = staff.get(f"/admin/media/{audio_id}")
    assert played.headers["content-type"] == "audio/ogg" and played.content == voice()
    assert played.headers["content-disposition"].startswith("inline;")
    document = staff.get(f"/admin/media/{document_id}")
    assert document.headers["content-type"] == "application/pdf"
    assert document.headers["content-disposition"] == (
        f'attachment; filename="evidence-{document_id}.pdf"'
    )
    assert staff.get(f"/admin/media/{audio_id}/thumbnail").status_code == 404


def test_files_that_could_not_be_fetched_say_so_with_the_reason(console, world) -> None:
    now = console.clock.now()
    with console.runtime.store.transaction() as session:
        leader = session.scalar(select(Contact).where(Contact.address == world.leader))
        inbound = InboundMessage(
            channel="sms", provider_id="SM-gone", contact_id=leader.id, body="",
            media=["https://api.twilio.com/gone"], received_at=now,
        )  # fmt: skip
        session.add(inbound)
        session.flush()
        [row] = record_attachments(session, inbound.id, leader.id, "sms", inbound.media, now)
        settle(session, row.id, NotFetched("404", "Twilio answered 404", passing=False), now)
        failed = row.id
    page = console.sign_in("staff").get(f"/admin/businesses/{world.business_id}").text
    assert 'Could not fetch</span> <span class="small">404: Twilio answered 404' in page
    assert (
        console.sign_in("staff", "s2@example.org").get(f"/admin/media/{failed}").status_code == 404
    )


def test_an_admin_deletes_a_file_and_the_log_records_it(console, world) -> None:
    with console.runtime.store.transaction() as session:
        digest = session.get(Attachment, world.attachment_id).sha256
    assert console.runtime.media.store.exists(digest)
    admin = console.sign_in("admin")
    response = admin.submit(f"/admin/media/{world.attachment_id}/delete")
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/businesses/{world.business_id}#items"
    with console.runtime.store.transaction() as session:
        row = session.get(Attachment, world.attachment_id)
        assert (row.state, row.sha256, row.thumbnail_sha256) == ("deleted", None, None)
    assert not console.runtime.media.store.exists(digest)
    assert [entry.target for entry in audit(console, "media.delete")] == [
        f"attachment:{world.attachment_id}"
    ]
    assert admin.get(f"/admin/media/{world.attachment_id}").status_code == 404
    assert "File deleted" in admin.get(f"/admin/businesses/{world.business_id}").text
    logged = admin.get("/admin/audit").text
    assert "admin@example.org deleted an evidence file of Blue Thread Embroidery" in logged


@pytest.mark.parametrize("path", ["0", "99999", "..%2F..%2Fetc%2Fpasswd", "1%00", "-1"])
def test_addresses_that_name_no_stored_file_are_missing(console, world, path) -> None:
    staff = console.sign_in("staff")
    assert staff.get(f"/admin/media/{path}").status_code in (404, 422)
    assert staff.get(f"/admin/media/{path}/thumbnail").status_code in (404, 422)


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


def test_a_photo_sent_over_sms_is_fetched_and_shown_without_its_gps_position(
    chromium, make_console, fake_twilio, artifacts
) -> None:
    console = make_console(
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_sms_from="+15005550006",
        twilio_api_base_url=fake_twilio.url,
    )
    business_id = add_business(console, "+15550100001", "Blue Thread Embroidery")
    now = console.clock.now()
    with console.runtime.store.transaction() as session:
        create_action_item(
            session, business_id, "remediation", "major", "Put a first-aid kit in the workshop",
            now.date(), now,
        )  # fmt: skip
    url = fake_twilio.add_media(jpeg_with_gps(), "image/jpeg")
    handled = console.runtime.engine.handle(
        Inbound("sms", "+15550100001", "MM" + "a" * 32, "the new kit", (url,))
    )
    assert not handled.duplicate and handled.replies
    assert fetch_media_tick(console.runtime).stored == 1
    with console.runtime.store.transaction() as session:
        row = session.scalar(select(Attachment))
        photo_id, digest = row.id, row.sha256
    with Image.open(io.BytesIO(console.runtime.media.store.get(digest))) as kept:
        assert not kept.getexif().get_ifd(GPS_IFD) and dict(kept.getexif()) == {0x0112: 1}

    email = console.account("staff")
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=console.url)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto("/admin/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", "a long enough password")
        page.click("button:has-text('Sign in')")
        page.wait_for_url("**/admin/")
        page.goto(f"/admin/businesses/{business_id}")
        thumbnail = page.locator("#items img.thumb")
        thumbnail.wait_for()
        # Thumbnails load lazily, as they come into view: bring each into view first.
        for image in page.locator("img.thumb").all():
            image.scroll_into_view_if_needed()
            image.evaluate("image => image.decode()")
        page.wait_for_function("() => [...document.images].every(image => image.complete)")
        assert thumbnail.evaluate("image => image.naturalWidth") > 0
        assert thumbnail.evaluate("image => image.naturalHeight") > 0
        assert page.locator("#conversation img.thumb").evaluate("i => i.naturalWidth") > 0
        page.screenshot(path=artifacts / "evidence-on-the-item.png", full_page=True)
        full = page.request.get(f"/admin/media/{photo_id}")
        assert full.status == 200 and full.headers["x-content-type-options"] == "nosniff"
    finally:
        context.close()
    assert len(audit(console, "media.view")) == 1
