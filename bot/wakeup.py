"""Replies leave at once: a committed outbox row wakes the sender instead of waiting for its
poll (OUTBOX_POLL_SECONDS, kept as the fallback).

- In the process that queued the rows: after each commit, the channels the transaction queued
  due rows on (`bot.domain.notify.wake_senders`) are handed to this process's sender.
- Across processes, on PostgreSQL: a connection of its own LISTENs on
  `bot.domain.notify.WAKE_CHANNEL`; the database delivers each committed transaction's
  notification (payload: the channel) to every listener. psycopg 3's `Connection.notifies`
  waits for them; the connection is made again if it drops.

A wake-up only starts a drain: claiming, pacing, per-person order and the at-most-once rules
are the sender's (bot.outbox), and rows held for quiet hours are not due, so not claimed.
"""

import logging
import threading

import psycopg
from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.db import Store, is_postgres
from bot.domain.notify import QUEUED_CHANNELS, WAKE_CHANNEL
from bot.outbox import Sender

log = logging.getLogger(__name__)
# How often the listener looks up from its wait to see whether the process is stopping.
_LISTEN_TIMEOUT_SECONDS = 1.0
_RECONNECT_SECONDS = 5.0


class WakeUps:
    """Wakes `sender` for rows committed through `store` in this process and, on PostgreSQL,
    in any process. `start` once, when the process starts sending; `stop` (or `stopping`)
    ends the listener."""

    def __init__(self, store: Store, sender: Sender, stopping: threading.Event) -> None:
        self.store, self.sender, self.stopping = store, sender, stopping
        self._started = False
        self._listener: threading.Thread | None = None
        self.listening = threading.Event()  # set while LISTEN is in force (for tests)

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        event.listen(self.store.sessions, "after_commit", self._committed)
        if is_postgres(self.store.engine):
            self._listener = threading.Thread(target=self._listen, name="outbox-listen")
            self._listener.daemon = True
            self._listener.start()

    def stop(self) -> None:
        """Stop waking; waits for the listener to notice (about a second)."""
        if event.contains(self.store.sessions, "after_commit", self._committed):
            event.remove(self.store.sessions, "after_commit", self._committed)
        self.stopping.set()
        if self._listener is not None:
            self._listener.join()

    def _committed(self, session: Session) -> None:
        for channel in session.info.pop(QUEUED_CHANNELS, ()):
            self.sender.wake(channel)

    def _listen(self) -> None:
        url = self.store.engine.url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        stopping = self.stopping
        while not stopping.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {WAKE_CHANNEL}")
                    self.listening.set()
                    while not stopping.is_set():
                        for notice in connection.notifies(timeout=_LISTEN_TIMEOUT_SECONDS):
                            self.sender.wake(notice.payload)
            except psycopg.Error as error:
                log.warning("outbox wake-ups paused (%s); polling meanwhile", error)
            finally:
                self.listening.clear()
            stopping.wait(_RECONNECT_SECONDS)
