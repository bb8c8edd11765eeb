"""The seal in public and in the console: the verification page for active, expired, revoked
and unknown codes in the visitor's language, its rate limit per client, the QR code for
product tags (decoded with zbarimg) and revoking with a reason."""

import shutil
import subprocess
from datetime import timedelta

import httpx
import pytest
from seal_support import sealed_business
from sqlalchemy import select

from admin.pages.public_seal import visitor_language
from bot.domain.seals import revoke_seal, shown_code
from bot.models import AuditEntry, OutboundMessage, Seal
from bot.scheduler import seals_tick


def seal_of(console, **changes) -> Seal:
    with console.runtime.store.transaction() as session:
        seal = sealed_business(session, console.clock.now(), **changes)
        session.expunge(seal)
        return seal


def test_an_active_seal_shows_name_country_status_and_validity_only(console) -> None:
    seal = seal_of(console)
    client = console.client()
    page = client.get(f"/seal/{seal.code}")
    assert page.status_code == 200
    assert "Golden Jute Crafts" in page.text and "Bangladesh" in page.text
    assert "Valid" in page.text and seal.number in page.text
    assert f"{seal.valid_until.year}" in page.text
    assert "Dhaka" not in page.text and "+919800000001" not in page.text  # nothing else
    assert page.headers["cache-control"] == "no-store"
    assert "console_session" not in page.headers.get("set-cookie", "")
    # The code as printed on a tag, in lower case, reads the same.
    assert client.get(f"/seal/{shown_code(seal.code).lower()}").status_code == 200


@pytest.mark.parametrize(
    "header, language, word",
    [
        ("es-MX,es;q=0.9,en;q=0.5", "es", "Válido"),
        ("fr-CA", "fr", "Valide"),
        ("de-DE,de;q=0.9,hi;q=0.8", "hi", "मान्य"),
        ("en;q=0.1, fr;q=0.9", "fr", "Valide"),
        ("de, ja", "en", "Valid"),
        ("*", "en", "Valid"),
        ("es;q=abc, fr;q=0.5", "fr", "Valide"),
        ("x" * 5000, "en", "Valid"),
        ("", "en", "Valid"),
    ],
)
def test_the_page_speaks_the_visitors_language_where_supported(
    console, header, language, word
) -> None:
    assert visitor_language(header) == language
    seal = seal_of(console)
    page = console.client().get(f"/seal/{seal.code}", headers={"accept-language": header})
    assert page.status_code == 200 and f'lang="{language}"' in page.text and word in page.text


def test_expired_and_revoked_seals_say_so(console) -> None:
    expired = seal_of(console, months=1)
    revoked = seal_of(console, phone="+919800000002", name="Kamal Prints", country="IN")
    with console.runtime.store.transaction() as session:
        revoke_seal(session, revoked.business_id, "Zero-tolerance finding", console.clock.now())
    console.clock.advance(timedelta(days=40))
    client = console.client()
    page = client.get(f"/seal/{expired.code}", headers={"accept-language": "fr"})
    assert (
        page.status_code == 200 and "Expiré" in page.text and 'class="status expired"' in page.text
    )
    page = client.get(f"/seal/{revoked.code}")
    assert page.status_code == 200 and "Revoked" in page.text and "Kamal Prints" in page.text
    assert "Zero-tolerance" not in page.text  # the reason is for the leader and staff


@pytest.mark.parametrize(
    "code",
    ["ZZZZZZZZZZ", "abc", "..%2F..%2Fetc%2Fpasswd", "A" * 5000, "%00", "' OR 1=1 --", "☃☃☃"],
)
def test_unknown_or_malformed_codes_get_a_plain_not_found_page(console, code) -> None:
    seal_of(console)
    response = console.client().get(f"/seal/{code}")
    assert response.status_code == 404
    assert "Not found" in response.text and "Golden Jute" not in response.text


def test_verification_is_limited_per_client_trusting_only_listed_proxies(make_console) -> None:
    console = make_console(verify_limit=3, trusted_proxies="127.0.0.1")
    seal = seal_of(console)
    client = console.client()

    def check(via: str, code: str = seal.code) -> int:
        return client.get(f"/seal/{code}", headers={"x-forwarded-for": via}).status_code

    assert [check("203.0.113.7", code) for code in ("ZZZZZZZZZZ", "bad", seal.code)] == [
        404,
        404,
        200,
    ]
    assert check("203.0.113.7") == 429  # unknown codes count too: no enumerating
    assert check("198.51.100.4") == 200  # another client, as the trusted proxy says
    console.clock.advance(timedelta(minutes=61))
    assert check("203.0.113.7") == 200
    # Without trusted proxies a forged header changes nothing: the peer is the client.
    direct = make_console(verify_limit=2)
    seal = seal_of(direct, phone="+919800000003")
    other = direct.client()
    statuses = [
        other.get(f"/seal/{seal.code}", headers={"x-forwarded-for": f"192.0.2.{n}"}).status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 429, 429]


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbar-tools is not installed")
def test_the_qr_code_decodes_to_the_public_page(console, world, tmp_path) -> None:
    seal = seal_of(console)
    viewer = console.sign_in("viewer")
    url = f"{console.runtime.settings.public_base_url}/seal/{seal.code}"
    png = viewer.get(f"/admin/businesses/{seal.business_id}/seal.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    svg = viewer.get(f"/admin/businesses/{seal.business_id}/seal.svg")
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert svg.text.lstrip().startswith("<?xml") and "<svg" in svg.text
    (tmp_path / "seal.png").write_bytes(png.content)
    decoded = subprocess.run(
        ["zbarimg", "--raw", "-q", str(tmp_path / "seal.png")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert decoded.stdout.strip() == url
    # The URL leads to the seal's page.
    assert httpx.get(url.replace("http://127.0.0.1", console.url)).status_code == 200
    # The business page shows the record and the QR code; a business with none has no code.
    page = viewer.get(f"/admin/businesses/{seal.business_id}").text
    assert seal.number in page and shown_code(seal.code) in page and "seal.svg" in page
    assert viewer.get(f"/admin/businesses/{world.business_id}/seal.png").status_code == 404


def test_staff_revoke_a_seal_with_a_reason_and_the_leader_is_told(console) -> None:
    seal = seal_of(console)
    staff = console.sign_in("staff")
    url = f"/admin/businesses/{seal.business_id}/seal/revoke"
    for reason in ("", "  ", "x" * 81, "no", "<script>alert(1)</script>" * 5):
        response = staff.submit(url, {"reason": reason})
        assert response.status_code == 400, reason
        assert "<script>alert(1)</script>" not in response.text
    assert staff.submit(url, {"reason": "Child labour found on a later visit"}).status_code == 303
    assert staff.submit(url, {"reason": "Again"}).status_code == 400  # not active any more
    assert console.sign_in("viewer").submit(url, {"reason": "Viewer try"}).status_code == 403
    assert "Revoked" in console.client().get(f"/seal/{seal.code}").text
    with console.runtime.store.transaction() as session:
        told = session.scalar(select(OutboundMessage).order_by(OutboundMessage.id.desc()))
        assert told.message_key == "seal.revoked" and "Child labour" in told.body
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "seal.revoke"))
        assert entry.detail == {"reason": "Child labour found on a later visit"}


def test_staff_see_seals_ending_and_their_reassessment_on_the_overview(console) -> None:
    seal = seal_of(console, months=2)
    viewer = console.sign_in("viewer")
    page = viewer.get("/admin/").text
    section = page.split('id="seals-ending"')[1].split("</section>")[0]
    assert "Golden Jute Crafts" in section and seal.number in section
    assert "not scheduled yet" in section
    assert seals_tick(console.runtime) == (1, 0)
    section = viewer.get("/admin/").text.split('id="seals-ending"')[1].split("</section>")[0]
    assert "not scheduled yet" not in section
    assert console.clock.now().date().isoformat() in section  # the lead is past: today
