"""Reminder tick benchmark: what one tick costs as pending reminders grow, and with many due.

    .venv/bin/python -m bench.reminder_tick [--database URL ...] [--pending N] [--due N]

Every database given (default: a temporary SQLite file) is wiped first: give scratch ones only.
Leaders with open action items get reminders spread over the coming six months; the tick is
timed with none due at a tenth of the pending rows and at all of them (it should stay flat,
thanks to the index on due time), then with `--due` reminders due among them (each one writes
an outbox message). The due query's plan is printed from the database itself.
"""

import argparse
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select, text

import bot.channels.registry  # noqa: F401  (declares the channels the outbox rows go to)
from bench.database import fresh
from bot.db import Store, is_postgres
from bot.domain.reminders import fire_due
from bot.models import ActionItem, Business, Contact, Reminder

NOW = datetime(2026, 6, 1, 9, 0)
REMINDERS_PER_ITEM = 5
CHUNK = 10_000
RUNS = 7


def seed(store: Store, items: int, first: int, due: int) -> None:
    """`items` open action items (one leader and business each) with reminders ahead; the
    first `due` of them also have one reminder due an hour ago."""
    for start in range(first, first + items, CHUNK):
        numbers = range(start, min(start + CHUNK, first + items))
        with store.transaction() as session:
            contacts = [
                {"address": f"+1555{n:07d}", "channel": "sms", "language": "en", "role": "leader",
                 "opted_out": False, "consented_at": NOW, "created_at": NOW}
                for n in numbers
            ]  # fmt: skip
            leaders = session.scalars(insert(Contact).returning(Contact.id), contacts).all()
            businesses = [
                {"name": f"Workshop {n}", "place": "Jaipur", "country": "IN", "leader_id": leader,
                 "registered_at": NOW}
                for n, leader in zip(numbers, leaders, strict=True)
            ]  # fmt: skip
            owners = session.scalars(insert(Business).returning(Business.id), businesses).all()
            rows = [
                {"business_id": owner, "kind": "remediation", "severity": "major",
                 "description": "Keep a register of home-based workers",
                 "due_on": date(2026, 9, 1), "status": "open", "created_at": NOW}
                for owner in owners
            ]  # fmt: skip
            subjects = session.scalars(insert(ActionItem).returning(ActionItem.id), rows).all()
            reminders = [
                {"kind": "action_before", "subject_id": subject, "business_id": owner,
                 "due_at": NOW + timedelta(days=1 + (subject * 7 + step * 31) % 180, minutes=step)}
                for subject, owner in zip(subjects, owners, strict=True)
                for step in range(REMINDERS_PER_ITEM)
            ]  # fmt: skip
            reminders += [
                {"kind": "action_due", "subject_id": subject, "business_id": owner,
                 "due_at": NOW - timedelta(hours=1)}
                for subject, owner in list(zip(subjects, owners, strict=True))[: max(0, due)]
            ]  # fmt: skip
            due -= len(subjects)
            session.execute(insert(Reminder), reminders)
    analyse(store)


def analyse(store: Store) -> None:
    """Fresh planner statistics, as autovacuum would have them in production."""
    with store.engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def timed_tick(store: Store, moment: datetime = NOW) -> tuple[float, int]:
    started = time.perf_counter()
    fired = fire_due(store, moment)
    return (time.perf_counter() - started) * 1000, fired


def idle_tick_ms(store: Store, moment: datetime = NOW) -> float:
    """Median of a few ticks that find nothing to fire."""
    runs = [timed_tick(store, moment) for _ in range(RUNS)]
    assert not any(fired for _, fired in runs)
    return statistics.median(spent for spent, _ in runs)


def due_query_plan(store: Store) -> list[str]:
    """The plan of the tick's query (the same select `fire_due` makes), from the database."""
    query = (
        select(Reminder)
        .where(
            Reminder.sent_at.is_(None),
            Reminder.cancelled_at.is_(None),
            Reminder.due_at <= NOW,
            Reminder.id.not_in([]),
        )
        .order_by(Reminder.due_at, Reminder.id)
        .limit(100)
    )
    compiled = query.compile(store.engine, compile_kwargs={"literal_binds": True})
    explain = "EXPLAIN" if is_postgres(store.engine) else "EXPLAIN QUERY PLAN"
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql(f"{explain} {compiled}").all()
    return [str(row[0]) if is_postgres(store.engine) else str(row[-1]) for row in rows]


def measure(url: str, pending: int, due: int) -> None:
    fresh(url)
    store = Store(url)
    print(f"\n== {store.engine.url.render_as_string(hide_password=True)}", flush=True)
    items = pending // REMINDERS_PER_ITEM
    seed(store, items // 10, 0, 0)
    with store.transaction() as session:
        count = session.query(Reminder).count()
    print(f"  {count:>7} pending, none due : {idle_tick_ms(store):7.2f} ms per tick (median)")
    seed(store, items - items // 10, items // 10, due)
    with store.transaction() as session:
        count = session.query(Reminder).count() - due
    # The due ones are in already: an idle tick is timed a day earlier, before they fall due.
    idle = idle_tick_ms(store, NOW - timedelta(days=1))
    print(f"  {count:>7} pending, none due : {idle:7.2f} ms per tick (median)")
    for line in due_query_plan(store):
        print(f"    plan: {line}")
    spent, fired = timed_tick(store)
    print(f"  {count:>7} pending, {due} due : {spent:7.0f} ms for the tick, fired {fired} "
          f"({spent / max(fired, 1):.2f} ms per reminder)")  # fmt: skip
    print(f"  then, none due            : {idle_tick_ms(store):7.2f} ms per tick (median)")
    store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", action="append", help="scratch database URL (repeatable)")
    parser.add_argument("--pending", type=int, default=100_000, help="reminders not yet due")
    parser.add_argument("--due", type=int, default=1_000, help="reminders due at the tick")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        for url in arguments.database or [f"sqlite:///{work}/bench.db"]:
            measure(url, arguments.pending, arguments.due)


if __name__ == "__main__":
    main()
