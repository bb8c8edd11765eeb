"""The engine's promises: once per provider message id, one contact per person, all or nothing."""

import threading

from fakes.telegram import options
from sqlalchemy import func, select

from bot.channels.provider import Inbound
from bot.models import Contact, ConversationState, InboundMessage, OutboundMessage


def count(store, model) -> int:
    with store.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_the_same_message_id_delivered_twice_is_answered_once(store, engine) -> None:
    first = engine.handle(Inbound("sms", "+15550001111", "SM123", "hello"))
    again = engine.handle(Inbound("sms", "+15550001111", "SM123", "hello"))
    assert not first.duplicate and len(first.replies) == 1
    assert again.duplicate and again.replies == []
    assert count(store, InboundMessage) == 1
    assert count(store, OutboundMessage) == 1


def test_the_same_id_on_another_channel_is_a_different_message(store, engine) -> None:
    engine.handle(Inbound("sms", "+15550001111", "42", "hello"))
    engine.handle(Inbound("telegram", "telegram:42", "42", "hello"))
    assert count(store, InboundMessage) == 2


def test_concurrent_retries_of_one_message_are_processed_once(store, engine) -> None:
    engine.handle(Inbound("sms", "+15550001111", "first", "hello"))
    results = []

    def deliver() -> None:
        results.append(engine.handle(Inbound("sms", "+15550001111", "retried", "1")))

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(result.duplicate for result in results) == [False] + [True] * 5
    assert count(store, OutboundMessage) == 2


def test_one_person_on_sms_then_whatsapp_is_one_contact_with_one_session(store, engine) -> None:
    engine.handle(Inbound("sms", "+15550001111", "a", "hello"))
    engine.handle(Inbound("whatsapp", "+15550001111", "b", "1"))
    with store.transaction() as session:
        contact = session.scalar(select(Contact))
        state = session.get(ConversationState, contact.id)
        assert (contact.channel, contact.language, state.step) == ("whatsapp", "en", "consent")
        channels = session.scalars(select(OutboundMessage.channel).order_by(OutboundMessage.id))
        assert list(channels) == ["sms", "whatsapp"]
    assert count(store, Contact) == 1


def test_replies_on_telegram_carry_buttons_instead_of_numbered_lines(engine) -> None:
    [reply] = engine.handle(Inbound("telegram", "telegram:99", "1", "/start")).replies
    assert "\n1 " not in reply.body
    assert options(reply.buttons)[0] == ["English", "1"]
    assert [value for _, value in options(reply.buttons)] == ["1", "2", "3", "4"]
