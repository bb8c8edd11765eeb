"""Lessons in the console: staff see what each leader has completed; admins rewrite lesson
texts per language, checked against the SMS budget, each change in the audit log."""

from datetime import timedelta

import pytest
from console_support import PASSWORD
from sqlalchemy import select

from bot.models import AuditEntry, Business, LessonProgress, TextOverride
from messages import LANGUAGES, catalogue

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
KEY = "lesson.wages.1"
NEW = "Piece rates must let every worker earn the legal minimum wage in normal hours."


def overrides(console) -> list[tuple[str, str, str]]:
    with console.runtime.store.transaction() as session:
        rows = session.scalars(select(TextOverride).order_by(TextOverride.id))
        return [(row.language, row.key, row.text) for row in rows]


def test_an_admin_rewrites_a_text_and_the_audit_log_keeps_before_and_after(console) -> None:
    admin = console.sign_in("admin")
    response = admin.submit("/admin/lessons/wages", {"key": KEY, "language": "en", "text": NEW})
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/lessons/wages#text-lesson-wages-1-en"
    assert overrides(console) == [("en", KEY, NEW)]
    page = admin.get("/admin/lessons/wages").text
    assert NEW in page and "rewritten" in page and "Saved: Wages, first message (en)" in page
    admin_id = console.account_id("admin@example.org")
    with console.runtime.store.transaction() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "lesson.text"))
        assert entry.staff_id == admin_id
        assert entry.detail == {
            "lesson": "wages",
            "key": KEY,
            "language": "en",
            "before": catalogue("en")[KEY],
            "after": NEW,
        }
    assert admin.get("/admin/lessons").text.count("1 of 20") == 1
    audit = admin.get("/admin/audit?action=lesson.text").text
    assert "admin@example.org rewrote the English text of Wages, first message" in audit

    response = admin.submit(
        "/admin/lessons/wages", {"key": KEY, "language": "en", "text": NEW, "action": "shipped"}
    )
    assert response.status_code == 303
    assert overrides(console) == [("en", KEY, "")]


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"key": KEY, "language": "hi", "text": "न" * 300}, "too long for 2 text messages"),
        ({"key": KEY, "language": "en", "text": "x" * 2000}, "too long: at most 960"),
        ({"key": KEY, "language": "en", "text": "Pay {wage}"}, "curly braces"),
        ({"key": "menu.main", "language": "en", "text": "Hello"}, "Choose text from the list"),
        ({"key": KEY, "language": "de", "text": "Hallo"}, "Choose language from the list"),
        ({"key": "", "language": "", "text": ""}, "Choose text from the list"),
    ],
)
def test_a_text_that_does_not_fit_is_refused_and_what_was_typed_stays(
    console, form: dict[str, str], says: str
) -> None:
    admin = console.sign_in("admin")
    response = admin.submit("/admin/lessons/wages", form)
    assert response.status_code == 400
    assert says in response.text
    if form["key"] == KEY and form["language"] in LANGUAGES and len(form["text"]) <= 960:
        assert form["text"].replace("{", "&#123;")[:50] in response.text.replace("{", "&#123;")
    assert overrides(console) == []


def test_unknown_lessons_are_missing_pages_and_only_admins_may_edit(console) -> None:
    admin = console.sign_in("admin")
    assert admin.get("/admin/lessons/nothing").status_code == 404
    assert admin.get("/admin/lessons/" + "x" * 5000).status_code == 404
    assert admin.submit("/admin/lessons/nothing", {"key": KEY}).status_code == 404
    staff = console.sign_in("staff")
    assert staff.get("/admin/lessons/wages").status_code == 200
    assert "<textarea" not in staff.get("/admin/lessons/wages").text
    form = {"key": KEY, "language": "en", "text": NEW}
    assert staff.submit("/admin/lessons/wages", form).status_code == 403
    assert overrides(console) == []


def add_progress(console, business_id: int) -> None:
    now = console.clock.now()
    with console.runtime.store.transaction() as session:
        session.add_all(
            [
                LessonProgress(
                    business_id=business_id,
                    topic="child_labour",
                    position=2,
                    check_passed=True,
                    completed_at=now - timedelta(days=2),
                ),
                LessonProgress(business_id=business_id, topic="wages", position=1),
            ]
        )


def test_the_business_page_lists_each_lesson_with_its_completed_date(console, world) -> None:
    add_progress(console, world.business_id)
    html = console.sign_in("viewer").get(f"/admin/businesses/{world.business_id}").text
    section = html[html.index('id="lessons"') : html.index('id="checklist"')]
    done = (console.clock.now() - timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    assert "Child labour" in section and done in section
    assert "started, not yet completed" in section
    assert section.count("not yet</span>") == 6  # the six lessons not started


def sign_in(page, console, role: str) -> None:
    email = console.account(role)
    page.goto("/admin/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/admin/")


def in_view(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"] + 1
        and box["y"] + box["height"] > 0
        and box["y"] < size["height"]
    )


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize(("name", "viewport"), [("wide", WIDE), ("phone", PHONE)])
def test_an_admin_edits_a_lesson_in_the_browser(
    chromium, console, world, artifacts, name: str, viewport: dict[str, int]
) -> None:
    add_progress(console, world.business_id)
    context = chromium.new_context(viewport=viewport, base_url=console.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, console, "admin")
        page.goto(f"/admin/businesses/{world.business_id}#lessons")
        assert in_view(page, "#lessons tr.lesson")
        assert no_sideways_scroll(page)
        page.screenshot(path=artifacts / f"lessons-business-{name}.png")
        page.goto("/admin/lessons")
        page.click("text=Wages")
        assert no_sideways_scroll(page)
        block = page.locator("#text-lesson-wages-1-hi")
        block.locator("textarea").fill("न" * 300)
        block.locator("button:has-text('Save')").click()
        error = page.locator("#text-lesson-wages-1-hi .field-error")
        assert "too long for 2 text messages" in error.inner_text()
        assert in_view(page, "#text-lesson-wages-1-hi .field-error")
        assert page.locator("#text-lesson-wages-1-hi textarea").input_value() == "न" * 300
        page.screenshot(path=artifacts / f"lessons-refused-{name}.png")
        block = page.locator("#text-lesson-wages-1-en")
        block.locator("textarea").fill(NEW)
        block.locator("button:has-text('Save')").click()
        page.wait_for_load_state("load")
        assert "Saved: Wages, first message (en)" in page.locator(".notice").inner_text()
        assert in_view(page, ".notice")  # the notice is where the eye is, not at the top
        assert in_view(page, "#text-lesson-wages-1-en textarea")
        assert page.locator("#text-lesson-wages-1-en textarea").input_value() == NEW
        assert no_sideways_scroll(page)
        page.screenshot(path=artifacts / f"lessons-saved-{name}.png")
    finally:
        context.close()
    with console.runtime.store.transaction() as session:
        assert session.scalar(select(Business.id)) is not None
    assert ("en", KEY, NEW) in overrides(console)
