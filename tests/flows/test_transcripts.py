"""Every flow as a chat transcript, in memory: what a person types and the keys of the replies.

No database and no engine: `flows.conversation.respond` runs each line with a fake lookup, so
the whole table runs in well under a second.
"""

from datetime import datetime

import pytest
from flow_support import LEADER, Chat, FakeLookup, Line, item, node, run

from flows.core import Facts, State
from flows.views import LessonView

AT_MENU = State("menu", "main")
SURVEY = {
    "questions": [
        {"key": "paid", "text": {"en": "Paid on time?"}, "options": {"en": ["Yes", "No"]}},
        {"key": "kids", "text": {"en": "Children?"}, "options": {"en": ["No", "Yes", "Unsure"]}},
    ]
}
ITEM_DATA = {"id": 3, "description": "Write rates", "due": "2026-02-01", "severity": "major"}


def leader(lookup: FakeLookup | None = None, state: State = AT_MENU) -> Chat:
    return Chat(facts=LEADER, lookup=lookup or FakeLookup(), state=state)


# name -> (the chat at its start, the transcript)
TRANSCRIPTS: dict[str, tuple[Chat, list[Line]]] = {
    "onboarding: a leader registers, the country suggested from the number": (
        Chat(),
        [
            ("hi", ["onboarding.choose_language"]),
            ("1", ["onboarding.consent"]),
            ("yes?", ["invalid.choice"]),
            ("1", ["onboarding.role"]),
            ("1", ["onboarding.business_name"]),
            ("2", ["onboarding.name_invalid", "onboarding.business_name"]),
            ("Blue Thread", ["onboarding.place"]),
            ("Jaipur", ["onboarding.country_suggest"]),
            ("1", ["onboarding.confirm"]),
            ("2", ["onboarding.business_name"]),
            ("Blue Thread", ["onboarding.place"]),
            ("Jaipur", ["onboarding.country_suggest"]),
            ("Inde", ["onboarding.confirm"]),
            ("1", ["onboarding.registered", "menu.main"]),
        ],
    ),
    "onboarding: no consent, no questions": (
        Chat(facts=Facts()),
        [
            ("hola", ["onboarding.choose_language"]),
            ("9", ["invalid.choice"]),
            ("Español", ["onboarding.consent"]),
            ("2", ["onboarding.consent_declined"]),
        ],
    ),
    "onboarding: a worker is asked for the code on her card": (
        Chat(facts=Facts(), lookup=FakeLookup(surveys={"4821": SURVEY})),
        [
            ("hello", ["onboarding.choose_language"]),
            ("1", ["onboarding.consent"]),
            ("1", ["onboarding.role"]),
            ("2", ["worker.code"]),
            ("hm", ["worker.code_invalid", "worker.code"]),
            ("9999", ["worker.code_unknown"]),
            ("4821", ["survey.consent"]),
        ],
    ),
    "menu: every choice that answers in place": (
        leader(FakeLookup(assessment=datetime(2026, 7, 1, 9))),
        [
            ("11", ["invalid.choice"]),
            ("5", ["assessment.date"]),
            ("6", ["stage.registered"]),
            ("9", ["keyword.help"]),
            ("7", ["onboarding.choose_language"]),
            ("1", ["menu.main"]),
        ],
    ),
    "menu: no assessment yet": (leader(), [("5", ["assessment.not_scheduled"])]),
    "supply: the first entry, counts in one message": (
        leader(),
        [
            ("1", ["supply.ask_name"]),
            ("2", ["supply.text_invalid", "supply.ask_name"]),
            ("Rosa workshop", ["supply.ask_place"]),
            ("Jaipur", ["supply.ask_process"]),
            ("stitching", ["supply.ask_workers"]),
            ("12, 8 at home", ["supply.ask_payment"]),
            ("by goat", ["invalid.choice"]),
            ("mobile money?", ["supply.summary", "supply.ask_save"]),
            ("1", ["supply.saved"]),
            ("3", ["menu.main"]),
        ],
    ),
    "supply: who gives work is picked from the tree": (
        leader(FakeLookup(nodes=(node(1, "Rosa"), node(2, "Home group", 1, 2)))),
        [
            ("1", ["supply.ask_name"]),
            ("Agent", ["supply.ask_place"]),
            ("Bagru", ["supply.ask_process"]),
            ("beading", ["supply.ask_workers"]),
            ("5", ["supply.ask_home_workers"]),
            ("9", ["supply.home_invalid", "supply.ask_home_workers"]),
            ("3", ["supply.ask_parent"]),
            ("3", ["supply.ask_payment"]),
            ("bank", ["supply.summary", "supply.ask_save"]),
            ("2", ["supply.cancelled"]),
        ],
    ),
    "supply: change, remove and confirm": (
        leader(FakeLookup(nodes=(node(1, "Rosa"), node(2, "Home group", 1, 2)))),
        [
            ("2", ["supply.list"]),
            ("1", ["supply.summary", "supply.node_menu"]),
            ("1", ["supply.ask_field"]),
            ("1", ["supply.ask_name"]),
            ("Rosa Two", ["supply.updated"]),
            ("2", ["supply.list"]),
            ("2", ["supply.summary", "supply.node_menu"]),
            ("2", ["supply.ask_remove"]),
            ("1", ["supply.removed"]),
            ("2", ["supply.list"]),
            ("4", ["supply.confirmed", "menu.main"]),
        ],
    ),
    "supply: nothing reported yet": (
        leader(),
        [("2", ["supply.list_empty"]), ("3", ["invalid.choice"]), ("2", ["menu.main"])],
    ),
    "training: a lesson resumes where it stopped, then the checklist": (
        leader(
            FakeLookup(
                lesson_views={"child_labour": LessonView("child_labour", 1, False)},
                checklist_answers={"worker_list": "yes"},
            )
        ),
        [
            ("3", ["training.topics"]),
            ("1", ["lesson.child_labour.2"]),
            ("1", ["lesson.child_labour.check"]),
            ("yes", ["lesson.child_labour.explain", "training.topics"]),
            ("10", ["invalid.choice"]),
            ("9", ["checklist.ages"]),
            ("3", ["checklist.rates_written"]),
            ("no", ["checklist.paid_on_time"]),
            ("not sure", ["checklist.pay_record"]),
            ("1", ["checklist.complaints"]),
            ("2", ["checklist.chemicals"]),
            ("3", ["checklist.thanks", "menu.main"]),
        ],
    ),
    "training: stopping a lesson goes back to the menu": (
        leader(),
        [
            ("3", ["training.topics"]),
            ("3", ["lesson.wages.1"]),
            ("2", ["training.saved", "menu.main"]),
        ],
    ),
    "actions: the list, an item, a note, help asked": (
        leader(FakeLookup(items=(item(3, "Write rates"), item(4, "First aid kit")))),
        [
            ("4", ["actions.list"]),
            ("1", ["actions.item", "actions.ask"]),
            ("x", ["actions.invalid"]),
            ("we wrote them down", ["actions.note_saved"]),
            ("2", ["actions.list"]),  # the ticket it opens tells who answers and when
            ("4", ["invalid.choice"]),
            ("3", ["menu.main"]),
        ],
    ),
    "actions: none open": (leader(), [("4", ["actions.none", "menu.main"])]),
    "actions: a notice's answer, then back to the question that was left": (
        leader(
            FakeLookup(items=(item(3, "Write rates"),)),
            State(
                "actions",
                "item",
                {
                    "item": ITEM_DATA,
                    "queue": [],
                    "return_to": {"flow": "supply", "step": "name", "data": {}},
                },
            ),
        ),
        [
            ("", ["invalid.empty", "actions.item", "actions.ask"]),
            ("done", ["actions.thanks_done", "supply.ask_name"]),
        ],
    ),
    "survey: a new number picks a language, skips one, answers one": (
        Chat(facts=Facts(), lookup=FakeLookup(surveys={"4821": SURVEY})),
        [
            ("4821", ["onboarding.choose_language"]),
            ("1", ["survey.consent"]),
            ("1", ["survey.question"]),
            ("7", ["survey.answer_invalid"]),
            ("0", ["survey.question"]),
            ("2", ["survey.thanks"]),
            ("hm", ["worker.code_invalid", "worker.code"]),
        ],
    ),
    "survey: a leader joins by word, pauses with STOP, comes back": (
        leader(FakeLookup(surveys={"4821": SURVEY})),
        [
            ("JOIN 4821", ["survey.consent"]),
            ("1", ["survey.question"]),
            ("2", ["survey.question"]),
            ("STOP", ["keyword.stopped"]),
            ("3", []),
            ("START", ["keyword.restarted", "survey.question"]),
            ("1", ["survey.thanks"]),
            ("6", ["stage.registered"]),
        ],
    ),
    "survey: declined, and a closed code is answered so": (
        leader(FakeLookup(surveys={"4821": SURVEY})),
        [
            ("UNIRSE 4821", ["survey.consent"]),
            ("2", ["survey.declined"]),
            ("JOIN 1234", ["worker.code_unknown"]),
            ("1", ["supply.ask_name"]),
        ],
    ),
    "survey: someone who already answered is thanked and stays where they were": (
        leader(FakeLookup(surveys={"4821": SURVEY}, answered=frozenset({"4821"}))),
        [
            ("JOIN 4821", ["survey.already_answered"]),
            ("1", ["supply.ask_name"]),
        ],
    ),
    "survey: closed while someone answers, who may finish; the code no longer joins": (
        Chat(
            facts=Facts(language="en"),
            lookup=FakeLookup(closed={"4821": SURVEY}),
            state=State(
                "survey",
                "question",
                {
                    "code": "4821",
                    "answers": [1],
                    "then": {"flow": "onboarding", "step": "survey_code"},
                },
            ),
        ),
        [
            ("2", ["survey.thanks"]),
            ("JOIN 4821", ["worker.code_unknown"]),
        ],
    ),
    "keywords: at any moment, in any language": (
        leader(),
        [
            ("HELP", ["keyword.help", "menu.main"]),
            ("LANG", ["onboarding.choose_language"]),
            ("2", ["menu.main"]),
            ("1", ["supply.ask_name"]),
            ("MENU", ["menu.main"]),
            ("STOP", ["keyword.stopped"]),
            ("hello", []),
            ("START", ["keyword.restarted", "menu.main"]),
        ],
    ),
    "keywords: before registering, MENU only asks again": (
        Chat(),
        [
            ("HELP", ["keyword.help", "onboarding.choose_language"]),
            ("MENU", ["onboarding.choose_language"]),
            ("", ["invalid.empty", "onboarding.choose_language"]),
            ("1", ["onboarding.consent"]),
        ],
    ),
}


@pytest.mark.parametrize("name", list(TRANSCRIPTS))
def test_transcript(name: str) -> None:
    chat, lines = TRANSCRIPTS[name]
    run(chat, lines)
