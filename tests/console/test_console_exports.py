"""CSV exports open safely in a spreadsheet and carry what the pages show."""

import csv
import io

from console_support import add_business

from admin.csv_export import safe_cell


def rows(console, url: str) -> list[dict[str, str]]:
    response = console.sign_in("viewer").get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))


def test_cells_that_a_spreadsheet_would_run_are_kept_as_text() -> None:
    for formula in ['=HYPERLINK("http://x","y")', "+1+1", "+", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]:
        assert safe_cell(formula) == "'" + formula
    for plain in ["Blue Thread", "", "12", "a=b", None]:
        assert safe_cell(plain) == ("" if plain is None else plain)


def test_the_businesses_export_has_stage_items_and_no_formulas(console, world) -> None:
    add_business(console, "+525550000001", '=HYPERLINK("http://evil","click")', "@Oaxaca", "MX")
    exported = rows(console, "/admin/exports/businesses.csv")
    assert [row["name"] for row in exported] == [
        "Blue Thread Embroidery",
        '\'=HYPERLINK("http://evil","click")',
    ]
    first = exported[0]
    assert (first["stage"], first["open_items"], first["overdue_items"]) == (
        "remediation",
        "1",
        "0",
    )
    # A phone number is + and digits only: written as is, a spreadsheet keeps it as text.
    assert first["leader"] == world.leader and first["assessment_on"] == "2026-07-04"
    assert exported[1]["place"] == "'@Oaxaca"


def test_the_supply_chain_export_lists_every_node_with_its_layer(console, world) -> None:
    exported = rows(console, "/admin/exports/supply-chain.csv")
    assert [(r["name"], r["layer"], r["workers"], r["home_workers"]) for r in exported] == [
        ("Sunita's stitching group", "1", "40", "30"),
        ("Chomu home workers", "2", "8", "8"),
    ]
    assert exported[1]["parent_id"] == exported[0]["node_id"]


def test_exports_are_recorded_in_the_audit_log(console, world) -> None:
    rows(console, "/admin/exports/supply-chain.csv")
    page = console.sign_in("admin").get("/admin/audit").text
    assert "viewer@example.org downloaded the supply chains (CSV)" in page


def test_a_survey_export_for_a_survey_that_does_not_exist_is_not_found(console) -> None:
    client = console.sign_in("viewer")
    assert client.get("/admin/exports/survey-results.csv?survey=999").status_code == 404
    assert client.get("/admin/exports/survey-results.csv?survey=abc").status_code == 404
    assert client.get("/admin/exports/survey-results.csv").status_code == 200
