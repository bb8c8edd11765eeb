"""Fetching the files people send, in the background: claim due records, ask each channel's
fetcher for the bytes, check them (bot.media.checks), put them in the media store, and record
how it went (bot.domain.media), one short transaction at a time so no database lock is held
while a provider answers.
"""

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from bot.channels.provider import Failed, Fetched, FetchResult, MediaFetcher, Retry, TooLarge
from bot.channels.registry import media_fetchers
from bot.db import Store
from bot.domain import media
from bot.media.checks import Kept, examine
from bot.media.store import MediaStore, StoreError, media_store
from bot.settings import Settings, allowed_media_types

MEGABYTE = 1024 * 1024
log = logging.getLogger(__name__)


class MediaWork:
    """The process's media store and, made on first use and kept, the channels' fetchers."""

    def __init__(self, settings: Settings, store: MediaStore | None = None) -> None:
        self.settings = settings
        self.store = store or media_store(settings)
        self._fetchers: dict[str, MediaFetcher] | None = None
        self._lock = threading.Lock()

    def fetchers(self) -> dict[str, MediaFetcher]:
        """Channel name -> fetcher, for every channel whose credentials are set."""
        with self._lock:
            if self._fetchers is None:
                self._fetchers = media_fetchers(self.settings)
            return self._fetchers

    def close(self) -> None:
        with self._lock:
            for fetcher in {id(f): f for f in (self._fetchers or {}).values()}.values():
                fetcher.close()
            self._fetchers = None


@dataclass(frozen=True)
class FetchReport:
    """How one tick went, by the state each file it tried ended in."""

    stored: int = 0
    refused: int = 0
    retrying: int = 0
    failed: int = 0


def fetch_due(
    store: Store, work: MediaWork, now: datetime, stopping: threading.Event
) -> FetchReport:
    """Fetch every due file of the channels that can fetch, until none is due or the process
    is stopping (files claimed and not tried come back when their lease ends)."""
    fetchers = work.fetchers()
    counts = {"stored": 0, "refused": 0, "pending": 0, "failed": 0}
    while fetchers and not stopping.is_set():
        with store.transaction() as session:
            claimed = media.claim_due(session, now, sorted(fetchers))
        if not claimed:
            break
        for due in claimed:
            if stopping.is_set():
                break
            outcome = fetch_one(due, fetchers[due.channel], work)
            with store.transaction() as session:
                state = media.settle(session, due.id, outcome, now)
            if not isinstance(outcome, media.Stored):
                log.warning("file %s on %s: %s (%s)", due.id, due.channel, state, _why(outcome))
            if state in counts:
                counts[state] += 1
    return FetchReport(counts["stored"], counts["refused"], counts["pending"], counts["failed"])


def fetch_one(due: media.Due, fetcher: MediaFetcher, work: MediaWork) -> media.Outcome:
    """Fetch, check and store one file; never raises for what a provider, a file or the store
    does."""
    settings = work.settings
    limit = settings.media_max_bytes
    result: FetchResult = fetcher.fetch(due.reference, limit)
    limit_mb = max(1, limit // MEGABYTE)
    if isinstance(result, TooLarge):
        size = f"{result.size} bytes" if result.size is not None else "larger"
        return media.Refused("size", f"{size}, over the limit of {limit} bytes", limit_mb)
    if isinstance(result, Retry | Failed):
        return media.NotFetched(result.code, result.detail, isinstance(result, Retry))
    assert isinstance(result, Fetched)
    checked = examine(result.data, result.declared_type, allowed_media_types(settings), limit)
    if not isinstance(checked, Kept):
        return media.Refused(checked.why, checked.detail, limit_mb)
    try:
        digest = work.store.put(checked.original)
        thumbnail = work.store.put(checked.thumbnail) if checked.thumbnail else None
    except StoreError as error:
        return media.NotFetched("store", f"the media store failed: {str(error)[:200]}", True)
    return media.Stored(
        checked.kind, checked.content_type, len(checked.original), digest, thumbnail
    )


def _why(outcome: media.Refused | media.NotFetched) -> str:
    """The reason of an outcome, for the log (never the file's address: it may carry ids)."""
    if isinstance(outcome, media.Refused):
        return f"{outcome.why}: {outcome.detail}"
    return f"{outcome.code}: {outcome.detail}"


def delete_objects(work: MediaWork, digests: list[str]) -> int:
    """Delete the objects no record uses any more; returns how many were deleted (one the
    store could not delete stays, unreferenced, and is reported as not deleted)."""
    deleted = 0
    for digest in digests:
        try:
            work.store.delete(digest)
            deleted += 1
        except StoreError:
            continue
    return deleted


def expire_due(store: Store, work: MediaWork, now: datetime) -> int:
    """Forget the files older than MEDIA_RETENTION_DAYS and delete their objects; returns
    how many objects were deleted."""
    deleted = 0
    while True:
        with store.transaction() as session:
            forgotten, digests = media.expire(session, now, work.settings.media_retention_days)
        if not forgotten:
            return deleted
        deleted += delete_objects(work, digests)
