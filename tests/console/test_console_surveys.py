"""Surveys from the console: open with a join code, read results that hide small groups, close."""

import csv
import io
import json
import re
from datetime import timedelta

from sqlalchemy import func, select
from survey_support import add_responses

from bot.domain.surveys import close_survey, default_definition
from bot.models import AuditEntry, Survey
from bot.scheduler import write_pooled_tick

HOSTILE = "<img src=x onerror=alert(1)>'; DELETE FROM surveys; --"


def answer(console, code: str, *answer_sets: dict) -> None:
    runtime = console.runtime
    add_responses(runtime.store, runtime.sealer, code, *answer_sets, now=console.clock.now())


def test_staff_open_a_survey_with_the_ticked_questions_and_get_a_join_code(console, world) -> None:
    client = console.sign_in("staff")
    response = client.post(
        "/admin/surveys",
        data={"csrf": client.token(), "business_id": str(world.business_id),
              "title": HOSTILE, "questions": ["hours", "children"]},
    )  # fmt: skip
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    with console.runtime.store.transaction() as session:
        survey = session.scalar(select(Survey).order_by(Survey.id.desc()).limit(1))
        keys = [q["key"] for q in survey.definition["questions"]]
        assert keys == ["hours", "children"]
        audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "survey.open"))
        assert audit.detail["code"] == survey.code
    assert f"workers join with code {survey.code}" in page
    assert HOSTILE not in page and "&lt;img src=x" in page
    listing = client.get("/admin/surveys").text
    assert survey.code in listing and HOSTILE not in listing


def test_a_survey_can_be_written_as_a_definition_by_an_admin(console, world) -> None:
    definition = {"questions": [default_definition()["questions"][0]]}
    definition["questions"][0]["key"] = "paid"
    form = {"business_id": str(world.business_id), "definition": json.dumps(definition)}
    staff = console.sign_in("staff")
    response = staff.submit("/admin/surveys", form)
    assert response.status_code == 400
    assert "Only an admin can write a survey as JSON" in response.text
    assert "Write the survey as JSON" not in staff.get("/admin/surveys").text
    client = console.sign_in("admin")
    response = client.submit("/admin/surveys", form)
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "Definition as JSON (admins)" in page and "&#34;red_flags&#34;: [" in page
    assert "Definition as JSON" not in staff.get(response.headers["location"]).text


def test_a_wrong_survey_form_explains_itself_and_opens_nothing(console, world) -> None:
    client = console.sign_in("admin")
    cases = [
        ({"business_id": "", "questions": ["hours"]}, "Business must be a whole number"),
        ({"business_id": "99999", "questions": ["hours"]}, "No business has the id 99999."),
        ({"business_id": str(world.business_id)}, "Tick at least one question"),
        ({"business_id": str(world.business_id), "questions": ["hours"], "title": "x" * 121},
         "Title is too long"),
        ({"business_id": str(world.business_id), "definition": "{not json"},
         "The definition is not valid JSON"),
        ({"business_id": str(world.business_id), "definition": json.dumps({"questions": []})},
         "A survey has 1 to 20 questions."),
        ({"business_id": str(world.business_id), "definition": "[" * 10_000 + "]" * 10_000},
         "The definition"),
    ]  # fmt: skip
    for form, message in cases:
        response = client.post("/admin/surveys", data={"csrf": client.token(), **form})
        assert response.status_code == 400, form
        assert message in response.text, (form, response.text[:3000])
    with console.runtime.store.transaction() as session:
        assert session.scalar(select(func.count(Survey.id))) == 1


def test_results_are_withheld_until_a_whole_group_is_counted(console, world) -> None:
    answer(console, world.survey_code, *[{"paid_on_time": 2, "children": 3}] * 3)
    client = console.sign_in("viewer")
    page = client.get(f"/admin/surveys/{world.survey_id}").text
    assert "<svg" not in page and "Late" not in page
    assert page.count("Withheld: fewer than 5 responses counted yet.") == 6
    assert "<strong>3</strong><span>waiting for a group of 5</span>" in page
    exported = client_csv(console, f"/admin/exports/survey-results.csv?survey={world.survey_id}")
    by_question = {}
    for row in exported:
        by_question.setdefault(row["question"], []).append(row)
    assert by_question["children"] == [
        {**by_question["children"][0], "count": "withheld: fewer than 5 respondents"}
    ]
    assert by_question["children"][0]["answer"] == ""

    answer(console, world.survey_code, *[{"paid_on_time": 1}] * 3)
    page = client.get(f"/admin/surveys/{world.survey_id}").text
    assert "<svg" in page and "Late: 3" in page and "Yes: 3" in page
    children = page[page.index("Do children under 14") :][:1500]
    assert "Often: 3" in children and "Skipped: 3" in children
    assert "6 answered, 3 of them skipped it." in children
    response = client.get(f"/admin/exports/survey-results.csv?survey={world.survey_id}")
    exported = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    paid = [row for row in exported if row["question"] == "paid_on_time"]
    assert [(r["label"], r["count"]) for r in paid] == [
        ("Yes", "3"),
        ("Late", "3"),
        ("Not paid yet", "0"),
        ("Skipped", "0"),
    ]


def test_the_survey_page_says_how_many_wait_and_how_many_were_held_back(console, world) -> None:
    answer(console, world.survey_code, *[{"hours": 1}] * 2)
    client = console.sign_in("viewer")
    listing = client.get("/admin/surveys").text
    cells = re.findall(r'<td class="num">(\d+)</td>', listing)
    assert cells == ["0", "2", "0"]  # responses counted, waiting, held back
    with console.runtime.store.transaction() as session:
        close_survey(session, world.survey_id, console.clock.now())
    console.clock.advance(timedelta(hours=25))
    write_pooled_tick(console.runtime)
    # The first session ended after its idle hours; a new one reads the page.
    client = console.sign_in("viewer", "viewer.next.day@example.org")
    page = client.get(f"/admin/surveys/{world.survey_id}").text
    assert "<strong>0</strong><span>waiting for a group of 5</span>" in page
    assert "<strong>2</strong><span>held back: fewer than 5 left at closing</span>" in page


def client_csv(console, url: str) -> list[dict[str, str]]:
    response = console.sign_in("viewer", f"reader{len(url)}@example.org").get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))


def test_closing_a_survey_stops_new_workers_joining(console, world) -> None:
    client = console.sign_in("staff")
    response = client.post(f"/admin/surveys/{world.survey_id}/close", data={"csrf": client.token()})
    assert response.status_code == 303
    page = client.get(f"/admin/surveys/{world.survey_id}").text
    assert "Survey closed: nobody new can join." in page and "Close survey" not in page
    with console.runtime.store.transaction() as session:
        assert session.get(Survey, world.survey_id).closed_at == console.clock.now()
    missing = client.post("/admin/surveys/424242/close", data={"csrf": client.token()})
    assert missing.status_code == 404
