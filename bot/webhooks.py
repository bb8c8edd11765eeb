"""The providers' webhooks: check who is calling, translate, hand over to the engine.

Whatever arrives, the answer is a short 4xx reason and nothing stored, or the message is
handled once; never a 500. If the store is down the answer is 503, so the provider retries.
Replies never go in the webhook's answer: they are outbox rows, sent by the sender.
"""

import hmac
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.datastructures import ImmutableMultiDict
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.channels import telegram, twilio
from bot.domain.delivery import record_report
from bot.runtime import Runtime

MAX_BODY_BYTES = 64 * 1024
MAX_FORM_FIELDS = 200
T = TypeVar("T")

router = APIRouter(prefix="/webhooks")


@router.post("/twilio")
async def twilio_message(request: Request) -> Response:
    """An SMS or WhatsApp message. Answered with empty TwiML: the reply goes via the outbox."""
    runtime = _runtime(request)
    form = await _twilio_form(request, runtime)
    try:
        inbound = twilio.inbound_from_form(form)
    except twilio.BadPayload as error:
        raise HTTPException(400, str(error)) from None
    await _with_store(runtime.engine.handle, inbound)
    return Response(str(MessagingResponse()), media_type="application/xml")


@router.post("/twilio/status")
async def twilio_status(request: Request) -> Response:
    """A delivery report for a message we sent: its status and error code, on its row."""
    runtime = _runtime(request)
    form = await _twilio_form(request, runtime)
    try:
        report = twilio.status_from_form(form, request.query_params)
    except twilio.BadPayload as error:
        raise HTTPException(400, str(error)) from None

    def record() -> bool:
        with runtime.store.transaction() as session:
            return record_report(session, report, runtime.clock.now())

    await _with_store(record)
    return Response(status_code=204)


@router.post("/telegram")
async def telegram_update(request: Request) -> Response:
    """A Telegram update. A button press is acknowledged in the answer itself (Telegram runs
    a method given in a webhook's answer), which stops the button's spinner."""
    runtime = _runtime(request)
    settings = runtime.settings
    if not telegram.webhook_is_on(settings):
        raise HTTPException(404, "Telegram is off: set TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET")
    given = request.headers.get("x-telegram-bot-api-secret-token", "").encode("latin-1")
    if not hmac.compare_digest(given, settings.telegram_webhook_secret.encode("utf-8")):
        raise HTTPException(403, "wrong or missing secret token")
    _require_content_type(request, "application/json")
    body = await _capped_body(request)
    try:
        received = telegram.parse_body(body)
    except telegram.BadUpdate as error:
        raise HTTPException(400, str(error)) from None
    if received.inbound is not None:
        await _with_store(runtime.engine.handle, received.inbound)
    if received.callback_query_id is not None:
        answer = {"method": "answerCallbackQuery", "callback_query_id": received.callback_query_id}
        return JSONResponse(answer)
    return JSONResponse({})


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def _twilio_form(request: Request, runtime: Runtime) -> ImmutableMultiDict[str, str]:
    """The form, only if Twilio signed it for our public URL (so it works behind a proxy)."""
    settings = runtime.settings
    if not twilio.is_on(settings):
        raise HTTPException(404, "Twilio is off: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
    _require_content_type(request, "application/x-www-form-urlencoded")
    body = await _capped_body(request)
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=MAX_FORM_FIELDS,
            errors="strict",
        )
    except ValueError:  # also UnicodeDecodeError: not UTF-8
        raise HTTPException(400, "body is not a UTF-8 form") from None
    form = ImmutableMultiDict(pairs)
    url = settings.public_base_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    signature = request.headers.get("x-twilio-signature", "")
    validator = RequestValidator(settings.twilio_auth_token)
    if not signature or not validator.validate(url, form, signature):
        raise HTTPException(403, "missing or wrong X-Twilio-Signature")
    return form


def _require_content_type(request: Request, expected: str) -> None:
    given = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if given != expected:
        raise HTTPException(415, f"expected {expected}")


async def _capped_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(413, f"body over {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(413, f"body over {MAX_BODY_BYTES} bytes")
    return bytes(body)


async def _with_store(work: Callable[..., T], *args: object) -> T:
    """Run database work off the event loop; a store that is down is a 503, to be retried."""
    try:
        return await run_in_threadpool(work, *args)
    except (DBAPIError, PoolTimeout):
        raise HTTPException(503, "the store is unavailable; try again") from None
