"""Quiet hours: the hours of the night, in the recipient's local time, when the programme sends
nothing on its own initiative. A reminder, notice or broadcast that falls in them is written to
the outbox with a not-before time (its `next_attempt_at`) at the end of the night; the sender
already hands over no row before that time, so its pacing and once-only rules stay as they are.

The hours come from the QUIET_HOURS setting, read once per process (`read_quiet_hours`) and put
on every transaction by the store (`QUIET_HOURS_KEY` in the session's info). A transaction that
handles a person's own message is marked as answering them (`answering`): nothing queued for
them in it waits. Nor does a message to someone who wrote within the last AWAKE minutes (the
answer to a file they sent, checked in the background): they are evidently awake.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.errors import Invalid
from bot.domain.zones import phone_zone, to_local, zone
from bot.models import Business, Contact

QUIET_HOURS_KEY = "quiet_hours"
_ANSWERING_KEY = "answering_contact"
AWAKE = timedelta(minutes=30)
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class QuietHours:
    """From `start` to `end` local time, across midnight when `start` is after `end`."""

    start: time
    end: time

    def covers(self, local: time) -> bool:
        """True when a local wall-clock time falls in the quiet hours (start included, end
        not)."""
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def read_quiet_hours(text: str) -> QuietHours | None:
    """The hours of a QUIET_HOURS value like "21:00-08:00"; None for an empty one (no quiet
    hours). Raises Invalid, saying what is expected, for anything else or an empty span."""
    if not text.strip():
        return None
    match = _SPAN.match(text)
    if match is None:
        raise Invalid(f"'{text[:40]}' is not a span of hours like 21:00-08:00.")
    hours = [int(part) for part in match.groups()]
    if hours[0] > 23 or hours[2] > 23 or hours[1] > 59 or hours[3] > 59:
        raise Invalid(f"'{text[:40]}' has a time that does not exist; use 00:00 to 23:59.")
    start, end = time(hours[0], hours[1]), time(hours[2], hours[3])
    if start == end:
        raise Invalid(f"'{text[:40]}' starts and ends at the same time; leave it empty for none.")
    return QuietHours(start, end)


def quiet_hours_of(session: Session) -> QuietHours | None:
    """The quiet hours the store put on this transaction; None when there are none."""
    return session.info.get(QUIET_HOURS_KEY)


def answering(session: Session, contact_id: int) -> None:
    """Mark the transaction as handling this contact's own message: nothing for them waits."""
    session.info[_ANSWERING_KEY] = contact_id


def send_from(quiet: QuietHours | None, zone_name: str, now: datetime) -> datetime:
    """When a message queued at `now` (naive UTC) may go to someone in `zone_name`: `now`
    outside the quiet hours, else the end of them, the next morning local time, as naive UTC.
    A morning hour skipped by a clock change is taken as the first moment after it."""
    if quiet is None:
        return now
    local = to_local(now, zone_name)
    if not quiet.covers(local.time().replace(tzinfo=None)):
        return now
    day = local.date()
    if local.time().replace(tzinfo=None) >= quiet.end:
        day += timedelta(days=1)
    morning = datetime.combine(day, quiet.end, tzinfo=zone(zone_name))
    return morning.astimezone(UTC).replace(tzinfo=None)


def person_zone(session: Session, contact: Contact) -> str:
    """The time zone of a person: their business's for a leader, else their phone number's
    country's (UTC when it has none, as for a chat id)."""
    business_zone = session.scalar(
        select(Business.time_zone).where(Business.leader_id == contact.id)
    )
    return business_zone or phone_zone(contact.address)


def held_until(session: Session, contact: Contact, now: datetime) -> datetime:
    """When a message the programme starts may go to the contact (`now` or the end of their
    night); `now` when the transaction answers their own message or they wrote within AWAKE."""
    if session.info.get(_ANSWERING_KEY) == contact.id:
        return now
    if contact.last_inbound_at is not None and now - contact.last_inbound_at < AWAKE:
        return now
    quiet = quiet_hours_of(session)
    if quiet is None:
        return now
    return send_from(quiet, person_zone(session, contact), now)
