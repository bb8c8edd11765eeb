"""The console in a real browser (headless Chromium): sign in, add a remediation item, read a
supply-chain tree, compose a broadcast, chat in the simulator, turn on two-factor sign-in, and
every page on a phone."""

from datetime import timedelta

import pytest
from console_routes import ROUTES
from console_support import PASSWORD
from sqlalchemy import select

from bot.channels.provider import Inbound
from bot.domain.brands import request_links
from bot.domain.seals import issue_seal
from bot.models import Business, StaffUser
from bot.two_factor import code_at

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def browser_page(chromium, console):
    context = chromium.new_context(viewport=WIDE, base_url=console.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, console, role: str = "staff") -> None:
    email = console.account(role)
    page.goto("/admin/")
    assert page.url.endswith("/admin/login?next=/admin/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/admin/")


def test_staff_add_a_remediation_item_and_read_the_supply_chain(
    browser_page, console, world, artifacts
) -> None:
    page = browser_page
    sign_in(page, console)
    assert page.locator("h1").inner_text() == "Overview"
    page.click("nav >> text=Businesses")
    page.click("text=Blue Thread Embroidery")
    tree = page.locator("#supply-chain .tree")
    assert tree.locator(".node h4").all_inner_texts() == [
        "Sunita's stitching group",
        "Chomu home workers",
    ]
    nested = tree.locator("li li .node")
    assert "Layer 2" in nested.inner_text() and "8 workers, 8 at home" in nested.inner_text()
    due = (console.clock.now().date() + timedelta(days=21)).isoformat()
    form = page.locator("#new-item")
    form.locator("textarea[name=description]").fill("Give every worker a written pay slip")
    form.locator("select[name=severity]").select_option("zero_tolerance")
    form.locator("input[name=due_on]").fill(due)
    form.locator("button:has-text('Add item')").click()
    assert page.locator(".notice").inner_text() == "Item added; the leader has been told."
    row = page.locator("#items tr.item", has_text="Give every worker a written pay slip")
    assert "Zero tolerance" in row.inner_text() and due in row.inner_text()
    page.screenshot(path=artifacts / "business-page.png", full_page=True)


def test_a_wrong_item_is_explained_and_what_was_typed_stays(browser_page, console, world) -> None:
    page = browser_page
    sign_in(page, console)
    page.goto(f"/admin/businesses/{world.business_id}")
    form = page.locator("#new-item")
    form.locator("textarea[name=description]").fill("<b>Pay on time</b>")
    form.locator("input[name=due_on]").fill("2020-01-01")
    form.locator("button:has-text('Add item')").click()
    assert "The due date must be between today" in page.locator(".errors").inner_text()
    assert page.locator("#new-item textarea").input_value() == "<b>Pay on time</b>"
    assert page.locator("b", has_text="Pay on time").count() == 0


def test_staff_compose_preview_and_schedule_a_broadcast(
    browser_page, console, world, artifacts
) -> None:
    page = browser_page
    sign_in(page, console)
    page.click("nav >> text=Broadcasts")
    page.click("text=Compose a broadcast")
    page.fill("textarea[name=text_en]", "Training on safe dyes this Monday at 10.")
    page.fill("textarea[name=text_hi]", "सोमवार 10 बजे सुरक्षित रंगों पर प्रशिक्षण।")
    page.check("input[name=stages][value=remediation]")
    page.click("button:has-text('Preview recipients')")
    preview = page.locator("#preview")
    assert "1 recipient" in preview.locator("h2").inner_text()
    english = preview.locator("tr", has_text="English").first.inner_text()
    assert "1" in english
    hindi = preview.locator("tr", has_text="Hindi").inner_text()
    assert "Hindi text" in hindi
    assert page.locator("input[name=stages][value=remediation]").is_checked()
    page.screenshot(path=artifacts / "broadcast-preview.png", full_page=True)
    page.fill("input[name=send_at]", "2026-01-06T09:30")
    page.click("button:has-text('Schedule broadcast')")
    assert page.locator(".notice").inner_text() == "Broadcast scheduled for 2026-01-06 09:30 UTC."
    assert "scheduled" in page.locator(".figures").inner_text()
    assert "Stages: Remediation." in page.locator("dl.facts").inner_text()
    page.screenshot(path=artifacts / "broadcast-progress.png", full_page=True)


def test_staff_chat_with_the_bot_in_the_simulator(browser_page, console) -> None:
    page = browser_page
    sign_in(page, console)
    page.click("nav >> text=Simulator")
    page.fill("input[name=phone]", "+15550001234")
    page.fill("textarea[name=text]", "hi")
    page.click("button:has-text('Send')")
    bubbles = page.locator("#transcript .bubble")
    assert bubbles.first.inner_text().startswith("hi")
    reply = bubbles.nth(1).inner_text()
    assert "1 English" in reply  # the language menu, as numbered lines
    page.fill("textarea[name=text]", "1")
    page.click("button:has-text('Send')")
    assert page.locator("#transcript .bubble.in").count() == 2


def test_every_page_fits_a_phone_screen(chromium, console, world, artifacts) -> None:
    context = chromium.new_context(viewport=PHONE, base_url=console.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, console, "admin")
    ids = {
        "business_id": world.business_id,
        "survey_id": world.survey_id,
        "broadcast_id": world.broadcast_id,
        "assessment_id": world.assessment_id,
        "country": "IN",
        "document": "pre-assessment",
        "report": world.report_id,
        "ticket_id": world.ticket_id,
        "finding_id": 0,
        "index": 0,
        "topic": "wages",
    }
    # Downloads (CSV exports, evidence files, QR codes) are not pages; documents are laid out
    # for A4 paper.
    pages = [path.format(**ids) for (method, path), _ in ROUTES.items()
             if method == "GET" and not path.endswith((".csv", ".svg", ".png", ".pdf"))
             and not path.startswith(("/admin/media/", "/admin/findings/"))
             and "/reports/" not in path]  # fmt: skip
    for path in pages:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.evaluate("window.innerWidth"), f"{path} is {width}px wide"
    for path, name in [(f"/admin/businesses/{world.business_id}", "phone-business"),
                       ("/admin/", "phone-overview")]:  # fmt: skip
        page.goto(path)
        page.screenshot(path=artifacts / f"{name}.png", full_page=True)
    page.goto("/admin/login")
    context.close()


def test_an_admin_turns_on_two_factor_and_signs_in_with_a_code(
    browser_page, console, artifacts
) -> None:
    page = browser_page
    sign_in(page, console, "admin")
    page.click("header >> text=admin@example.org")
    page.click("text=Turn on two-factor sign-in")
    page.wait_for_url("**/admin/account/two-factor")
    qr = page.locator(".qr svg")
    box = qr.bounding_box()
    assert box and box["width"] >= 100 and box["height"] >= 100
    secret = page.locator("#secret").inner_text().replace(" ", "")
    page.screenshot(path=artifacts / "two-factor-enrol.png", full_page=True)
    page.fill(
        "input[name=code]",
        "000000" if code_at(secret, console.clock.now()) != "000000" else "111111",
    )
    page.click("button:has-text('Turn on two-factor sign-in')")
    assert "does not match" in page.locator(".errors").inner_text()
    page.fill("input[name=code]", code_at(secret, console.clock.now()))
    page.click("button:has-text('Turn on two-factor sign-in')")
    assert "Two-factor sign-in is on" in page.locator(".notice").inner_text()
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/admin/login")

    console.clock.advance(timedelta(seconds=30))
    page.fill("input[name=email]", "admin@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    assert "do not match" in page.locator(".errors").inner_text()
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=code]", code_at(secret, console.clock.now()))
    page.screenshot(path=artifacts / "two-factor-sign-in.png", full_page=True)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/admin/")
    assert page.locator("h1").inner_text() == "Overview"


def test_an_assessor_records_findings_on_a_phone(chromium, console, world, artifacts) -> None:
    """On site, at 375 px: the indicators by category, each saved by its own form."""
    context = chromium.new_context(viewport=PHONE, base_url=console.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, console, "staff")
    page.goto(f"/admin/assessments/{world.assessment_id}")
    assert page.locator("h1").inner_text().startswith("Assessment: Blue Thread Embroidery")
    page.screenshot(path=artifacts / "phone-assessment.png", full_page=False)
    first = page.locator("article.finding").first
    code = first.get_attribute("id")
    first.locator("input[value=not_met]").check()
    first.locator("textarea[name=note]").fill("Ages are not written down for the home group")
    first.locator(f"button:has-text('Save {code}')").click()
    page.wait_for_url(f"**/admin/assessments/{world.assessment_id}?at={code}#{code}")
    saved = page.locator(f"article#{code}")
    assert "Not met" in saved.locator(".badge").inner_text()
    assert saved.locator("textarea[name=note]").input_value().startswith("Ages are not")
    # A severity other than the default needs a reason, shown next to the indicator.
    saved.locator("input[value=not_met]").check()
    default = saved.locator("select[name=severity]").input_value()
    other = "minor" if default != "minor" else "major"
    saved.locator("select[name=severity]").select_option(other)
    saved.locator(f"button:has-text('Save {code}')").click()
    assert "Say why" in page.locator(f"article#{code} .errors").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"the assessment is {width}px wide"
    page.locator(f"article#{code}").screenshot(path=artifacts / "phone-finding.png")
    page.screenshot(path=artifacts / "phone-assessment-saved.png", full_page=True)
    context.close()


def test_the_assessment_report_prints_to_pdf(chromium, console, world, artifacts) -> None:
    """The printable page as a browser prints it, and as it looks on screen."""
    from assessment_support import assess, first_of

    from bot.domain.assessments import record_assessment_outcome

    with console.runtime.store.transaction() as session:
        assess(session, world.assessment_id, console.clock.now(), {first_of("major"): None})
        record_assessment_outcome(session, world.assessment_id, "partial", "", console.clock.now())
    context = chromium.new_context(viewport=WIDE, base_url=console.url)
    page = context.new_page()
    sign_in(page, console, "staff")
    page.goto(f"/admin/businesses/{world.business_id}/reports/assessment")
    assert page.locator("h1").first.inner_text() == "Assessment report"
    page.screenshot(path=artifacts / "assessment-report.png", full_page=True)
    printed = page.pdf(format="A4")
    assert printed.startswith(b"%PDF")
    (artifacts / "assessment-report-printed.pdf").write_bytes(printed)
    import io

    from pypdf import PdfReader

    read = " ".join(PdfReader(io.BytesIO(printed)).pages[0].extract_text().split())
    assert "Blue Thread Embroidery" in read and f"{first_of('major')} ·" in read
    context.close()


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280px", "375px"])
def test_staff_answer_a_ticket_from_the_inbox(
    chromium, console, world, artifacts, viewport
) -> None:
    context = chromium.new_context(viewport=viewport, base_url=console.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, console, "staff")
    page.click("nav >> text=Inbox")
    page.click("#tickets >> text=Blue Thread Embroidery")
    page.fill("textarea[name=body]", "A pharmacy in Sanganer sells first-aid kits.")
    page.click("button:has-text('Check the length')")
    assert "1 SMS part." in page.locator(".notice").inner_text()
    page.click("button:has-text('Send')")
    assert page.locator(".notice").inner_text() == "Answer sent."
    bubbles = page.locator("#conversation .bubble.out").all_inner_texts()
    assert any("A pharmacy in Sanganer" in bubble for bubble in bubbles)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"the ticket is {width}px wide"
    name = "wide" if viewport is WIDE else "phone"
    page.screenshot(path=artifacts / f"ticket-answered-{name}.png", full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Close the ticket')")
    page.wait_for_url("**/admin/inbox")


def test_a_brand_reads_its_vendor_and_anyone_checks_the_seal_on_a_phone(
    chromium, console, world, artifacts
) -> None:
    email = console.account("brand", "buyer@fairthreads.example")
    with console.runtime.store.transaction() as session:
        brand_id = session.scalar(select(StaffUser.id).where(StaffUser.email == email))
        business = session.get(Business, world.business_id)
        code = issue_seal(session, business, console.clock.now(), 24).code
        request_links(session, brand_id, [world.business_id], console.clock.now())
    console.runtime.engine.handle(Inbound("sms", world.leader, "SM-browser-yes", "1"))
    context = chromium.new_context(viewport=PHONE, base_url=console.url, locale="es-ES")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/admin/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/admin/brand")
    page.click("text=Blue Thread Embroidery")
    page.wait_for_url(f"**/admin/brand/businesses/{world.business_id}")
    assert page.inner_text("#seal-status") == "active"
    for path in ("/admin/brand", f"/admin/brand/businesses/{world.business_id}", f"/seal/{code}"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.evaluate("window.innerWidth"), f"{path} is {width}px wide"
    assert page.inner_text("#status") == "Válido"  # the browser asks for Spanish
    page.screenshot(path=artifacts / "phone-seal.png", full_page=True)
    context.close()
