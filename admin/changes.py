"""Staff actions: one transaction, the domain call, its audit entry, then a redirect with a
notice. This is where the console maps what the domain refuses (bot.domain.errors)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from admin.audit import record
from admin.auth import Staff, runtime_of
from admin.web import done
from bot.domain.errors import DomainError, NotFound


@dataclass(frozen=True)
class Done:
    """What a staff action did: the audit entry to write, then where to go and what to say."""

    action: str
    target: str
    url: str
    notice: str
    detail: Mapping[str, Any] = field(default_factory=dict)


def staff_action(
    request: Request,
    staff: Staff,
    change: Callable[[Session, datetime], Done],
    refused: Callable[[str], Response] | None = None,
) -> Response:
    """Run `change` (the domain call) and write its audit entry in one transaction, then
    redirect with its notice, so reloading the page does not repeat it.

    When the domain refuses (a DomainError), nothing is saved: `refused` shows the page again
    with the message, or without it the answer is 404 for something that does not exist.
    Any other exception is a bug and propagates.
    """
    runtime = runtime_of(request)
    now = runtime.clock.now()
    try:
        with runtime.store.transaction() as session:
            outcome = change(session, now)
            record(session, staff, outcome.action, outcome.target, now, **outcome.detail)
    except DomainError as error:
        if refused is not None:
            return refused(str(error))
        if isinstance(error, NotFound):
            raise HTTPException(404) from None
        raise
    return done(request, outcome.url, outcome.notice)
