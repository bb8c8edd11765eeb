"""Pre-assessment guidance: short lessons by standards topic, then a self-assessment checklist.

Each lesson is a few short messages and one yes/no check question. The position in a lesson and
each checklist answer are saved as they happen, so a leader can stop at any point and resume.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flows.answers import says
from flows.core import Effect, Facts, Lookup, Message, Option, Outcome, Reply, State, choice, enter
from flows.views import LessonView

NAME = "training"
PARTS = 2  # messages per lesson before its check question
# Topic, and the right answer (1 yes, 2 no) to its check question.
LESSONS: Mapping[str, int] = {
    "child_labour": 2,
    "forced_labour": 2,
    "wages": 1,
    "hours": 2,
    "safety": 1,
    "discrimination": 2,
    "records": 1,
    "environment": 2,
}
TOPICS = tuple(LESSONS)
CHECKLIST = (
    "worker_list",
    "ages",
    "rates_written",
    "paid_on_time",
    "pay_record",
    "complaints",
    "chemicals",
)
CHECKLIST_ANSWERS = ("yes", "no", "not_sure")

_TOPIC_OPTIONS = (
    *(Option(f"lesson.{topic}") for topic in TOPICS),
    Option("training.checklist"),
)
_READ_ON = (Option("training.next"), Option("training.stop"))
_YES_NO = (Option("common.yes"), Option("common.no"))
_CHECKLIST_OPTIONS = tuple(Option(f"checklist.answer_{answer}") for answer in CHECKLIST_ANSWERS)


@dataclass(frozen=True)
class SaveLessonPosition(Effect):
    topic: str
    position: int


@dataclass(frozen=True)
class FinishLesson(Effect):
    topic: str
    check_passed: bool


@dataclass(frozen=True)
class AnswerChecklist(Effect):
    question: str
    answer: str


def show_topics(facts: Facts, lookup: Lookup, *before: Reply, finished: str = "") -> Outcome:
    """The list of lessons with how many are done; `finished` counts a lesson done this step."""
    done = {topic for topic, view in _lessons(facts, lookup).items() if view.completed}
    state = State(NAME, "topics", {"done": len(done | ({finished} if finished else set()))})
    return Outcome((*before, *Training().prompt(state, facts)), state)


class Training:
    name = NAME

    def start(self, facts: Facts, data: Mapping[str, Any]) -> Outcome:
        state = State(NAME, "topics", {"done": 0})
        return Outcome(self.prompt(state, facts), state)

    def prompt(self, state: State, facts: Facts) -> tuple[Reply, ...]:
        data = state.data
        if state.step == "lesson":
            return (Reply(f"lesson.{data['topic']}.{data['part'] + 1}", options=_READ_ON),)
        if state.step == "check":
            return (Reply(f"lesson.{data['topic']}.check", options=_YES_NO),)
        if state.step == "checklist":
            number = data["question"]
            params = {"number": number + 1, "total": len(CHECKLIST)}
            return (Reply(f"checklist.{CHECKLIST[number]}", params, _CHECKLIST_OPTIONS),)
        params = {"done": data.get("done", 0), "total": len(TOPICS)}
        return (Reply("training.topics", params, _TOPIC_OPTIONS),)

    def step(self, state: State, message: Message, facts: Facts, lookup: Lookup) -> Outcome:
        handler = getattr(self, f"_on_{state.step}")
        return handler(state, message.text, facts, lookup)

    def _on_topics(self, state: State, text: str, facts: Facts, lookup: Lookup) -> Outcome:
        number = choice(text, len(_TOPIC_OPTIONS))
        if number is None:
            return self._retry(state, facts, len(_TOPIC_OPTIONS))
        if number > len(TOPICS):
            answered = _checklist(facts, lookup)
            first = next((i for i, q in enumerate(CHECKLIST) if q not in answered), 0)
            return self._ask(State(NAME, "checklist", {"question": first}), facts)
        topic = TOPICS[number - 1]
        saved = _lessons(facts, lookup).get(topic)
        position = saved.position if saved and not saved.completed else 0
        return self._read(topic, min(position, PARTS), facts)

    def _read(self, topic: str, position: int, facts: Facts) -> Outcome:
        """Show the part at `position` (or the check after the last part) and remember it."""
        if position >= PARTS:
            state = State(NAME, "check", {"topic": topic})
        else:
            state = State(NAME, "lesson", {"topic": topic, "part": position})
        return Outcome(self.prompt(state, facts), state, (SaveLessonPosition(topic, position),))

    def _on_lesson(self, state: State, text: str, facts: Facts, lookup: Lookup) -> Outcome:
        answer = choice(text, len(_READ_ON))
        if answer is None:
            return self._retry(state, facts, len(_READ_ON))
        if answer == 2:
            return enter("menu", Reply("training.saved"))
        return self._read(state.data["topic"], state.data["part"] + 1, facts)

    def _on_check(self, state: State, text: str, facts: Facts, lookup: Lookup) -> Outcome:
        answer = choice(text, len(_YES_NO))
        for number, option in enumerate(_YES_NO, 1):
            if answer is None and says(text, facts.language, option.key):
                answer = number
        if answer is None:
            return self._retry(state, facts, len(_YES_NO))
        topic = state.data["topic"]
        passed = answer == LESSONS[topic]
        feedback = Reply("training.right" if passed else f"lesson.{topic}.explain")
        shown = show_topics(facts, lookup, feedback, finished=topic)
        return shown.with_effects(FinishLesson(topic, passed))

    def _on_checklist(self, state: State, text: str, facts: Facts, _: Lookup) -> Outcome:
        answer = choice(text, len(_CHECKLIST_OPTIONS))
        for number, option in enumerate(_CHECKLIST_OPTIONS, 1):
            if answer is None and says(text, facts.language, option.key):
                answer = number
        if answer is None:
            return self._retry(state, facts, len(_CHECKLIST_OPTIONS))
        number = state.data["question"]
        effect = AnswerChecklist(CHECKLIST[number], CHECKLIST_ANSWERS[answer - 1])
        if number + 1 < len(CHECKLIST):
            following = State(NAME, "checklist", {"question": number + 1})
            return Outcome(self.prompt(following, facts), following, (effect,))
        return enter("menu", Reply("checklist.thanks"), effects=(effect,))

    def _ask(self, state: State, facts: Facts) -> Outcome:
        return Outcome(self.prompt(state, facts), state)

    def _retry(self, state: State, facts: Facts, count: int) -> Outcome:
        (prompt,) = self.prompt(state, facts)
        return Outcome((Reply("invalid.choice", {"max": count}, prompt.options),), state)


def _lessons(facts: Facts, lookup: Lookup) -> Mapping[str, LessonView]:
    return lookup.lessons(facts.business_id) if facts.business_id is not None else {}


def _checklist(facts: Facts, lookup: Lookup) -> Mapping[str, str]:
    return lookup.checklist(facts.business_id) if facts.business_id is not None else {}
