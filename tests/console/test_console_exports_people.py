"""CSV exports for people: ISO 8601 times with their offset, phone numbers as they are, the
formula guard on everything else, and the items and assessments exports."""

import csv
import io
import string
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from admin.csv_export import safe_cell
from bot.domain.findings import mark
from bot.domain.standards import standards
from bot.models import AuditEntry

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def exported(client, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("+919876543210", "+919876543210"),
        ("+1", "+1"),
        ("+", "'+"),
        ("+1 555 0100", "'+1 555 0100"),
        ("+1+1", "'+1+1"),
        ("+12a", "'+12a"),
        ("+١٢٣", "'+١٢٣"),  # digits of another script are not a phone number here
        ("=1+1", "'=1+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Blue Thread", "Blue Thread"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (12, "12"),
        (-3, "'-3"),
        (datetime(2026, 12, 1, 10, 0), "2026-12-01T10:00:00+00:00"),
        (
            datetime(2026, 12, 1, 15, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            "2026-12-01T15:30:00+05:30",
        ),  # fmt: skip
        (datetime(2026, 12, 1, 10, 0, 5, tzinfo=UTC), "2026-12-01T10:00:05+00:00"),
        (date(2026, 12, 1), "2026-12-01"),
    ],
)
def test_a_cell_is_written_as_a_spreadsheet_should_show_it(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


@given(st.text(alphabet=string.digits, min_size=1, max_size=20))
def test_a_phone_number_is_written_as_is(digits: str) -> None:
    assert safe_cell("+" + digits) == "+" + digits


@given(st.sampled_from(DANGEROUS), st.text(max_size=30))
def test_any_other_cell_starting_like_a_formula_is_guarded(start: str, rest: str) -> None:
    text = start + rest
    if start == "+" and rest.isascii() and rest.isdigit():
        return
    assert safe_cell(text) == "'" + text


@given(st.text(max_size=30).filter(lambda text: not text.startswith(DANGEROUS)))
def test_a_cell_that_starts_safely_is_unchanged(text: str) -> None:
    assert safe_cell(text) == text


def test_timestamps_carry_their_offset_and_phones_stay_numbers(console, world) -> None:
    [row] = exported(console.sign_in("viewer"), "/admin/exports/businesses.csv")
    assert row["leader"] == world.leader
    registered = datetime.fromisoformat(row["registered_at"])
    assert registered.utcoffset() == timedelta(0) and row["registered_at"].endswith("+00:00")
    assert registered.replace(tzinfo=None) == console.clock.now()


def test_the_items_export_lists_every_item_with_whether_it_is_late(console, world) -> None:
    client = console.sign_in("staff", "asha@example.org")
    due = (console.clock.now().date() + timedelta(days=10)).isoformat()
    made = client.submit(
        f"/admin/businesses/{world.business_id}/items",
        {"description": "=HYPERLINK(\"http://x\")", "severity": "minor", "due_on": due,
         "kind": "remediation"},
    )  # fmt: skip
    assert made.status_code == 303
    console.clock.advance(timedelta(days=12))
    rows = exported(console.sign_in("viewer"), "/admin/exports/items.csv")
    assert [(r["description"], r["severity"], r["overdue"]) for r in rows] == [
        ("Write down the piece rate", "major", "no"),
        ('\'=HYPERLINK("http://x")', "minor", "yes"),
    ]
    second = rows[1]
    assert second["business"] == "Blue Thread Embroidery" and second["created_by"] == (
        "asha@example.org"
    )
    assert second["due_on"] == due and second["status"] == "open"
    assert second["created_at"].endswith("+00:00") and second["verified_at"] == ""
    with console.runtime.store.transaction() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "export.items"))
        assert entry.target == "items.csv" and entry.detail == {"rows": 2}


def test_the_assessments_export_counts_findings_and_says_the_outcome(console, world) -> None:
    codes = standards().codes
    with console.runtime.store.transaction() as session:
        now = console.clock.now()
        mark(session, world.assessment_id, codes[0], "not_met", now)
        mark(session, world.assessment_id, codes[1], "met", now)
        mark(session, world.assessment_id, codes[2], "not_applicable", now)
    rows = exported(console.sign_in("viewer"), "/admin/exports/assessments.csv")
    # The pre-assessment review, then the assessment it scheduled (which was marked).
    assert [r["kind"] for r in rows] == ["pre_assessment", "assessment"]
    review, row = rows
    assert row["assessment_id"] == str(world.assessment_id) and review["findings"] == "0"
    assert row["business"] == "Blue Thread Embroidery" and row["country"] == "IN"
    assert (row["findings"], row["met"], row["not_met"], row["not_applicable"]) == (
        "3", "1", "1", "1",
    )  # fmt: skip
    severity = {i.code: i.severity for i in standards().indicators}[codes[0]]
    assert row[severity] == "1"
    assert row["scheduled_for"].endswith("+00:00") and row["outcome"] == ""
    with console.runtime.store.transaction() as session:
        assert (
            session.scalar(
                select(AuditEntry.target).where(AuditEntry.action == "export.assessments")
            )
            == "assessments.csv"
        )


@pytest.mark.parametrize("export", ["items", "assessments"])
def test_the_new_exports_are_for_signed_in_staff_only(console, world, export) -> None:
    url = f"/admin/exports/{export}.csv"
    assert console.sign_in(None).get(url).status_code == 303
    # A brand partner sees only its vendors: to it, staff pages do not exist.
    assert console.sign_in("brand", "buyer@fairthreads.example").get(url).status_code == 404
    assert console.sign_in("viewer").get(url).status_code == 200
