"""Staff broadcasts: who is in a segment, what each person gets, and queueing each one once."""

import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.db import is_postgres
from bot.domain.broadcasts import (
    BroadcastError,
    broadcast_progress,
    cancel_broadcast,
    create_broadcast,
    expand_chunk,
    preview,
)
from bot.domain.business import opt_out, register_business
from bot.models import ActionItem, Broadcast, Contact, OutboundMessage, SupplyNode
from bot.runtime import Runtime
from bot.scheduler import expand_broadcasts_tick
from bot.settings import Settings

TEXTS = {
    "en": "Training on Monday at 10.",
    "es": "Formación el lunes a las 10.",
    "hi": "सोमवार 10 बजे",
}
# address, language, channel, country
LEADERS = [
    ("+919800000001", "hi", "sms", "IN"),
    ("+919800000002", "en", "whatsapp", "IN"),
    ("+529800000003", "es", "sms", "MX"),
    ("+529800000004", "es", "telegram", "MX"),
    ("+223800000005", "fr", "sms", "ML"),
    ("+223800000006", None, "whatsapp", "ML"),
]


def add_leaders(store, now: datetime, leaders=LEADERS) -> dict[str, int]:
    """Registered leaders; returns business id by address."""
    ids = {}
    with store.transaction() as session:
        for address, language, channel, country in leaders:
            contact = Contact(
                address=address,
                channel=channel,
                language=language,
                created_at=now,
                consented_at=now,
            )
            session.add(contact)
            session.flush()
            ids[address] = register_business(session, contact, "Atelier", "Town", country, now).id
    return ids


def runtime_for(migrated, clock, **settings) -> Runtime:
    return Runtime(Settings(database_url=migrated, **settings), clock)


def queued(store, broadcast_id: int) -> dict[str, str]:
    with store.transaction() as session:
        rows = session.execute(
            select(OutboundMessage.address, OutboundMessage.body).where(
                OutboundMessage.broadcast_id == broadcast_id
            )
        )
        return dict(rows.all())


@pytest.fixture
def runtime(migrated, clock):
    runtime = runtime_for(migrated, clock)
    yield runtime
    runtime.close()


def test_everyone_gets_their_own_language_or_english_once(store, clock, runtime) -> None:
    add_leaders(store, clock.now())
    with store.transaction() as session:
        opt_out(
            session.scalar(select(Contact).where(Contact.address == "+919800000002")), clock.now()
        )
        shown = preview(session, TEXTS, {}, clock.now())
        broadcast_id = create_broadcast(session, TEXTS, {}, None, clock.now()).id
    assert shown.recipients == 5
    assert shown.recipients_per_language == {"en": 1, "es": 2, "fr": 1, "hi": 1}
    assert shown.segments_per_language == {"en": 1, "es": 1, "fr": 1, "hi": 1}

    assert expand_broadcasts_tick(runtime) == 5
    assert expand_broadcasts_tick(runtime) == 0
    assert queued(store, broadcast_id) == {
        "+919800000001": TEXTS["hi"],
        "+529800000003": TEXTS["es"],
        "+529800000004": TEXTS["es"],
        "+223800000005": TEXTS["en"],
        "+223800000006": TEXTS["en"],
    }
    with store.transaction() as session:
        progress = broadcast_progress(session, broadcast_id)
        channels = dict(
            session.execute(
                select(OutboundMessage.address, OutboundMessage.channel).where(
                    OutboundMessage.broadcast_id == broadcast_id
                )
            ).all()
        )
    assert (progress.status, progress.recipients, progress.counts) == ("queued", 5, {"queued": 5})
    assert progress.waiting == 5
    assert channels["+529800000004"] == "telegram"


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        (
            {"countries": ["mx", "ML"]},
            {"+529800000003", "+529800000004", "+223800000005", "+223800000006"},
        ),
        ({"languages": ["en"]}, {"+919800000002", "+223800000006"}),
        ({"channels": ["sms"], "countries": ["IN", "MX"]}, {"+919800000001", "+529800000003"}),
        ({"overdue": True}, {"+919800000001"}),
        ({"stages": ["mapping"]}, {"+529800000003"}),
        ({"stages": ["registered"], "languages": ["es"]}, {"+529800000004"}),
        ({"business_ids": "LAST"}, {"+223800000006"}),
        ({"countries": ["PE"]}, set()),
    ],
)
def test_a_segment_picks_exactly_the_leaders_it_describes(
    store, clock, runtime, segment, expected
) -> None:
    businesses = add_leaders(store, clock.now())
    now = clock.now()
    with store.transaction() as session:
        for address, due in (
            ("+919800000001", date(2026, 1, 1)),
            ("+529800000003", date(2026, 2, 1)),
        ):
            session.add(
                ActionItem(
                    business_id=businesses[address],
                    kind="remediation",
                    severity="major",
                    description="Write down piece rates.",
                    due_on=due,
                    created_at=now,
                )
            )
        session.add(
            SupplyNode(
                business_id=businesses["+529800000003"],
                name="Beaders",
                place="Town",
                process="beading",
                workers=4,
                home_workers=4,
                payment_method="cash",
                created_at=now,
            )
        )
    if segment.get("business_ids") == "LAST":
        segment = {"business_ids": [businesses["+223800000006"]]}
    with store.transaction() as session:
        assert preview(session, TEXTS, segment, now).recipients == len(expected)
        broadcast_id = create_broadcast(session, TEXTS, segment, None, now).id
    expand_broadcasts_tick(runtime)
    assert set(queued(store, broadcast_id)) == expected


def test_an_interrupted_expansion_resumes_without_repeating_anyone(store, clock, migrated) -> None:
    leaders = [(f"+1555010{i:04d}", "en", "sms", "IN") for i in range(40)]
    add_leaders(store, clock.now(), leaders)
    with store.transaction() as session:
        broadcast_id = create_broadcast(session, TEXTS, {}, None, clock.now()).id

    class Crash(Exception):
        pass

    with pytest.raises(Crash), store.transaction() as session:
        broadcast = session.get(Broadcast, broadcast_id)
        assert expand_chunk(session, broadcast, clock.now(), size=7) == 7
        raise Crash  # the process dies before this chunk commits
    assert queued(store, broadcast_id) == {}
    with store.transaction() as session:
        broadcast = session.get(Broadcast, broadcast_id)
        assert expand_chunk(session, broadcast, clock.now(), size=7) == 7
        assert (broadcast.status, broadcast.recipients) == ("queueing", 7)

    runtime = runtime_for(migrated, clock, broadcast_chunk=7)
    try:
        assert expand_broadcasts_tick(runtime) == 33
    finally:
        runtime.close()
    with store.transaction() as session:
        counted = session.scalar(
            select(func.count(func.distinct(OutboundMessage.contact_id))).where(
                OutboundMessage.broadcast_id == broadcast_id
            )
        )
        assert counted == session.scalar(select(func.count()).select_from(OutboundMessage)) == 40
        assert session.get(Broadcast, broadcast_id).status == "queued"


def test_two_processes_expanding_at_once_queue_each_recipient_once(store, clock, migrated) -> None:
    leaders = [(f"+1555010{i:04d}", "en", "sms", "IN") for i in range(300)]
    add_leaders(store, clock.now(), leaders)
    with store.transaction() as session:
        ids = [create_broadcast(session, TEXTS, {}, None, clock.now()).id for _ in range(3)]
    runtimes = [runtime_for(migrated, clock, broadcast_chunk=13) for _ in range(2)]
    results: list[int] = []
    together = threading.Barrier(2)

    def expand(runtime: Runtime) -> None:
        together.wait()
        results.append(expand_broadcasts_tick(runtime))

    threads = [threading.Thread(target=expand, args=(runtime,)) for runtime in runtimes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for runtime in runtimes:
        runtime.close()
    assert sum(results) == 900
    for broadcast_id in ids:
        assert len(queued(store, broadcast_id)) == 300
        with store.transaction() as session:
            assert broadcast_progress(session, broadcast_id).recipients == 300
    if is_postgres(store.engine):
        assert all(results), "both processes took part"


def test_a_scheduled_broadcast_waits_for_its_time_and_can_be_cancelled(
    store, clock, runtime
) -> None:
    add_leaders(store, clock.now())
    with store.transaction() as session:
        later = create_broadcast(session, TEXTS, {}, clock.now() + timedelta(hours=2), clock.now())
        later_id = later.id
    assert expand_broadcasts_tick(runtime) == 0
    clock.advance(timedelta(hours=2))
    assert expand_broadcasts_tick(runtime) == 6
    with store.transaction() as session:
        cancel_broadcast(session, later_id, clock.now())
        progress = broadcast_progress(session, later_id)
    assert (progress.status, progress.counts) == ("cancelled", {"cancelled": 6})

    with store.transaction() as session:
        never_id = create_broadcast(session, TEXTS, {}, None, clock.now()).id
        cancel_broadcast(session, never_id, clock.now())
    assert expand_broadcasts_tick(runtime) == 0
    assert queued(store, never_id) == {}


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ({}, "in English"),
        ({"es": "Hola"}, "in English"),
        ({"en": "   \n "}, "in English"),
        ({"en": "Hi", "de": "Hallo"}, "not a supported language"),
        ({"en": "Hi", "<script>" * 50: "x"}, "not a supported language"),
        ({"en": 42}, "must be text"),
        ({"en": "x" * 1001}, "1 to 1000 printable"),
        ({"en": "Hi\x00there"}, "printable"),
        ({"en": "Hi\x1b[31m"}, "printable"),
        (["en", "Hi"], "text per language"),
    ],
)
def test_a_bad_message_is_refused_with_what_to_fix(store, clock, texts, message) -> None:
    with pytest.raises(BroadcastError, match=message), store.transaction() as session:
        create_broadcast(session, texts, {}, None, clock.now())


@pytest.mark.parametrize(
    ("segment", "message"),
    [
        ({"countries": ["XX"]}, "unknown countries: XX"),
        ({"countries": "IN"}, "countries"),
        ({"stages": ["done"]}, "unknown stages"),
        ({"languages": ["de"]}, "unknown languages"),
        ({"channels": ["fax"]}, "unknown channels"),
        ({"business_ids": [0]}, "unknown business ids"),
        ({"business_ids": [10**40]}, "unknown business ids"),
        ({"business_ids": ["one"]}, "business_ids"),
        ({"countries": ["IN"] * 301}, "at most 300"),
        ({"overdue": "sometimes"}, "overdue"),
        ({"everyone": True}, "everyone"),
        ([], "Segment"),
    ],
)
def test_a_bad_segment_is_refused_with_what_to_fix(store, clock, segment, message) -> None:
    with pytest.raises(BroadcastError, match=message), store.transaction() as session:
        preview(session, TEXTS, segment, clock.now())
    with store.transaction() as session:
        assert session.scalar(select(Broadcast)) is None


def test_impossible_times_staff_and_ids_are_refused(store, clock) -> None:
    with pytest.raises(BroadcastError, match="a year ahead"), store.transaction() as session:
        create_broadcast(session, TEXTS, {}, clock.now() + timedelta(days=400), clock.now())
    for staff_id in (0, 99, 10**30):
        with pytest.raises(BroadcastError, match="No staff"), store.transaction() as session:
            create_broadcast(session, TEXTS, {}, None, clock.now(), staff_id=staff_id)
    for broadcast_id in (0, -1, 99, 10**30):
        with pytest.raises(BroadcastError, match="No broadcast"), store.transaction() as session:
            broadcast_progress(session, broadcast_id)
        with pytest.raises(BroadcastError, match="No broadcast"), store.transaction() as session:
            cancel_broadcast(session, broadcast_id, clock.now())
