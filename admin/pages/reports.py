"""Reports from the console: read a business's latest issued report (or the live draft while
none is issued), as a printable page or a PDF; issue a new version; open any past version."""

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from admin.auth import runtime_of
from admin.changes import Done, staff_action
from admin.deps import Id, Viewer, Worker
from admin.pages.business import refusal
from bot.domain.errors import DomainError
from bot.domain.reports import SLUGS, draft, issue, latest
from bot.media.store import Missing, StoreError
from bot.models import Report
from bot.runtime import Runtime

router = APIRouter()
# The printed page keeps its own inline stylesheet; nothing else may load or run.
DOCUMENT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
TITLES = {"pre_assessment": "pre-assessment report", "assessment": "assessment report",
          "corrective_plan": "corrective action plan"}  # fmt: skip


def document_response(html: str | None, pdf: bytes | None, name: str) -> Response:
    """The document as a page (its own stylesheet allowed) or as a PDF to open or save."""
    if pdf is not None:
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
        )
    return HTMLResponse(html or "", headers={"Content-Security-Policy": DOCUMENT_POLICY})


def thumbnails(runtime: Runtime) -> Callable[[str], bytes | None]:
    """Finding photos' thumbnails from the media store, for the documents to carry."""

    def read(digest: str) -> bytes | None:
        try:
            return runtime.media.store.get(digest)
        except (Missing, ValueError, *StoreError):
            return None

    return read


def _kind_of(document: str) -> tuple[str, bool]:
    """`assessment` or `assessment.pdf` -> (kind, as PDF); HTTPException 404 otherwise."""
    slug, dot, extension = document.partition(".")
    if slug not in SLUGS or (dot and extension != "pdf"):
        raise HTTPException(404)
    return SLUGS[slug], bool(dot)


@router.get("/businesses/{business_id}/reports/{document}", response_model=None)
def business_report(request: Request, business_id: Id, document: str, staff: Viewer) -> Response:
    """The latest issued version, or the live draft (marked as such) while none is issued."""
    kind, as_pdf = _kind_of(document)
    runtime = runtime_of(request)
    now = runtime.clock.now()
    name = f"{kind.replace('_', '-')}-{business_id}"
    with runtime.store.transaction() as session:
        report = latest(session, business_id, kind)
        if report is not None:
            name += f"-v{report.version}"
            return document_response(None if as_pdf else report.html,
                                     report.pdf if as_pdf else None, name)  # fmt: skip
        try:
            made = draft(session, business_id, kind, now, thumbnails(runtime))
        except DomainError as error:
            raise HTTPException(404, str(error)) from None
    html = made.html(issued_on=now.date(), draft=True)
    if as_pdf:
        from bot.documents import pdf_of

        return document_response(None, pdf_of(html), name + "-draft")
    return document_response(html, None, name)


@router.post("/businesses/{business_id}/reports/{document}/issue", response_model=None)
def issue_report(request: Request, business_id: Id, document: str, staff: Worker) -> Response:
    kind, as_pdf = _kind_of(document)
    if as_pdf:
        raise HTTPException(404)
    runtime = runtime_of(request)
    settings = runtime.settings

    def make(session: Session, now: datetime) -> Done:
        report = issue(
            session,
            business_id,
            kind,
            now,
            staff_id=staff.id,
            public_base_url=settings.public_base_url,
            link_days=settings.report_link_days,
            pictures=thumbnails(runtime),
        )
        notice = f"Issued the {TITLES[kind]}, version {report.version}; the leader has been told."
        detail = {"report": report.id, "kind": kind, "version": report.version,
                  "sha256": report.sha256}  # fmt: skip
        url = f"/admin/businesses/{business_id}#reports"
        return Done("report.issue", f"business {business_id}", url, notice, detail)

    return staff_action(request, staff, make, refusal(request, staff, business_id))


@router.get("/reports/{report}", response_model=None)
def report_version(request: Request, report: str, staff: Viewer) -> Response:
    """One issued version exactly as it was issued: `/reports/12` or `/reports/12.pdf`."""
    number, dot, extension = report.partition(".")
    if (
        not number.isascii()
        or not number.isdigit()
        or len(number) > 9
        or (dot and extension != "pdf")
    ):
        raise HTTPException(404)
    with runtime_of(request).store.transaction() as session:
        found = session.get(Report, int(number))
        if found is None:
            raise HTTPException(404)
        name = f"{found.kind.replace('_', '-')}-{found.business_id}-v{found.version}"
        return document_response(None if dot else found.html, found.pdf if dot else None, name)
