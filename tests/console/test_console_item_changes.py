"""Items from the console after they are made: withdrawn (the leader told once, reminders
stopped, no longer open), edited (the leader told only when the text or date changed), and an
item due today sending one message, not a burst; in the browser at 1280 and 375 px."""

from datetime import date, datetime, timedelta
from html import escape

import pytest
from console_support import snapshot
from sqlalchemy import func, select

from bot.domain.actions import create_action_item
from bot.domain.reminders import fire_due
from bot.domain.stage import stage_of
from bot.models import ActionItem, AuditEntry, Business, OutboundMessage, Reminder

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


def messages(console, key: str | None = None) -> list[OutboundMessage]:
    with console.runtime.store.transaction() as session:
        query = select(OutboundMessage).order_by(OutboundMessage.id)
        if key:
            query = query.where(OutboundMessage.message_key == key)
        return list(session.scalars(query))


def notices(rows: list[OutboundMessage]) -> list[str]:
    """The item notices among outbox rows, without the question each one ends with."""
    return [
        row.message_key
        for row in rows
        if row.message_key.startswith("actions.") and row.message_key != "actions.ask"
    ]


def pending_reminders(console, item_id: int) -> list[str]:
    with console.runtime.store.transaction() as session:
        return list(
            session.scalars(
                select(Reminder.kind).where(
                    Reminder.subject_id == item_id,
                    Reminder.kind.startswith("action_"),
                    Reminder.sent_at.is_(None),
                    Reminder.cancelled_at.is_(None),
                )
            )
        )


def item(console, item_id: int) -> ActionItem:
    with console.runtime.store.transaction() as session:
        return session.get(ActionItem, item_id)


def test_a_withdrawn_item_tells_the_leader_once_and_stops_its_reminders(
    console, world, sign_in
) -> None:
    staff = sign_in("staff")
    assert pending_reminders(console, world.item_id)
    with console.runtime.store.transaction() as session:
        stage = stage_of(session, session.get(Business, world.business_id))
    assert stage == "remediation"
    response = staff.submit(f"/admin/items/{world.item_id}/withdraw", {"reason": "Met already"})
    assert response.status_code == 303
    page = staff.get(response.headers["location"]).text
    assert "Item withdrawn; the leader has been told and its reminders stopped." in page
    assert "Withdrawn" in page
    assert item(console, world.item_id).status == "withdrawn"
    assert pending_reminders(console, world.item_id) == []
    [told] = messages(console, "actions.withdrawn")
    assert told.body.startswith("Staff withdrew this action") and "piece rate" in told.body
    with console.runtime.store.transaction() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "item.withdraw"))
        assert entry.detail == {"item": world.item_id, "reason": "Met already"}
        # It no longer counts toward the business's stage or open items.
        assert stage_of(session, session.get(Business, world.business_id)) != "remediation"
    # Again: nothing more is sent; it cannot be edited or verified into anything else.
    assert staff.submit(f"/admin/items/{world.item_id}/withdraw").status_code == 303
    assert len(messages(console, "actions.withdrawn")) == 1
    edit = staff.submit(
        f"/admin/items/{world.item_id}",
        {"severity": "minor", "description": "Write the piece rate", "due_on": "2026-03-01"},
    )
    assert edit.status_code == 400 and "already withdrawn and cannot change" in edit.text
    # Its row offers no more buttons.
    assert (
        f"/admin/items/{world.item_id}/withdraw"
        not in staff.get(f"/admin/businesses/{world.business_id}").text
    )
    # Its reminders stay stopped when their time comes.
    console.clock.advance(timedelta(days=60))
    assert fire_due(console.runtime.store, console.clock.now()) == 0


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("x" * 301, "Reason is too long: at most 300 characters."),
        ("x" * 100_000, "Reason is too long: at most 300 characters."),
        ("stop\x07bell", "The reason must be up to 300 printable characters."),
    ],
)
def test_a_wrong_reason_is_explained_keeps_what_was_typed_and_changes_nothing(
    console, world, sign_in, reason: str, message: str
) -> None:
    staff = sign_in("staff")
    before = snapshot(console)
    response = staff.submit(f"/admin/items/{world.item_id}/withdraw", {"reason": reason})
    assert response.status_code == 400
    assert message in response.text
    assert f'value="{reason[:2000]}"' in response.text  # as typed, up to a sane limit
    after = snapshot(console)
    after.pop("staff_sessions"), before.pop("staff_sessions")
    assert after == before


def test_withdrawing_needs_staff_a_token_and_an_item(console, world, sign_in) -> None:
    viewer = sign_in("viewer")
    assert viewer.submit(f"/admin/items/{world.item_id}/withdraw").status_code == 403
    staff = sign_in("staff", "other@example.org")
    forged = staff.post(f"/admin/items/{world.item_id}/withdraw", data={"csrf": "forged"})
    assert forged.status_code in (400, 403)
    assert staff.submit("/admin/items/999999/withdraw").status_code == 404
    assert staff.submit("/admin/items/abc/withdraw").status_code in (404, 422)
    assert item(console, world.item_id).status == "open"
    assert messages(console, "actions.withdrawn") == []


def test_a_verified_item_cannot_be_withdrawn(console, world, sign_in) -> None:
    staff = sign_in("staff")
    assert staff.submit(f"/admin/items/{world.item_id}/verify").status_code == 303
    response = staff.submit(f"/admin/items/{world.item_id}/withdraw")
    assert response.status_code == 400 and "already verified" in response.text
    assert messages(console, "actions.withdrawn") == []


def edit(staff, world, **changes: str):
    current = {
        "severity": "major",
        "description": "Write down the piece rate",
        "due_on": (date(2026, 1, 5) + timedelta(days=30)).isoformat(),
    }
    return staff.submit(f"/admin/items/{world.item_id}", current | changes)


def test_an_edit_of_severity_alone_sends_nothing(console, world, sign_in) -> None:
    staff = sign_in("staff")
    sent = len(messages(console))
    reminders = sorted(pending_reminders(console, world.item_id))
    assert edit(staff, world, severity="zero_tolerance").status_code == 303
    assert item(console, world.item_id).severity == "zero_tolerance"
    assert len(messages(console)) == sent
    assert sorted(pending_reminders(console, world.item_id)) == reminders
    # The same text with other spacing is the same text.
    assert edit(staff, world, description="  Write down   the piece rate ").status_code == 303
    assert len(messages(console)) == sent


@pytest.mark.parametrize(
    "change",
    [{"description": "Write down the piece rate of each order"}, {"due_on": "2026-02-20"}],
)
def test_an_edit_of_the_text_or_date_tells_the_leader_once(
    console, world, sign_in, change: dict[str, str]
) -> None:
    staff = sign_in("staff")
    sent = len(messages(console))
    assert edit(staff, world, **change).status_code == 303
    new = messages(console)[sent:]
    assert notices(new) == ["actions.changed"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"due_on": "2001-01-01"}, "The due date must be between today"),
        ({"due_on": "9999-99-99"}, "Due date"),
        ({"description": ""}, "Description"),
        ({"severity": "<script>"}, "Severity"),
    ],
)
def test_a_wrong_edit_is_explained_and_what_was_typed_stays_open_in_its_form(
    console, world, sign_in, change: dict[str, str], message: str
) -> None:
    staff = sign_in("staff")
    before = snapshot(console)
    typed = {"description": "Pay the agreed rate for every piece, in writing"} | change
    response = edit(staff, world, **typed)
    assert response.status_code == 400 and message in response.text
    page = response.text
    form = page[page.index(f'action="/admin/items/{world.item_id}"') :]
    assert "<details open>" in page[: page.index(f'action="/admin/items/{world.item_id}"')][-200:]
    assert escape(typed["description"]) in form.split("</form>")[0]
    assert f'value="{escape(typed.get("due_on", ""))}"' in form.split("</form>")[0] or (
        "due_on" not in change
    )
    after = snapshot(console)
    after.pop("staff_sessions"), before.pop("staff_sessions")
    assert after == before


def test_an_item_due_today_sends_one_message_not_a_burst(console, world) -> None:
    # 09:00 UTC is 14:30 in India, the business's zone: the due-day reminder (09:00 there)
    # has passed, and the leader is told once now; the overdue one comes tomorrow.
    now = console.clock.now()
    sent = len(messages(console))
    with console.runtime.store.transaction() as session:
        made = create_action_item(
            session, world.business_id, "corrective", "minor", "Put up the pay notice",
            now.date(), now,
        )  # fmt: skip
        item_id = made.id
    assert notices(messages(console)[sent:]) == ["actions.new"]
    assert pending_reminders(console, item_id) == ["action_overdue"]
    console.clock.advance(timedelta(hours=8))
    assert fire_due(console.runtime.store, console.clock.now()) == 0
    console.clock.advance(timedelta(days=1))
    assert fire_due(console.runtime.store, console.clock.now()) == 1


def test_an_item_made_early_in_the_morning_skips_that_days_reminder(console, world) -> None:
    # 02:00 UTC is 07:30 in India, before the 09:00 reminder on the due day: one message today.
    console.clock.advance(datetime(2026, 1, 6, 2) - console.clock.now())
    now = console.clock.now()
    with console.runtime.store.transaction() as session:
        item_id = create_action_item(
            session, world.business_id, "corrective", "minor", "Put up the pay notice",
            now.date(), now,
        ).id  # fmt: skip
    assert pending_reminders(console, item_id) == ["action_overdue"]
    with console.runtime.store.transaction() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Reminder)
            .where(Reminder.subject_id == item_id, Reminder.kind.startswith("action_"))
        )
    assert count == 1


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["wide", "phone"])
def test_staff_withdraw_an_item_in_the_browser(
    chromium, console, world, artifacts, viewport
) -> None:
    context = chromium.new_context(viewport=viewport, base_url=console.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        from test_console_browser import sign_in

        sign_in(page, console)
        page.goto(f"/admin/businesses/{world.business_id}#items")
        row = page.locator("#items tr.item", has_text="Write down the piece rate")
        row.locator("summary:has-text('Withdraw')").click()
        form = row.locator("form[action$='/withdraw']")
        assert form.get_attribute("data-confirm").startswith("Withdraw this item?")
        form.locator("input[name=reason]").fill("Found met at the visit")
        button = form.locator("button:has-text('Withdraw item')")
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        name = "wide" if viewport is WIDE else "phone"
        page.screenshot(path=artifacts / f"item-withdraw-asks-{name}.png", full_page=True)
        page.once("dialog", lambda dialog: dialog.dismiss())
        button.click()  # asked first: saying no changes nothing
        assert page.locator(".notice").count() == 0
        assert "Withdrawn" not in row.inner_text()
        page.once("dialog", lambda dialog: dialog.accept())
        with page.expect_navigation():
            button.click()
        assert "Item withdrawn" in page.locator(".notice").inner_text()
        row = page.locator("#items tr.item", has_text="Write down the piece rate")
        assert "Withdrawn" in row.inner_text()
        assert row.locator("form[action$='/withdraw']").count() == 0
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.evaluate("window.innerWidth"), f"the page is {width}px wide"
        page.screenshot(path=artifacts / f"item-withdrawn-{name}.png", full_page=True)
    finally:
        context.close()
    assert item(console, world.item_id).status == "withdrawn"
