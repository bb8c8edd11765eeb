"""The sender: hands due outbox rows to their provider, at the provider's pace, each once.

A row goes queued -> claimed -> sending -> sent, then delivery reports move it on.

- Claims come in batches, committed before anything is sent, and made by a helper thread
  before the previous batch runs out. On PostgreSQL `FOR UPDATE SKIP LOCKED` gives concurrent
  senders disjoint batches; on SQLite the single writer lock does the same. A claim is a
  lease: if its sender dies, the rows go back to the queue when the lease ends, and a sender
  that stops cleanly gives them back at once.
- Just before its turn, one commit records how the previous send ended, moves the next row
  from claimed to sending (only if this sender still holds the claim) and reserves its paced
  moment. Then the wait for that moment, and the call. A sender keeps one connection while it
  drains a lane.
- A crash after that commit leaves the row in `sending`: the provider may or may not have
  taken it, and cannot be asked. Once its lease is over it becomes `unknown` and is never
  resent. We choose a possibly missing message over a duplicate: a person who gets a question
  twice answers it twice, and a broadcast sent twice is paid twice. Only one row per lane is
  ever exposed: the one being handed over. A message that did leave through Twilio is settled
  anyway by its delivery report, whose URL names our row.
- One person's messages leave in order and one at a time: a row waits while an earlier one to
  the same address on the same channel is queued, claimed or sending.
- Pacing is shared through the database (bot.pacing), so it holds across processes.
- A survey's replies (`private`) are deleted as soon as they reach a final state, and their
  bodies queued for redaction at the provider (bot.domain.notify.forget_private), so nothing
  shows how far someone got. A delivery report for a row that is gone is ignored.
"""

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, bindparam, exists, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, aliased

from bot.channels.provider import Accepted, Failed, Lane, Outgoing, Result, Retry, Unknown
from bot.channels.registry import configured_lanes
from bot.clock import Clock
from bot.db import Store
from bot.domain.business import opt_out
from bot.domain.delivery import advance
from bot.domain.notify import forget_private
from bot.models import Contact, OutboundMessage
from bot.pacing import LATE_SECONDS, Pacer
from bot.settings import Settings

ACTIVE = ("queued", "claimed", "sending")
Claimed = tuple[int, list[Outgoing]]  # rows taken off the queue; those of them to send
MAX_BATCH = 100
MAX_LEAD = 0.1
# Seconds between claims while the queue is short (see Backlog).
CLAIM_GAP = 0.025
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
        self._drains: dict[str, threading.Thread] = {}
        self._private: set[int] = set()  # ids of the claimed rows that are a survey's
        self._draining: set[str] = set()  # channels with a drain under way
        self._again: set[str] = set()  # channels woken during their drain: one more pass
        # How long a hand-over takes to commit, smoothed: moments are reserved that far ahead.
        self._commit_seconds = 0.0

    def lanes(self) -> list[Lane]:
        with self._lanes_lock:
            if self._lanes is None:
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

    def drain_in_background(self, channel: str, *, again: bool = False) -> None:
        """Start sending the channel's due rows in a thread of its own, unless that is already
        happening: a long broadcast then never overlaps the scheduler's next tick. With `again`
        (a wake-up: rows were just queued), a drain under way makes one more pass before it
        ends, so rows committed while it was finishing are not left for the next poll."""
        with self._lanes_lock:
            if self.stopping.is_set():
                return
            if channel in self._draining:
                if again:
                    self._again.add(channel)
                return
            self._draining.add(channel)
            drain = threading.Thread(
                target=self._drain_until_idle, args=(channel,), name=f"send-{channel}", daemon=True
            )
            self._drains[channel] = drain
            drain.start()

    def wake(self, channel: str) -> None:
        """Rows due now were committed on `channel`: send them at once (see
        drain_in_background); channels this process does not send are ignored."""
        if any(lane.channel == channel for lane in self.lanes()):
            self.drain_in_background(channel, again=True)

    def _drain_until_idle(self, channel: str) -> None:
        finished = False
        try:
            while not finished:
                self.send_due(channel)
                with self._lanes_lock:  # decided under the lock a wake-up takes: none is lost
                    finished = channel not in self._again or self.stopping.is_set()
                    self._again.discard(channel)
                    if finished:
                        self._draining.discard(channel)
        finally:
            if not finished:  # the store failed: the next tick or wake-up starts afresh
                with self._lanes_lock:
                    self._draining.discard(channel)
                    self._again.discard(channel)

    def close(self) -> None:
        """Finish the message in hand, then give back unsent claims so the next sender need
        not wait for the lease."""
        self.stopping.set()
        with self._lanes_lock:
            lanes, self._lanes = self._lanes or [], []
            drains = list(self._drains.values())
        for drain in drains:
            drain.join()
        try:
            with self.store.transaction() as session:
                self._release(session)
        except SQLAlchemyError:
            pass  # the store is gone: the claims come back when their lease ends
        for provider in {id(lane.provider): lane.provider for lane in lanes}.values():
            provider.close()

    def _drain(self, lane: Lane) -> int:
        accepted = 0
        claim = partial(self._claim_apart, lane)
        backlog = Backlog(claim, self._batch_size(lane), lane.channel, self.stopping.wait)
        with self.store.engine.connect() as connection, backlog:
            with self.store.transaction_on(connection) as session:
                self._recover(session, lane.channel)
                self.pacer.open_lane(session, lane.key)
                held = self.pacer.wait_ahead(session, lane.key) > self.lease.total_seconds() / 2
            if held:
                return 0  # the provider asked for a long pause; nothing to do until it ends
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
            backlog.close()
            with self.store.transaction_on(connection) as session:
                self._settle(session, lane, done)
                self._release(session, lane.channel)
        return accepted

    def _next(
        self,
        connection: Connection,
        lane: Lane,
        backlog: "Backlog",
        done: list[tuple[int, Result]],
    ) -> tuple[Outgoing, float] | None:
        """One commit: how the previous send ended, the next row marked sending and its
        moment on the lane; None when nothing is due."""
        while True:
            if done and not backlog.rows and not backlog.dry:
                # The next row needs a claim, which may wait: the last send is recorded first.
                with self.store.transaction_on(connection) as session:
                    self._settle(session, lane, done)
                done = []
            message = backlog.take()  # outside the transaction: it may wait for a claim
            with self.store.transaction_on(connection) as session:
                self._settle(session, lane, done)
                done = []
                if message is None:
                    return None
                if not self._start(session, message):
                    continue  # no longer ours; the results are committed all the same
                [moment] = self.pacer.reserve(session, lane.key, lane.per_second, self._lead())
                reserved = time.monotonic()
            elapsed = time.monotonic() - reserved
            self._commit_seconds = 0.8 * self._commit_seconds + 0.2 * elapsed
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
            with self.store.transaction_on(connection) as session:
                [moment] = self.pacer.reserve(session, lane.key, lane.per_second, self._lead())
        return not self.stopping.is_set()

    def _give_back(self, connection: Connection, message: Outgoing) -> None:
        """A row marked sending that never left: back to the queue, not counted as an attempt."""
        with self.store.transaction_on(connection) as session:
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
        """How far ahead to reserve so the commit does not make the moment late; the late
        allowance itself covers a quick commit, so only a slow one needs a lead."""
        return min(max(0.0, 1.5 * self._commit_seconds - LATE_SECONDS / 2), MAX_LEAD)

    def _batch_size(self, lane: Lane) -> int:
        """No more than a quarter of the lease's worth, so a batch is sent before it lapses."""
        sendable = lane.per_second * self.lease.total_seconds() / 4
        return max(1, min(MAX_BATCH, int(sendable)))

    def _claim(self, session: Session, lane: Lane) -> Claimed:
        """Rows taken off the queue, and those of them to send (the rest were withheld)."""
        now = self.clock.now()
        rows = session.execute(claim_query(lane, now, self._batch_size(lane))).all()
        ids = {row.contact_id for row in rows if row.contact_id is not None}
        contacts = {
            contact.id: contact
            for contact in session.execute(
                select(
                    Contact.id,
                    Contact.channel,
                    Contact.opted_out,
                    Contact.opted_out_at,
                    Contact.last_inbound_at,
                ).where(Contact.id.in_(ids))
            )
        }
        self._private.update(row.id for row in rows if row.private)
        batch, withheld_ids = [], []
        for row in rows:
            contact = contacts.get(row.contact_id) if row.contact_id else None
            if contact is not None and withheld(row, contact):
                withheld_ids.append(row.id)
            else:
                batch.append(outgoing(row, contact))
        self._mark(session, withheld_ids, status="cancelled", error_code="opted_out")
        forget_private(session, withheld_ids, now)
        self._mark(
            session,
            [message.id for message in batch],
            status="claimed",
            claimed_by=self.token,
            next_attempt_at=now + self.lease,
        )
        return len(rows), batch

    def _mark(self, session: Session, ids: list[int], **values: object) -> None:
        if ids:
            session.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id.in_(ids))
                .values(status_updated_at=self.clock.now(), **values)
                .execution_options(synchronize_session=False)
            )

    def _claim_apart(self, lane: Lane) -> Claimed:
        """A claim in a transaction of its own, on a connection of its own."""
        with (
            self.store.engine.connect() as connection,
            self.store.transaction_on(connection) as session,
        ):
            return self._claim(session, lane)

    def _start(self, session: Session, message: Outgoing) -> bool:
        """Mark the row as being handed over, if this sender still holds it. If not, the lease
        lapsed and another sender took it, or a delivery report settled it."""
        until = self.clock.now() + self.lease
        started = session.connection().execute(
            _START, {"message_id": message.id, "token": self.token, "until": until}
        )
        return started.rowcount == 1

    def _settle(self, session: Session, lane: Lane, done: list[tuple[int, Result]]) -> None:
        now = self.clock.now()
        rest = [
            message_id
            for message_id, result in done
            if not (isinstance(result, Accepted) and self._sent(session, message_id, result, now))
        ]
        if rest:
            rows = session.scalars(
                select(OutboundMessage).where(OutboundMessage.id.in_(rest)).with_for_update()
            )
            by_id = {row.id: row for row in rows}
            for message_id, result in done:
                row = by_id.get(message_id)
                if row is not None and row.claimed_by == self.token:
                    settle(session, row, result, now)
        # Only rows claimed as private can be a survey's (a row's `private` never changes).
        private = [message_id for message_id, _ in done if message_id in self._private]
        forget_private(session, private, now)
        self._private.difference_update(message_id for message_id, _ in done)
        hold = max((r.after_seconds or 0.0 for _, r in done if isinstance(r, Retry)), default=0)
        if hold:
            self.pacer.hold(session, lane.key, hold)

    def _sent(self, session: Session, message_id: int, result: Accepted, now: datetime) -> bool:
        """The common case in one statement: accepted while no delivery report has come yet.
        Otherwise False, and `settle` works it out on the locked row."""
        values = {
            "status": "sent",
            "provider_id": result.provider_id,
            "sent_at": now,
            "sent_as": result.sent_as,
            "error_code": None,
            "error_detail": None,
            "claimed_by": None,
            "status_updated_at": now,
        }
        if not result.template_variables:  # the usual case: a statement built once
            parameters = {"message_id": message_id, "token": self.token, "now": now}
            parameters |= {"given_id": result.provider_id, "given_as": result.sent_as}
            return session.connection().execute(_SENT, parameters).rowcount == 1
        values["template_variables"] = dict(result.template_variables)
        updated = session.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.id == message_id,
                OutboundMessage.status == "sending",
                OutboundMessage.claimed_by == self.token,
            )
            .values(values)
            .execution_options(synchronize_session=False)
        )
        return updated.rowcount == 1

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
        interrupted = session.scalars(
            select(OutboundMessage.id).where(
                OutboundMessage.channel == channel,
                OutboundMessage.status == "unknown",
                OutboundMessage.private.is_(True),
            )
        ).all()
        forget_private(session, list(interrupted), now)

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


class Backlog:
    """Rows claimed for one lane, waiting their turn. A helper thread claims the next batch on
    a connection of its own before these run out, so claiming never holds up the lane.

    After a claim that found fewer rows than a batch (the queue is short: replies arriving
    one by one), the next claim waits until CLAIM_GAP has passed since that one began, so such
    rows are taken a few at a time rather than with a claim (four statements) each; a reply
    waits at most that long for its claim."""

    def __init__(
        self, claim: Callable[[], Claimed], batch: int, name: str, sleep: Callable[[float], Any]
    ) -> None:
        self.claim = claim
        self.batch = batch
        self.low = batch // 2
        self.sleep = sleep
        self.rows: deque[Outgoing] = deque()
        self.helper = ThreadPoolExecutor(1, thread_name_prefix=f"claims-{name}")
        self.refill: Future[Claimed] | None = None
        self.dry = False  # a claim found nothing due: no more claims in this drain
        self.short_at: float | None = None  # when the last claim began, if it came back short

    def take(self) -> Outgoing | None:
        while not self.rows and not self.dry:
            taken, claimed = self._claimed()
            self.rows.extend(claimed)
            self.dry = taken == 0
        if len(self.rows) <= self.low and not self.dry and self.refill is None:
            self.refill = self.helper.submit(self._paced_claim)
        return self.rows.popleft() if self.rows else None

    def _paced_claim(self) -> Claimed:
        """A claim, CLAIM_GAP after the last one began if that one came back short. Never two
        at once: a refill is collected before any other claim starts."""
        if self.short_at is not None:
            wait = self.short_at + CLAIM_GAP - time.monotonic()
            if wait > 0:
                self.sleep(wait)
        began = time.monotonic()
        claimed = self.claim()
        self.short_at = began if claimed[0] < self.batch else None
        return claimed

    def close(self) -> None:
        """Let a claim in flight finish, so the sender can give its rows back."""
        if self.refill is not None:
            self.refill.result()
            self.refill = None

    def _claimed(self) -> Claimed:
        refill, self.refill = self.refill, None
        return refill.result() if refill is not None else self._paced_claim()

    def __enter__(self) -> "Backlog":
        return self

    def __exit__(self, *_: object) -> None:
        self.helper.shutdown(wait=True)


_outbox = OutboundMessage.__table__
# The two statements of every hand-over, built once (plain Core on the table: no ORM work).
_START = (
    update(_outbox)
    .where(
        _outbox.c.id == bindparam("message_id"),
        _outbox.c.status == "claimed",
        _outbox.c.claimed_by == bindparam("token"),
    )
    .values(status="sending", attempts=_outbox.c.attempts + 1, next_attempt_at=bindparam("until"))
)
_SENT = (
    update(_outbox)
    .where(
        _outbox.c.id == bindparam("message_id"),
        _outbox.c.status == "sending",
        _outbox.c.claimed_by == bindparam("token"),
    )
    .values(
        status="sent",
        provider_id=bindparam("given_id"),
        sent_at=bindparam("now"),
        sent_as=bindparam("given_as"),
        error_code=None,
        error_detail=None,
        claimed_by=None,
        status_updated_at=bindparam("now"),
    )
)


def claim_query(lane: Lane, now: datetime, limit: int) -> Select[Any]:
    """Due rows of the lane's channel, soonest due first, each the next one for its person
    (only the columns sending needs: plain rows are much cheaper than full objects)."""
    row, earlier = OutboundMessage, aliased(OutboundMessage)
    same_person = and_(earlier.address == row.address, earlier.channel == row.channel)
    waiting = exists().where(same_person, earlier.id < row.id, earlier.status.in_(ACTIVE))
    columns = (row.id, row.contact_id, row.inbound_id, row.channel, row.address, row.body)
    columns += (row.buttons, row.created_at, row.document_url, row.private)
    query = select(*columns).where(
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


def withheld(row: Row[Any], contact: Row[Any]) -> bool:
    """Someone who opted out gets only the direct answer to what they wrote after it (the
    confirmation of STOP itself); nothing queued before, and no reminder or broadcast."""
    if not contact.opted_out:
        return False
    return (
        row.inbound_id is None
        or contact.opted_out_at is None
        or row.created_at < contact.opted_out_at
    )


def outgoing(row: Row[Any], contact: Row[Any] | None) -> Outgoing:
    """The row as a provider sends it. A direct answer to someone with no contact (a seal
    verification from an unknown number) answers a message that just came, so its own time
    stands for the last inbound one (WhatsApp's 24-hour window is open)."""
    on_this_channel = contact is not None and contact.channel == row.channel
    last_inbound = contact.last_inbound_at if on_this_channel and contact else None
    if contact is None and row.contact_id is None and row.inbound_id is not None:
        last_inbound = row.created_at
    return Outgoing(
        id=row.id,
        channel=row.channel,
        address=row.address,
        body=row.body,
        buttons=tuple((str(label), str(data)) for label, data in row.buttons),
        document_url=row.document_url,
        last_inbound_at=last_inbound,
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
