"""How many SQL statements one inbound message costs, per kind of step, counted at the driver
with SQLAlchemy's `before_cursor_execute` event. Each statement is a round trip to the database
inside the message's one transaction, so the caps keep the inbound path as lean as it is: a
change that adds a query to every message fails here, on both databases."""

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
from sqlalchemy import event, select

from bot.channels.provider import Inbound
from bot.db import Store
from bot.domain.business import register_business
from bot.domain.surveys import open_survey
from bot.engine import Engine, Handled
from bot.models import Contact, ConversationState, OutboundMessage

# Statements per message, BEGIN and COMMIT (or ROLLBACK) included, at most: what the engine
# achieves plus one for headroom, the same on both databases (on PostgreSQL the outbox insert
# itself says NOTIFY to wake the senders, bot.domain.notify.wake_senders).
CAPS = {
    "first contact": 9,
    "menu choice": 9,
    "mapping step": 8,
    "lesson step": 11,
    "survey answer": 10,
    "STOP": 9,
    "duplicate": 5,
}
_sids = itertools.count(1)
MENU = {"report": "1", "training": "3"}


class Counted:
    """Statements sent to the database while it is open, as SQL text."""

    def __init__(self) -> None:
        self.statements: list[str] = []


@contextmanager
def counting(store: Store) -> Iterator[Counted]:
    counted = Counted()

    def seen(_conn, _cursor, statement: str, *_: object) -> None:
        counted.statements.append(statement)

    def begun(_conn) -> None:
        counted.statements.append("BEGIN")

    def committed(_conn) -> None:
        counted.statements.append("COMMIT")

    def rolled_back(_conn) -> None:
        counted.statements.append("ROLLBACK")

    event.listen(store.engine, "before_cursor_execute", seen)
    event.listen(store.engine, "commit", committed)
    event.listen(store.engine, "rollback", rolled_back)
    # SQLite's BEGIN IMMEDIATE already goes through the cursor (bot/db.py); PostgreSQL's
    # implicit BEGIN is a round trip of its own.
    postgres = store.engine.dialect.name == "postgresql"
    if postgres:
        event.listen(store.engine, "begin", begun)
    try:
        yield counted
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
        event.remove(store.engine, "commit", committed)
        event.remove(store.engine, "rollback", rolled_back)
        if postgres:
            event.remove(store.engine, "begin", begun)


class Texter:
    """A person on SMS; `send` returns the replies, `cost` the statements of the last message."""

    def __init__(self, engine: Engine, address: str) -> None:
        self.engine, self.address = engine, address
        self.last: list[str] = []
        self.sid = ""

    def send(self, body: str, sid: str | None = None) -> Handled:
        self.sid = sid or f"SM{next(_sids):032d}"
        with counting(self.engine.store) as counted:
            handled = self.engine.handle(Inbound("sms", self.address, self.sid, body))
        self.last = counted.statements
        return handled

    def keys(self, body: str) -> list[str]:
        """The message keys of the replies queued for it."""
        handled = self.send(body)
        with self.engine.store.transaction() as session:
            keys = session.scalars(
                select(OutboundMessage.message_key)
                .where(OutboundMessage.address == self.address)
                .order_by(OutboundMessage.id.desc())
                .limit(len(handled.replies))
            ).all()
        return list(reversed(keys))

    def cost(self) -> int:
        return len(self.last)


def within(kind: str, texter: Texter) -> None:
    cap = CAPS[kind]
    listing = "\n".join(texter.last)
    assert texter.cost() <= cap, f"{kind}: {texter.cost()} statements\n{listing}"


@pytest.fixture
def leader(engine: Engine) -> Texter:
    """A leader registered over SMS, standing at the main menu."""
    texter = Texter(engine, "+919812345678")
    for answer in ("hi", "1", "1", "1", "Blue Thread", "Jaipur", "India"):
        texter.send(answer)
    assert texter.keys("1") == ["onboarding.registered", "menu.main"]
    return texter


def test_a_first_message_from_a_new_number(engine: Engine) -> None:
    newcomer = Texter(engine, "+919800000001")
    assert newcomer.keys("hi") == ["onboarding.choose_language"]
    within("first contact", newcomer)


def test_a_menu_choice(leader: Texter) -> None:
    assert leader.keys(MENU["training"]) == ["training.topics"]
    within("menu choice", leader)


def test_a_supply_chain_mapping_step(leader: Texter) -> None:
    assert leader.keys(MENU["report"]) == ["supply.ask_name"]
    assert leader.keys("Kamal Traders") == ["supply.ask_place"]
    within("mapping step", leader)


def test_a_lesson_step(leader: Texter) -> None:
    leader.send(MENU["training"])
    assert leader.keys("1") == ["lesson.child_labour.1"]
    assert leader.keys("1") == ["lesson.child_labour.2"]
    within("lesson step", leader)


def test_a_survey_answer(engine: Engine, store: Store, clock) -> None:
    now: datetime = clock.now()
    with store.transaction() as session:
        owner = Contact(address="+15550100001", channel="sms", created_at=now, consented_at=now)
        session.add(owner)
        session.flush()
        business = register_business(session, owner, "Blue Thread", "Jaipur", "IN", now)
        session.add(
            ConversationState(
                contact_id=owner.id, flow="menu", step="main", data={}, updated_at=now
            )
        )
        code = open_survey(session, business.id, now).code
    worker = Texter(engine, "+919800000002")
    worker.send(f"JOIN {code}")
    worker.send("1")
    assert worker.keys("1") == ["survey.question"]
    assert worker.keys("2") == ["survey.question"]
    within("survey answer", worker)


def test_stop(leader: Texter) -> None:
    assert leader.keys("STOP") == ["keyword.stopped"]
    within("STOP", leader)


def test_a_duplicate_delivery(leader: Texter) -> None:
    leader.send(MENU["training"])
    again = leader.send(MENU["training"], sid=leader.sid)
    assert again.duplicate and again.replies == []
    within("duplicate", leader)
