"""A business's seal in the console: its QR code for product tags (SVG and PNG, made with
segno) pointing at the public verification page, and revoking it with a reason."""

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from admin.auth import runtime_of
from admin.changes import Done, staff_action
from admin.deps import Form, Id, Viewer, Worker
from admin.forms import Fields
from admin.pages.business import refusal
from bot.domain.seals import MAX_REASON, current_seal, revoke_seal, seal_url
from bot.qr import qr_png, qr_svg

router = APIRouter()


def _url(request: Request, business_id: int) -> str:
    """The public verification URL of the business's latest seal; 404 when it has none."""
    runtime = runtime_of(request)
    with runtime.store.transaction() as session:
        seal = current_seal(session, business_id)
        if seal is None:
            raise HTTPException(404)
        return seal_url(runtime.settings.public_base_url, seal.code)


@router.get("/businesses/{business_id}/seal.svg")
def seal_svg(request: Request, business_id: Id, staff: Viewer) -> Response:
    """The seal's QR code as SVG, for printing on product tags."""
    return Response(qr_svg(_url(request, business_id)), media_type="image/svg+xml")


@router.get("/businesses/{business_id}/seal.png")
def seal_png(request: Request, business_id: Id, staff: Viewer) -> Response:
    """The seal's QR code as PNG, for printing on product tags."""
    headers = {"content-disposition": f'attachment; filename="seal-{business_id}.png"'}
    return Response(qr_png(_url(request, business_id)), media_type="image/png", headers=headers)


@router.post("/businesses/{business_id}/seal/revoke", response_model=None)
def revoke(request: Request, business_id: Id, staff: Worker, form: Form) -> Response:
    """Revoke the business's active seal with a reason; the leader is told."""
    fields = Fields(form)
    reason = fields.text("reason", "The reason", MAX_REASON)
    typed = {"reason": reason}
    if fields.errors:
        return refusal(request, staff, business_id, typed)(" ".join(fields.errors))

    def change(session: Session, now: datetime) -> Done:
        seal = revoke_seal(session, business_id, reason, now)
        url = f"/admin/businesses/{business_id}#seal-record"
        notice = f"Seal {seal.number} is revoked; the leader is told."
        return Done("seal.revoke", f"business {business_id}", url, notice, {"reason": reason})

    return staff_action(request, staff, change, refusal(request, staff, business_id, typed))
