"""Broadcasts as a programme officer follows them through a week, on a laptop and on a phone:
the detail page updates itself while sending, says why messages wait and lists recipients
with their delivery status, a page at a time; the segment is ticked in plain lists with plain
channel names; every business picker in the console is searchable. On SQLite and PostgreSQL."""

import re
from datetime import timedelta

import pytest
from console_support import PASSWORD, add_business
from playwright.sync_api import expect
from sqlalchemy import select, update

from bot.domain.broadcasts import create_broadcast
from bot.models import Broadcast, Contact, OutboundMessage, Survey
from bot.scheduler import expand_broadcasts_tick

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
# SMS and WhatsApp set up (no sender runs in these tests: rows stay where the test puts them).
TWILIO = {
    "twilio_account_sid": "AC" + "0" * 32,
    "twilio_auth_token": "t" * 32,
    "twilio_sms_from": "+15550009999",
    "twilio_whatsapp_from": "+15550009998",
}
VIEWPORTS = pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["wide", "phone"])


def plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def programme(console, businesses: int = 3) -> list[int]:
    """Businesses whose leaders are on SMS, one of them on the simulator."""
    ids = [
        add_business(console, f"+9198100{number:05d}", f"Weavers {number:03d}", "Bhuj")
        for number in range(businesses)
    ]
    with console.runtime.store.transaction() as session:
        session.execute(
            update(Contact).where(Contact.address == "+919810000000").values(channel="sim")
        )
    return ids


def sent_now(console, text: str = "Training on Monday") -> int:
    """A broadcast to everyone, due now and expanded into outbox rows."""
    now = console.clock.now()
    with console.runtime.store.transaction() as session:
        broadcast_id = create_broadcast(session, {"en": text}, {}, None, now).id
    for _ in range(10):
        expand_broadcasts_tick(console.runtime)
        with console.runtime.store.transaction() as session:
            if session.get(Broadcast, broadcast_id).status == "queued":
                return broadcast_id
    raise AssertionError("the broadcast was not queued")


def set_status(console, address: str, **values: object) -> None:
    with console.runtime.store.transaction() as session:
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.address == address, OutboundMessage.broadcast_id.is_not(None))
            .values(status_updated_at=console.clock.now(), **values)
        )


def test_recipients_are_listed_with_their_status_and_why_the_rest_wait(console) -> None:
    programme(console, 5)
    broadcast_id = sent_now(console)
    set_status(console, "+919810000001", status="delivered")
    set_status(console, "+919810000002", status="failed", error_code="30003",
               error_detail="Unreachable handset")  # fmt: skip
    set_status(console, "+919810000003", status="cancelled", error_code="opted_out")
    client = console.sign_in("viewer")
    html = client.get(f"/admin/broadcasts/{broadcast_id}").text
    text = plain(html)
    for count in ["All (5)", "Waiting (2)", "Delivered (1)", "Failed (1)", "Opted out (1)",
                  "Cancelled (0)"]:  # fmt: skip
        assert count in text, count
    assert "Weavers 002" in text and "30003: Unreachable handset" in text
    assert "They sent STOP before it left" in text
    assert "1 Simulator message waits for the phone" in text
    assert "when that phone next chats" in text
    assert "1 SMS message waits because SMS is not set up on this server" in text
    assert "+91981" not in html  # recipients by business, never by phone number
    # Nothing moves by itself here (no SMS lane, a simulator phone): no refreshing.
    assert 'http-equiv="refresh"' not in html
    failed = plain(client.get(f"/admin/broadcasts/{broadcast_id}?status=failed").text)
    assert "Weavers 002" in failed and "Weavers 001" not in failed


def test_a_message_held_or_retried_says_until_when(console) -> None:
    programme(console, 3)
    broadcast_id = sent_now(console)
    later = console.clock.now() + timedelta(hours=9)
    set_status(console, "+919810000001", next_attempt_at=later)
    set_status(console, "+919810000002", next_attempt_at=later, attempts=1)
    text = plain(console.sign_in("viewer").get(f"/admin/broadcasts/{broadcast_id}").text)
    when = f"{later:%Y-%m-%d %H:%M} UTC"
    assert f"1 SMS message is held until {when}" in text
    assert f"tried again from {when}" in text


def test_a_scheduled_broadcast_refreshes_only_when_due_soon(console, world) -> None:
    client = console.sign_in("viewer")
    html = client.get(f"/admin/broadcasts/{world.broadcast_id}").text  # due tomorrow
    assert 'http-equiv="refresh"' not in html
    assert "Nothing is queued yet" in plain(html)
    with console.runtime.store.transaction() as session:
        soon = create_broadcast(
            session, {"en": "Soon"}, {}, console.clock.now() + timedelta(minutes=2),
            console.clock.now(),
        )  # fmt: skip
        soon_id = soon.id
    assert 'http-equiv="refresh"' in client.get(f"/admin/broadcasts/{soon_id}").text


def test_recipients_are_paged(console) -> None:
    programme(console, 53)
    broadcast_id = sent_now(console)
    client = console.sign_in("viewer")
    first = plain(client.get(f"/admin/broadcasts/{broadcast_id}").text)
    assert "Page 1 of 2" in first and "Weavers 049" in first and "Weavers 050" not in first
    second = plain(client.get(f"/admin/broadcasts/{broadcast_id}?page=2").text)
    assert "Page 2 of 2" in second and "Weavers 050" in second and "Weavers 052" in second


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=%3Cscript%3E", "Choose a status from the list"),
        ("status=" + "x" * 5000, "Choose a status from the list"),
        ("page=abc", "The page is a whole number"),
        ("page=0", "The page is a whole number"),
        ("page=-3", "The page is a whole number"),
        ("page=" + "9" * 5000, "The page is a whole number"),
        ("page=99", "There is only 1 page(s); showing page 1"),
        ("status=waiting&page=%00", "The page is a whole number"),
    ],
)
def test_a_wrong_filter_or_page_is_explained(console, query: str, message: str) -> None:
    programme(console, 2)
    broadcast_id = sent_now(console)
    response = console.sign_in("viewer").get(f"/admin/broadcasts/{broadcast_id}?{query}")
    assert response.status_code == 200
    assert message in plain(response.text)
    assert "<script>" not in response.text.split("</head>")[1]
    assert "Weavers 000" in response.text  # the recipients are still listed


def test_the_segment_is_ticked_in_plain_lists_with_plain_channel_names(console, world) -> None:
    other = add_business(console, "+525550000001", "Tejidos Luna", "Chiapas", "MX")
    client = console.sign_in("staff")
    html = client.get("/admin/broadcasts/new").text
    assert "<select" not in html
    assert 'type="checkbox" name="countries" value="MX"' in html and "> Mexico</label>" in html
    for name in ["SMS", "WhatsApp", "Telegram", "Simulator"]:
        assert f"> {name}</label>" in html, name
    assert f'name="business_ids" value="{other}"' in html
    response = client.post(
        "/admin/broadcasts",
        data={"csrf": client.token(), "text_en": "Only for Luna", "business_ids": [str(other)],
              "channels": ["sms"], "send_at": ""},
    )  # fmt: skip
    assert response.status_code == 303
    page = plain(client.get(response.headers["location"]).text)
    assert "Channels: SMS." in page and "Only 1 given business." in page
    with console.runtime.store.transaction() as session:
        newest = session.scalar(select(Broadcast).order_by(Broadcast.id.desc()))
        assert newest.segment["business_ids"] == [other]


@pytest.mark.parametrize("wrong", ["abc", "999999", "-1", "", "1 OR 1=1", "9" * 400])
def test_a_wrong_business_is_explained_and_the_text_kept(console, world, wrong: str) -> None:
    client = console.sign_in("staff")
    for url in ["/admin/broadcasts", "/admin/broadcasts/preview"]:
        response = client.post(
            url,
            data={"csrf": client.token(), "text_en": "Keep this text", "business_ids": [wrong],
                  "countries": ["IN"], "send_at": ""},
        )  # fmt: skip
        assert response.status_code == 400, (url, wrong)
        assert "Choose businesses from the list." in response.text
        assert "Keep this text" in response.text
        assert 'value="IN" checked' in response.text
    with console.runtime.store.transaction() as session:
        assert len(session.scalars(select(Broadcast)).all()) == 1  # only the world's


def test_too_many_businesses_ticked_is_explained(console) -> None:
    ids = programme(console, 301)
    client = console.sign_in("staff")
    response = client.post(
        "/admin/broadcasts/preview",
        data={"csrf": client.token(), "text_en": "Everyone", "business_ids": [str(i) for i in ids]},
    )
    assert response.status_code == 400
    assert "at most 300 business ids" in response.text and "Everyone" in response.text


def test_every_business_picker_in_the_console_is_searchable(console, world) -> None:
    client = console.sign_in("admin")
    for url in ["/admin/broadcasts/new", "/admin/surveys", "/admin/staff"]:
        html = client.get(url).text
        assert "data-picker" in html, url
        assert 'data-name="blue thread embroidery · jaipur, india"' in html, url
        assert '<select name="business_id"' not in html and "Business ids, e.g." not in html, url


def test_a_survey_is_opened_for_a_business_picked_from_the_list(console, world) -> None:
    other = add_business(console, "+525550000001", "Tejidos Luna", "Chiapas", "MX")
    client = console.sign_in("staff")
    html = client.get("/admin/surveys").text
    assert f'type="radio" name="business_id" value="{other}"' in html
    response = client.post(
        "/admin/surveys",
        data={"csrf": client.token(), "business_id": str(other), "title": "Luna workers",
              "questions": ["paid_on_time"]},
    )  # fmt: skip
    assert response.status_code == 303, plain(response.text)[:800]
    with console.runtime.store.transaction() as session:
        assert session.scalar(select(Survey).where(Survey.business_id == other)) is not None
    wrong = client.post(
        "/admin/surveys",
        data={"csrf": client.token(), "business_id": "<b>x</b>", "title": "Keep my title"},
    )
    assert wrong.status_code == 400 and "Keep my title" in wrong.text


def test_a_brand_account_is_linked_to_businesses_ticked_in_the_list(console, world) -> None:
    other = add_business(console, "+525550000001", "Tejidos Luna", "Chiapas", "MX")
    client = console.sign_in("admin")
    response = client.post(
        "/admin/staff",
        data={"csrf": client.token(), "email": "buyer@brand.example", "role": "brand",
              "organisation": "Fair Brand", "businesses": [str(world.business_id), str(other)],
              "password": PASSWORD * 2},
    )  # fmt: skip
    assert response.status_code == 303, plain(response.text)[:600]
    html = client.get("/admin/staff").text
    assert "Blue Thread Embroidery (#" in html and "Tejidos Luna (#" in html
    wrong = client.post(
        "/admin/staff",
        data={"csrf": client.token(), "email": "b2@brand.example", "role": "brand",
              "organisation": "Keep Org", "businesses": ["not-a-number"],
              "password": PASSWORD * 2},
    )  # fmt: skip
    assert wrong.status_code == 400 and "Keep Org" in wrong.text


# The browser: what a person sees at 1280 and 375 px.


def signed_in_page(chromium, console, viewport: dict[str, int], role: str = "staff"):
    context = chromium.new_context(viewport=viewport, base_url=console.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/admin/login")
    page.fill("input[name=email]", console.account(role))
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/admin/")
    return context, page


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def in_view(page, locator) -> bool:
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and 0 <= box["y"] < size["height"]
    )


@VIEWPORTS
def test_picking_given_businesses_by_typing_part_of_a_name(
    chromium, console, world, artifacts, viewport
) -> None:
    programme(console, 40)
    add_business(console, "+525550000001", "Tejidos Luna", "Chiapas", "MX")
    context, page = signed_in_page(chromium, console, viewport)
    page.goto("/admin/broadcasts/new")
    picker = page.locator("#given-businesses")
    search = picker.locator("input[type=search]")
    assert search.is_visible()
    search.fill("weavers 01")
    visible = picker.locator("label.check:visible")
    assert visible.count() == 10
    visible.first.locator("input").check()
    search.fill("luna")
    # The ticked one stays in view whatever is typed.
    shown = [text.strip() for text in picker.locator("label.check:visible").all_inner_texts()]
    assert shown == ["Tejidos Luna · Chiapas, Mexico", "Weavers 010 · Bhuj, India"]
    picker.locator("label.check:visible", has_text="Tejidos Luna").locator("input").check()
    assert "2 of 42 shown" in picker.locator("[data-shown]").inner_text()
    # Enter in the search box filters; it does not send the form.
    search.press("Enter")
    assert page.url.endswith("/admin/broadcasts/new")
    page.locator("#countries label.check", has_text="Mexico").locator("input").check()
    assert in_view(page, page.locator("label.check", has_text="Simulator"))
    assert no_sideways_scroll(page)
    name = "wide" if viewport is WIDE else "phone"
    page.screenshot(path=artifacts / f"broadcast-pickers-{name}.png", full_page=True)
    page.fill("textarea[name=text_en]", "Market day on Friday")
    page.click("button:has-text('Preview recipients')")
    assert "Preview: 1 recipient" in page.locator("#preview h2").inner_text()
    # What was ticked is still ticked, and still in view when searched for again.
    ticked = page.locator("#given-businesses input:checked")
    assert ticked.count() == 2
    page.click("button:has-text('Schedule broadcast')")
    assert "Only 2 given businesses." in page.locator("main").inner_text()
    assert no_sideways_scroll(page)
    context.close()


@VIEWPORTS
def test_the_detail_page_updates_itself_while_sending(
    chromium, make_console, artifacts, viewport
) -> None:
    console = make_console(**TWILIO)
    programme(console, 60)
    broadcast_id = sent_now(console)
    context, page = signed_in_page(chromium, console, viewport, "viewer")
    page.goto(f"/admin/broadcasts/{broadcast_id}")
    assert page.locator("#refreshing").is_visible()
    assert "Delivered (0)" in page.locator("#recipients nav.filters").inner_text()
    assert "Page 1 of 2" in page.locator("#recipients nav.pages").inner_text()
    name = "wide" if viewport is WIDE else "phone"
    page.screenshot(path=artifacts / f"broadcast-sending-{name}.png", full_page=True)
    # Messages are delivered meanwhile: the page shows it without anyone reloading it.
    for number in range(1, 60):
        set_status(console, f"+9198100{number:05d}", status="delivered")
    expect(page.locator("#recipients nav.filters")).to_contain_text(
        "Delivered (59)", timeout=15_000
    )
    assert "1 Simulator message waits for the phone" in page.locator("#waiting").inner_text()
    assert in_view(page, page.locator("#waiting li").first)
    assert no_sideways_scroll(page)
    # Nothing moves by itself any more: the page stops refreshing.
    assert page.locator("#refreshing").count() == 0
    page.click("#recipients nav.filters >> text=Waiting (1)")
    rows = page.locator("#recipients tbody tr")
    assert rows.count() == 1 and "Simulator" in rows.inner_text()
    assert no_sideways_scroll(page)
    page.screenshot(path=artifacts / f"broadcast-sent-{name}.png", full_page=True)
    context.close()


def test_paced_lanes_and_the_whatsapp_window_are_explained(make_console) -> None:
    console = make_console(**TWILIO)
    programme(console, 4)
    with console.runtime.store.transaction() as session:
        session.execute(
            update(Contact).where(Contact.address == "+919810000003").values(channel="whatsapp")
        )
    broadcast_id = sent_now(console)
    client = console.sign_in("viewer")
    html = client.get(f"/admin/broadcasts/{broadcast_id}").text
    text = plain(html)
    # Messages move without anyone acting: the page updates itself while they do.
    assert '<meta http-equiv="refresh" content="5">' in html and "Being sent" in text
    assert "2 SMS messages are in line: SMS goes out at 1 per second" in text
    assert "so the last leaves in about 2 seconds" in text
    assert "1 WhatsApp recipient last wrote more than 1 day ago, so gets the approved" in text
    # Once only the simulator's phone is left, nothing moves by itself: no more refreshing.
    for number in (1, 2, 3):
        set_status(console, f"+9198100{number:05d}", status="delivered")
    html = client.get(f"/admin/broadcasts/{broadcast_id}").text
    assert 'http-equiv="refresh"' not in html and "Being sent" not in html


@VIEWPORTS
def test_the_survey_and_brand_account_pickers_filter_as_one_types(
    chromium, console, world, artifacts, viewport
) -> None:
    programme(console, 30)
    context, page = signed_in_page(chromium, console, viewport, "admin")
    name = "wide" if viewport is WIDE else "phone"
    page.goto("/admin/surveys")
    picker = page.locator("#survey-business")
    picker.locator("input[type=search]").fill("blue thread")
    shown = picker.locator("label.check:visible")
    assert shown.count() == 1 and "Blue Thread Embroidery" in shown.inner_text()
    shown.locator("input").check()
    assert in_view(page, shown) and no_sideways_scroll(page)
    page.screenshot(path=artifacts / f"survey-business-picker-{name}.png", full_page=True)
    page.goto("/admin/staff")
    picker = page.locator("#new-account-businesses")
    picker.locator("input[type=search]").fill("weavers 02")
    assert picker.locator("label.check:visible").count() == 10
    assert "10 of 31 shown" in picker.locator("[data-shown]").inner_text()
    assert in_view(page, picker.locator("label.check:visible").first)
    assert no_sideways_scroll(page)
    page.screenshot(path=artifacts / f"staff-business-picker-{name}.png", full_page=True)
    context.close()
