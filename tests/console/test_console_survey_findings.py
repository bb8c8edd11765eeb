"""Red-flag answers and coverage: highlighted on the survey, listed on the business page and
counted on the overview, only from groups large enough to show."""

import pytest
from console_support import PASSWORD, add_business
from sqlalchemy import select
from survey_support import add_responses

from bot.domain.survey_findings import business_red_flags, coverage, programme_red_flags
from bot.domain.surveys import open_survey, pool_response
from bot.models import Survey, SurveyResponse

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
FINE = {"paid_on_time": 1, "children": 1, "safety": 1}


def respond(console, code: str, *answer_sets: dict) -> None:
    runtime = console.runtime
    add_responses(runtime.store, runtime.sealer, code, *answer_sets, now=console.clock.now())


def second_business(console) -> tuple[int, Survey]:
    business_id = add_business(console, "+15550100077", "Small Loom Cooperative")
    with console.runtime.store.transaction() as session:
        survey = open_survey(session, business_id, console.clock.now(), None, "Loom")
        session.expunge(survey)
    return business_id, survey


def test_red_flags_are_counted_only_from_groups_that_are_shown(console, world) -> None:
    respond(
        console,
        world.survey_code,
        {"paid_on_time": 3, "children": 3, "safety": 1},
        {"paid_on_time": 1, "children": 3, "safety": 3},
        FINE,
        FINE,
        FINE,
    )
    other_id, other = second_business(console)
    # Four people answered the other survey with every red flag: not yet a group, so waiting.
    with console.runtime.store.transaction() as session:
        for number in range(4):
            answers = {"paid_on_time": 3, "children": 3, "safety": 3}
            pool_response(session, console.runtime.sealer, other.code, answers, f"+1777{number}")
    # And three responses written by themselves (an old batch): too small to show, so nothing.
    with console.runtime.store.transaction() as session:
        for number in range(3):
            answers = {"paid_on_time": 3, "children": 3, "safety": 3}
            session.add(SurveyResponse(id=900 + number, survey_id=other.id, answers=answers))

    with console.runtime.store.transaction() as session:
        assert business_red_flags(session, other_id) == []
        flags = business_red_flags(session, world.business_id)
        assert [(flag.question_key, flag.answer, flag.count) for flag in flags] == [
            ("paid_on_time", "Not paid yet", 1),
            ("children", "Often", 2),
            ("safety", "No", 1),
        ]
        totals = programme_red_flags(session)
        assert [(total.answer, total.count, total.businesses) for total in totals] == [
            ("Often", 2, 1),
            ("Not paid yet", 1, 1),
            ("No", 1, 1),
        ]
        assert coverage(session, other_id).responses == 0

    viewer = console.sign_in("viewer")
    overview = viewer.get("/admin/").text
    section = overview[overview.index('id="red-flags"') : overview.index('id="traffic"')]
    assert ">2</span> Do children under 14 help with this work? <strong>Often</strong>" in section
    assert "in 1 business<" in section
    page = viewer.get(f"/admin/businesses/{world.business_id}").text
    assert "Do children under 14 help with this work? <strong>Often</strong>: 2 of 5" in page
    small = viewer.get(f"/admin/businesses/{other_id}").text
    assert "Red-flag answers" not in small
    assert "No responses counted yet; 0 home-based workers mapped" in small
    survey = viewer.get(f"/admin/surveys/{world.survey_id}").text
    assert survey.count('class="card question flagged"') == 3
    assert "Often: 2 of 5" in survey and 'class="bar bad"' in survey
    withheld = viewer.get(f"/admin/surveys/{other.id}").text
    assert "flagged" not in withheld and "Red flags" not in withheld
    assert "Red flag: Often" in withheld  # which answers are marked, without any count


def test_coverage_compares_responses_with_home_workers_mapped(console, world) -> None:
    viewer = console.sign_in("viewer")
    page = viewer.get(f"/admin/businesses/{world.business_id}").text
    assert "No responses counted yet; 38 home-based workers mapped in the supply chain." in page
    respond(console, world.survey_code, *[FINE] * 19)
    page = viewer.get(f"/admin/businesses/{world.business_id}").text
    assert "19 responses from 38 home-based workers mapped: 50 %." in page
    survey = viewer.get(f"/admin/surveys/{world.survey_id}").text
    assert "19 responses from 38 home-based workers mapped: 50 %." in survey
    respond(console, world.survey_code, *[FINE] * 20)
    survey = viewer.get(f"/admin/surveys/{world.survey_id}").text
    assert "39 responses from 38 home-based workers mapped: 103 %" in survey
    assert "the supply chain may be incomplete" in survey


def test_red_flags_in_a_definition_are_checked(console, world) -> None:
    staff = console.sign_in("admin")
    for flags, status in (([3], 303), ([1, 2, 3], 400), ([4], 400), (["x"], 400), ([2, 2], 400)):
        definition = (
            '{"questions": [{"key": "paid", "text": {"en": "Paid?", "es": "¿Pagado?", '
            '"fr": "Payé ?", "hi": "भुगतान?"}, "options": {"en": ["Yes", "No", "Late"], '
            '"es": ["Sí", "No", "Tarde"], "fr": ["Oui", "Non", "En retard"], '
            '"hi": ["हाँ", "नहीं", "देर"]}, "red_flags": ' + str(flags).replace("'", '"') + "}]}"
        )
        response = staff.submit(
            "/admin/surveys", {"business_id": str(world.business_id), "definition": definition}
        )
        assert response.status_code == status, (flags, response.text[-400:])
        if status == 400:
            assert "red flags are answer numbers from 1 to 3" in response.text
    with console.runtime.store.transaction() as session:
        saved = session.scalars(select(Survey.definition).order_by(Survey.id.desc())).first()
    assert saved["questions"][0]["red_flags"] == [3]


@pytest.mark.parametrize(("name", "viewport"), [("wide", WIDE), ("phone", PHONE)])
def test_red_flags_stand_out_on_every_page_at_both_widths(
    chromium, console, world, artifacts, name: str, viewport: dict[str, int]
) -> None:
    respond(
        console,
        world.survey_code,
        {"paid_on_time": 3, "children": 3, "safety": 3},
        FINE,
        FINE,
        FINE,
        FINE,
    )
    context = chromium.new_context(viewport=viewport, base_url=console.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/admin/login")
        page.fill("input[name=email]", console.account("viewer"))
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('Sign in')")
        page.wait_for_url("**/admin/")
        for url, selector, shot in (
            ("/admin/#red-flags", "#red-flags li", "overview"),
            (f"/admin/businesses/{world.business_id}#surveys", ".red-flags li", "business"),
            (f"/admin/surveys/{world.survey_id}", ".red-flag.raised", "survey"),
        ):
            page.goto(url)
            flag = page.locator(selector).first
            flag.scroll_into_view_if_needed()
            box = flag.bounding_box()
            assert box is not None and box["x"] >= 0
            assert box["x"] + box["width"] <= viewport["width"]
            assert 0 <= box["y"] < viewport["height"]
            color = flag.locator(".badge.bad").first.evaluate(
                "element => getComputedStyle(element).backgroundColor"
            )
            assert color not in ("rgba(0, 0, 0, 0)", "transparent")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            page.screenshot(path=artifacts / f"red-flags-{shot}-{name}.png")
        coverage_line = page.locator(".coverage").first
        assert "5 responses from 38 home-based workers mapped: 13 %" in coverage_line.inner_text()
    finally:
        context.close()


def test_the_overview_adds_up_red_flags_over_businesses_and_surveys(console, world) -> None:
    often = {"children": 3}
    respond(console, world.survey_code, often, often, FINE, FINE, FINE)
    other_id, other = second_business(console)
    respond(console, other.code, often, *[FINE] * 5)
    with console.runtime.store.transaction() as session:
        later = open_survey(session, other_id, console.clock.now(), None, "Again")
        later_code = later.code
    respond(console, later_code, often, often, often, FINE, FINE)
    with console.runtime.store.transaction() as session:
        totals = programme_red_flags(session)
        other_flags = business_red_flags(session, other_id)
    assert [(total.answer, total.count, total.businesses) for total in totals] == [("Often", 6, 2)]
    assert [(flag.answer, flag.count, flag.respondents) for flag in other_flags] == [
        ("Often", 4, 11)
    ]
    overview = console.sign_in("viewer").get("/admin/").text
    assert "in 2 businesses" in overview
