"""Remediation items: staff create them, the leader answers over chat, reminders fire on time,
exactly once, across restarts and concurrent ticks, never to someone who opted out."""

import threading
from datetime import date, datetime, time, timedelta

import pytest
from fakes.telegram import options
from journey_support import MENU, business_id, last_id, outbox, register
from sqlalchemy import func, select

from bot.domain.actions import (
    ActionError,
    create_action_item,
    overdue_items,
    update_action_item,
    verify_action_item,
)
from bot.domain.reminders import fire_due
from bot.domain.zones import local_moment
from bot.models import ActionItem, ActionUpdate, OutboundMessage, Reminder
from bot.scheduler import fire_due_reminders, ticks

pytest_plugins = ["journey_fixtures"]  # leader, new_runtime

PIECE_RATES = "Write down the piece rate of each order and give a copy to every worker group."


def create(store, clock, business: int, due: date, description: str = PIECE_RATES, **kw) -> int:
    with store.transaction() as session:
        item = create_action_item(
            session,
            business,
            kw.get("kind", "remediation"),
            kw.get("severity", "major"),
            description,
            due,
            clock.now(),
        )
        return item.id


def item(store, item_id: int) -> ActionItem:
    with store.transaction() as session:
        return session.get(ActionItem, item_id)


def reminder_keys(store, address: str, after: int) -> list[str]:
    """What each reminder said (each also asks the item's question, in a second message)."""
    rows = [row for row in outbox(store, address, after) if row.reminder_id]
    assert [row.message_key for row in rows[1::2]] == ["actions.ask"] * (len(rows) // 2)
    return [row.message_key for row in rows[::2]]


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """The moment (naive UTC) of a local time at the leader's business, which is in India."""
    return local_moment(day, time(hour, minute), "Asia/Kolkata")


def test_a_new_item_is_sent_and_answered_done(store, clock, leader) -> None:
    business = business_id(store, leader.address)
    item_id = create(store, clock, business, clock.now().date() + timedelta(days=30))
    notice, question = outbox(store, leader.address)[-2:]
    assert notice.message_key == "actions.new"
    assert notice.body == f"New action (major), due 4 February 2026:\n{PIECE_RATES}"
    assert question.body.endswith("\n1 Done\n2 I need help\n3 Later")

    assert leader.keys("done") == ["actions.thanks_done", "menu.main"]  # back where it was
    done = item(store, item_id)
    assert (done.status, done.done_at) == ("done", clock.now())
    with store.transaction() as session:
        pending = session.scalar(
            select(func.count()).select_from(Reminder).where(Reminder.cancelled_at.is_(None))
        )
        assert pending == 0
    assert leader.keys(MENU["actions"]) == ["actions.none", "menu.main"]


def test_photos_notes_and_help_are_recorded_against_the_item(store, clock, leader) -> None:
    item_id = create(store, clock, business_id(store, leader.address), date(2026, 3, 1))
    photo = "https://media.example.org/kit.jpg"
    assert [key for key, _ in leader.send("", media=(photo,))] == ["actions.photo_saved"]
    assert leader.keys("Bought the first-aid kit") == ["actions.note_saved"]
    assert leader.keys("12") == ["actions.invalid"]  # a bare number is not a note
    assert leader.keys("need help") == ["menu.main"]
    assert [row.message_key for row in outbox(store, leader.address)[-2:]] == [
        "ticket.opened",  # who will answer, and when: the ticket the request opened
        "menu.main",
    ]
    with store.transaction() as session:
        updates = session.scalars(select(ActionUpdate).order_by(ActionUpdate.id)).all()
        assert [(u.kind, u.text, u.media) for u in updates] == [
            ("evidence", "", [photo]),
            ("note", "Bought the first-aid kit", []),
            ("help", "", []),
        ]
    assert item(store, item_id).status == "help"

    [(key, listed)] = leader.send(MENU["actions"])  # still open: asking for help is not done
    assert key == "actions.list" and "\n1 Write down the piece r..\n2 Main menu" in listed
    assert leader.keys("1") == ["actions.item", "actions.ask"]
    assert leader.keys("1") == ["actions.thanks_done", "actions.none", "menu.main"]


def test_a_notice_mid_conversation_comes_back_to_the_same_question(store, clock, leader) -> None:
    leader.send(MENU["report"])
    leader.send("Kamal Traders")
    business = business_id(store, leader.address)
    first = create(store, clock, business, date(2026, 2, 1), "Keep a list of every worker group.")
    second = create(store, clock, business, date(2026, 2, 2), "Put a first-aid kit in each home.")
    # The newest notice is answered first, then the earlier one, then the question resumes.
    assert leader.keys("1") == ["actions.thanks_done", "actions.item", "actions.ask"]
    assert leader.keys("3") == ["supply.ask_place"]
    assert leader.keys("Bagru") == ["supply.ask_process"]
    assert (item(store, second).status, item(store, first).status) == ("done", "open")


def test_reminders_fire_before_on_and_after_the_due_date_once_each(
    store, clock, leader, new_runtime
) -> None:
    due = date(2026, 1, 20)
    item_id = create(store, clock, business_id(store, leader.address), due)
    start = last_id(store)
    runtime = new_runtime()

    clock.advance(at(due - timedelta(days=3)) - clock.now() - timedelta(minutes=1))
    assert fire_due_reminders(runtime) == 0
    clock.advance(timedelta(minutes=1))
    assert fire_due_reminders(runtime) == 1
    assert fire_due_reminders(runtime) == 0
    assert reminder_keys(store, leader.address, start) == ["actions.before"]
    before = [row for row in outbox(store, leader.address, start) if row.reminder_id]
    assert before[0].body == f"Reminder, due 20 January 2026:\n{PIECE_RATES}"

    restarted = new_runtime()  # a fresh process on the same database
    assert fire_due_reminders(restarted) == 0
    clock.advance(timedelta(days=3))
    assert fire_due_reminders(restarted) == 1
    clock.advance(timedelta(days=1))
    with store.transaction() as session:
        assert [i.id for i in overdue_items(session, clock.now())] == [item_id]
    assert fire_due_reminders(new_runtime()) == 1
    clock.advance(timedelta(days=30))
    assert fire_due_reminders(new_runtime()) == 0
    assert reminder_keys(store, leader.address, start) == [
        "actions.before",
        "actions.due",
        "actions.overdue",
    ]
    # The answer after a reminder is about that item.
    assert leader.keys("1") == ["actions.thanks_done", "menu.main"]
    with store.transaction() as session:
        assert overdue_items(session, clock.now()) == []


def test_the_reminder_tick_is_registered_with_the_scheduler() -> None:
    assert fire_due_reminders in [tick.run for tick in ticks()]


def test_a_new_due_date_moves_the_reminders_and_tells_the_leader(
    store, clock, leader, new_runtime
) -> None:
    item_id = create(store, clock, business_id(store, leader.address), date(2026, 1, 10))
    with store.transaction() as session:
        update_action_item(session, item_id, clock.now(), due_on=date(2026, 2, 10))
    [changed, _] = outbox(store, leader.address)[-2:]
    assert changed.message_key == "actions.changed" and "10 February 2026" in changed.body
    start = last_id(store)
    clock.advance(at(date(2026, 1, 11)) - clock.now())
    assert fire_due_reminders(new_runtime()) == 0  # the old dates no longer remind
    clock.advance(at(date(2026, 2, 7)) - clock.now())
    assert fire_due_reminders(new_runtime()) == 1
    assert reminder_keys(store, leader.address, start) == ["actions.before"]

    with store.transaction() as session:
        update_action_item(
            session, item_id, clock.now(), due_on=date(2026, 1, 10) + timedelta(days=60)
        )
        update_action_item(session, item_id, clock.now(), due_on=date(2026, 2, 10))
    clock.advance(timedelta(days=3))
    assert fire_due_reminders(new_runtime()) == 1  # moved away and back: the due-day reminder
    assert reminder_keys(store, leader.address, start) == ["actions.before", "actions.due"]


def test_verified_items_tell_the_leader_and_stop_reminding(store, clock, leader, new_runtime):
    item_id = create(store, clock, business_id(store, leader.address), date(2026, 1, 12))
    with store.transaction() as session:
        verify_action_item(session, item_id, clock.now())
        verify_action_item(session, item_id, clock.now())  # twice changes nothing
    [row] = outbox(store, leader.address)[-1:]
    assert row.message_key == "actions.verified"
    clock.advance(timedelta(days=30))
    assert fire_due_reminders(new_runtime()) == 0
    assert item(store, item_id).status == "verified"
    with store.transaction() as session, pytest.raises(ActionError, match="already verified"):
        update_action_item(session, item_id, clock.now(), severity="minor")


def test_no_reminders_for_someone_who_opted_out(store, clock, leader, new_runtime) -> None:
    item_id = create(store, clock, business_id(store, leader.address), date(2026, 1, 12))
    assert leader.keys("STOP") == ["keyword.stopped"]
    start = last_id(store)
    clock.advance(timedelta(days=30))
    assert fire_due_reminders(new_runtime()) == 0
    assert outbox(store, leader.address, start) == []
    with store.transaction() as session:
        create_action_item(
            session,
            business_id(store, leader.address),
            "remediation",
            "minor",
            "Buy gloves.",
            date(2026, 3, 1),
            clock.now(),
        )
        assert overdue_items(session, clock.now())[0].id == item_id  # staff still see it
    assert outbox(store, leader.address, start) == []


def test_concurrent_ticks_send_each_reminder_once(store, clock, migrated, make_phone) -> None:
    businesses = []
    for number in range(6):
        phone = make_phone(f"+91981234{number:04d}")
        register(phone)
        businesses.append(business_id(store, phone.address))
    for business in businesses:
        for day in range(5):
            create(store, clock, business, date(2026, 2, 1) + timedelta(days=day))
    clock.advance(timedelta(days=60))
    from bot.db import Store

    stores = [Store(migrated) for _ in range(4)]
    fired: list[int] = []
    barrier = threading.Barrier(len(stores))

    def tick(own: Store) -> None:
        barrier.wait()
        fired.append(fire_due(own, clock.now()))

    threads = [threading.Thread(target=tick, args=(own,)) for own in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for own in stores:
        own.dispose()
    # 30 items, all 3 reminders due at once: the latest of each (overdue) goes, once, and the
    # two it supersedes never; a leader busy elsewhere just waits for the next tick.
    while sum(fired) < 30 and fire_due(store, clock.now()):
        pass
    with store.transaction() as session:
        rows = session.scalars(
            select(OutboundMessage.reminder_id).where(OutboundMessage.reminder_id.is_not(None))
        ).all()
        kinds = session.scalars(
            select(Reminder.kind).where(Reminder.sent_at.is_not(None)).distinct()
        ).all()
    assert len(set(rows)) == 30 and len(rows) == 60  # the notice and its question
    assert kinds == ["action_overdue"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"business": 999_999}, "no business"),
        ({"kind": "punishment"}, "kind must be one of"),
        ({"severity": "catastrophic"}, "severity must be one of"),
        ({"description": ""}, "3 to 120"),
        ({"description": "x" * 10_000}, "3 to 120"),
        ({"description": "Fix \x1b[31m this"}, "printable"),
        ({"due": date(2025, 12, 31)}, "between today"),
        ({"due": date(2031, 1, 1)}, "between today"),
        ({"staff": 424242}, "no staff member"),
    ],
)
def test_invalid_items_are_refused_with_a_clear_message(store, clock, leader, change, message):
    business = business_id(store, leader.address)
    arguments = {
        "business": business,
        "kind": "remediation",
        "severity": "major",
        "description": PIECE_RATES,
        "due": date(2026, 2, 1),
        "staff": None,
        **change,
    }
    with store.transaction() as session, pytest.raises(ActionError, match=message):
        create_action_item(
            session,
            arguments["business"],
            arguments["kind"],
            arguments["severity"],
            arguments["description"],
            arguments["due"],
            clock.now(),
            staff_id=arguments["staff"],
        )
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ActionItem)) == 0


def test_hostile_text_is_stored_as_written(store, clock, leader) -> None:
    hostile = "'; DROP TABLE action_items;-- <script>alert(1)</script> 🧵"
    item_id = create(store, clock, business_id(store, leader.address), date(2026, 2, 1), hostile)
    assert item(store, item_id).description == hostile
    assert leader.keys("Robert'); DROP TABLE action_updates;--") == ["actions.note_saved"]
    with store.transaction() as session:
        assert session.scalar(select(ActionUpdate.text)).startswith("Robert');")


def test_telegram_leaders_get_item_buttons_in_their_language(store, clock, make_phone) -> None:
    phone = make_phone("telegram:4242", channel="telegram")
    register(phone, "fr", "Atelier Perles")
    create(store, clock, business_id(store, phone.address), date(2026, 2, 1), severity="minor")
    notice, question = outbox(store, phone.address)[-2:]
    assert notice.body == f"Nouvelle action (mineur), pour le 1 février 2026 :\n{PIECE_RATES}"
    assert notice.channel == "telegram" and notice.buttons == []
    assert options(question.buttons) == [
        ["Fait", "1"],
        ["J'ai besoin d'aide", "2"],
        ["Plus tard", "3"],
    ]
    assert phone.keys("c'est fait") == ["actions.thanks_done", "menu.main"]
