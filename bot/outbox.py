"""The sender: hands due outbox rows to their provider, at the provider's pace, each once.

A row goes queued -> claimed -> sending -> sent, then delivery reports move it on.

- Claims come in batches, committed before anything is sent. On PostgreSQL
  `FOR UPDATE SKIP LOCKED` gives concurrent senders disjoint batches; on SQLite the single
  writer lock does the same. A claim is a lease: if its sender dies, the rows go back to the
  queue when the lease ends, and a sender that stops cleanly gives them back at once.
- Just before its turn, one commit records how the previous send ended, moves the next row
  from claimed to sending (only if this sender still holds the claim) and reserves its paced
  moment. Then the wait for that moment, and the call. A sender keeps one connection while it
  drains a lane.
- A crash after that commit leaves the row in `sending`: the provider may or may not have
  taken it, and cannot be asked. Once its lease is over it becomes `unknown` and is never
  resent. We choose a possibly missing message over a duplicate: a person who gets a question
  twice answers it twice, and a broadcast sent twice is paid twice. Only the one message in
  the provider's hands is ever exposed. A message that did leave through Twilio is settled
  anyway by its delivery report, whose URL names our row.
- One person's messages leave in order and one at a time: a row waits while an earlier one to
  the same address on the same channel is queued, claimed or sending.
- Pacing is shared through the database (bot.pacing), so it holds across processes.
"""

import contextlib
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Select, and_, exists, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, aliased

from bot.channels.provider import Accepted, Failed, Lane, Outgoing, Result, Retry, Unknown
from bot.clock import Clock
from bot.db import Store
from bot.domain.business import opt_out
from bot.domain.delivery import advance
from bot.models import Contact, OutboundMessage
from bot.pacing import Pacer
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.runtime import Runtime

ACTIVE = ("queued", "claimed", "sending")
MAX_BATCH = 50
MAX_LEAD = 0.1
MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(minutes=30)


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... up to 30 min: ten attempts span about three hours."""
    return min(FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 16), LONGEST_RETRY)


class Sender:
    """One per process. Its token marks the rows it holds; only the holder may send a row."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        stopping: threading.Event | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self.token = uuid.uuid4().hex
        self.lease = timedelta(seconds=settings.outbox_lease_seconds)
        self.stopping = stopping or threading.Event()
        self.pacer = Pacer(sleep=self.stopping.wait)  # a stop cuts a wait short
        self._lanes: list[Lane] | None = None
        self._lanes_lock = threading.Lock()
        # How long a hand-over takes to commit, smoothed: moments are reserved that far ahead.
        self._commit_seconds = 0.0

    def lanes(self) -> list[Lane]:
        with self._lanes_lock:
            if self._lanes is None:
                from bot.channels.lanes import configured_lanes

                self._lanes = configured_lanes(self.settings)
            return self._lanes

    def send_due(self, channel: str | None = None) -> int:
        """Send what is due on every channel that is on (or on one); returns how many the
        providers accepted. Runs until nothing is due or the process is stopping."""
        accepted = 0
        for lane in self.lanes():
            if channel in (None, lane.channel):
                # A drain leaves a person's next message for after the one in flight is
                # recorded; go again while that uncovers more.
                while not self.stopping.is_set() and (sent := self._drain(lane)):
                    accepted += sent
        return accepted

    def close(self) -> None:
        """Give back unsent claims so the next sender need not wait for the lease."""
        self.stopping.set()
        with self._lanes_lock:
            lanes, self._lanes = self._lanes or [], []
        try:
            with self.store.engine.connect() as connection, transaction(connection) as session:
                self._release(session)
        except SQLAlchemyError:
            pass  # the store is gone: the claims come back when their lease ends
        for provider in {id(lane.provider): lane.provider for lane in lanes}.values():
            provider.close()

    def _drain(self, lane: Lane) -> int:
        accepted = 0
        with self.store.engine.connect() as connection:
            with transaction(connection) as session:
                self._recover(session, lane.channel)
                self.pacer.open_lane(session, lane.key)
                held = self.pacer.wait_ahead(session, lane.key) > self.lease.total_seconds() / 2
            if held:
                return 0  # the provider asked for a long pause; nothing to do until it ends
            backlog: deque[Outgoing] = deque()
            done: list[tuple[int, Result]] = []
            while not self.stopping.is_set():
                handing = self._next(connection, lane, backlog, done)
                done = []
                if handing is None:
                    break
                message, moment = handing
                if not self._wait_for_turn(connection, lane, moment):
                    self._give_back(connection, message)
                    break
                result = lane.provider.send(message, self.clock.now())
                done = [(message.id, result)]
                accepted += isinstance(result, Accepted)
                if isinstance(result, Retry) and result.after_seconds:
                    break  # the provider asked us to slow down: the lane is held a while
            with transaction(connection) as session:
                self._settle(session, lane, done)
                self._release(session, lane.channel)
        return accepted

    def _next(
        self,
        connection: Connection,
        lane: Lane,
        backlog: deque[Outgoing],
        done: list[tuple[int, Result]],
    ) -> tuple[Outgoing, float] | None:
        """One commit: how the previous send ended, more claims if the backlog is empty, the
        next row marked sending and its moment on the lane; None when nothing is due."""
        with transaction(connection) as session:
            self._settle(session, lane, done)
            while True:
                if not backlog:
                    taken, claimed = self._claim(session, lane)
                    if not taken:
                        return None
                    backlog.extend(claimed)
                    continue  # all of them may have been withheld
                message = backlog.popleft()
                if self._start(session, message):
                    break
            [moment] = self.pacer.reserve(session, lane.key, lane.per_second, self._lead())
            reserved = time.monotonic()
        self._commit_seconds = 0.8 * self._commit_seconds + 0.2 * (time.monotonic() - reserved)
        return message, moment

    def _wait_for_turn(self, connection: Connection, lane: Lane, moment: float) -> bool:
        """Wait for the moment; False if the process is stopping, or the lane is held so long
        that the row's lease would lapse first. A moment missed (a slow commit, a busy CPU)
        is given up for a fresh one rather than used late, where it could crowd the next
        second."""
        for _ in range(3):
            if moment - time.time() > self.lease.total_seconds() / 2:
                return False
            if self.pacer.wait_for(moment) or self.stopping.is_set():
                break
            with transaction(connection) as session:
                [moment] = self.pacer.reserve(session, lane.key, lane.per_second, self._lead())
        return not self.stopping.is_set()

    def _give_back(self, connection: Connection, message: Outgoing) -> None:
        """A row marked sending that never left: back to the queue, not counted as an attempt."""
        with transaction(connection) as session:
            session.execute(
                update(OutboundMessage)
                .where(
                    OutboundMessage.id == message.id,
                    OutboundMessage.status == "sending",
                    OutboundMessage.claimed_by == self.token,
                )
                .values(
                    status="queued",
                    claimed_by=None,
                    attempts=OutboundMessage.attempts - 1,
                    next_attempt_at=self.clock.now(),
                )
                .execution_options(synchronize_session=False)
            )

    def _lead(self) -> float:
        return min(1.5 * self._commit_seconds + 0.002, MAX_LEAD)

    def _batch_size(self, lane: Lane) -> int:
        """No more than a quarter of the lease's worth, so a batch is sent before it lapses."""
        sendable = lane.per_second * self.lease.total_seconds() / 4
        return max(1, min(MAX_BATCH, int(sendable)))

    def _claim(self, session: Session, lane: Lane) -> tuple[int, list[Outgoing]]:
        """Rows taken off the queue, and those of them to send (the rest were withheld)."""
        now = self.clock.now()
        rows = session.scalars(claim_query(lane, now, self._batch_size(lane))).all()
        ids = {row.contact_id for row in rows if row.contact_id is not None}
        contacts = {
            contact.id: contact
            for contact in session.scalars(select(Contact).where(Contact.id.in_(ids)))
        }
        batch = []
        for row in rows:
            contact = contacts.get(row.contact_id) if row.contact_id else None
            if contact is not None and withheld(row, contact):
                row.status, row.error_code = "cancelled", "opted_out"
                row.status_updated_at = now
                continue
            row.status, row.claimed_by = "claimed", self.token
            row.next_attempt_at = now + self.lease
            batch.append(outgoing(row, contact))
        return len(rows), batch

    def _start(self, session: Session, message: Outgoing) -> bool:
        """Mark the row as being handed over, if this sender still holds it. If not, the lease
        lapsed and another sender took it, or a delivery report settled it."""
        now = self.clock.now()
        started = session.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.id == message.id,
                OutboundMessage.status == "claimed",
                OutboundMessage.claimed_by == self.token,
            )
            .values(
                status="sending",
                attempts=OutboundMessage.attempts + 1,
                next_attempt_at=now + self.lease,
            )
            .execution_options(synchronize_session=False)
        )
        return started.rowcount == 1

    def _settle(self, session: Session, lane: Lane, done: list[tuple[int, Result]]) -> None:
        if not done:
            return
        now = self.clock.now()
        rows = session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.id.in_([message_id for message_id, _ in done]))
            .with_for_update()
        )
        by_id = {row.id: row for row in rows}
        for message_id, result in done:
            row = by_id.get(message_id)
            if row is not None and row.claimed_by == self.token:
                settle(session, row, result, now)
        hold = max((r.after_seconds or 0.0 for _, r in done if isinstance(r, Retry)), default=0)
        if hold:
            self.pacer.hold(session, lane.key, hold)

    def _recover(self, session: Session, channel: str) -> None:
        """What senders that died left behind, once their lease is over: claimed rows go back
        to the queue; a row that was being sent may have left, so it is never sent again."""
        now = self.clock.now()
        session.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.channel == channel,
                OutboundMessage.status == "claimed",
                OutboundMessage.next_attempt_at <= now,
            )
            .values(status="queued", claimed_by=None)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.channel == channel,
                OutboundMessage.status == "sending",
                OutboundMessage.next_attempt_at <= now,
            )
            .values(
                status="unknown",
                error_code="interrupted",
                error_detail="the sender stopped while handing it to the provider",
                status_updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )

    def _release(self, session: Session, channel: str | None = None) -> None:
        """Claimed rows this sender will not send (on one channel, or all) back to the queue."""
        mine = [OutboundMessage.claimed_by == self.token, OutboundMessage.status == "claimed"]
        if channel is not None:
            mine.append(OutboundMessage.channel == channel)
        session.execute(
            update(OutboundMessage)
            .where(*mine)
            .values(status="queued", claimed_by=None, next_attempt_at=self.clock.now())
            .execution_options(synchronize_session=False)
        )


@contextlib.contextmanager
def transaction(connection: Connection) -> Iterator[Session]:
    """A short transaction on a connection the sender keeps: no pool checkout per message."""
    with Session(bind=connection, expire_on_commit=False) as session, session.begin():
        yield session


def claim_query(lane: Lane, now: datetime, limit: int) -> Select[tuple[OutboundMessage]]:
    """Due rows of the lane's channel, soonest due first, each the next one for its person."""
    row, earlier = OutboundMessage, aliased(OutboundMessage)
    same_person = and_(earlier.address == row.address, earlier.channel == row.channel)
    waiting = exists().where(same_person, earlier.id < row.id, earlier.status.in_(ACTIVE))
    query = select(row).where(
        row.channel == lane.channel,
        row.status == "queued",
        row.next_attempt_at <= now,
        ~waiting,
    )
    if lane.per_chat_gap_seconds:
        since = now - timedelta(seconds=lane.per_chat_gap_seconds)
        query = query.where(~exists().where(same_person, earlier.sent_at > since))
    order = (row.next_attempt_at, row.id)  # the order of ix_outbound_sendable: no sorting
    return query.order_by(*order).limit(limit).with_for_update(skip_locked=True, of=row)


def withheld(row: OutboundMessage, contact: Contact) -> bool:
    """Someone who opted out gets only the direct answer to what they wrote after it (the
    confirmation of STOP itself); nothing queued before, and no reminder or broadcast."""
    if not contact.opted_out:
        return False
    return (
        row.inbound_id is None
        or contact.opted_out_at is None
        or row.created_at < contact.opted_out_at
    )


def outgoing(row: OutboundMessage, contact: Contact | None) -> Outgoing:
    on_this_channel = contact is not None and contact.channel == row.channel
    return Outgoing(
        id=row.id,
        channel=row.channel,
        address=row.address,
        body=row.body,
        buttons=tuple((str(label), str(data)) for label, data in row.buttons),
        last_inbound_at=contact.last_inbound_at if on_this_channel and contact else None,
    )


def settle(session: Session, row: OutboundMessage, result: Result, now: datetime) -> None:
    """Write down how the hand-over ended. A delivery report may have come first: then the
    row is already further along, and only the provider's id is added."""
    in_flight = row.status in ("sending", "unknown")
    row.claimed_by = None
    row.status_updated_at = now
    if isinstance(result, Accepted):
        row.provider_id = row.provider_id or result.provider_id
        row.sent_at = row.sent_at or now
        row.sent_as = result.sent_as
        if result.template_variables:
            row.template_variables = dict(result.template_variables)
        if in_flight:
            row.error_code = row.error_detail = None
        advance(row, "sent")
        return
    if not in_flight:
        return
    row.error_code, row.error_detail = result.code, result.detail
    if isinstance(result, Retry) and row.attempts < MAX_ATTEMPTS:
        wait = max(retry_delay(row.attempts), timedelta(seconds=result.after_seconds or 0))
        row.status, row.next_attempt_at = "queued", now + wait
    elif isinstance(result, Unknown):
        row.status = "unknown"
    else:
        row.status = "failed"
        if isinstance(result, Failed) and result.opted_out and row.contact_id is not None:
            contact = session.get(Contact, row.contact_id, with_for_update=True)
            if contact is not None and not contact.opted_out:
                opt_out(contact, now)


def send_tick(runtime: "Runtime", channel: str) -> int:
    """The scheduler's job for one channel; each channel has its own, so a slow SMS queue never
    holds up Telegram."""
    return runtime.sender.send_due(channel)
