"""The domain changes steps ask for, checked as values: what the engine would apply."""

import pytest
from flow_support import LEADER, Chat, FakeLookup, item, node, run

from flows.actions import ReportOnAction
from flows.core import Facts, GiveConsent, RegisterBusiness, SetLanguage, State
from flows.supply import AddSupplyNode, ConfirmMapping, RemoveSupplyNode, UpdateSupplyNode
from flows.survey import SubmitSurveyResponse
from flows.training import AnswerChecklist, FinishLesson, SaveLessonPosition

SURVEY = {
    "questions": [
        {"key": "paid", "text": {"en": "Paid?"}, "options": {"en": ["Yes", "No"]}},
        {"key": "kids", "text": {"en": "Children?"}, "options": {"en": ["No", "Yes"]}},
        {"key": "safe", "text": {"en": "Safe?"}, "options": {"en": ["Yes", "No"]}},
    ]
}
ITEM = {"id": 3, "description": "Write rates", "due": "2026-02-01", "severity": "major"}


def effects_of(chat: Chat, *typed: str, media: tuple[str, ...] = ()) -> list[object]:
    """Every effect asked for while the lines are typed (media goes with the last line)."""
    found: list[object] = []
    for number, text in enumerate(typed, 1):
        chat.say(text, media if number == len(typed) else ())
        found.extend(chat.effects)
    return found


CASES = [
    (
        "registering",
        Chat(),
        ("hi", "3", "1", "1", "Atelier Perles", "Ségou", "Mali", "1"),
        (),
        [SetLanguage("fr"), GiveConsent(), RegisterBusiness("Atelier Perles", "Ségou", "ML")],
    ),
    (
        "a survey: the code and the answers, nobody's name",
        Chat(facts=Facts(language="en"), lookup=FakeLookup(surveys={"4821": SURVEY})),
        ("JOIN 4821", "1", "2", "SKIP", "1"),
        (),
        [SubmitSurveyResponse("4821", (2, None, 1))],
    ),
    (
        "a supply-chain entry under another",
        Chat(
            facts=LEADER, state=State("menu", "main"), lookup=FakeLookup(nodes=(node(5, "Rosa"),))
        ),
        ("1", "Agent", "Bagru", "beading", "12 8", "2", "3", "1"),
        (),
        [AddSupplyNode("Agent", "Bagru", "beading", 12, 8, "bank", 5)],
    ),
    (
        "changing, removing and confirming",
        Chat(
            facts=LEADER, state=State("menu", "main"), lookup=FakeLookup(nodes=(node(5, "Rosa"),))
        ),
        ("2", "1", "1", "4", "7 7", "2", "1", "2", "1", "2", "3"),
        (),
        [
            UpdateSupplyNode(5, {"workers": 7, "home_workers": 7}),
            RemoveSupplyNode(5),
            ConfirmMapping(),
        ],
    ),
    (
        "a lesson read and checked, one checklist answer",
        Chat(facts=LEADER, state=State("menu", "main")),
        ("3", "2", "1", "1", "2", "9", "1"),
        (),
        [
            SaveLessonPosition("forced_labour", 0),
            SaveLessonPosition("forced_labour", 1),
            SaveLessonPosition("forced_labour", 2),
            FinishLesson("forced_labour", True),
            AnswerChecklist("worker_list", "yes"),
        ],
    ),
    (
        "a photo is evidence for the item in focus",
        Chat(
            facts=LEADER,
            state=State("actions", "item", {"item": ITEM, "queue": []}),
            lookup=FakeLookup(items=(item(3, "Write rates"),)),
        ),
        ("receipt",),
        ("https://example.org/photo.jpg",),
        [ReportOnAction(3, "evidence", "receipt", ("https://example.org/photo.jpg",))],
    ),
]


@pytest.mark.parametrize(
    ("name", "chat", "typed", "media", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_steps_ask_for_exactly_these_changes(name, chat, typed, media, expected) -> None:
    assert effects_of(chat, *typed, media=media) == expected


def test_a_skipped_question_gets_the_same_next_message_as_an_answered_one() -> None:
    answering, skipping = (
        run(Chat(facts=Facts(language="en"), lookup=FakeLookup(surveys={"4821": SURVEY})), [])
        for _ in range(2)
    )
    for chat in (answering, skipping):
        run(chat, [("JOIN 4821", ["survey.consent"]), ("1", ["survey.question"])])
    answering.say("2")
    skipping.say("0")
    assert answering.last is not None and skipping.last is not None
    assert answering.last.replies == skipping.last.replies
