"""The missed-call call-back: a worker rings the survey number, the call is refused unanswered
(so it costs her nothing) and she is called back through a paced lane of its own."""

from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain.effects import handles
from bot.domain.notify import queue_callback
from bot.models import Contact
from flows.call import CallBack


@handles(CallBack)
def call_back(session: Session, contact: Contact, _: CallBack, now: datetime) -> None:
    """Queue the call-back (at most one an hour for a number; see `queue_callback`)."""
    queue_callback(session, contact, now)
