"""Provider rate limits held across every sender process, through one database row per lane.

A sender reserves the lane's next free moment with one atomic UPDATE (the row lock makes two
processes take different moments), waits for it, then sends. Moments are spaced a little wider
than the limit (SLACK), and a sender that wakes too late for its moment takes a fresh one
rather than crowd the next second, so however processes interleave, no one-second window
holds more than the limit.
"""

import time
from collections.abc import Callable

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.models import SendLane

# 3% wider spacing leaves 30 ms a second for a send to reach the provider late without
# crowding a window: 10 ms for waking up, the rest for the network.
SLACK = 0.03
LATE_SECONDS = 0.01


_lanes = SendLane.__table__
# The lane's next free moment moved on by `step` from itself or from now, whichever is later;
# built once, as every hand-over runs it.
_RESERVE = (
    update(_lanes)
    .where(_lanes.c.key == bindparam("lane"))
    .values(
        next_at=case(
            (_lanes.c.next_at > bindparam("now"), _lanes.c.next_at), else_=bindparam("now")
        )
        + bindparam("step")
    )
    .returning(_lanes.c.next_at)
)


class Pacer:
    def __init__(
        self,
        now: Callable[[], float] = time.time,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self._now = now
        self._sleep = sleep

    def open_lane(self, session: Session, lane: str) -> None:
        """Make sure the lane's row exists; two senders may race to create it."""
        if session.get(SendLane, lane) is not None:
            return
        try:
            with session.begin_nested():
                session.add(SendLane(key=lane, next_at=0.0))
        except IntegrityError:
            pass  # another sender created it first

    def wait_ahead(self, session: Session, lane: str) -> float:
        """Seconds until the lane's next free moment (long after a provider's 429)."""
        next_at = session.scalar(select(SendLane.next_at).where(SendLane.key == lane))
        return max(0.0, (next_at or 0.0) - self._now())

    def reserve(
        self,
        session: Session,
        lane: str,
        per_second: float,
        lead_seconds: float = 0.0,
        count: int = 1,
    ) -> list[float]:
        """The next `count` wall-clock moments this sender may send on the lane; nobody else
        gets them.

        Run it last in the caller's transaction: the lane stays locked until the commit. The
        lead is how long the commit is expected to take, so no moment is missed by then.
        """
        spacing = 1.0 / (per_second * (1.0 - SLACK))
        now = self._now() + lead_seconds
        parameters = {"lane": lane, "now": now, "step": count * spacing}
        next_at = session.connection().execute(_RESERVE, parameters).scalar()
        if next_at is None:
            session.add(SendLane(key=lane, next_at=now + count * spacing))
            first = now
        else:
            first = next_at - count * spacing
        return [first + index * spacing for index in range(count)]

    def wait_for(self, slot: float) -> bool:
        """Sleep until the moment; False if it was already missed by more than LATE_SECONDS."""
        delay = slot - self._now()
        if delay > 0:
            self._sleep(delay)
        return self._now() - slot <= LATE_SECONDS

    def hold(self, session: Session, lane: str, seconds: float) -> None:
        """Nobody sends on the lane for a while: the provider said it is overloaded (429)."""
        until = self._now() + seconds
        session.execute(
            update(SendLane)
            .where(SendLane.key == lane, SendLane.next_at < until)
            .values(next_at=until)
            .execution_options(synchronize_session=False)
        )
