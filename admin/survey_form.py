"""The survey builder's form: questions, their answers and red flags, each text in every
language, read from and written back to plain form fields.

Question `i` (from 0) posts `q-{i}-key`, `q-{i}-text-{lang}` and, for its answer `j`,
`q-{i}-a-{j}-{lang}` and a ticked `q-{i}-flag` with value `j`; questions and answers are
counted by the English fields present, and `q-count` marks the form as the builder's.
A button named `action` edits the draft without opening anything:
`add`, `remove-{i}`, `up-{i}`, `down-{i}`, `add-answer-{i}`, `remove-answer-{i}-{j}`.
Every value comes back as typed, whatever the validation says of it.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from bot.domain.surveys import MAX_OPTIONS, MAX_QUESTIONS, MAX_TEXT
from messages import LANGUAGES

COUNT_FIELD = "q-count"
KEY_LENGTH = 32
_ACTION = re.compile(r"^(add|remove|up|down|add-answer|remove-answer)(?:-(\d{1,2}))?(?:-(\d))?$")
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass
class Answer:
    text: dict[str, str] = field(default_factory=lambda: dict.fromkeys(LANGUAGES, ""))
    flag: bool = False


@dataclass
class Question:
    key: str = ""
    text: dict[str, str] = field(default_factory=lambda: dict.fromkeys(LANGUAGES, ""))
    answers: list[Answer] = field(default_factory=lambda: [Answer(), Answer()])


def from_definition(definition: Mapping[str, Any]) -> list[Question]:
    """A checked definition as the builder shows it."""
    drafts = []
    for question in definition["questions"]:
        flags = set(question.get("red_flags", []))
        count = len(question["options"]["en"])
        answers = [
            Answer({lang: question["options"][lang][n] for lang in LANGUAGES}, n + 1 in flags)
            for n in range(count)
        ]
        drafts.append(Question(question["key"], dict(question["text"]), answers))
    return drafts


def is_builder(form: FormData) -> bool:
    """Whether the form was posted by the builder (not a list of ticked standard questions)."""
    return COUNT_FIELD in form


def _count(form: FormData, name: str, most: int) -> int:
    """How many of the fields `name.format(n)` for n = 0, 1, ... are posted, up to `most`."""
    count = 0
    while count < most and name.format(count) in form:
        count += 1
    return count


def _value(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.replace("\x00", "")[: MAX_TEXT * 2] if isinstance(value, str) else ""


def read(form: FormData) -> list[Question]:
    """The draft as posted: at most one question and one answer beyond the limits, so a
    message can say so; text cut at twice the longest allowed."""
    drafts = []
    for i in range(_count(form, "q-{}-text-en", MAX_QUESTIONS + 1)):
        flags = {value for value in form.getlist(f"q-{i}-flag") if isinstance(value, str)}
        answers = [
            Answer(
                {lang: _value(form, f"q-{i}-a-{j}-{lang}") for lang in LANGUAGES},
                str(j) in flags,
            )
            for j in range(_count(form, f"q-{i}-a-{{}}-en", MAX_OPTIONS + 1))
        ]
        drafts.append(
            Question(
                _value(form, f"q-{i}-key")[: KEY_LENGTH * 2],
                {lang: _value(form, f"q-{i}-text-{lang}") for lang in LANGUAGES},
                answers,
            )
        )
    return drafts


def edit(drafts: list[Question], action: str) -> bool:
    """Apply a builder button to the draft in place; False when `action` is none of them
    (then the form is meant to open the survey)."""
    found = _ACTION.match(action)
    if found is None:
        return False
    verb, first, second = found.group(1), found.group(2), found.group(3)
    i = int(first) if first is not None else -1
    j = int(second) if second is not None else -1
    if verb == "add":
        if len(drafts) < MAX_QUESTIONS:
            drafts.append(Question())
        return True
    if not 0 <= i < len(drafts):
        return True
    if verb == "remove":
        del drafts[i]
    elif verb == "up" and i > 0:
        drafts[i - 1], drafts[i] = drafts[i], drafts[i - 1]
    elif verb == "down" and i < len(drafts) - 1:
        drafts[i + 1], drafts[i] = drafts[i], drafts[i + 1]
    elif verb == "add-answer" and len(drafts[i].answers) < MAX_OPTIONS:
        drafts[i].answers.append(Answer())
    elif verb == "remove-answer" and 0 <= j < len(drafts[i].answers):
        del drafts[i].answers[j]
    return True


def key_for(question: Question, taken: set[str]) -> str:
    """The question's key as typed, or one made from its English text ('paid_on_time'),
    made unique among `taken` with a number."""
    if question.key.strip():
        return question.key.strip()
    base = _SLUG.sub("_", question.text.get("en", "").lower()).strip("_")[:24] or "question"
    if not base[0].isalpha():
        base = f"q_{base}"[:24]
    key, number = base, 2
    while key in taken:
        key, number = f"{base}_{number}", number + 1
    return key


def to_definition(drafts: list[Question]) -> dict[str, Any]:
    """The draft as a definition for `validate_definition`, which checks everything."""
    taken = {draft.key.strip() for draft in drafts if draft.key.strip()}
    questions = []
    for draft in drafts:
        key = key_for(draft, taken)
        taken.add(key)
        questions.append(
            {
                "key": key,
                "text": dict(draft.text),
                "options": {
                    lang: [answer.text[lang] for answer in draft.answers] for lang in LANGUAGES
                },
                "red_flags": [n for n, answer in enumerate(draft.answers, 1) if answer.flag],
            }
        )
    return {"questions": questions}
