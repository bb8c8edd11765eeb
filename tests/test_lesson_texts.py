"""Lesson texts rewritten by an admin: checked like the catalogue, then read by leaders."""

from datetime import datetime

import pytest
from journey.journey_support import MENU, register
from sqlalchemy import func, select

from bot.domain.lesson_texts import (
    LessonTextError,
    lesson_texts,
    refresh_texts,
    set_lesson_text,
)
from bot.models import TextOverride
from messages import catalogue, text

NOW = datetime(2026, 3, 2, 9, 0)


def save(store, language: str, key: str, value: str) -> tuple[str, str]:
    with store.transaction() as session:
        return set_lesson_text(session, None, language, key, value, NOW)


def test_a_leader_reads_the_edited_lesson_in_their_language(store, make_phone) -> None:
    leader = make_phone("+919812300001")
    register(leader)
    edited = "No child under the legal minimum age may work for you, not even at home."
    before, after = save(store, "en", "lesson.child_labour.1", edited)
    assert before == catalogue("en")["lesson.child_labour.1"] and after == edited
    leader.send(MENU["training"])
    [(key, body)] = leader.send("1")
    assert key == "lesson.child_labour.1"
    assert body.startswith(edited + "\n1 Next")


def test_an_edit_made_by_another_process_reaches_the_next_message(store, make_phone) -> None:
    leader = make_phone("+919812300002")
    register(leader, "hi")
    leader.send(MENU["training"])
    refresh_texts_now(store)
    # Another process writes the row: nothing in this one is told, only the version moves.
    with store.transaction() as session:
        version = session.scalar(select(func.max(TextOverride.version))) or 0
        session.add(
            TextOverride(
                language="hi",
                key="lesson.child_labour.1",
                text="बच्चों से काम नहीं कराएँ।",
                version=version + 1,
                updated_at=NOW,
            )
        )
    [(_, body)] = leader.send("1")
    assert body.startswith("बच्चों से काम नहीं कराएँ।\n1 ")


def refresh_texts_now(store) -> None:
    with store.transaction() as session:
        refresh_texts(session)


def test_going_back_to_the_catalogue_text(store) -> None:
    save(store, "fr", "lesson.wages.check", "Chaque groupe reçoit-il son tarif par écrit ?")
    refresh_texts_now(store)
    assert text("fr", "lesson.wages.check").startswith("Chaque groupe")
    before, after = save(store, "fr", "lesson.wages.check", "   ")
    assert after == catalogue("fr")["lesson.wages.check"]
    assert before.startswith("Chaque groupe")
    refresh_texts_now(store)
    assert text("fr", "lesson.wages.check") == catalogue("fr")["lesson.wages.check"]
    with store.transaction() as session:
        shown = lesson_texts(session, "wages")["lesson.wages.check"]["fr"]
    assert shown.edited == "" and shown.shown == catalogue("fr")["lesson.wages.check"]


@pytest.mark.parametrize(
    ("language", "key", "value", "says"),
    [
        ("en", "lesson.wages.1", "x" * 481, "at most 480 characters"),
        ("en", "lesson.wages.1", "word " * 70, "too long for 2 text messages"),
        ("hi", "lesson.wages.1", "न" * 140, "too long for 2 text messages"),
        ("en", "lesson.wages.1", "Pay {amount} on time", "curly braces"),
        ("en", "lesson.wages.1", "Pay { on time", "curly braces"),
        ("en", "lesson.wages.1", "Pay\x07 on time", "printable"),
        ("en", "lesson.wages", "STOP", "keyword"),
        ("en", "lesson.wages", "A title much longer than forty characters here", "at most 40"),
        ("en", "lesson.nothing.1", "Hello", "There is no lesson"),
        ("en", "menu.main", "Hello", "Choose a lesson text"),
        ("xx", "lesson.wages.1", "Hello", "Choose a language"),
    ],
)
def test_a_text_that_would_not_fit_or_not_work_is_refused(
    store, language: str, key: str, value: str, says: str
) -> None:
    with pytest.raises(LessonTextError, match=says):
        save(store, language, key, value)
    with store.transaction() as session:
        assert session.scalar(select(func.count(TextOverride.id))) == 0
