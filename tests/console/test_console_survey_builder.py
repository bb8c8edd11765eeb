"""The survey builder: questions and answers in every language in a form, edited without
losing anything typed, checked like a written definition, the JSON kept for admins."""

import io
import re

import pytest
from console_support import PASSWORD, add_business
from pypdf import PdfReader
from sqlalchemy import func, select

from bot.documents.join_card import CARDS_PER_PAGE
from bot.domain.surveys import default_definition, open_survey
from bot.models import Contact, Survey

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
HOSTILE = "<script>alert(1)</script>"


def builder_form(business_id: int, questions: list[dict] | None = None) -> dict[str, object]:
    """The builder's fields for these questions (the standard ones when None), as the page
    posts them."""
    questions = default_definition()["questions"] if questions is None else questions
    form: dict[str, object] = {"business_id": str(business_id), "q-count": str(len(questions))}
    for i, question in enumerate(questions):
        form[f"q-{i}-key"] = question.get("key", "")
        form[f"q-{i}-flag"] = [str(n - 1) for n in question.get("red_flags", [])]
        for lang, value in question["text"].items():
            form[f"q-{i}-text-{lang}"] = value
        for lang, labels in question["options"].items():
            for j, label in enumerate(labels):
                form[f"q-{i}-a-{j}-{lang}"] = label
    return form


def one_question(en: str = "Were you paid in full?") -> dict:
    return {
        "key": "",
        "text": {"en": en, "es": "¿Le pagaron todo?", "fr": "Payé en entier ?", "hi": "पूरा भुगतान?"},
        "options": {
            "en": ["Yes", "No"],
            "es": ["Sí", "No"],
            "fr": ["Oui", "Non"],
            "hi": ["हाँ", "नहीं"],
        },
        "red_flags": [2],
    }


def surveys(console) -> list[dict]:
    with console.runtime.store.transaction() as session:
        return list(session.scalars(select(Survey.definition).order_by(Survey.id)))


def test_the_builder_starts_with_the_standard_questions_and_opens_them(console, world) -> None:
    client = console.sign_in("staff")
    page = client.get("/admin/surveys").text
    assert page.count('class="question-draft"') == 6
    assert "Do children under 14 help with this work?" in page
    assert 'name="q-3-flag" value="2" checked' in page  # children helping often
    assert "Write the survey as JSON" not in page
    response = client.submit(
        "/admin/surveys", {**builder_form(world.business_id), "action": "open"}
    )
    assert response.status_code == 303
    opened = surveys(console)[-1]
    assert opened == default_definition()


def test_editing_buttons_change_the_draft_and_keep_everything_typed(console, world) -> None:
    client = console.sign_in("staff")
    form = builder_form(
        world.business_id, [one_question(), one_question("Did you rest on Sunday?")]
    )
    form["title"] = HOSTILE
    before = len(surveys(console))

    response = client.submit("/admin/surveys", {**form, "action": "down-0"})
    assert response.status_code == 200
    page = response.text
    assert page.index("Did you rest on Sunday?") < page.index("Were you paid in full?")
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    response = client.submit("/admin/surveys", {**form, "action": "add"})
    assert response.text.count('class="question-draft"') == 3
    response = client.submit("/admin/surveys", {**form, "action": "remove-0"})
    assert response.text.count('class="question-draft"') == 1
    assert "Were you paid in full?" not in response.text
    response = client.submit("/admin/surveys", {**form, "action": "add-answer-1"})
    assert 'name="q-1-a-2-en" value=""' in response.text
    response = client.submit("/admin/surveys", {**form, "action": "remove-answer-1-0"})
    assert 'name="q-1-a-0-en"' in response.text and 'name="q-1-a-1-en"' not in response.text
    for hostile in ("remove-99", "up-0", "down-1", "remove-answer-0-9", "add-answer-77"):
        response = client.submit("/admin/surveys", {**form, "action": hostile})
        assert response.status_code == 200 and response.text.count('question-draft"') == 2
    assert len(surveys(console)) == before


def test_the_builder_checks_what_a_written_definition_is_checked_for(console, world) -> None:
    client = console.sign_in("staff")
    long_hindi = one_question()
    long_hindi["text"]["hi"] = "क्या आपको पूरा भुगतान मिला? " * 10
    missing = one_question()
    missing["text"]["fr"] = "   "
    uneven = one_question()
    uneven["options"]["es"] = ["Sí"]
    all_flags = one_question()
    all_flags["red_flags"] = [1, 2]
    bad_key = one_question()
    bad_key["key"] = "Paid Fully!"
    cases = [
        ([long_hindi], "too long for 3 text messages in hi"),
        ([missing], "Question 1, text (fr): 1 to 300 printable characters"),
        ([uneven], "Question 1, answer 2 (es): 1 to 300 printable characters"),
        ([all_flags], "at least one answer is not a red flag"),
        ([bad_key], "the key is 1 to 32 lowercase letters"),
        ([], "Add at least one question"),
        ([one_question()] * 21, "A survey has 1 to 20 questions"),
    ]
    for questions, says in cases:
        form = builder_form(world.business_id, questions)
        response = client.submit("/admin/surveys", {**form, "action": "open"})
        assert response.status_code == 400, says
        assert says in response.text, (says, re.findall(r"<li>(.*?)</li>", response.text)[:3])
        if questions:
            typed = questions[0]["text"]["hi"].split()[0]
            assert typed in response.text  # what was typed is still there
    form = builder_form(world.business_id, [one_question()])
    form["business_id"] = ""
    response = client.submit("/admin/surveys", {**form, "action": "open"})
    assert response.status_code == 400 and "Business must be a whole number" in response.text
    assert "Were you paid in full?" in response.text
    huge = builder_form(world.business_id, [one_question("x" * 5000)])
    huge["q-count"] = "999999999"
    response = client.submit("/admin/surveys", {**huge, "action": "open"})
    assert response.status_code == 400
    assert "Question 1, text (en): 1 to 300 printable characters" in response.text
    assert "¿Le pagaron todo?" in response.text  # the rest of what was typed is still there
    with console.runtime.store.transaction() as session:
        assert session.scalar(select(func.count(Survey.id))) == 1  # the world's only


def test_keys_are_made_from_the_english_question_and_kept_unique(console, world) -> None:
    client = console.sign_in("staff")
    form = builder_form(world.business_id, [one_question(), one_question(), one_question("9 am?")])
    response = client.submit("/admin/surveys", {**form, "action": "open"})
    assert response.status_code == 303
    opened = surveys(console)[-1]
    assert [q["key"] for q in opened["questions"]] == [
        "were_you_paid_in_full",
        "were_you_paid_in_full_2",
        "q_9_am",
    ]
    assert opened["questions"][0]["red_flags"] == [2]


def sign_in(page, console, role: str) -> None:
    page.goto("/admin/login")
    page.fill("input[name=email]", console.account(role))
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/admin/")


def fits(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    width = page.viewport_size["width"]
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.mark.parametrize(("name", "viewport"), [("wide", WIDE), ("phone", PHONE)])
def test_a_survey_is_built_in_the_browser_at_both_widths(
    chromium, console, world, artifacts, name: str, viewport: dict[str, int]
) -> None:
    context = chromium.new_context(viewport=viewport, base_url=console.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, console, "staff")
        page.goto("/admin/surveys#open-survey")
        picker = page.locator("#survey-business")
        picker.locator("input[type=search]").fill("blue thread")
        picker.locator("label.check:visible", has_text="Blue Thread Embroidery").locator(
            "input"
        ).check()
        page.fill("input[name=title]", "March visit")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits(page, "#q-0 textarea")
        page.screenshot(path=artifacts / f"survey-builder-{name}.png")
        with page.expect_navigation():
            page.click("#q-5 button:has-text('Remove question')")
        with page.expect_navigation():
            page.click("#q-4 button:has-text('Move up')")
        assert (
            page.locator("#q-3 textarea[name='q-3-text-en']")
            .input_value()
            .startswith("Do you feel safe")
        )
        with page.expect_navigation():
            page.click("button:has-text('Add a question')")
        new = page.locator("#q-5")
        assert new.bounding_box()["y"] < viewport["height"]  # the new question is in view
        texts = {
            "en": "Do you get a written pay slip?",
            "es": "¿Recibe recibo?",
            "fr": "Recevez-vous une fiche de paie ?",
            "hi": "क्या वेतन पर्ची मिलती है?",
        }
        for code, text in texts.items():
            new.locator(f"textarea[name='q-5-text-{code}']").fill(text)
        for j, labels in enumerate((("Yes", "Sí", "Oui", "हाँ"), ("No", "No", "Non", "नहीं"))):
            for code, label in zip(("en", "es", "fr", "hi"), labels, strict=True):
                new.locator(f"input[name='q-5-a-{j}-{code}']").fill(label)
        new.locator("input[name='q-5-flag'][value='1']").check()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=artifacts / f"survey-builder-edited-{name}.png", full_page=True)
        page.click("form#survey-builder > button:not(.default-submit):has-text('Open survey')")
        page.wait_for_url("**/admin/surveys/*")
        notice = page.locator(".notice")
        assert "workers join with code" in notice.inner_text()
    finally:
        context.close()
    opened = surveys(console)[-1]
    keys = [q["key"] for q in opened["questions"]]
    assert keys == [
        "paid_on_time",
        "agreed_rate",
        "hours",
        "safety",
        "children",
        "do_you_get_a_written_pay",
    ]
    assert opened["questions"][-1]["red_flags"] == [2]


def pdf_text(pdf: bytes) -> tuple[str, set[str], int]:
    """The PDF's text, the names of its fonts and its page count."""
    reader = PdfReader(io.BytesIO(pdf))
    fonts = set()
    for sheet in reader.pages:
        for font in sheet["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    return " ".join(p.extract_text() for p in reader.pages), fonts, len(reader.pages)


def test_join_code_cards_print_in_english_and_the_leaders_language(make_console) -> None:
    console = make_console(
        twilio_sms_from="+15550001234",
        twilio_whatsapp_from="whatsapp:+15550004321",
        telegram_bot_username="handcraft_survey_bot",
    )
    business_id = add_business(console, "+919800000001", "Shree Ganesh Embroidery")
    with console.runtime.store.transaction() as session:
        leader = session.scalar(select(Contact).where(Contact.address == "+919800000001"))
        leader.language = "hi"
        survey = open_survey(session, business_id, console.clock.now(), None, "Chomu")
        survey_id, code = survey.id, survey.code
    viewer = console.sign_in("viewer")
    assert f"/admin/surveys/{survey_id}/card.pdf" in viewer.get(f"/admin/surveys/{survey_id}").text
    response = viewer.get(f"/admin/surveys/{survey_id}/card.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert f'filename="survey-{code}-cards.pdf"' in response.headers["content-disposition"]
    text, fonts, pages = pdf_text(response.content)
    assert pages == 1
    assert text.count(f"JOIN {code}") >= CARDS_PER_PAGE * 3
    assert "By SMS: send" in text and "+15550001234" in text
    assert "On WhatsApp: send" in text and "+15550004321" in text and "whatsapp:" not in text
    assert "On Telegram: find @handcraft_survey_bot" in text
    assert "Your answers are anonymous" in text
    assert "गुमनाम" in text and f"जुड़ें {code}" in text
    assert any("Devanagari" in font for font in fonts), fonts
    assert "Spanish" not in text and "anónimas" not in text  # only the card's languages


def test_join_code_cards_without_channels_still_carry_the_code(console, world) -> None:
    viewer = console.sign_in("viewer")
    response = viewer.get(f"/admin/surveys/{world.survey_id}/card.pdf")
    text, _, _ = pdf_text(response.content)
    assert f"JOIN {world.survey_code}" in text and "By SMS" not in text
    assert viewer.get("/admin/surveys/99999/card.pdf").status_code == 404
    assert viewer.get("/admin/surveys/abc/card.pdf").status_code == 404
