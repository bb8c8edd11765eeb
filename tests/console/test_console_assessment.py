"""Recording an assessment in the console: findings, the outcome they imply, the corrective
plan, the standards and countries' legal figures, the charts and the findings export."""

import csv
import io

from assessment_support import assess, first_of
from sqlalchemy import func, select

from bot.domain.standards import standards
from bot.models import ActionItem, Assessment, AuditEntry, CountryProfile, Finding, OutboundMessage


def audit(console) -> list[tuple[str, dict]]:
    with console.runtime.store.transaction() as session:
        return [
            (entry.action, entry.detail)
            for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


def test_the_assessment_page_lists_every_indicator_with_its_local_figures(console, world):
    client = console.sign_in("viewer")
    page = client.get(f"/admin/assessments/{world.assessment_id}").text
    for indicator in standards().indicators:
        assert f'id="{indicator.code}"' in page
    for category in standards().categories:
        assert category.name in page
    assert "{min_working_age}" not in page and "{minimum_wage}" not in page
    assert "Save CHILD" not in page, "a viewer reads, and marks nothing"


def test_staff_mark_findings_then_confirm_the_outcome_and_make_the_plan(console, world) -> None:
    client = console.sign_in("staff")
    url = f"/admin/assessments/{world.assessment_id}"
    major = first_of("major")
    refused = client.post(
        f"{url}/findings/{major}",
        data={"csrf": client.token(), "status": "not_met", "severity": "minor", "note": "x"},
    )
    assert refused.status_code == 400 and "Say why" in refused.text
    saved = client.post(
        f"{url}/findings/{major}",
        data={"csrf": client.token(), "status": "not_met", "note": "Rates agreed by word only"},
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"{url}?at={major}#{major}"
    early = client.post(
        f"{url}/outcome",
        data={"csrf": client.token(), "outcome": "partial", "back": "assessment"},
    )
    assert early.status_code == 400 and "held first" in early.text
    held = client.post(
        f"{url}/held", data={"csrf": client.token(), "held_on": console.clock.now().date()}
    )
    assert held.status_code == 303
    unmarked = client.post(
        f"{url}/outcome",
        data={"csrf": client.token(), "outcome": "partial", "back": "assessment"},
    )
    assert unmarked.status_code == 400 and "not marked yet" in unmarked.text
    with console.runtime.store.transaction() as session:
        assess(session, world.assessment_id, console.clock.now(), {major: None})
    page = client.get(url).text
    assert "The findings imply" in page and "Partial" in page
    unexplained = client.post(
        f"{url}/outcome", data={"csrf": client.token(), "outcome": "pass", "back": "assessment"}
    )
    assert unexplained.status_code == 400 and "give a reason" in unexplained.text
    recorded = client.post(
        f"{url}/outcome",
        data={"csrf": client.token(), "outcome": "partial", "back": "assessment"},
    )
    assert recorded.status_code == 303 and recorded.headers["location"] == f"{url}#plan"
    planned = client.post(f"{url}/plan", data={"csrf": client.token()})
    assert planned.status_code == 303
    with console.runtime.store.transaction() as session:
        [item] = session.scalars(select(ActionItem).where(ActionItem.finding_id.is_not(None)))
        assert item.kind == "corrective" and item.severity == "major"
        told = session.scalars(select(OutboundMessage.message_key)).all()
        assert "actions.new" in told
    assert "Make the corrective action plan" in client.get(url).text
    actions = [action for action, _ in audit(console)]
    assert {"finding.mark", "assessment.held", "assessment.outcome", "assessment.plan"} <= set(
        actions
    )


def test_an_admin_changes_a_legal_figure_as_a_new_audited_version(console, world) -> None:
    admin = console.sign_in("admin")
    before = admin.get("/admin/countries/IN").text
    assert "Minimum working age" in before
    changed = admin.post(
        "/admin/countries/IN/parameters",
        data={
            "csrf": admin.token(),
            "name": "min_working_age",
            "value": "15",
            "unit": "years",
            "source": "A test amendment, section 3",
            "effective": "2027-01-01",
            "verified": "yes",
        },
    )
    assert changed.status_code == 303
    page = admin.get("/admin/countries/IN").text
    assert "15 years" in page and "A test amendment, section 3" in page
    [(action, detail)] = [entry for entry in audit(console) if entry[0] == "country.change"]
    assert detail["figure"] == "min_working_age" and detail["value"] == 15
    for value in ("-1", "abc", "1e400", "nan", "9" * 40):
        refused = admin.post(
            "/admin/countries/IN/parameters",
            data={
                "csrf": admin.token(),
                "name": "min_working_age",
                "value": value,
                "unit": "years",
                "source": "x",
                "effective": "2027-01-01",
            },
        )
        assert refused.status_code == 400 and "Value must be a number" in refused.text
    with console.runtime.store.transaction() as session:
        assert session.scalar(select(func.count(CountryProfile.id))) == 1
    assert admin.get("/admin/countries/ZZ").status_code == 404
    assert admin.get("/admin/countries/..%2F..").status_code == 404


def test_unknown_indicators_and_assessments_are_missing_pages(console, world) -> None:
    client = console.sign_in("staff")
    for code in ("NOPE-01", "child-01", "CHILD-1", "%3Cscript%3E"):
        response = client.post(
            f"/admin/assessments/{world.assessment_id}/findings/{code}",
            data={"csrf": client.token(), "status": "met"},
        )
        assert response.status_code == 404, code
    assert client.get("/admin/assessments/999999").status_code == 404
    with console.runtime.store.transaction() as session:
        assert session.scalar(select(func.count(Finding.id))) == 0


def test_the_overview_and_the_business_page_chart_the_findings_and_export_them(
    console, world
) -> None:
    with console.runtime.store.transaction() as session:
        assess(session, world.assessment_id, console.clock.now(), {first_of("minor"): None})
    client = console.sign_in("viewer")
    overview = client.get("/admin/").text
    assert "Findings by category" in overview and "1 minor" in overview
    business = client.get(f"/admin/businesses/{world.business_id}").text
    assert "Scorecard of the latest assessment" in business
    exported = client.get("/admin/exports/findings.csv")
    rows = list(csv.DictReader(io.StringIO(exported.text.removeprefix("\ufeff"))))
    assert len(rows) == len(standards().indicators)
    unmet = [row for row in rows if row["status"] == "not_met"]
    assert [row["code"] for row in unmet] == [first_of("minor")]
    with console.runtime.store.transaction() as session:
        used = session.get(Assessment, world.assessment_id)
        assert {row["standards_version"] for row in rows} == {used.standards_version}
    assert ("export.findings", {"rows": len(rows)}) in audit(console)


def test_a_figure_takes_only_its_own_units_and_sensible_values(console, world) -> None:
    admin = console.sign_in("admin")
    base = {"csrf": admin.token(), "source": "Act, s. 1", "effective": "2027-01-01"}
    for name, value, unit, message in [
        ("weekly_hours", "48", "years", "unit of this figure is one of: hours per week"),
        ("min_working_age", "14", "hours per week", "unit of this figure is one of: years"),
        ("min_working_age", "0", "years", "from 10 to 21"),
        ("weekly_hours", "200", "hours per week", "from 20 to 72"),
        ("weekly_hours", "48", "furlongs", "Choose unit from the list"),
    ]:
        data = {**base, "name": name, "value": value, "unit": unit}
        refused = admin.post("/admin/countries/IN/parameters", data=data)
        assert refused.status_code == 400 and message in refused.text, (name, unit)
    assert admin.get("/admin/countries/in").status_code == 200  # either case
    with console.runtime.store.transaction() as session:
        assert session.scalar(select(func.count(CountryProfile.id))) == 0
