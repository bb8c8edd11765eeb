"""Every kind of input every flow reads gives the same outcome when typed with invisible
characters mixed in, with digits from another script, or in full-width forms, as typed clean.

The table below has a row for each step that reads input (checked against the flows' step
handlers, so a new step without a row fails), plus the global keywords and survey codes.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.domain.surveys import default_definition
from flows import actions, brands, supply, training
from flows.answers import clean, counts, fold, free_text, number, says
from flows.conversation import respond
from flows.core import Facts, Message, Outcome, State, choice
from flows.keywords import keyword
from flows.registry import FLOWS
from flows.survey import Survey, survey_code
from flows.views import ItemView, LessonView, NodeView

OPEN_CODES = {"4821", "AB12CD"}
NODES = (
    NodeView(11, None, "Ravi Weavers", "Sanganer", "Weaving", 12, 8, "cash", 1),
    NodeView(12, 11, "Meena Home Group", "Bagru", "Block printing", 5, 5, "cash", 2),
    NodeView(13, None, "Sita Dyers", "Jaipur", "Dyeing", 4, 0, "bank", 1),
)
ITEMS = (
    ItemView(21, "remediation", "major", "Write down piece rates", date(2026, 9, 30), "open"),
    ItemView(22, "remediation", "minor", "Keep a worker list", date(2026, 10, 30), "open"),
)


class Lookup:
    """The store as a step sees it: business 1 has a supply chain and items, 2 has nothing."""

    def survey_is_open(self, code: str) -> bool:
        return code in OPEN_CODES

    def survey_definition(self, code: str) -> Mapping[str, Any] | None:
        return default_definition() if code in OPEN_CODES else None

    def survey_questions(self, code: str) -> Sequence[Mapping[str, Any]] | None:
        return default_definition()["questions"] if code in OPEN_CODES else None

    def already_answered(self, code: str) -> bool:
        return False

    def supply_nodes(self, business_id: int) -> tuple[NodeView, ...]:
        return NODES if business_id == 1 else ()

    def lessons(self, business_id: int) -> Mapping[str, LessonView]:
        return {}

    def checklist(self, business_id: int) -> Mapping[str, str]:
        return {}

    def open_actions(self, business_id: int) -> tuple[ItemView, ...]:
        return ITEMS if business_id == 1 else ()

    def next_assessment(self, business_id: int) -> datetime | None:
        return datetime(2026, 9, 30, 10, tzinfo=UTC)

    def brand_consents(self, business_id: int) -> tuple[tuple[int, str], ...]:
        return ((31, "Fair Threads"), (32, "Maison Artisane")) if business_id == 1 else ()


LOOKUP = Lookup()
NEWCOMER = Facts()
CHOSEN = Facts(language="en")
CONSENTED = Facts(language="en", consented=True)
SUGGESTING = replace(CONSENTED, default_country="IN")
LEADER = Facts(
    language="en",
    role="leader",
    consented=True,
    business_name="Blue Thread",
    stage="mapping",
    business_id=1,
)
HINDI_LEADER = replace(LEADER, language="hi")
NEW_LEADER = replace(LEADER, business_id=2)
OPTED_OUT = replace(LEADER, opted_out=True)
WORKER = Facts(language="en", role="worker", consented=True)
MENU = State("menu", "main", {})


def at(flow: str, step: str, **data: Any) -> Callable[[Facts], State | None]:
    return lambda _: State(flow, step, data)


def new_contact(_: Facts) -> None:
    return None


def adding(facts: Facts) -> State:
    return supply.start_adding(facts).state


def chain(facts: Facts) -> State:
    return supply.show_chain(facts, LOOKUP).state


def topics(facts: Facts) -> State:
    return training.show_topics(facts, LOOKUP).state


def item_list(facts: Facts) -> State:
    return actions.show_list(facts, LOOKUP).state


def item_in_focus(_: Facts) -> State:
    return actions.focus(MENU, ITEMS[0])


def brand_list(facts: Facts) -> State:
    return brands.show_list(facts, LOOKUP).state


def brand_asks(_: Facts) -> State:
    return brands.focus(MENU, 31, "Fair Threads")


def survey_consent(facts: Facts) -> State:
    return Survey().start(facts, {"code": "4821"}).state


@dataclass(frozen=True)
class Row:
    """`typed` read at the step reached from `start` by the clean answers in `before`."""

    where: str  # "flow.step" the input is read at, or "global" for keywords and codes
    facts: Facts
    start: Callable[[Facts], State | None]
    before: tuple[str, ...]
    typed: str
    expect: str  # the first reply's key for the clean input
    stored: bool = False  # free text kept as typed: its letters and digits are not changed


def rows(
    where: str,
    facts: Facts,
    start: Callable[[Facts], State | None],
    before: tuple[str, ...],
    *answers: tuple[str, str],
    stored: bool = False,
) -> tuple[Row, ...]:
    """One row per (typed, expected first reply) read at the same step."""
    return tuple(
        Row(where, facts, start, before, typed, expect, stored) for typed, expect in answers
    )


NAMING = ("Ravi Weavers", "Sanganer", "Block printing")
NAME_ASKED = at("onboarding", "business_name")
PLACE_ASKED = at("onboarding", "place", name="Blue Thread")
COUNTRY_ASKED = at("onboarding", "country", name="Blue Thread", place="Jaipur")
CONFIRMING = at("onboarding", "confirm", name="Blue Thread", place="Jaipur", country="IN")
MAIN_MENU = (
    "supply.ask_name",
    "supply.list",
    "training.topics",
    "actions.list",
    "assessment.date",
    "stage.mapping",
    "onboarding.choose_language",
    "ticket.ask",
    "keyword.help",
    "brands.list",
)
NUMBERS = [str(number) for number in range(1, len(MAIN_MENU) + 1)]
ROWS = (
    # Onboarding: a numbered choice, a language's name or code, free text, a country, a code.
    *rows(
        "onboarding.language",
        NEWCOMER,
        new_contact,
        ("hi",),
        *((typed, "onboarding.consent") for typed in ("2", "हिन्दी", "Français", "fr")),
    ),
    *rows(
        "onboarding.consent",
        CHOSEN,
        at("onboarding", "consent"),
        (),
        ("1", "onboarding.role"),
        ("2", "onboarding.consent_declined"),
    ),
    *rows(
        "onboarding.role",
        CONSENTED,
        at("onboarding", "role"),
        (),
        ("1", "onboarding.business_name"),
        ("2", "worker.code"),
    ),
    *rows(
        "onboarding.business_name",
        CONSENTED,
        NAME_ASKED,
        (),
        *((name, "onboarding.place") for name in ("Blue Thread", "नीला धागा", "Unit ७ Weavers")),
        stored=True,
    ),
    *rows(
        "onboarding.place",
        CONSENTED,
        PLACE_ASKED,
        (),
        ("Jaipur", "onboarding.country"),
        stored=True,
    ),
    *rows(
        "onboarding.country",
        CONSENTED,
        COUNTRY_ASKED,
        (),
        *((country, "onboarding.confirm") for country in ("India", "भारत", "IN", "Inde")),
    ),
    *rows("onboarding.country", SUGGESTING, COUNTRY_ASKED, (), ("1", "onboarding.confirm")),
    *rows(
        "onboarding.confirm",
        CONSENTED,
        CONFIRMING,
        (),
        ("1", "onboarding.registered"),
        ("2", "onboarding.business_name"),
    ),
    *rows(
        "onboarding.survey_code",
        WORKER,
        at("onboarding", "survey_code"),
        (),
        ("4821", "survey.consent"),
        ("AB12 CD", "survey.consent"),
        ("#4821", "survey.consent"),
        ("9999", "worker.code_unknown"),
    ),
    # The main menu: every numbered choice.
    *rows(
        "menu.main",
        LEADER,
        at("menu", "main"),
        (),
        *zip(map(str, range(1, 11)), MAIN_MENU, strict=True),
    ),
    # Supply-chain mapping: free text, counts, numbered lists and payment words.
    *rows("supply.name", LEADER, adding, (), ("Ravi Weavers", "supply.ask_place"), stored=True),
    *rows("supply.name", LEADER, adding, (), ("रवि बुनकर", "supply.ask_place"), stored=True),
    *rows(
        "supply.place", LEADER, adding, NAMING[:1], ("Sanganer", "supply.ask_process"), stored=True
    ),
    *rows(
        "supply.process",
        LEADER,
        adding,
        NAMING[:2],
        ("Block printing", "supply.ask_workers"),
        stored=True,
    ),
    *rows(
        "supply.workers",
        LEADER,
        adding,
        NAMING,
        ("12 8", "supply.ask_parent"),
        ("12, 8 at home", "supply.ask_parent"),
        ("1,200 300", "supply.ask_parent"),
        ("1\u00a0200", "supply.ask_home_workers"),
        ("12", "supply.ask_home_workers"),
    ),
    *rows(
        "supply.home_workers",
        LEADER,
        adding,
        (*NAMING, "12"),
        ("8", "supply.ask_parent"),
        ("0", "supply.ask_parent"),
    ),
    *rows(
        "supply.parent",
        LEADER,
        adding,
        (*NAMING, "12 8"),
        *((typed, "supply.ask_payment") for typed in ("1", "2", "4")),
    ),
    *rows("supply.payment", NEW_LEADER, adding, (*NAMING, "12 8"), ("2", "supply.summary")),
    *rows(
        "supply.payment",
        HINDI_LEADER,
        adding,
        (*NAMING, "12 8", "1"),
        *((typed, "supply.summary") for typed in ("3", "Mobile money", "नकद")),
    ),
    *rows(
        "supply.confirm",
        LEADER,
        adding,
        (*NAMING, "12 8", "1", "1"),
        ("1", "supply.saved"),
        ("2", "supply.cancelled"),
    ),
    *rows(
        "supply.after",
        LEADER,
        at("supply", "after"),
        (),
        ("1", "supply.ask_name"),
        ("2", "supply.list"),
        ("3", "menu.main"),
    ),
    *rows(
        "supply.list",
        LEADER,
        chain,
        (),
        ("1", "supply.summary"),
        ("3", "supply.summary"),
        ("4", "supply.ask_name"),
        ("5", "supply.confirmed"),
    ),
    *rows("supply.list", NEW_LEADER, chain, (), ("1", "supply.ask_name"), ("2", "menu.main")),
    *rows(
        "supply.node",
        LEADER,
        chain,
        ("1",),
        ("1", "supply.ask_field"),
        ("2", "supply.ask_remove"),
        ("3", "supply.list"),
    ),
    *rows(
        "supply.field",
        LEADER,
        chain,
        ("1", "1"),
        ("4", "supply.ask_workers"),
        ("5", "supply.ask_parent"),
    ),
    *rows("supply.workers", LEADER, chain, ("1", "1", "4"), ("14 9", "supply.updated")),
    *rows(
        "supply.remove",
        LEADER,
        chain,
        ("1", "2"),
        ("1", "supply.removed"),
        ("2", "supply.summary"),
    ),
    # Lessons and the self-check: numbered choices and yes / no / not sure in words.
    *rows(
        "training.topics",
        LEADER,
        topics,
        (),
        ("1", "lesson.child_labour.1"),
        ("9", "checklist.worker_list"),
    ),
    *rows(
        "training.lesson",
        LEADER,
        topics,
        ("1",),
        ("1", "lesson.child_labour.2"),
        ("2", "training.saved"),
    ),
    *rows(
        "training.check",
        LEADER,
        topics,
        ("1", "1", "1"),
        ("2", "training.right"),
        ("No", "training.right"),
        ("yes", "lesson.child_labour.explain"),
    ),
    *rows("training.check", HINDI_LEADER, topics, ("1", "1", "1"), ("नहीं", "training.right")),
    *rows(
        "training.checklist",
        LEADER,
        topics,
        ("9",),
        *((typed, "checklist.ages") for typed in ("3", "Not sure", "Yes")),
    ),
    *rows("training.checklist", HINDI_LEADER, topics, ("9",), ("पता नहीं", "checklist.ages")),
    # Actions: numbered choices, done / need help in words, and notes kept as typed.
    *rows("actions.list", LEADER, item_list, (), ("1", "actions.item"), ("3", "menu.main")),
    *rows(
        "actions.item",
        LEADER,
        item_in_focus,
        (),
        ("1", "actions.thanks_done"),
        ("2", "menu.main"),  # the ticket it opens says who answers, as the domain knows
        ("3", "menu.main"),
        ("done", "actions.thanks_done"),
        ("need help", "menu.main"),
    ),
    *rows("actions.item", HINDI_LEADER, item_in_focus, (), ("हो गया", "actions.thanks_done")),
    *rows(
        "actions.item",
        LEADER,
        item_in_focus,
        (),
        ("Paid all 12 workers on Friday", "actions.note_saved"),
        stored=True,
    ),
    # Brand partners: yes or no to a request, and a numbered list to withdraw consent.
    *rows("brands.ask", LEADER, brand_asks, (), ("1", "brands.given"), ("2", "brands.declined")),
    *rows("brands.list", LEADER, brand_list, (), ("2", "brands.withdrawn"), ("3", "menu.main")),
    # The anonymous survey: consent, numbered answers, and 0 or the skip word to skip.
    *rows(
        "survey.consent",
        WORKER,
        survey_consent,
        (),
        ("1", "survey.question"),
        ("2", "survey.declined"),
    ),
    *rows(
        "survey.question",
        WORKER,
        survey_consent,
        ("1",),
        *((typed, "survey.question") for typed in ("2", "0", "00", "SKIP", "छोड़ें", "saltar")),
    ),
    # Global keywords in any state and any language, and survey codes from anywhere.
    *rows(
        "global",
        LEADER,
        at("menu", "main"),
        (),
        ("STOP", "keyword.stopped"),
        ("opt out", "keyword.stopped"),
        ("End", "keyword.stopped"),
        ("Arrêt", "keyword.stopped"),
        ("रोकें", "keyword.stopped"),
        ("HELP", "keyword.help"),
        ("मदद", "keyword.help"),
        ("MENU", "menu.main"),
        ("LANG", "onboarding.choose_language"),
        ("START", "menu.main"),
        ("JOIN 4821", "survey.consent"),
        ("UNIRSE AB12CD", "survey.consent"),
        ("जुड़ें 4821", "survey.consent"),
    ),
    *rows(
        "global",
        OPTED_OUT,
        at("menu", "main"),
        (),
        ("START", "keyword.restarted"),
        ("YES", "keyword.restarted"),
        ("UNSTOP", "keyword.restarted"),
        ("HELP", "keyword.help"),
    ),
    *rows(
        "global",
        NEWCOMER,
        new_contact,
        (),
        ("4821", "onboarding.choose_language"),
        ("JOIN 4821", "onboarding.choose_language"),
    ),
)

# Steps whose handler is not named after the step.
_HANDLED_AS = {
    ("supply", "text"): ("name", "place", "process"),
    ("survey", "answer"): ("question",),
}
_STEP_METHODS = {"menu": ("main",), "actions": ("list", "item"), "brands": ("ask",)}


def steps_that_read_input() -> set[str]:
    """Every "flow.step" whose step reads typed text, from the flows' own handlers."""
    found = set()
    for name, flow in FLOWS.items():
        handlers = [attr.removeprefix("_on_") for attr in dir(flow) if attr.startswith("_on_")]
        for handler in handlers:
            for step in _HANDLED_AS.get((name, handler), (handler,)):
                found.add(f"{name}.{step}")
        found.update(f"{name}.{step}" for step in _STEP_METHODS.get(name, ()))
    return found


def test_the_table_covers_every_step_that_reads_input() -> None:
    covered = {row.where for row in ROWS} - {"global"}
    assert covered == steps_that_read_input()


INVISIBLE_EDGES = ("\ufeff\u200b ", " \u200e\u2060\u200f")
# Inside the text: zero-width space, LRM, RLM, word joiner, soft hyphen, bidi embedding and pop.
INVISIBLE_INSIDE = ("\u200b", "\u200e", "\u200f", "\u2060", "\u00ad", "\u202a", "\u202c")
JOINERS_INSIDE = ("\u200d", "\u200c")
DIGIT_ZEROS = {
    "devanagari": 0x0966,
    "arabic-indic": 0x0660,
    "extended arabic-indic": 0x06F0,
    "bengali": 0x09E6,
    "gujarati": 0x0AE6,
    "full-width": 0xFF10,
}


def sprinkled(typed: str, marks: tuple[str, ...]) -> str:
    """The text with an invisible character between every two characters and at both ends."""
    inner = "".join(char + marks[i % len(marks)] for i, char in enumerate(typed[:-1]))
    return INVISIBLE_EDGES[0] + inner + typed[-1:] + INVISIBLE_EDGES[1]


def variants(row: Row) -> dict[str, str]:
    """What a person's keyboard may send instead of the clean input."""
    if row.stored:  # stored text keeps joiners inside, and its own digits
        return {"invisible": sprinkled(row.typed, INVISIBLE_INSIDE)}
    found = {
        "invisible": sprinkled(row.typed, INVISIBLE_INSIDE),
        "joiners": sprinkled(row.typed, JOINERS_INSIDE),
        "full-width": "".join(
            chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else "\u3000" if char == " " else char
            for char in row.typed
        ),
    }
    if any(char.isascii() and char.isdigit() for char in row.typed):
        for script, zero in DIGIT_ZEROS.items():
            found[f"{script} digits"] = "".join(
                chr(zero + int(char)) if char.isascii() and char.isdigit() else char
                for char in row.typed
            )
    if len(row.typed) == 1 and row.typed.isdigit():
        found["keycap"] = row.typed + "\ufe0f\u20e3"
    found["invisible digits"] = sprinkled(found.get("devanagari digits", row.typed), ("\u200b",))
    return {name: text for name, text in found.items() if text != row.typed}


def reached(row: Row) -> State | None:
    state = row.start(row.facts)
    for answer in row.before:
        state = respond(state, Message(answer), row.facts, LOOKUP).state
    return state


def outcome(row: Row, typed: str) -> Outcome:
    return respond(reached(row), Message(typed), row.facts, LOOKUP)


CASES = [
    pytest.param(row, kind, typed, id=f"{row.where}:{row.typed}:{kind}")
    for row in ROWS
    for kind, typed in variants(row).items()
]


@pytest.mark.parametrize("row", ROWS, ids=[f"{row.where}:{row.typed}" for row in ROWS])
def test_each_clean_input_is_read_where_the_table_says(row: Row) -> None:
    state = reached(row)
    if row.where != "global" and state is not None:
        assert f"{state.flow}.{state.step}" == row.where
    assert outcome(row, row.typed).replies[0].key == row.expect


@pytest.mark.parametrize(("row", "kind", "typed"), CASES)
def test_the_same_input_typed_differently_gives_the_same_outcome(row, kind, typed) -> None:
    assert outcome(row, typed) == outcome(row, row.typed)


def test_stored_text_keeps_its_letters_and_joiners_but_no_invisible_edges() -> None:
    kshatriya = "क्\u200dष"  # a half form that needs its zero-width joiner
    assert free_text(f"\u200b\ufeff{kshatriya} Weavers\u200d\u200e ") == f"{kshatriya} Weavers"
    assert free_text("Blue\u200bThread") == "BlueThread"
    assert free_text("Unit ७") == "Unit ७"
    assert free_text("\u200b\u200d") is None
    assert clean("\u2067 STOP \u2069") == "STOP"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2", 2),
        ("#2", 2),
        ("2.", 2),
        ("(2)", 2),
        ("२", 2),
        ("٢", 2),
        ("２", 2),
        ("2\ufe0f\u20e3", 2),
        ("\u200b2\u200d", 2),
        ("²", 2),
        ("2 2", None),
        ("½", None),
        ("-2", None),
        ("", None),
        ("12345678", None),
    ],
)
def test_a_number_is_read_in_any_script(typed: str, expected: int | None) -> None:
    assert number(typed) == expected
    assert choice(typed, 9) == (expected if expected is not None and expected <= 9 else None)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("१२ ८", (12, 8)),
        ("١٢، ٨", (12, 8)),
        ("1\u00a0200", (1200,)),
        ("१,२००", (1200,)),
        ("１，２００", (1200,)),
        ("1\u200b2 \u200e8", (12, 8)),
        ("1.5", None),
        ("-3", None),
    ],
)
def test_counts_are_read_in_any_script(typed: str, expected: tuple[int, ...] | None) -> None:
    assert counts(typed) == expected


def test_words_codes_and_keywords_are_read_through_one_fold() -> None:
    assert fold("\u200bＳＴＯＰ\u200f") == "stop"
    assert fold("  Opt \u00a0 Out! ") == "opt out"
    assert fold("हाँ।") == fold("हाँ")
    assert keyword("\ufeffS\u200bT\u200dO\u200cP") == "stop"
    assert survey_code("४८२१") == "4821"
    assert survey_code("AB\u200b12-CD") == "AB12CD"
    assert says("\u200bYES\u200e", "en", "common.yes")
