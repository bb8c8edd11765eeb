"""Domain changes shared by the bot and the console; each runs inside the caller's transaction.

Flows describe changes as `Effect` values; each domain module registers the function that
carries out its effects with `@handles`, so adding a feature never edits a central switch.
"""

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from bot.models import Contact
from flows.core import Effect

E = TypeVar("E", bound=Effect)
Handler = Callable[[Session, Contact, E, datetime], None]
_HANDLERS: dict[type[Effect], Handler] = {}


def handles(effect_type: type[E]) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _HANDLERS[effect_type] = handler
        return handler

    return register


def apply_effect(session: Session, contact: Contact, effect: Effect, now: datetime) -> None:
    _load_domain_modules()
    handler = _HANDLERS.get(type(effect))
    if handler is None:
        raise ValueError(f"no domain handler for {effect!r}")
    handler(session, contact, effect, now)


def _load_domain_modules() -> None:
    """Importing a domain module registers its handlers."""
    from bot.domain import (  # noqa: F401
        actions,
        assessments,
        business,
        supply,
        surveys,
        training,
    )
