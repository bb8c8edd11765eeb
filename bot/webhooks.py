"""The providers' webhooks: one route per webhook a registered channel declares.

The channel checks who is calling and translates (bot/channels/*); this shared machinery caps
the body, checks its type, hands messages to the engine and delivery reports to their rows,
and answers as the channel says. Whatever arrives, the answer is a short 4xx reason and nothing
stored, or the message is handled once; never a 500. If the store is down the answer is 503, so
the provider retries. Replies go through the outbox, unless the channel answers in the
webhook's own response.
"""

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.channels.provider import DeliveryReport, Refused, Webhook, WebhookCall
from bot.channels.registry import webhooks
from bot.delivery import record
from bot.runtime import Runtime
from bot.settings import Settings
from messages.render import Rendered

MAX_BODY_BYTES = 64 * 1024
T = TypeVar("T")


def webhook_router(declared: Sequence[Webhook]) -> APIRouter:
    """A POST route under /webhooks for each webhook declared."""
    router = APIRouter(prefix="/webhooks")
    for webhook in declared:
        router.add_api_route(
            webhook.path, _endpoint(webhook), methods=["POST"], name=f"webhook {webhook.path}"
        )
    return router


def _endpoint(webhook: Webhook) -> Callable[[Request], Awaitable[Response]]:
    async def receive(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        settings = runtime.settings
        headers = {name.lower(): value for name, value in request.headers.items()}
        try:
            reason = webhook.off(settings)
            if reason is not None:
                raise Refused(404, reason)
            webhook.check_headers(headers, settings)
            _require_content_type(request, webhook.content_type)
            body = await _capped_body(request)
            call = WebhookCall(_public_url(settings, request), headers, request.query_params, body)
            arrival = webhook.read(call, settings)
        except Refused as refused:
            raise HTTPException(refused.status, refused.reason) from None
        replies: Sequence[Rendered] = ()
        if arrival.inbound is not None:
            replies = (await _with_store(runtime.engine.handle, arrival.inbound)).replies
        if arrival.report is not None:
            await _with_store(_record, runtime, arrival.report)
        answer = arrival.answer(replies)
        return Response(answer.body, answer.status, media_type=answer.media_type)

    return receive


def _record(runtime: Runtime, report: DeliveryReport) -> bool:
    with runtime.store.transaction() as session:
        return record(session, report, runtime.clock.now())


def _public_url(settings: Settings, request: Request) -> str:
    """The address the provider called, as it signed it: our public URL, not what the app sees
    behind a proxy."""
    url = settings.public_base_url.rstrip("/") + request.url.path
    return url + ("?" + request.url.query if request.url.query else "")


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


router = webhook_router(webhooks())
