"""Photos an assessor takes on site, kept with the finding: checked as evidence files are (no
position or camera left in the kept photo), shown as thumbnails, the full photo for staff
(audited), and carried by the assessment report."""

import io

from assessment_support import assess, first_of
from console_support import GPS_IFD, jpeg_with_gps
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from bot.domain.assessments import record_assessment_outcome
from bot.domain.findings import mark
from bot.models import AuditEntry, Finding, Report


def upload(client, url: str, data: bytes, content_type: str = "image/jpeg"):
    return client.post(
        url, data={"csrf": client.token()}, files={"photo": ("site.jpg", data, content_type)}
    )


def test_a_photo_is_kept_without_its_position_shown_and_printed(console, world) -> None:
    code = first_of("major")
    url = f"/admin/assessments/{world.assessment_id}/findings/{code}/photos"
    client = console.sign_in("staff")
    early = upload(client, url, jpeg_with_gps())
    assert early.status_code == 400 and f"Mark {code} first" in early.text
    with console.runtime.store.transaction() as session:
        mark(session, world.assessment_id, code, "not_met", console.clock.now(), note="Rates")
    added = upload(client, url, jpeg_with_gps())
    assert added.status_code == 303
    with console.runtime.store.transaction() as session:
        finding = session.scalar(select(Finding).where(Finding.code == code))
        [photo] = finding.media
        finding_id = finding.id
    kept = Image.open(io.BytesIO(console.runtime.media.store.get(photo["sha256"])))
    exif = kept.getexif()
    assert not exif.get_ifd(GPS_IFD) and 0x010F not in exif  # no position, no camera
    page = client.get(f"/admin/assessments/{world.assessment_id}?at={code}").text
    assert f'src="/admin/findings/{finding_id}/photos/0/thumbnail"' in page
    thumb = client.get(f"/admin/findings/{finding_id}/photos/0/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert client.get(f"/admin/findings/{finding_id}/photos/0").status_code == 200
    assert client.get(f"/admin/findings/{finding_id}/photos/1").status_code == 404
    viewer = console.sign_in("viewer")
    assert viewer.get(f"/admin/findings/{finding_id}/photos/0/thumbnail").status_code == 200
    assert viewer.get(f"/admin/findings/{finding_id}/photos/0").status_code == 403
    with console.runtime.store.transaction() as session:
        actions = list(session.scalars(select(AuditEntry.action)))
    assert actions.count("finding.photo_view") == 1 and "finding.photo" in actions

    with console.runtime.store.transaction() as session:
        assess(session, world.assessment_id, console.clock.now(), {code: None})
        record_assessment_outcome(session, world.assessment_id, "partial", "", console.clock.now())
    base = f"/admin/businesses/{world.business_id}/reports/assessment"
    assert client.post(base + "/issue", data={"csrf": client.token()}).status_code == 303
    with console.runtime.store.transaction() as session:
        report = session.scalar(select(Report).where(Report.kind == "assessment"))
        pictures = [image for page in PdfReader(io.BytesIO(report.pdf)).pages
                    for image in page.images]  # fmt: skip
    assert pictures, "the assessment report carries the finding's photo"


def test_what_is_not_a_photo_is_refused_with_a_reason(console, world) -> None:
    code = first_of("minor")
    with console.runtime.store.transaction() as session:
        mark(session, world.assessment_id, code, "not_met", console.clock.now())
    url = f"/admin/assessments/{world.assessment_id}/findings/{code}/photos"
    client = console.sign_in("staff")
    for data, kind in [
        (b"<html><script>alert(1)</script></html>", "image/jpeg"),
        (b"%PDF-1.4 not a photo", "application/pdf"),
        (b"", "image/jpeg"),
    ]:
        refused = upload(client, url, data, kind)
        assert refused.status_code == 400 and "not a photo" in refused.text, kind
    big = upload(
        client, url, b"\xff\xd8" + b"\x00" * (console.runtime.settings.media_max_bytes + 1)
    )
    assert big.status_code == 400 and "too large" in big.text
    nothing = client.post(url, data={"csrf": client.token()})
    assert nothing.status_code == 400 and "Choose a photo" in nothing.text
    assert (
        client.post(url, files={"photo": ("a.jpg", jpeg_with_gps(), "image/jpeg")}).status_code
        == 403
    )
    with console.runtime.store.transaction() as session:
        assert session.scalar(select(Finding).where(Finding.code == code)).media == []
