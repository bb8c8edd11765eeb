"""Survey commands as staff use them until the console has them: real processes, bad input."""

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from survey_support import IDLE, add_responses

from bot.domain.business import register_business
from bot.domain.surveys import (
    SurveyError,
    default_definition,
    parse_definition,
    validate_definition,
    write_pooled,
)
from bot.models import Contact, Survey

QUESTIONS = ("paid_on_time", "agreed_rate", "hours", "children", "safety", "complaint")


def run(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def business_id(store) -> int:
    now = datetime(2026, 1, 5, 9, 0)
    with store.transaction() as session:
        leader = Contact(address="+15550100001", channel="sim", created_at=now, language="en")
        session.add(leader)
        session.flush()
        return register_business(session, leader, "Blue Thread", "Jaipur", "IN", now).id


def test_open_answer_and_report_a_survey_from_the_command_line(
    store, migrated, business_id, sealer, clock
):
    opened = run(migrated, "open-survey", str(business_id), "--title", "Spring round")
    assert opened.returncode == 0, opened.stderr
    with store.transaction() as session:
        survey = session.scalar(select(Survey))
        assert survey.title == "Spring round"
        code, survey_id = survey.code, survey.id
    assert f"Workers text: JOIN {code}" in opened.stdout

    first = [{**dict.fromkeys(QUESTIONS, answer), "hours": None} for answer in (1, 1, 1, 2)]
    add_responses(store, sealer, code, *first, now=clock.now())
    report = run(migrated, "survey-results", str(survey_id))
    assert report.returncode == 0, report.stderr
    assert "0 responses." in report.stdout
    assert "4 waiting to be counted with a group of at least 5." in report.stdout
    assert "withheld: fewer than 5 respondents" in report.stdout.split("how many hours")[1]
    exported = run(migrated, "survey-results", str(survey_id), "--csv")
    rows = list(csv.reader(io.StringIO(exported.stdout)))
    assert rows[0] == ["question", "text", "respondents", "answer", "label", "count"]
    hours = [row for row in rows if row[0] == "hours"]
    assert hours == [[*hours[0][:3], "", "", "withheld: fewer than 5 respondents"]]

    add_responses(
        store, sealer, code, {**dict.fromkeys(QUESTIONS, 3), "hours": None}, now=clock.now()
    )
    report = run(migrated, "survey-results", str(survey_id))
    assert "5 responses." in report.stdout and "waiting" not in report.stdout
    assert "  1 Yes: 3\n  2 Late: 1\n  3 Not paid yet: 1\n  0 Skipped: 0" in report.stdout
    assert "  0 Skipped: 5" in report.stdout.split("how many hours")[1]

    add_responses(store, sealer, code, *[dict.fromkeys(QUESTIONS, 1)] * 2, now=clock.now())
    closed = run(migrated, "close-survey", str(survey_id))
    assert closed.returncode == 0 and f"Closed survey {survey_id}" in closed.stdout
    assert "closed 20" in run(migrated, "survey-results", str(survey_id)).stdout
    with store.transaction() as session:
        close_at = session.get(Survey, survey_id).closed_at
    with store.transaction() as session:
        write_pooled(session, sealer, survey_id, close_at + timedelta(hours=25), IDLE)
    report = run(migrated, "survey-results", str(survey_id)).stdout
    assert "2 held back: fewer than 5 were left when it closed." in report


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["open-survey", "abc"], "Invalid value"),
        (["open-survey", "99999999999999999999999"], "No business"),
        (["open-survey", "424242"], "No business"),
        (["open-survey", "BUSINESS", "--title", "x" * 500], "up to 120"),
        (["open-survey", "BUSINESS", "--title", "tab\there\x1b[31m"], "printable"),
        (["survey-results", "424242"], "No survey"),
        (["survey-results", "1'; DROP TABLE surveys;--"], "Invalid value"),
        (["close-survey", "99999999999999999999999"], "No survey"),
    ],
)
def test_bad_arguments_get_a_clear_message_and_change_nothing(
    store, migrated, business_id, args, message
) -> None:
    args = [str(business_id) if arg == "BUSINESS" else arg for arg in args]
    result = run(migrated, *args)
    assert result.returncode in (1, 2)
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Survey)) == 0


def too_long() -> str:
    definition = default_definition()
    definition["questions"][0]["text"]["hi"] = "क" * 250
    return json.dumps(definition)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "not valid JSON (line 1)"),
        ("{'questions': []}", "not valid JSON"),
        ("null", '"questions" list'),
        ("[" * 50_000 + "]" * 50_000, "at most 64 KB"),
        ("[" * 30_000 + "]" * 30_000, "not valid JSON"),
        (b"\xff\xfe\x00 not text", "not valid JSON"),
        ('{"questions": [{"key": "q"}]}', '"text" and "options"'),
        (too_long(), "too long for 3 text messages in hi"),
    ],
)
def test_a_bad_definition_is_refused_with_what_to_fix(content, message) -> None:
    with pytest.raises(SurveyError, match=re.escape(message)):
        validate_definition(parse_definition(content))


@pytest.mark.parametrize(("content", "message"), [(None, "Cannot read"), ("[", "not valid JSON")])
def test_a_bad_definition_file_is_refused_from_the_command_line(
    store, migrated, business_id, tmp_path, content, message
) -> None:
    path = tmp_path / "survey.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run(migrated, "open-survey", str(business_id), "--definition", str(path))
    assert result.returncode == 1, result.stdout
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_staff_written_definition_is_used(store, migrated, business_id, tmp_path) -> None:
    definition = default_definition()
    definition["questions"] = definition["questions"][:2]
    path = tmp_path / "survey.json"
    path.write_text(json.dumps(definition), encoding="utf-8")
    result = run(migrated, "open-survey", str(business_id), "--definition", str(path))
    assert result.returncode == 0, result.stderr
    with store.transaction() as session:
        survey = session.scalar(select(Survey))
        assert [q["key"] for q in survey.definition["questions"]] == list(QUESTIONS[:2])
