"""Which domain function carries out each kind of `Effect` a flow returns.

Each domain module registers the function that carries out its effects with `@handles`, so
adding a feature never edits a central switch; importing `bot.domain` imports every module.
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
    """Register the decorated function as the one that carries out `effect_type`."""

    def register(handler: Handler) -> Handler:
        _HANDLERS[effect_type] = handler
        return handler

    return register


def apply_effect(session: Session, contact: Contact, effect: Effect, now: datetime) -> None:
    """Carry out one effect for the contact in the caller's transaction.

    Raises LookupError when no domain module handles this kind of effect (a bug).
    """
    handler = _HANDLERS.get(type(effect))
    if handler is None:
        raise LookupError(f"no domain handler for {effect!r}")
    handler(session, contact, effect, now)
