"""Pre-assessment lessons and the self-check over chat: stop and resume, answers staff see."""

from fakes.telegram import options
from journey_support import MENU, business_id, outbox, register
from sqlalchemy import select

from bot.domain.training import checklist_answers
from bot.models import LessonProgress
from messages import catalogue

pytest_plugins = ["journey_fixtures"]  # leader, new_runtime


def progress(store, topic: str) -> LessonProgress | None:
    with store.transaction() as session:
        return session.scalar(select(LessonProgress).where(LessonProgress.topic == topic))


def test_a_lesson_can_be_stopped_and_resumed_then_checked(store, leader) -> None:
    [(key, topics)] = leader.send(MENU["training"])
    assert key == "training.topics"
    assert topics.startswith("Lessons before your pre-assessment: 0 of 8 done.")
    assert topics.endswith("\n8 Environment\n9 Self-check")

    [(key, first)] = leader.send("1")
    assert key == "lesson.child_labour.1"
    assert first.endswith("\n1 Next\n2 Stop for now")
    assert leader.keys("1") == ["lesson.child_labour.2"]
    assert leader.keys("2") == ["training.saved", "menu.main"]
    assert progress(store, "child_labour").position == 1

    leader.send(MENU["training"])
    assert leader.keys("1") == ["lesson.child_labour.2"]  # resumes where it stopped
    assert leader.keys("HELP") == ["keyword.help", "lesson.child_labour.2"]
    assert leader.keys("1") == ["lesson.child_labour.check"]
    assert leader.keys("maybe") == ["invalid.choice"]
    replies = leader.send("yes")  # the wrong answer: the explanation comes, then the topics
    assert [key for key, _ in replies] == ["lesson.child_labour.explain", "training.topics"]
    assert "1 of 8 done" in replies[1][1]
    saved = progress(store, "child_labour")
    assert saved.completed_at is not None and saved.check_passed is False

    assert leader.keys("3") == ["lesson.wages.1"]
    leader.send("1")
    leader.send("1")
    replies = leader.keys("1")  # right: written rates
    assert replies == ["training.right", "training.topics"]
    assert progress(store, "wages").check_passed is True

    assert leader.keys("1") == ["lesson.child_labour.1"]  # a finished lesson starts over


def test_the_self_check_saves_each_answer_and_resumes(store, leader) -> None:
    leader.send(MENU["training"])
    [(key, question)] = leader.send("9")
    assert key == "checklist.worker_list"
    assert question.endswith("\n1 Yes\n2 No\n3 Not sure")
    assert leader.keys("1") == ["checklist.ages"]
    assert leader.keys("perhaps") == ["invalid.choice"]
    assert leader.keys("not sure") == ["checklist.rates_written"]
    assert leader.keys("MENU") == ["menu.main"]

    leader.send(MENU["training"])
    assert leader.keys("9") == ["checklist.rates_written"]  # the first one not answered
    for answer in ("2", "1", "No", "3"):
        leader.send(answer)
    assert leader.keys("1") == ["checklist.thanks", "menu.main"]

    with store.transaction() as session:
        answers = checklist_answers(session, business_id(store, leader.address))
    assert answers == [
        (catalogue("en")["checklist.worker_list"], "yes"),
        ("Do you know the age of every worker?", "not_sure"),
        ("Are piece rates written and shared before work starts?", "no"),
        ("Are workers paid within the agreed days?", "yes"),
        ("Do workers get a record of what they were paid?", "no"),
        (catalogue("en")["checklist.complaints"], "not_sure"),
        ("Are chemicals stored away from children?", "yes"),
    ]


def test_hindi_lessons_over_telegram_come_with_buttons(store, make_phone) -> None:
    phone = make_phone("telegram:777", channel="telegram")
    register(phone, "hi", "Kamal Prints")
    phone.send(MENU["training"])
    [topics] = outbox(store, phone.address)[-1:]
    assert topics.message_key == "training.topics"
    assert [label for label, _ in topics.buttons][:2] == ["बाल श्रम", "बंधुआ श्रम"]
    assert [value for _, value in options(topics.buttons)] == [str(n) for n in range(1, 10)]
    phone.send("2")
    [lesson] = outbox(store, phone.address)[-1:]
    assert lesson.body == catalogue("hi")["lesson.forced_labour.1"]
    assert options(lesson.buttons) == [["आगे", "1"], ["अभी रुकें", "2"]]
    phone.send("1")
    phone.send("1")
    [check] = outbox(store, phone.address)[-1:]
    assert options(check.buttons) == [["हाँ", "1"], ["नहीं", "2"]]
    assert phone.keys("नहीं") == ["training.right", "training.topics"]
    assert progress(store, "forced_labour").check_passed is True
