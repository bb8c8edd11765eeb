"""Broadcasts: compose a message per language (English is the fallback), choose a segment,
preview who gets it and what it costs in SMS, schedule it, and follow its delivery."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.auth import Staff, runtime_of
from admin.changes import Done, staff_action
from admin.charts import horizontal_bars
from admin.deps import Form, Id, Viewer, Worker
from admin.forms import Fields
from admin.pickers import business_choices
from admin.programme import LANGUAGE_NAMES, STAGE_LABELS
from admin.times import for_input, shown
from admin.waiting import explain
from admin.web import page
from bot.capabilities import channel_label, written_channels
from bot.channels.registry import configured_lanes
from bot.channels.twilio import SERVICE_WINDOW
from bot.domain.broadcast_delivery import (
    PAGE_SIZE,
    STATUS_FILTERS,
    Waiting,
    outside_window,
    recipient_counts,
    recipients_page,
    waiting_reasons,
)
from bot.domain.broadcasts import (
    MAX_TEXT,
    BroadcastError,
    Progress,
    Segment,
    broadcast_progress,
    cancel_broadcast,
    create_broadcast,
    preview,
    segment_of,
)
from bot.domain.stage import STAGES
from bot.models import Broadcast, Business, StaffUser
from messages import LANGUAGES
from messages.countries import country_name

router = APIRouter()
# A sending time this far in the past is a mistyped date, not "now": it is refused rather than
# sent to everyone at once (a form opened a few minutes ago still goes).
PAST_GRACE = timedelta(minutes=10)
# Each supported language's name in English, from Babel's locale data.
MAIN_STATUSES = ("queued", "sent", "delivered", "failed")
SHOWN = 100
# The recipients' status filters as staff read them.
STATUS_WORDS = {
    "waiting": "Waiting",
    "sent": "Sent",
    "delivered": "Delivered",
    "failed": "Failed",
    "opted_out": "Opted out",
    "cancelled": "Cancelled",
}
# While a broadcast is being sent its page reloads itself this often (seconds); one due
# within REFRESH_AHEAD counts as being sent.
REFRESH_SECONDS = 5
REFRESH_AHEAD = timedelta(minutes=10)


@dataclass(frozen=True)
class Choices:
    """What the segment's pickers offer: the businesses' countries and the businesses."""

    countries: list[tuple[str, str]]  # (ISO code, English name), by name
    businesses: list[tuple[int, str]]  # (id, label), admin.pickers.business_choices

    def business_ids(self) -> set[str]:
        return {str(id_) for id_, _ in self.businesses}


def _choices(request: Request) -> Choices:
    with runtime_of(request).store.transaction() as session:
        codes = session.scalars(select(Business.country).distinct()).all()
        businesses = business_choices(session)
    countries = sorted(((code, country_name(code, "en")) for code in codes), key=lambda c: c[1])
    return Choices(countries, businesses)


def _compose(
    request: Request, staff: Staff, status_code: int = 200, **context: object
) -> HTMLResponse:
    context.setdefault("typed", {"texts": {}, "segment": {}, "send_at": ""})
    context.setdefault("preview", None)
    choices = _choices(request)
    return page(
        request,
        "broadcast_new.html",
        staff,
        status_code=status_code,
        section="broadcasts",
        languages=[(code, LANGUAGE_NAMES.get(code, code)) for code in LANGUAGES],
        stages=[(code, STAGE_LABELS.get(code, code)) for code in STAGES],
        channels=[(name, channel_label(name)) for name in written_channels()],
        countries=choices.countries,
        businesses=choices.businesses,
        max_text=MAX_TEXT,
        now=runtime_of(request).clock.now(),
        earliest=for_input(runtime_of(request).clock.now(), staff.time_zone),
        **context,
    )


def _read(
    form: Fields, choices: Choices, zone_name: str
) -> tuple[dict[str, str], Segment | None, object]:
    """The texts, the segment and the sending time (typed in `zone_name`, read as UTC) from
    the compose form."""
    countries = [code for code, _ in choices.countries]
    ids = choices.business_ids()
    texts = {code: form.text(f"text_{code}", LANGUAGE_NAMES[code], MAX_TEXT, code == "en")
             for code in LANGUAGES}  # fmt: skip
    chosen = {
        "countries": form.picked("countries", "Countries", countries),
        "stages": form.picked("stages", "Stages", STAGES),
        "languages": form.picked("languages", "Languages", LANGUAGES),
        "channels": form.picked("channels", "Channels", written_channels()),
        "overdue": form.raw("overdue") == "yes",
        "business_ids": [int(value) for value in form.picked("business_ids", "Businesses", ids)],
    }
    typed_at = form.raw("send_at").strip()
    send_at = form.moment("send_at", "Sending time", zone_name) if typed_at else None
    segment = None
    if not form.errors:
        try:
            segment = segment_of(chosen)
        except BroadcastError as error:  # more businesses ticked than a segment holds
            form.errors.append(str(error))
    return texts, segment, send_at


def _typed(form: Fields) -> dict[str, object]:
    return {
        "texts": {code: form.raw(f"text_{code}")[: MAX_TEXT * 2] for code in LANGUAGES},
        "segment": {
            name: [v for v in form.form.getlist(name) if isinstance(v, str)]
            for name in ("countries", "stages", "languages", "channels", "business_ids")
        }
        | {"overdue": form.raw("overdue") == "yes"},
        "send_at": form.raw("send_at")[:40],
    }


@router.get("/broadcasts")
def broadcasts(request: Request, staff: Viewer) -> HTMLResponse:
    with runtime_of(request).store.transaction() as session:
        rows = session.execute(
            select(Broadcast, StaffUser.email)
            .outerjoin(StaffUser, StaffUser.id == Broadcast.created_by)
            .order_by(Broadcast.send_at.desc(), Broadcast.id.desc())
            .limit(SHOWN)
        ).all()
        listed = [(b, email, broadcast_progress(session, b.id)) for b, email in rows]
    return page(request, "broadcasts.html", staff, section="broadcasts", listed=listed)


@router.get("/broadcasts/new")
def compose(request: Request, staff: Worker) -> HTMLResponse:
    return _compose(request, staff)


@router.post("/broadcasts/preview")
def preview_broadcast(request: Request, staff: Worker, form: Form) -> HTMLResponse:
    """Nothing is saved: the form comes back with the recipients and SMS parts per language."""
    runtime = runtime_of(request)
    fields = Fields(form)
    texts, segment, _ = _read(fields, _choices(request), staff.time_zone)
    if fields.errors or segment is None:
        return _compose(request, staff, 400, errors=fields.errors, typed=_typed(fields))
    try:
        with runtime.store.transaction() as session:
            seen = preview(session, texts, segment, runtime.clock.now())
    except BroadcastError as error:
        return _compose(request, staff, 400, errors=[str(error)], typed=_typed(fields))
    return _compose(request, staff, typed=_typed(fields), preview=seen)


@router.post("/broadcasts", response_model=None)
def schedule(request: Request, staff: Worker, form: Form) -> Response:
    fields = Fields(form)
    texts, segment, send_at = _read(fields, _choices(request), staff.time_zone)
    passed = runtime_of(request).clock.now() - PAST_GRACE
    if isinstance(send_at, datetime) and send_at < passed:
        when = shown(send_at, staff.time_zone)
        fields.errors.append(f"The sending time {when} has passed; leave it empty to send now.")
    if fields.errors or segment is None:
        return _compose(request, staff, 400, errors=fields.errors, typed=_typed(fields))
    assert send_at is None or isinstance(send_at, datetime)

    def schedule_it(session: Session, now: datetime) -> Done:
        broadcast = create_broadcast(session, texts, segment, send_at, now, staff.id)
        detail = {
            "send_at": broadcast.send_at.isoformat(),
            "segment": broadcast.segment,
            "languages": sorted(broadcast.texts),
        }
        notice = f"Broadcast scheduled for {shown(broadcast.send_at, staff.time_zone)}."
        target, url = f"broadcast {broadcast.id}", f"/admin/broadcasts/{broadcast.id}"
        return Done("broadcast.schedule", target, url, notice, detail)

    def refused(error: str) -> HTMLResponse:
        return _compose(request, staff, 400, errors=[error], typed=_typed(fields))

    return staff_action(request, staff, schedule_it, refused)


def _filters(status: str, number: str) -> tuple[str | None, int, list[str]]:
    """The recipients' status filter and page number from the address, with what was wrong."""
    errors = []
    chosen = status.strip() or None
    if chosen is not None and chosen not in STATUS_FILTERS:
        errors.append(f"Choose a status from the list: {', '.join(STATUS_WORDS.values())}.")
        chosen = None
    page_number = 1
    if number.strip():
        digits = number.strip()
        if digits.isascii() and digits.isdigit() and len(digits) <= 7 and int(digits) >= 1:
            page_number = int(digits)
        else:
            errors.append("The page is a whole number, 1 or more.")
    return chosen, page_number, errors


def _sending(
    state: Progress,
    broadcast: Broadcast,
    reasons: list[Waiting],
    rates: dict[str, float],
    now: datetime,
) -> bool:
    """Whether the page should refresh itself: queueing, due within minutes, or something
    waits that will move without anyone doing anything (not a simulator phone's message, nor
    one on a channel this server does not send through)."""
    soon = broadcast.status == "scheduled" and broadcast.send_at <= now + REFRESH_AHEAD
    stuck = ("on_next_chat",)
    moving = any(
        entry.reason not in stuck and (entry.reason != "in_line" or entry.channel in rates)
        for entry in reasons
    )
    return state.status == "queueing" or soon or moving


@router.get("/broadcasts/{broadcast_id}")
def progress(
    request: Request,
    broadcast_id: Id,
    staff: Viewer,
    status: str = "",
    number: Annotated[str, Query(alias="page")] = "",
) -> HTMLResponse:
    """The broadcast's progress: counts per delivery status, why what is unsent waits, and its
    recipients a page at a time, filtered by `status` (a key of STATUS_FILTERS); the page
    refreshes itself while the broadcast is being sent."""
    runtime = runtime_of(request)
    now = runtime.clock.now()
    chosen, page_number, errors = _filters(status, number)
    with runtime.store.transaction() as session:
        broadcast = session.get(Broadcast, broadcast_id)
        if broadcast is None:
            raise HTTPException(404)
        state = broadcast_progress(session, broadcast_id)
        author = session.get(StaffUser, broadcast.created_by) if broadcast.created_by else None
        counts = recipient_counts(session, broadcast_id)
        pages = max(1, -(-counts[chosen or "all"] // PAGE_SIZE))
        if page_number > pages:
            errors.append(f"There {'is' if pages == 1 else 'are'} only {pages} page(s); "
                          f"showing page {pages}.")  # fmt: skip
            page_number = pages
        listed, _ = recipients_page(session, broadcast_id, chosen, page_number)
        reasons = waiting_reasons(session, broadcast_id, now)
        templated = outside_window(session, broadcast_id, now, SERVICE_WINDOW)
    rates: dict[str, float] = {}
    for lane in configured_lanes(runtime.settings):
        rates[lane.channel] = rates.get(lane.channel, 0) + lane.per_second
    statuses = list(dict.fromkeys([*MAIN_STATUSES, *sorted(state.counts)]))
    chart = horizontal_bars(
        "Messages by delivery status", [(s, state.counts.get(s, 0)) for s in statuses]
    )
    return page(
        request,
        "broadcast.html",
        staff,
        section="broadcasts",
        errors=errors,
        broadcast=broadcast,
        state=state,
        author=author.email if author else "—",
        chart=chart,
        language_names=LANGUAGE_NAMES,
        stage_names=STAGE_LABELS,
        counts=counts,
        status_words=STATUS_WORDS,
        chosen=chosen,
        recipients=listed,
        page_number=page_number,
        pages=pages,
        waiting=explain(reasons, rates, templated, SERVICE_WINDOW, staff.time_zone),
        refresh=REFRESH_SECONDS if _sending(state, broadcast, reasons, rates, now) else None,
    )


@router.post("/broadcasts/{broadcast_id}/cancel", response_model=None)
def cancel(request: Request, broadcast_id: Id, staff: Worker) -> Response:

    def cancel_it(session: Session, now: datetime) -> Done:
        cancel_broadcast(session, broadcast_id, now)
        target, url = f"broadcast {broadcast_id}", f"/admin/broadcasts/{broadcast_id}"
        return Done("broadcast.cancel", target, url, "Broadcast cancelled.")

    return staff_action(request, staff, cancel_it)
