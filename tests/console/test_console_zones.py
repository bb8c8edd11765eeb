"""Time zones in the console: each person chooses theirs and reads every time in it, named;
a business takes its country's zone and staff may choose another of that country's; the
broadcast's sending time is typed in the person's zone and stored in UTC. In the browser at
1280 and 375 px."""

from datetime import date, datetime

import pytest
from console_support import add_business, snapshot
from sqlalchemy import select

from bot.domain.actions import create_action_item
from bot.models import AuditEntry, Broadcast, Business, Reminder, StaffUser

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


def zone_of(console, email: str) -> str:
    with console.runtime.store.transaction() as session:
        return session.scalar(select(StaffUser.time_zone).where(StaffUser.email == email))


def business_zone(console, business_id: int) -> str:
    with console.runtime.store.transaction() as session:
        return session.get(Business, business_id).time_zone


def reminder_times(console, item_id: int) -> list[datetime]:
    """When the item's pending due-day reminder falls (naive UTC)."""
    with console.runtime.store.transaction() as session:
        return list(
            session.scalars(
                select(Reminder.due_at).where(
                    Reminder.subject_id == item_id,
                    Reminder.kind == "action_due",
                    Reminder.cancelled_at.is_(None),
                )
            )
        )


def test_a_person_chooses_a_zone_and_every_time_is_shown_in_it(console, world, sign_in) -> None:
    staff = sign_in("staff")
    account = staff.get("/admin/account").text
    assert '<option value="UTC" selected>' in account
    assert '<option value="Asia/Kolkata">' in account
    business = staff.get(f"/admin/businesses/{world.business_id}").text
    assert "2026-01-05 09:00 UTC" in business

    response = staff.submit("/admin/account/time-zone", {"time_zone": "Asia/Kolkata"})
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/account#time-zone"
    assert "Times are now shown in Asia/Kolkata." in staff.get("/admin/account").text
    assert zone_of(console, "staff@example.org") == "Asia/Kolkata"
    # 09:00 UTC is 14:30 in India, on the business page (its timeline, items, conversation),
    # the audit log, the inbox and the broadcasts alike.
    for path in (
        f"/admin/businesses/{world.business_id}",
        "/admin/audit",
        "/admin/inbox",
        f"/admin/tickets/{world.ticket_id}",
        f"/admin/broadcasts/{world.broadcast_id}",
    ):
        shown = staff.get(path).text
        assert " IST" in shown, path
        assert "09:00 UTC" not in shown, path
    with console.runtime.store.transaction() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "account.time_zone"))
        assert entry.detail == {"time_zone": "Asia/Kolkata"}
    # Another person's times stay in theirs.
    other = sign_in("viewer")
    assert "2026-01-05 09:00 UTC" in other.get(f"/admin/businesses/{world.business_id}").text


def test_a_zone_without_an_abbreviation_shows_its_offset(console, world, sign_in) -> None:
    staff = sign_in("staff")
    assert staff.submit("/admin/account/time-zone", {"time_zone": "America/Lima"}).status_code
    assert "2026-01-05 04:00 -05" in staff.get(f"/admin/businesses/{world.business_id}").text


@pytest.mark.parametrize(
    "typed",
    ["", "Mars/Olympus_Mons", "x" * 100_000, "<script>alert(1)</script>", "Asia/Kolkata\x00x"],
)
def test_a_wrong_zone_is_explained_and_nothing_changes(console, world, sign_in, typed) -> None:
    staff = sign_in("staff")
    before = snapshot(console)
    response = staff.submit("/admin/account/time-zone", {"time_zone": typed})
    assert response.status_code == 400
    assert "is not a time zone name like Europe/Paris." in response.text
    assert "<script>alert" not in response.text
    after = snapshot(console)
    after.pop("staff_sessions"), before.pop("staff_sessions")
    assert after == before


def test_choosing_a_zone_needs_a_sign_in_and_a_token(console, sign_in) -> None:
    nobody = sign_in(None)
    refused = nobody.submit("/admin/account/time-zone", {"time_zone": "Asia/Kolkata"})
    assert refused.status_code in (303, 401, 403)
    staff = sign_in("staff")
    forged = staff.post("/admin/account/time-zone", data={"csrf": "x", "time_zone": "Asia/Tokyo"})
    assert forged.status_code in (400, 403)
    assert zone_of(console, "staff@example.org") == "UTC"


def test_a_business_takes_its_country_zone_and_staff_choose_another(console, sign_in) -> None:
    india = add_business(console, "+919812399001", "Jaipur Block Prints")
    mexico = add_business(console, "+525512399001", "Telares de Oaxaca", "Oaxaca", "MX")
    assert business_zone(console, india) == "Asia/Kolkata"
    assert business_zone(console, mexico) == "America/Mexico_City"
    with console.runtime.store.transaction() as session:
        item_id = create_action_item(
            session, mexico, "remediation", "minor", "Pay on delivery", date(2026, 1, 11),
            console.clock.now(),
        ).id  # fmt: skip
    assert reminder_times(console, item_id) == [datetime(2026, 1, 11, 15)]
    staff = sign_in("staff")
    # India has one zone: nothing to choose.
    assert "/time-zone" not in staff.get(f"/admin/businesses/{india}").text
    page = staff.get(f"/admin/businesses/{mexico}").text
    assert '<option value="America/Mexico_City" selected>' in page
    assert '<option value="America/Tijuana">' in page and "Asia/Kolkata</option>" not in page

    response = staff.submit(
        f"/admin/businesses/{mexico}/time-zone", {"time_zone": "America/Tijuana"}
    )
    assert response.status_code == 303
    assert "Time zone set to America/Tijuana." in staff.get(response.headers["location"]).text
    assert business_zone(console, mexico) == "America/Tijuana"
    # The pending reminder moved to 09:00 in Tijuana, 17:00 UTC (from 15:00 UTC).
    assert reminder_times(console, item_id) == [datetime(2026, 1, 11, 17)]
    for wrong in ("Asia/Kolkata", "", "x" * 100_000, "<b>Tijuana</b>"):
        before = snapshot(console)
        refused = staff.submit(f"/admin/businesses/{mexico}/time-zone", {"time_zone": wrong})
        assert refused.status_code == 400
        assert "is not a time zone of MX" in refused.text and "<b>Tijuana" not in refused.text
        after = snapshot(console)
        after.pop("staff_sessions"), before.pop("staff_sessions")
        assert after == before
    viewer = sign_in("viewer")
    assert viewer.submit(f"/admin/businesses/{mexico}/time-zone").status_code == 403
    assert (
        staff.submit("/admin/businesses/999999/time-zone", {"time_zone": "UTC"}).status_code == 404
    )


def schedule(staff, send_at: str):
    return staff.submit("/admin/broadcasts", {"text_en": "Training on Monday", "send_at": send_at})


def test_the_sending_time_is_typed_in_the_persons_zone(console, sign_in) -> None:
    add_business(console, "+919812399002", "Jaipur Block Prints")
    staff = sign_in("staff")
    staff.submit("/admin/account/time-zone", {"time_zone": "Asia/Kolkata"})
    compose = staff.get("/admin/broadcasts/new").text
    assert "Send at (Asia/Kolkata time; leave empty to send now)" in compose
    assert 'min="2026-01-05T14:30"' in compose  # now, in India
    response = schedule(staff, "2026-01-06T09:00")
    assert response.status_code == 303
    notice = staff.get(response.headers["location"]).text
    assert "Broadcast scheduled for 2026-01-06 09:00 IST." in notice
    with console.runtime.store.transaction() as session:
        broadcast = session.scalar(select(Broadcast).order_by(Broadcast.id.desc()))
        assert broadcast.send_at == datetime(2026, 1, 6, 3, 30)


def test_a_sending_time_that_has_passed_is_refused_not_sent_to_everyone(console, sign_in) -> None:
    add_business(console, "+919812399004", "Jaipur Block Prints")
    staff = sign_in("staff")
    staff.submit("/admin/account/time-zone", {"time_zone": "Asia/Kolkata"})
    before = snapshot(console)
    for past in ("2001-01-01T10:00", "2026-01-05T14:00"):  # now is 14:30 in India
        response = schedule(staff, past)
        assert response.status_code == 400
        assert "has passed; leave it empty to send now" in response.text
        assert f'value="{past}"' in response.text
    after = snapshot(console)
    after.pop("staff_sessions"), before.pop("staff_sessions")
    assert after == before
    assert schedule(staff, "2026-01-05T14:25").status_code == 303  # a form opened just now


def test_a_sending_time_the_clocks_skip_is_explained_and_kept(console, sign_in) -> None:
    add_business(console, "+919812399003", "Jaipur Block Prints")
    staff = sign_in("staff")
    staff.submit("/admin/account/time-zone", {"time_zone": "America/New_York"})
    before = snapshot(console)
    response = schedule(staff, "2026-03-08T02:30")
    assert response.status_code == 400
    assert "2026-03-08 02:30 does not exist in America/New_York" in response.text
    assert 'value="2026-03-08T02:30"' in response.text
    for wrong in ("tomorrow", "2026-13-01T09:00", "9" * 100_000):
        refused = schedule(staff, wrong)
        assert refused.status_code == 400 and "must be a date and time" in refused.text
    after = snapshot(console)
    after.pop("staff_sessions"), before.pop("staff_sessions")
    assert after == before
    # The hour the clocks go back happens twice: the first is taken.
    assert schedule(staff, "2026-11-01T01:30").status_code == 303
    with console.runtime.store.transaction() as session:
        broadcast = session.scalar(select(Broadcast).order_by(Broadcast.id.desc()))
        assert broadcast.send_at == datetime(2026, 11, 1, 5, 30)


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["wide", "phone"])
def test_a_person_chooses_a_zone_in_the_browser(
    chromium, console, world, artifacts, viewport
) -> None:
    from test_console_browser import sign_in as browser_sign_in

    context = chromium.new_context(viewport=viewport, base_url=console.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    name = "wide" if viewport is WIDE else "phone"
    try:
        browser_sign_in(page, console)
        page.goto("/admin/account")
        picker = page.locator("#time-zone select[name=time_zone]")
        picker.select_option("Asia/Kolkata")
        box = picker.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        page.locator("#time-zone button:has-text('Save time zone')").click()
        page.wait_for_load_state()
        notice = page.locator(".notice")
        assert notice.inner_text() == "Times are now shown in Asia/Kolkata."
        assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate(
            "window.innerWidth"
        )
        page.screenshot(path=artifacts / f"zone-account-{name}.png", full_page=True)
        page.goto(f"/admin/businesses/{world.business_id}")
        registered = page.locator("#timeline dd").first.inner_text()
        assert registered == "2026-01-05 14:30 IST"
        assert page.locator("#time-zone").inner_text().startswith("Asia/Kolkata")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.evaluate("window.innerWidth"), f"the page is {width}px wide"
        page.screenshot(path=artifacts / f"zone-business-{name}.png", full_page=True)
        page.goto("/admin/broadcasts/new")
        label = page.locator("label", has_text="Send at").inner_text()
        assert "Asia/Kolkata time" in label
        field = page.locator("input[name=send_at]")
        box = field.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate(
            "window.innerWidth"
        )
        page.screenshot(path=artifacts / f"zone-broadcast-{name}.png", full_page=True)
    finally:
        context.close()
