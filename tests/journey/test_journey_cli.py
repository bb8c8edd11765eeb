"""Staff commands for actions, assessments and supply chains, as real processes on the test
database, with right, wrong, empty, huge and hostile arguments."""

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from assessment_support import assess, first_of
from journey_support import business_id, outbox
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import cli
from bot.domain.assessments import record_pre_assessment
from bot.domain.standards import standards
from bot.models import ActionItem, Assessment, Business, Seal

pytest_plugins = ["journey_fixtures"]  # leader, new_runtime

TODAY = datetime.now(UTC).date()
SOON = (TODAY + timedelta(days=20)).isoformat()
NOBODY = str(2**31 - 1)  # an id no row has


def run(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def count(store, model) -> int:
    with store.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_staff_walk_an_item_and_an_assessment_from_the_command_line(store, migrated, leader):
    business = str(business_id(store, leader.address))
    made = run(
        migrated, "actions", "add", business, "Put a first-aid kit in every home.", "--due", SOON
    )
    assert made.returncode == 0, made.stderr
    created = re.fullmatch(r"Created action item (\d+), due (.+)\.\n", made.stdout)
    assert created and created[2] == SOON
    item_id = created[1]
    assert outbox(store, leader.address)[-2].message_key == "actions.new"

    later = (TODAY + timedelta(days=40)).isoformat()
    changed = run(migrated, "actions", "update", item_id, "--due", later, "--severity", "minor")
    assert changed.returncode == 0, changed.stderr
    with store.transaction() as session:
        item = session.get(ActionItem, int(item_id))
        assert (item.due_on.isoformat(), item.severity) == (later, "minor")
    assert run(migrated, "actions", "overdue").stdout.strip() == "No overdue items."
    assert run(migrated, "actions", "verify", item_id).returncode == 0

    held = (TODAY - timedelta(days=3)).isoformat()
    scheduled = run(migrated, "assessments", "pre-assessment", business, "--held-on", held)
    assert scheduled.returncode == 0, scheduled.stderr
    assessment_id = re.fullmatch(r"Assessment (\d+) scheduled for .+\n", scheduled.stdout)[1]
    upcoming = run(migrated, "assessments", "upcoming", "--days", "366")
    assert upcoming.stdout.startswith(f"{assessment_id}\tbusiness {business}\t")
    early = run(migrated, "assessments", "outcome", assessment_id, "pass")
    assert early.returncode == 1 and "held first" in early.stderr
    with store.transaction() as session:
        assess(session, int(assessment_id), datetime.now(UTC).replace(tzinfo=None))
    noted = run(migrated, "assessments", "outcome", assessment_id, "pass", "--notes", "All good")
    assert noted.returncode == 0, noted.stderr
    sealed = run(migrated, "assessments", "award-seal", business)
    assert sealed.returncode == 0 and sealed.stdout.strip() == "Seal awarded to Blue Thread."
    again = run(migrated, "assessments", "award-seal", business)
    assert again.returncode == 1 and "already awarded" in again.stderr
    shown = run(migrated, "seal", "show", business)
    assert shown.returncode == 0, shown.stderr
    with store.transaction() as session:
        seal = session.scalar(select(Seal))
    lines = dict(line.split(":", 1) for line in shown.stdout.splitlines())
    assert {key: value.strip() for key, value in lines.items()} == {
        "Number": seal.number,
        "Code": f"{seal.code[:5]}-{seal.code[5:]}",
        "Status": "active",
        "Awarded on": seal.awarded_at.date().isoformat(),
        "Valid until": seal.valid_until.date().isoformat(),
        "Standards": seal.standards_version,
        "Verify at": f"http://127.0.0.1:8000/seal/{seal.code}",
    }
    revoked = run(migrated, "seal", "revoke", business, "--reason", "Zero-tolerance finding")
    assert revoked.returncode == 0 and revoked.stdout.strip() == f"Revoked seal {seal.number}."
    assert "revoked (Zero-tolerance finding)" in run(migrated, "seal", "show", business).stdout


def test_the_supply_tree_prints_layer_under_layer(store, migrated, leader) -> None:
    leader.send("1")
    for answer in ("Kamal Traders", "Bagru", "printing", "12 8", "1", "1", "1"):
        leader.send(answer)
    for answer in ("Meena's group", "Sanganer", "embroidery", "5 5", "2", "2", "1"):
        leader.send(answer)
    printed = run(migrated, "supply", "tree", str(business_id(store, leader.address)))
    assert printed.stdout.splitlines() == [
        "Kamal Traders (Bagru): printing, 12 workers, 8 at home, cash",
        "  Meena's group (Sanganer): embroidery, 5 workers, 5 at home, mobile_money",
    ]
    assert run(migrated, "supply", "tree", NOBODY).stdout.strip() == "Nothing reported yet."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["actions", "add"], "Missing argument"),
        (["actions", "add", "abc", "Fix it", "--due", SOON], "value for 'business'"),
        (["actions", "add", "-5", "Fix it", "--due", SOON], "No such option"),
        (["actions", "add", "9" * 5000, "Fix it", "--due", SOON], "value for 'business'"),
        (["actions", "add", "99999999999", "Fix it", "--due", SOON], "value for 'business'"),
        (["actions", "add", "1", "Fix it", "--due", "2026-02-30"], "does not match"),
        (["actions", "add", "1", "Fix it", "--due", "tomorrow"], "does not match"),
        (["actions", "update", "1", "--due", ""], "does not match"),
        (["actions", "verify", "0"], "value for 'item'"),
        (["assessments", "pre-assessment", "1", "--held-on", SOON, "--months", "0"], "'--months'"),
        (["assessments", "upcoming", "--days", "-3"], "value for '--days'"),
        (["supply", "tree", "🧵"], "value for 'business'"),
        (["seal", "show", "abc"], "value for 'business'"),
        (["seal", "show", "0"], "value for 'business'"),
        (["seal", "show", "9" * 40], "value for 'business'"),
        (["seal", "revoke", "1"], "Missing option '--reason'"),
    ],
)
def test_arguments_that_do_not_parse_get_usage_help(args, message) -> None:
    """Refused before any database work, so run in-process: the same CLI, much faster."""
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split()), result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["actions", "add", NOBODY, "Fix it", "--due", SOON], f"no business {NOBODY}"),
        (["actions", "add", "{b}", "Fix it", "--due", "2001-01-01"], "between today"),
        (["actions", "add", "{b}", "", "--due", SOON], "3 to 120"),
        (["actions", "add", "{b}", "x" * 100_000, "--due", SOON], "3 to 120"),
        (["actions", "add", "{b}", "Fix \x1b[2J now", "--due", SOON], "printable"),
        (["actions", "add", "{b}", "Fix it", "--due", SOON, "--severity", "'; --"], "severity"),
        (["actions", "add", "{b}", "Fix it", "--due", SOON, "--kind", "<b>"], "kind"),
        (["actions", "update", NOBODY, "--severity", "minor"], "no action item"),
        (["assessments", "pre-assessment", "{b}", "--held-on", "2999-01-01"], "future"),
        (["assessments", "outcome", NOBODY, "excellent"], "no assessment"),
        (["assessments", "award-seal", "{b}"], "outcome"),
        (["seal", "show", "{b}"], "has no seal"),
        (["seal", "show", NOBODY], "has no seal"),
        (["seal", "revoke", "{b}", "--reason", ""], "reason"),
        (["seal", "revoke", "{b}", "--reason", "x" * 100_000], "reason"),
        (["seal", "revoke", "{b}", "--reason", "Fix \x1b[2J now"], "reason"),
        (["seal", "revoke", "{b}", "--reason", "A good reason"], "has no seal"),
    ],
)
def test_wrong_empty_huge_and_hostile_values_get_a_clear_message_and_change_nothing(
    store, migrated, leader, args, message
) -> None:
    business = str(business_id(store, leader.address))
    result = run(migrated, *[arg.replace("{b}", business) for arg in args])
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert count(store, ActionItem) == 0 and count(store, Assessment) == 0
    with store.transaction() as session:
        assert session.scalar(select(Business.seal_awarded_at)) is None


def test_hostile_text_is_stored_as_typed(store, migrated, leader) -> None:
    hostile = "Robert'); DROP TABLE action_items;-- <script>x</script>"
    business = str(business_id(store, leader.address))
    result = run(migrated, "actions", "add", business, hostile, "--due", SOON)
    assert result.returncode == 0, result.stderr
    with store.transaction() as session:
        assert session.scalar(select(ActionItem.description)) == hostile


def test_the_standards_and_a_countrys_legal_figures_are_printed(migrated) -> None:
    listed = run(migrated, "standards", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].startswith(f"Standards {standards().version} ")
    assert len(lines) == 1 + len(standards().indicators)
    code, category, severity = lines[1].split("\t")
    first = standards().indicators[0]
    assert (code, category, severity) == (first.code, first.category, first.severity)
    shown = run(migrated, "countries", "show", "in")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("IN profile ")
    assert "min_working_age\t" in shown.stdout and "minimum_wage\t" in shown.stdout
    for wrong in ("ZZ", "", "../../etc", "🧵"):
        missing = run(migrated, "countries", "show", wrong)
        assert missing.returncode == 1 and "no profile" in missing.stderr


def test_findings_from_the_command_line_imply_the_outcome_and_make_the_plan(
    store, migrated, leader
) -> None:
    business = business_id(store, leader.address)
    now = datetime.now(UTC).replace(tzinfo=None)
    with store.transaction() as session:
        assessment = str(record_pre_assessment(session, business, now, now, 6).id)
        assess(session, int(assessment), now)
    major, minor = first_of("major"), first_of("minor")
    marked = run(
        migrated, "assessments", "finding", assessment, major, "not-met", "--note", "No rates"
    )
    assert marked.returncode == 0 and marked.stdout.strip() == f"{major}: not-met (major)"
    graded = run(
        migrated, "assessments", "finding", assessment, minor, "not-met", "--severity", "major"
    )
    assert graded.returncode == 1 and "Say why" in graded.stderr
    graded = run(
        migrated, "assessments", "finding", assessment, minor, "not-met",
        "--severity", "major", "--reason", "Seen twice",
    )  # fmt: skip
    assert graded.returncode == 0, graded.stderr
    listed = run(migrated, "assessments", "findings", assessment)
    assert f"{major}\tnot-met (major)\tNo rates" in listed.stdout
    assert listed.stdout.rstrip().endswith("Implied outcome: partial")
    assert run(migrated, "assessments", "outcome", assessment, "partial").returncode == 0
    planned = run(migrated, "assessments", "plan", assessment)
    assert planned.returncode == 0 and len(planned.stdout.splitlines()) == 2
    again = run(migrated, "assessments", "plan", assessment)
    assert again.stdout.strip() == "No new items: every unmet finding has one."
    for args, message in [
        ([assessment, "NOPE-01", "met"], "no indicator"),
        ([assessment, major, "sort-of"], "must be one of"),
        ([NOBODY, major, "met"], "no assessment"),
    ]:
        wrong = run(migrated, "assessments", "finding", *args)
        assert wrong.returncode in (1, 2) and message in wrong.stderr, wrong.stderr
