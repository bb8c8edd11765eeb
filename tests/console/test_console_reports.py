"""Reports in the console: the live draft until one is issued, issuing versions, reading any
version as a page or a PDF, and the business page listing them."""

import html
import io

from assessment_support import assess, first_of
from pypdf import PdfReader
from sqlalchemy import select

from bot.domain.assessments import record_assessment_outcome
from bot.models import AuditEntry, Report


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def test_a_draft_until_issued_then_the_issued_version(console, world) -> None:
    client = console.sign_in("staff")
    url = f"/admin/businesses/{world.business_id}/reports/assessment"
    assert client.get(url).status_code == 404, "no findings yet: nothing to report on"
    with console.runtime.store.transaction() as session:
        assess(session, world.assessment_id, console.clock.now(), {first_of("minor"): None})
        record_assessment_outcome(session, world.assessment_id, "pass", "", console.clock.now())
    drafted = client.get(url)
    assert drafted.status_code == 200 and "Draft: not issued yet." in drafted.text
    assert "style-src 'unsafe-inline'" in drafted.headers["content-security-policy"]
    assert "script-src" not in drafted.headers["content-security-policy"]
    draft_pdf = client.get(url + ".pdf")
    assert draft_pdf.headers["content-type"] == "application/pdf"
    assert "Draft: not issued yet." in text_of(draft_pdf.content)
    issued = client.post(url + "/issue", data={"csrf": client.token()})
    assert issued.status_code == 303
    page = client.get(url)
    assert "Draft" not in page.text and "version 1" in page.text
    pdf = client.get(url + ".pdf")
    with console.runtime.store.transaction() as session:
        report = session.scalar(select(Report).where(Report.kind == "assessment"))
        assert pdf.content == report.pdf
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "report.issue"))
        assert entry.detail["sha256"] == report.sha256
    business = client.get(f"/admin/businesses/{world.business_id}").text
    assert f'href="/admin/reports/{report.id}"' in business and report.sha256[:12] in business
    assert client.get(f"/admin/reports/{report.id}.pdf").content == report.pdf


def test_wrong_report_addresses_are_missing_pages(console, world) -> None:
    client = console.sign_in("viewer")
    base = f"/admin/businesses/{world.business_id}/reports/"
    for name in ("letter", "assessment.doc", "pre-assessment.pdf.pdf", "..%2Fstaff", "%00"):
        assert client.get(base + name).status_code == 404, name
    for name in ("0", "-1", "abc", "9" * 40, f"{world.report_id}.exe", "1e3"):
        assert client.get(f"/admin/reports/{name}").status_code == 404, name
    staff = console.sign_in("staff", "another.staff@example.org")
    refused = staff.post(base + "letter/issue", data={"csrf": staff.token()})
    assert refused.status_code == 404


def test_a_report_with_nothing_to_report_on_says_so_instead_of_offering_links(
    console, world
) -> None:
    client = console.sign_in("staff")
    page = client.get(f"/admin/businesses/{world.business_id}").text
    section = html.unescape(page[page.index('id="reports"') : page.index('id="conversation"')])
    assert "Not yet: Record the assessment's findings before its report." in section
    assert f"/admin/businesses/{world.business_id}/reports/assessment/issue" not in section
    assert f"/admin/businesses/{world.business_id}/reports/pre-assessment/issue" in section
