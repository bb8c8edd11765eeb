"""What each channel itself says a message is: Telegram's commands and button presses, and the
words Twilio's Advanced Opt-Out acted on before us, through the real webhooks and sender."""

from datetime import timedelta

import pytest
from channel_support import PHONE, post_signed, twilio_form
from fakes.telegram import FakeTelegram, button_update, text_update
from fakes.twilio import FakeTwilio
from sqlalchemy import select

from bot.channels.telegram import command
from bot.models import Contact, ConversationState, InboundMessage, OutboundMessage
from messages.render import pressed

CHAT = 5550001
SECRET = {"X-Telegram-Bot-Api-Secret-Token": "s3cret_Token-for-tests"}
_ids = iter(range(10_000, 99_999))


def say(client, text: str, message_id: int | None = None) -> None:
    update = text_update(next(_ids), CHAT, text, message_id or next(_ids))
    assert client.post("/webhooks/telegram", json=update, headers=SECRET).status_code == 200


def press(client, data: str, query_id: str | None = None) -> None:
    update = button_update(next(_ids), CHAT, data)
    update["callback_query"]["id"] = query_id or f"cbq-{next(_ids)}"
    assert client.post("/webhooks/telegram", json=update, headers=SECRET).status_code == 200


def keys(store) -> list[str]:
    with store.transaction() as session:
        query = select(OutboundMessage.message_key).order_by(OutboundMessage.id)
        return list(session.scalars(query))


def latest_buttons(store) -> list[str]:
    """The data of the buttons on the newest message that has any."""
    with store.transaction() as session:
        rows = session.scalars(select(OutboundMessage).order_by(OutboundMessage.id.desc()))
        return next([data for _, data in row.buttons] for row in rows if row.buttons)


def contact(store) -> Contact:
    with store.transaction() as session:
        found = session.scalar(select(Contact))
        session.expunge(found)
        return found


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("/start", "start"),
        ("/stop", "stop"),
        ("/help", "help"),
        ("/menu", "menu"),
        ("/lang", "lang"),
        ("/help@HandcraftBot", "help"),
        ("/STOP@handcraft_bot", "stop"),
        ("/start survey-7", "start"),
        (" /menu ", "menu"),
        ("/settings", None),
        ("/help me please@x", "help"),
        ("help", None),  # a typed word is read by the flows, in every language
        ("/", None),
        ("//stop", None),
        ("/stop" + "x" * 40, None),
        ("/" + "é" * 5, None),
    ],
)
def test_telegram_commands_are_the_global_keywords(text: str, keyword: str | None) -> None:
    assert command(text) == keyword


@pytest.mark.parametrize(
    ("text", "replies"),
    [
        ("/help", ["keyword.help", "onboarding.choose_language"]),
        ("/help@HandcraftBot", ["keyword.help", "onboarding.choose_language"]),
        ("/lang", ["onboarding.choose_language"]),
        ("/stop", ["keyword.stopped"]),
        ("/stop@HandcraftBot", ["keyword.stopped"]),
        ("/start", ["onboarding.choose_language"]),
    ],
)
def test_a_command_after_the_first_message_does_what_its_keyword_does(
    client, store, text, replies
) -> None:
    say(client, "hello")
    say(client, text)
    assert keys(store)[1:] == replies
    assert contact(store).opted_out is (replies == ["keyword.stopped"])


def test_a_person_who_blocked_the_bot_and_comes_back_with_start_is_welcomed(
    client, store, runtime, clock, fake_telegram: FakeTelegram
) -> None:
    say(client, "/start")
    fake_telegram.plan(403)  # they blocked the bot: Telegram refuses the reply
    runtime.sender.send_due()
    assert contact(store).opted_out
    say(client, "hello?")  # nothing is said to someone opted out
    assert runtime.sender.send_due() == 0
    say(client, "/start")  # unblocked: Telegram clients send /start
    for _ in range(2):  # about a second apart, as Telegram allows into one chat
        assert runtime.sender.send_due() == 1
        clock.advance(timedelta(seconds=2))
    assert not contact(store).opted_out
    welcome, question = fake_telegram.sent
    assert welcome["text"].startswith("Welcome back")
    assert question["reply_markup"]["inline_keyboard"][0][0]["text"] == "English"


def test_a_button_from_an_older_message_says_its_question_has_passed_and_changes_nothing(
    client, store
) -> None:
    say(client, "/start")
    languages = latest_buttons(store)
    press(client, languages[1])  # Español
    with store.transaction() as session:
        before = session.scalar(select(ConversationState))
        before = (before.flow, before.step, dict(before.data), before.question)
    asked = len(keys(store))
    press(client, languages[0])  # English, on the language question that has passed
    assert keys(store)[asked:] == ["button.passed"]
    with store.transaction() as session:
        after = session.scalar(select(ConversationState))
        assert (after.flow, after.step, dict(after.data), after.question) == before
        assert session.scalar(select(Contact.language)) == "es"
        passed = session.scalar(select(OutboundMessage).order_by(OutboundMessage.id.desc()))
        assert passed.body.startswith("Esa pregunta ya pasó")
    # The current question's buttons still work.
    current = latest_buttons(store)
    press(client, current[0])
    assert keys(store)[-1] != "button.passed"


def test_every_new_question_names_itself_afresh_even_when_its_step_is_the_same(
    client, store
) -> None:
    say(client, "/start")
    first = latest_buttons(store)
    say(client, "help")  # asks the same question again, with new buttons
    second = latest_buttons(store)
    assert [pressed(data)[0] for data in first] == [pressed(data)[0] for data in second]
    assert {pressed(data)[1] for data in first}.isdisjoint({pressed(data)[1] for data in second})
    asked = len(keys(store))
    press(client, first[1])
    assert keys(store)[asked:] == ["button.passed"]
    press(client, second[1])
    assert contact(store).language == "es"


def test_a_button_sent_before_buttons_named_their_question_is_read_as_its_number(
    client, store
) -> None:
    say(client, "/start")
    press(client, "2")
    assert contact(store).language == "es"


def test_an_old_button_pressed_while_opted_out_gets_nothing(client, store) -> None:
    say(client, "/start")
    languages = latest_buttons(store)
    press(client, languages[1])
    say(client, "/stop")
    sent = len(keys(store))
    press(client, languages[0])
    assert len(keys(store)) == sent


def test_telegram_messages_are_told_apart_by_chat_and_message_not_by_update_id(
    client, store
) -> None:
    # After a week without updates Telegram may number updates again from a random point.
    first = text_update(500, CHAT, "/start", message_id=1)
    again = text_update(501, CHAT, "/start", message_id=1)  # the same message, redelivered
    restarted = text_update(500, CHAT, "/help", message_id=2)  # a new message, reused number
    for update in (first, again, restarted):
        assert client.post("/webhooks/telegram", json=update, headers=SECRET).status_code == 200
    with store.transaction() as session:
        bodies = session.scalars(select(InboundMessage.body).order_by(InboundMessage.id))
        assert list(bodies) == ["/start", "/help"]


def test_a_button_press_is_handled_once_by_its_own_id(client, store) -> None:
    say(client, "/start")
    data = latest_buttons(store)[1]
    press(client, data, query_id="cbq-same")
    press(client, data, query_id="cbq-same")  # redelivered under a new update id
    with store.transaction() as session:
        bodies = list(session.scalars(select(InboundMessage.body).order_by(InboundMessage.id)))
    assert bodies == ["/start", "2"]


# -- Twilio's Advanced Opt-Out -------------------------------------------------------------

_sids = (f"SM{n:032x}" for n in range(1, 10**6))


def text(client, body: str, **extra: str) -> None:
    assert post_signed(client, twilio_form(next(_sids), PHONE, body, **extra)).status_code == 200


def test_a_word_twilio_opted_out_on_opts_out_here_and_gets_no_second_answer(client, store) -> None:
    text(client, "hi")
    text(client, "ARRET", OptOutType="STOP")  # a word in the account's own list, not ours
    assert contact(store).opted_out
    assert keys(store) == ["onboarding.choose_language"]


def test_twilio_help_is_answered_by_twilio_alone(client, store) -> None:
    text(client, "hi")
    text(client, "AIDE", OptOutType="HELP")
    assert keys(store) == ["onboarding.choose_language"]
    assert not contact(store).opted_out


def test_a_word_twilio_opted_in_on_brings_the_person_back_to_their_question(client, store) -> None:
    text(client, "hi")
    text(client, "STOP", OptOutType="STOP")
    text(client, "REPRENDRE", OptOutType="START")
    assert not contact(store).opted_out
    assert keys(store)[1:] == ["keyword.restarted", "onboarding.choose_language"]


def test_without_opt_out_type_our_own_words_still_decide(client, store) -> None:
    text(client, "hi")
    text(client, "OPT OUT")
    assert contact(store).opted_out
    assert keys(store)[1:] == ["keyword.stopped"]


def test_a_sender_on_twilio_stop_is_never_messaged_by_the_programme(
    client, store, runtime, fake_twilio: FakeTwilio
) -> None:
    text(client, "hi")
    runtime.sender.send_due()
    text(client, "ARRET", OptOutType="STOP")
    text(client, "1")  # anything more, until START
    assert runtime.sender.send_due() == 0
    assert len(fake_twilio.messages) == 1
