"""The address a leader opens a report with: `GET /r/{token}`, no login. The token opens that
one issued document until it expires; every opening is recorded. Providers that attach the
document (WhatsApp through Twilio, Telegram) fetch it from here too."""

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from bot.domain.errors import NotFound
from bot.domain.reports import LinkExpired, open_link
from bot.runtime import Runtime

router = APIRouter()
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'",
}


@router.api_route("/r/{token}", methods=["GET", "HEAD"], response_model=None)
def open_report(request: Request, token: str) -> Response:
    """The PDF (200), a plain "expired" page (410) or a plain 404 for anything else."""
    runtime: Runtime = request.app.state.runtime
    try:
        with runtime.store.transaction() as session:
            report = open_link(session, token, runtime.clock.now())
            pdf, version, kind = report.pdf, report.version, report.kind
    except LinkExpired:
        return PlainTextResponse(
            "This link has expired. Ask the programme team for a new one.",
            status_code=410,
            headers=HEADERS,
        )
    except NotFound:
        return PlainTextResponse("Not found.", status_code=404, headers=HEADERS)
    name = f"{kind.replace('_', '-')}-v{version}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={**HEADERS, "Content-Disposition": f'inline; filename="{name}"'},
    )
