"""Chat with the bot in the browser as any test phone, to train staff and try flows."""

import uuid
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from admin.auth import Staff, runtime_of
from admin.deps import Form, Worker
from admin.forms import Fields
from admin.threads import interleaved
from admin.web import page
from bot.capabilities import channel_label
from bot.channels.provider import Inbound
from bot.channels.simulator import CHANNEL, take_pending
from bot.models import Contact, InboundMessage, OutboundMessage
from bot.phones import to_e164

router = APIRouter()
MAX_TEXT = 1600
SHOWN = 60


def _transcript(request: Request, address: str) -> list[tuple[str, object]]:
    """The simulated phone's recent messages, oldest first, as ('in'|'out', row)."""
    with runtime_of(request).store.transaction() as session:
        contact = session.scalar(select(Contact).where(Contact.address == address))
        if contact is None:
            return []
        inbound = session.scalars(
            select(InboundMessage)
            .where(InboundMessage.contact_id == contact.id, InboundMessage.channel == CHANNEL)
            .order_by(InboundMessage.id.desc())
            .limit(SHOWN)
        ).all()
        outbound = session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.address == address, OutboundMessage.channel == CHANNEL)
            .order_by(OutboundMessage.id.desc())
            .limit(SHOWN)
        ).all()
    rows = {("in", row.id): row for row in inbound} | {("out", row.id): row for row in outbound}
    order = interleaved(
        [(row.id, row.received_at) for row in inbound],
        [(row.id, row.created_at, row.inbound_id) for row in outbound],
    )
    return [(direction, rows[direction, row_id]) for direction, row_id in order[-SHOWN:]]


def _page(
    request: Request, staff: Staff, phone: str, status_code: int = 200, **context: object
) -> HTMLResponse:
    address = to_e164(phone) if phone else None
    return page(
        request,
        "simulator.html",
        staff,
        status_code=status_code,
        section="simulator",
        phone=address or phone,
        transcript=_transcript(request, address) if address else [],
        max_text=MAX_TEXT,
        **context,
    )


@router.get("/simulator")
def simulator(request: Request, staff: Worker, phone: str = "") -> HTMLResponse:
    return _page(request, staff, phone.strip()[:64])


@router.post("/simulator", response_model=None)
def send(request: Request, staff: Worker, form: Form) -> HTMLResponse | RedirectResponse:
    runtime = runtime_of(request)
    fields = Fields(form)
    phone = fields.text("phone", "Phone number", 64)
    text = fields.text("text", "Message", MAX_TEXT, required=False)
    address = to_e164(phone) if phone else None
    if phone and address is None:
        fields.errors.append(f"'{phone}' is not a phone number; use the +E.164 form.")
    if address:
        with runtime.store.transaction() as session:
            real = session.scalar(
                select(Contact.channel).where(
                    Contact.address == address, Contact.channel != CHANNEL
                )
            )
        if real:
            fields.errors.append(
                f"{address} is a real contact on {channel_label(real)}; use a test number for the "
                "simulator."
            )
    if fields.errors:
        return _page(request, staff, phone[:64], 400, errors=fields.errors, typed_text=text)
    assert address is not None
    runtime.engine.handle(Inbound(CHANNEL, address, f"console-{uuid.uuid4().hex}", text))
    take_pending(runtime.store, address, runtime.clock.now())
    # The page opens at the newest message, where the reply just sent is.
    return RedirectResponse(f"/admin/simulator?phone={quote(address)}#newest", status_code=303)
