"""The simulator as a programme officer uses it through a week, on a laptop and on a phone: the
newest reply is in view after every send, Enter sends, and a practice survey shows what the
tester typed while a real respondent's answers stay unreadable."""

import re

import pytest
from console_support import PASSWORD
from playwright.sync_api import expect
from sqlalchemy import select

from bot.channels.provider import Inbound
from bot.models import InboundMessage

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
TESTER = "+15550007777"


def signed_in_page(chromium, console, viewport: dict[str, int]):
    context = chromium.new_context(viewport=viewport, base_url=console.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/admin/login")
    page.fill("input[name=email]", console.account("staff"))
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/admin/")
    return context, page


def in_view(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= size["height"]
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"]
    )


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def send_with_enter(page, text: str) -> None:
    box = page.locator("textarea[name=text]")
    if page.locator("#transcript .bubble").count():
        # After a send the message box has the focus again: the next message is just typed.
        expect(box).to_be_focused(timeout=3000)
    box.fill(text)
    with page.expect_navigation():
        box.press("Enter")
    page.wait_for_load_state("load")
    expect(box).to_be_focused(timeout=3000)


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["wide", "phone"])
def test_the_newest_reply_is_in_view_after_every_send_and_enter_sends(
    chromium, console, world, artifacts, viewport
) -> None:
    context, page = signed_in_page(chromium, console, viewport)
    page.goto("/admin/simulator")
    page.fill("input[name=phone]", TESTER)
    # Shift+Enter starts a new line and sends nothing.
    page.locator("textarea[name=text]").type("hi")
    page.locator("textarea[name=text]").press("Shift+Enter")
    assert page.locator("textarea[name=text]").input_value() == "hi\n"
    assert page.locator("#transcript .bubble").count() == 0
    page.locator("textarea[name=text]").fill("")
    name = "wide" if viewport is WIDE else "phone"
    for typed in ["hi", "1", "MENU", "HELP", "LANG", "2", "MENU", "hello"]:
        send_with_enter(page, typed)
        assert page.locator("#newest").get_attribute("class") == "bubble out", typed
        assert in_view(page, "#newest"), typed
        assert no_sideways_scroll(page), typed
    assert page.locator("#transcript .bubble.in").count() == 8
    # What is typed next goes straight in: the message box is at hand.
    assert in_view(page, "textarea[name=text]")
    page.screenshot(path=artifacts / f"simulator-newest-{name}.png")
    context.close()


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["wide", "phone"])
def test_the_tester_sees_their_practice_survey_answers(
    chromium, console, world, artifacts, viewport
) -> None:
    context, page = signed_in_page(chromium, console, viewport)
    page.goto("/admin/simulator")
    page.fill("input[name=phone]", TESTER)
    for typed in [f"JOIN {world.survey_code}", "1", "1", "2"]:
        send_with_enter(page, typed)
    typed_bubbles = page.locator("#transcript .bubble.in").all_inner_texts()
    assert [text.split("\n")[0] for text in typed_bubbles][-2:] == ["1", "2"]
    assert "[survey answer]" not in page.content()
    assert in_view(page, "#newest") and no_sideways_scroll(page)
    name = "wide" if viewport is WIDE else "phone"
    page.screenshot(path=artifacts / f"simulator-practice-survey-{name}.png")
    context.close()


def test_practice_answers_are_kept_and_a_respondents_are_not(console, world) -> None:
    client = console.sign_in("staff")
    for typed in [f"JOIN {world.survey_code}", "1", "1", "2"]:
        response = client.post(
            "/admin/simulator", data={"csrf": client.token(), "phone": TESTER, "text": typed}
        )
        assert response.status_code == 303
    page = client.get(f"/admin/simulator?phone=%2B{TESTER[1:]}").text
    typed_bubbles = re.findall(r'class="bubble in"[^>]*>([^<]*)<time>', page)
    assert typed_bubbles == [f"JOIN {world.survey_code}", "1", "1", "2"]
    assert "[survey answer]" not in page
    # A real respondent on SMS answering the same survey leaves no readable answer behind.
    runtime = console.runtime
    respondent = "+15550008888"
    for number, typed in enumerate([f"JOIN {world.survey_code}", "1", "1", "3"]):
        runtime.engine.handle(Inbound("sms", respondent, f"SM{number:032x}", typed))
    with runtime.store.transaction() as session:
        practice = session.scalars(
            select(InboundMessage.body).where(InboundMessage.channel == "sim")
        ).all()
        real = session.scalars(
            select(InboundMessage.body).where(InboundMessage.channel == "sms")
        ).all()
    assert sorted(practice) == sorted([f"JOIN {world.survey_code}", "1", "1", "2"])
    assert "3" not in real and "" in real


def test_a_wrong_message_keeps_what_was_typed(console) -> None:
    client = console.sign_in("staff")
    typed = "x" * 1601
    response = client.post(
        "/admin/simulator", data={"csrf": client.token(), "phone": TESTER, "text": typed}
    )
    assert response.status_code == 400 and "Message is too long" in response.text
    assert typed[:1600] in response.text
    wrong_phone = client.post(
        "/admin/simulator", data={"csrf": client.token(), "phone": "call me", "text": "Hi there"}
    )
    assert wrong_phone.status_code == 400 and "Hi there" in wrong_phone.text
