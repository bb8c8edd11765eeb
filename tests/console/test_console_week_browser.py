"""A programme officer's week in a real browser (headless Chromium) at 1280 px and 375 px: the
notice after an action is in view, irreversible actions ask first, long unbroken text never
widens a page, a deep supply-chain tree folds and fits a phone, and the console has its icon."""

import re
from datetime import timedelta

import pytest
from console_support import add_business
from sqlalchemy import select

from bot.domain.supply import add_node
from bot.domain.tickets import write
from bot.models import ActionItem, Broadcast, Contact, Survey

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
VIEWPORTS = pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280px", "375px"])
LONG_WORD = "Unbroken" * 38  # 304 letters and no space
LONG_URL = "https://example.org/" + "/".join(["pay-slips-and-records"] * 14)


@pytest.fixture
def open_page(chromium, console):
    contexts = []

    def make(viewport: dict[str, int], role: str = "staff"):
        context = chromium.new_context(viewport=viewport, base_url=console.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        email = console.account(role)
        page.goto("/admin/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", "a long enough password")
        page.click("button:has-text('Sign in')")
        page.wait_for_url("**/admin/")
        return page

    yield make
    for context in contexts:
        context.close()


def name_of(viewport: dict[str, int]) -> str:
    return "wide" if viewport is WIDE else "phone"


def assert_in_view(page, selector: str) -> None:
    """The element's box lies inside the visible part of the page."""
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    assert box is not None, f"{selector} is not shown"
    assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"], (selector, box)
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"] + 1, (selector, box)


def assert_no_sideways_scroll(page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{what} is {width}px wide"


@VIEWPORTS
def test_the_notice_is_in_view_where_the_action_was(
    open_page, console, world, artifacts, viewport
) -> None:
    page = open_page(viewport)
    page.goto(f"/admin/businesses/{world.business_id}")
    form = page.locator("#new-item")
    form.locator("textarea[name=description]").fill("Keep a register of home workers")
    form.locator("input[name=due_on]").fill(
        (console.clock.now().date() + timedelta(days=20)).isoformat()
    )
    form.locator("button:has-text('Add item')").click()
    page.wait_for_url("**#items")
    assert page.locator("#items .notice").inner_text() == "Item added; the leader has been told."
    assert_in_view(page, ".notice")
    page.screenshot(path=artifacts / f"week-item-added-{name_of(viewport)}.png")

    row = page.locator("#items tr.item", has_text="Write down the piece rate")
    row.locator("summary:has-text('Edit')").click()
    row.locator("textarea[name=description]").fill("Write down the piece rate for each design")
    row.locator("button:has-text('Save')").click()
    page.wait_for_url("**#items")
    assert page.locator("#items .notice").inner_text() == "Item saved."
    assert_in_view(page, ".notice")

    page.goto(f"/admin/assessments/{world.assessment_id}")
    first = page.locator("article.finding").first
    code = first.get_attribute("id")
    first.locator("input[value=met]").check()
    first.locator(f"button:has-text('Save {code}')").click()
    page.wait_for_url(f"**#{code}")
    assert page.locator(f"article#{code} .notice").inner_text().startswith(f"{code} saved")
    assert_in_view(page, ".notice")
    page.screenshot(path=artifacts / f"week-finding-saved-{name_of(viewport)}.png")

    page.goto(f"/admin/tickets/{world.ticket_id}")
    page.fill("textarea[name=body]", "A pharmacy in Sanganer sells first-aid kits.")
    page.click("button:has-text('Check the length')")
    assert_in_view(page, ".notice")
    page.click("button:has-text('Send')")
    assert page.locator(".notice").inner_text() == "Answer sent."
    assert_in_view(page, ".notice")

    page.goto(f"/admin/broadcasts/{world.broadcast_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Cancel what is not sent yet')")
    page.wait_for_load_state()
    assert_in_view(page, ".notice")

    page.goto(f"/admin/surveys/{world.survey_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Close survey')")
    assert page.locator(".notice").inner_text() == "Survey closed: nobody new can join."
    assert_in_view(page, ".notice")
    page.screenshot(path=artifacts / f"week-survey-closed-{name_of(viewport)}.png")


@VIEWPORTS
def test_an_irreversible_action_asks_first_and_cancel_changes_nothing(
    open_page, console, world, viewport
) -> None:
    page = open_page(viewport)
    asked: list[str] = []

    def dismiss(dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.goto(f"/admin/businesses/{world.business_id}")
    page.once("dialog", dismiss)
    page.click("#items button:has-text('Mark verified')")
    assert asked and "cannot be undone" in asked[0]
    assert page.locator(".notice").count() == 0
    with console.runtime.store.transaction() as session:
        assert session.get(ActionItem, world.item_id).status == "open"
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#items button:has-text('Mark verified')")
    assert page.locator(".notice").inner_text() == "Item marked verified."
    with console.runtime.store.transaction() as session:
        assert session.get(ActionItem, world.item_id).status == "verified"

    for url, button, closed in [
        (f"/admin/surveys/{world.survey_id}", "Close survey", "survey"),
        (f"/admin/broadcasts/{world.broadcast_id}", "Cancel what is not sent yet", "broadcast"),
    ]:
        page.goto(url)
        page.once("dialog", dismiss)
        page.click(f"button:has-text('{button}')")
        assert page.locator(".notice").count() == 0
        with console.runtime.store.transaction() as session:
            if closed == "survey":
                assert session.get(Survey, world.survey_id).closed_at is None
            else:
                assert session.get(Broadcast, world.broadcast_id).status != "cancelled"
        page.once("dialog", lambda dialog: dialog.accept())
        page.click(f"button:has-text('{button}')")
        assert page.locator(".notice").count() == 1
    with console.runtime.store.transaction() as session:
        assert session.get(Survey, world.survey_id).closed_at is not None
        assert session.get(Broadcast, world.broadcast_id).status == "cancelled"
    assert len(asked) == 3


@VIEWPORTS
def test_long_unbroken_text_never_widens_a_page(
    open_page, console, world, artifacts, viewport
) -> None:
    now = console.clock.now()
    business_id = add_business(console, "+15550100077", "Longname" * 15)  # 120 letters
    with console.runtime.store.transaction() as session:
        session.get(ActionItem, world.item_id).description = f"{LONG_WORD} see {LONG_URL}"
        leader = session.scalar(select(Contact).where(Contact.address == world.leader))
        write(session, leader, f"{LONG_WORD} {LONG_URL}", now)
    page = open_page(viewport, "admin")
    for path in [
        f"/admin/businesses/{world.business_id}",
        f"/admin/businesses/{business_id}",
        "/admin/businesses",
        "/admin/inbox",
        f"/admin/tickets/{world.ticket_id}",
        "/admin/audit",
        "/admin/",
    ]:
        page.goto(path)
        assert_no_sideways_scroll(page, path)
    page.goto(f"/admin/businesses/{world.business_id}#items")
    # The items table keeps its readable width (scrolling inside its card on a phone), and the
    # long text wraps instead of widening it.
    table = page.locator("#items table").first
    width = table.evaluate("t => t.getBoundingClientRect().width")
    room = table.evaluate("t => t.parentElement.clientWidth")
    assert width <= max(room, 640) + 1, f"the items table is {width}px wide in {room}px"
    page.screenshot(path=artifacts / f"week-long-text-{name_of(viewport)}.png", full_page=True)


@VIEWPORTS
def test_a_deep_tree_folds_by_layer_and_fits_a_phone(
    open_page, console, world, artifacts, viewport
) -> None:
    now = console.clock.now()
    with console.runtime.store.transaction() as session:
        parent = None
        for layer in range(1, 7):  # a chain six layers deep, ten groups at each layer
            made = [
                add_node(
                    session,
                    world.business_id,
                    now,
                    name=f"Layer {layer} group {n}",
                    place="Sanganer",
                    process="embroidery",
                    workers=5,
                    home_workers=2,
                    payment_method="cash",
                    parent_id=parent,
                )  # fmt: skip
                for n in range(1, 11)
            ]
            parent = made[0].id
    page = open_page(viewport)
    page.goto(f"/admin/businesses/{world.business_id}")
    tree = page.locator("#supply-chain .tree")
    # 62 groups: it opens at its first layer, each branch saying what it holds.
    assert tree.get_by_role("heading", name="Layer 2 group 1", exact=True).is_hidden()
    first = tree.locator("summary", has_text="Layer 1 group 1").first
    assert "51 groups in all" in first.inner_text() and "255 workers, 102 at home" in (
        first.inner_text()
    )
    first.click()
    assert tree.get_by_role("heading", name="Layer 2 group 1", exact=True).is_visible()
    page.locator(".tree-controls a", has_text="every layer").click()
    page.wait_for_url("**layers=6#supply-chain")
    deepest = tree.locator("h4", has_text="Layer 6 group 10")
    deepest.scroll_into_view_if_needed()
    assert deepest.is_visible()
    box = deepest.bounding_box()
    assert box and box["x"] + box["width"] <= page.evaluate("window.innerWidth")
    assert_no_sideways_scroll(page, "the six-layer tree")
    page.locator("#supply-chain").screenshot(
        path=artifacts / f"week-deep-tree-{name_of(viewport)}.png"
    )
    page.locator(".tree-controls a", has_text="layer 1").click()
    page.wait_for_url("**layers=1#supply-chain")
    assert tree.get_by_role("heading", name="Layer 2 group 1", exact=True).is_hidden()


@VIEWPORTS
def test_big_lists_sort_page_and_link_from_the_overview(
    open_page, console, world, artifacts, viewport
) -> None:
    for number in range(60):
        add_business(console, f"+1555020{number:04d}", f"Weavers {number:02d}")
    page = open_page(viewport, "viewer")
    page.locator("#stages svg a").first.click()  # the "Registered" bar
    page.wait_for_url("**/admin/businesses?stage=registered")
    assert page.locator(".page-head .muted").inner_text() == "60 found"
    page.click("th >> text=Name")  # sorted by name already: now Z to A
    page.wait_for_url("**dir=desc**")
    assert page.locator("tbody tr td a").first.inner_text() == "Weavers 59"
    page.locator(".pager a", has_text="2").first.click()
    page.wait_for_url("**page=2**")
    assert "stage=registered" in page.url and "dir=desc" in page.url
    assert page.locator("tbody tr td a").first.inner_text() == "Weavers 09"
    assert page.locator(".pager [aria-current]").inner_text() == "2"
    assert_no_sideways_scroll(page, "the businesses list")
    page.screenshot(path=artifacts / f"week-businesses-sorted-{name_of(viewport)}.png")


def test_the_console_has_an_icon_and_runs_scripts_only_of_its_own(open_page, console) -> None:
    page = open_page(WIDE)
    assert page.locator("link[rel=icon]").get_attribute("href") == "/favicon.ico"
    icon = page.request.get("/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in icon.body()
    policy = page.request.get("/admin/").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


# Forms of one click that cannot be taken back, by the address they post to.
IRREVERSIBLE = (
    "/verify", "/withdraw", "/seal\"", "/seal/revoke", "/close", "/cancel", "/plan", "/issue",
    "/delete",
    "/sign-out", "/two-factor/reset", "/two-factor/off", "/outcome\" id=\"outcome\"",
)  # fmt: skip


def test_every_irreversible_form_asks_first_and_the_script_is_loaded() -> None:
    """Read from the templates: a form posting to an irreversible action carries
    data-confirm, and every page loads the script that asks."""
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "admin" / "templates"
    assert (
        '<script src="/admin/static/console.js" defer></script>'
        in (templates / "base.html").read_text()
    )
    found = 0
    for template in templates.glob("*.html"):
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>", template.read_text()):
            if any(action in form for action in IRREVERSIBLE) and "/logout" not in form:
                found += 1
                assert 'data-confirm="' in form, (template.name, form)
    assert found >= 13
