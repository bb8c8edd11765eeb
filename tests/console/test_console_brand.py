"""Brand partners in the console: created by an admin naming businesses (each leader asked over
chat), signed in to see only the vendors that said yes, 404 everywhere else, every view in the
audit log."""

from console_support import PASSWORD, add_business, snapshot
from sqlalchemy import select
from survey_support import add_responses

from bot.channels.provider import Inbound
from bot.domain.brands import request_links
from bot.domain.seals import issue_seal
from bot.models import AuditEntry, BrandLink, Business, OutboundMessage, StaffUser


def leader_says(console, phone: str, text: str, provider_id: str) -> None:
    """The leader answers over SMS, through the real engine."""
    console.runtime.engine.handle(Inbound("sms", phone, provider_id, text))


def brand_with_consent(console, world) -> tuple[object, int]:
    """A signed-in brand whose request the world's leader answered yes to."""
    client = console.sign_in("brand", "buyer@fairthreads.example")
    brand_id = console.account_id("buyer@fairthreads.example")
    with console.runtime.store.transaction() as session:
        request_links(session, brand_id, [world.business_id], console.clock.now())
    leader_says(console, world.leader, "1", "SM-consent-yes")
    return client, brand_id


def test_a_brand_sees_its_consented_vendor_and_nothing_else(console, world) -> None:
    other = add_business(console, "+15550100099", "Silent Looms")
    client, brand_id = brand_with_consent(console, world)
    with console.runtime.store.transaction() as session:
        issue_seal(session, session.get(Business, world.business_id), console.clock.now(), 24)
    listing = client.get("/admin/brand")
    assert listing.status_code == 200
    assert "Blue Thread Embroidery" in listing.text and "Silent Looms" not in listing.text
    page = client.get(f"/admin/brand/businesses/{world.business_id}")
    assert page.status_code == 200
    text = page.text
    assert "Blue Thread Embroidery" in text and "Seal awarded" in text and "active" in text
    assert "Layer 1" in text and "Layer 2" in text and ">40<" in text  # totals per layer
    assert "Sunita" not in text and "Chomu home workers" not in text  # no group names
    assert "Withheld: fewer than 5 respondents" in text or "No survey results yet" in text
    assert "+15550100001" not in text  # nothing of the leader's contact
    # The reports issued to the business: the world has its pre-assessment report.
    assert f"/reports/{world.report_id}.pdf" in text
    pdf = client.get(f"/admin/brand/businesses/{world.business_id}/reports/{world.report_id}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    for wrong in (f"{world.report_id}", f"{world.report_id}.html", "999999.pdf", "-1.pdf"):
        response = client.get(f"/admin/brand/businesses/{world.business_id}/reports/{wrong}")
        assert response.status_code == 404, wrong
    assert (
        client.get(f"/admin/brand/businesses/{other}/reports/{world.report_id}.pdf").status_code
        == 404
    )
    for url in (
        f"/admin/brand/businesses/{other}",
        "/admin/brand/businesses/99999",
        "/admin/brand/businesses/abc",
        f"/admin/businesses/{world.business_id}",
        "/admin/",
        "/admin/staff",
        f"/admin/businesses/{world.business_id}/seal.png",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "no such page" in response.text, url
    with console.runtime.store.transaction() as session:
        entries = session.execute(
            select(AuditEntry.action, AuditEntry.target).where(AuditEntry.staff_id == brand_id)
        ).all()
    assert ("brand.list", "buyer@fairthreads.example") in entries
    assert ("brand.view", f"business {world.business_id}") in entries
    assert ("brand.report", f"business {world.business_id}") in entries


def test_a_brand_lands_on_its_vendors_and_staff_never_see_brand_pages(console, world) -> None:
    console.account("brand", "buyer@fairthreads.example")
    client = console.client()
    response = client.login("buyer@fairthreads.example")
    assert response.headers["location"] == "/admin/brand"
    assert client.get("/admin/brand").status_code == 200
    assert "No business has agreed" in client.get("/admin/brand").text
    assert client.get("/admin/account").status_code == 200  # its own account
    for role in ("viewer", "staff", "admin"):
        staff = console.sign_in(role)
        assert staff.get("/admin/brand").status_code == 404
        assert staff.get(f"/admin/brand/businesses/{world.business_id}").status_code == 404


def test_asked_declined_and_withdrawn_businesses_are_not_there(console, world) -> None:
    client = console.sign_in("brand", "buyer@fairthreads.example")
    brand_id = console.account_id("buyer@fairthreads.example")
    url = f"/admin/brand/businesses/{world.business_id}"
    with console.runtime.store.transaction() as session:
        request_links(session, brand_id, [world.business_id], console.clock.now())
    assert client.get(url).status_code == 404  # asked, not answered
    leader_says(console, world.leader, "2", "SM-no")
    assert client.get(url).status_code == 404  # declined
    with console.runtime.store.transaction() as session:
        request_links(session, brand_id, [world.business_id], console.clock.now())
    leader_says(console, world.leader, "1", "SM-yes")
    assert client.get(url).status_code == 200
    leader_says(console, world.leader, "MENU", "SM-menu")
    leader_says(console, world.leader, "10", "SM-brands")
    leader_says(console, world.leader, "1", "SM-withdraw")
    assert client.get(url).status_code == 404  # withdrawn, at once
    with console.runtime.store.transaction() as session:
        assert session.scalar(select(BrandLink.status)) == "withdrawn"


def test_an_admin_creates_a_brand_account_and_the_leaders_are_asked(console, world) -> None:
    admin = console.sign_in("admin")
    response = admin.submit(
        "/admin/staff",
        {
            "email": "buyer@fairthreads.example",
            "role": "brand",
            "password": PASSWORD,
            "organisation": "Fair Threads",
            "businesses": str(world.business_id),
        },
    )
    assert response.status_code == 303
    with console.runtime.store.transaction() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.role == "brand"))
        assert user.organisation == "Fair Threads"
        link = session.scalar(select(BrandLink))
        assert (link.staff_id, link.status) == (user.id, "asked")
        asked = session.scalar(
            select(OutboundMessage).where(OutboundMessage.message_key == "brands.ask")
        )
        assert asked.address == world.leader and asked.body.startswith("Fair Threads asks")
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.create"))
        assert entry.detail == {"role": "brand", "businesses": [world.business_id]}
    assert "Fair Threads" in admin.get("/admin/staff").text


def test_hostile_brand_forms_are_refused_and_change_nothing(console, world) -> None:
    admin = console.sign_in("admin")
    before = snapshot(console)
    base = {"email": "buyer@fairthreads.example", "role": "brand", "password": PASSWORD}
    for changes in (
        {"businesses": "1; DROP TABLE businesses"},
        {"businesses": "abc"},
        {"businesses": "99999"},
        {"businesses": "0"},
        {"businesses": "9" * 40},
        {"businesses": str(world.business_id), "role": "staff"},
        {"organisation": "x" * 61},
        {"organisation": "<script>alert(1)</script>\x07"},
        {"businesses": "1" * 2000},
    ):
        response = admin.submit("/admin/staff", {**base, **changes})
        assert response.status_code == 400, changes
        assert "<script>alert(1)</script>" not in response.text
    brand = console.account("brand", "other.buyer@example.org")
    brand_id = console.account_id(brand)
    after = snapshot(console)
    for typed in ("", "x", "-5", "99999"):
        response = admin.submit(f"/admin/staff/{brand_id}/businesses", {"businesses": typed})
        assert response.status_code == 400, typed
    assert snapshot(console) == after
    assert {k: v for k, v in before.items() if k != "staff_users"} == {
        k: v for k, v in after.items() if k != "staff_users"
    }
    response = admin.submit(
        f"/admin/staff/{brand_id}/businesses", {"businesses": str(world.business_id)}
    )
    assert response.status_code == 303


def test_a_brand_sees_survey_counts_only_for_groups_of_five_or_more(console, world) -> None:
    client, _ = brand_with_consent(console, world)
    sealer, now = console.runtime.sealer, console.clock.now()
    url = f"/admin/brand/businesses/{world.business_id}"
    add_responses(console.runtime.store, sealer, world.survey_code, *[{"hours": 1}] * 4, now=now)
    assert "Withheld: fewer than 5 respondents" in client.get(url).text
    add_responses(console.runtime.store, sealer, world.survey_code, *[{"hours": 2}] * 6, now=now)
    page = client.get(url).text
    section = page.split('id="survey-results"')[1].split("</section>")[0]
    assert "10 response(s)" in section and ": 4</li>" in section and ": 6</li>" in section
