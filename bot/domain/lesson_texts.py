"""Lesson texts as admins rewrite them in the console, and the runtime that applies them.

The catalogues in `messages/` hold each lesson's texts as shipped. An admin's version of one
text in one language is a `TextOverride` row; `refresh_texts` hands the rows to
`messages.use_overrides`, so every reply rendered afterwards (by the engine, the scheduler or
the sender, in any process) reads the new text. It costs one small query per call: the
highest `version`, compared with the one this process loaded last.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.orm import Session

from bot.domain.errors import Invalid
from bot.models import TextOverride
from flows.core import Option
from flows.keywords import keyword
from flows.training import TOPICS
from messages import LANGUAGES, catalogue, placeholders, use_overrides
from messages.sms import segments

# What each text of a lesson is, in the order a leader reads them.
PARTS = (
    ("", "Title (in the list of lessons)"),
    (".1", "First message"),
    (".2", "Second message"),
    (".check", "Check question (yes or no)"),
    (".explain", "Explanation after a wrong answer"),
)
MAX_TITLE = 40
MAX_TEXT = 480
DEFAULT_BUDGET = 2  # SMS parts per message, as for every catalogue text without its own
_NEXT_STOP = (Option("training.next"), Option("training.stop"))
_YES_NO = (Option("common.yes"), Option("common.no"))
_TOPIC_MENU = (*(Option(f"lesson.{topic}") for topic in TOPICS), Option("training.checklist"))
_loaded: int | None = None
_VERSION_READ = "lesson_texts.version_read"


class LessonTextError(Invalid):
    """An edit staff can correct; the message says how."""


@dataclass(frozen=True)
class LessonText:
    """One text of a lesson in one language: as shipped, and as the admin rewrote it (or "")."""

    key: str
    language: str
    shipped: str
    edited: str
    updated_at: datetime | None

    @property
    def shown(self) -> str:
        return self.edited or self.shipped


def lesson_keys(topic: str) -> list[str]:
    """The catalogue keys of one lesson's texts, title first. Raises LessonTextError for a
    topic that is not a lesson."""
    if topic not in TOPICS:
        raise LessonTextError(f"There is no lesson '{topic[:40]}'.")
    return [f"lesson.{topic}{suffix}" for suffix, _ in PARTS]


def lesson_texts(session: Session, topic: str) -> dict[str, dict[str, LessonText]]:
    """Key -> language -> text for one lesson, in reading order."""
    rows = {
        (row.language, row.key): row
        for row in session.scalars(
            select(TextOverride).where(TextOverride.key.in_(lesson_keys(topic)))
        )
    }
    found: dict[str, dict[str, LessonText]] = {}
    for key in lesson_keys(topic):
        for language in LANGUAGES:
            row = rows.get((language, key))
            found.setdefault(key, {})[language] = LessonText(
                key,
                language,
                catalogue(language)[key],
                row.text if row else "",
                row.updated_at if row else None,
            )
    return found


def edited_counts(session: Session) -> dict[str, int]:
    """Topic -> how many of its texts (over all languages) an admin has rewritten."""
    counts: dict[str, int] = {}
    for key in session.scalars(select(TextOverride.key).where(TextOverride.text != "")):
        topic = key.removeprefix("lesson.").split(".")[0]
        counts[topic] = counts.get(topic, 0) + 1
    return counts


def _as_sent(language: str, key: str, template: str) -> str:
    """The message a basic phone gets with this template in place, its menu included."""
    if key.count(".") == 1:  # a title: read inside the list of lessons
        texts = catalogue(language)
        head = texts["training.topics"].format(done=len(TOPICS), total=len(TOPICS))
        labels = [template if option.key == key else texts[option.key] for option in _TOPIC_MENU]
        return "\n".join([head, *(f"{n} {label}" for n, label in enumerate(labels, 1))])
    options = _YES_NO if key.endswith(".check") else ()
    if key.endswith((".1", ".2")):
        options = _NEXT_STOP
    labels = [catalogue(language)[option.key] for option in options]
    return "\n".join([template, *(f"{n} {label}" for n, label in enumerate(labels, 1))])


def budget_of(language: str, key: str) -> int:
    """SMS parts this text may take as sent: the catalogue's default, or what it took as
    shipped if that is more."""
    return max(DEFAULT_BUDGET, segments(_as_sent(language, key, catalogue(language)[key])))


def check_text(language: str, key: str, value: str) -> str:
    """The text cleaned (spaces folded), or LessonTextError saying what to change: too long,
    unprintable, braces, a word a person could not answer with, or over the SMS budget."""
    cleaned = " ".join(value.split())
    title = key.count(".") == 1
    limit = MAX_TITLE if title else MAX_TEXT
    where = f"{language}, {describe(key)}"
    if not cleaned:
        raise LessonTextError(f"{where}: write a text, or use the catalogue's text.")
    if len(cleaned) > limit:
        raise LessonTextError(f"{where}: at most {limit} characters ({len(cleaned)} now).")
    if not cleaned.isprintable():
        raise LessonTextError(f"{where}: only printable characters.")
    try:
        wanted = placeholders(cleaned)
    except ValueError:
        wanted = {"{"}
    if wanted != placeholders(catalogue(language)[key]):
        raise LessonTextError(f"{where}: curly braces {{ }} cannot be used in a lesson text.")
    if title and keyword(cleaned) not in (None, "resume"):
        raise LessonTextError(
            f"{where}: '{cleaned}' is a keyword everyone can text; choose another."
        )
    used, budget = segments(_as_sent(language, key, cleaned)), budget_of(language, key)
    if used > budget:
        raise LessonTextError(
            f"{where}: too long for {budget} text messages as sent ({used} with its menu); "
            "shorten it."
        )
    return cleaned


def describe(key: str) -> str:
    """What a lesson key's text is, in words: 'Child labour, first message'."""
    topic, _, suffix = key.removeprefix("lesson.").partition(".")
    part = dict(PARTS).get(f".{suffix}" if suffix else "", key)
    return f"{catalogue('en').get(f'lesson.{topic}', topic)}, {part.lower()}"


def set_lesson_text(
    session: Session, staff_id: int | None, language: str, key: str, value: str, now: datetime
) -> tuple[str, str]:
    """Save an admin's text for one lesson key in one language ("" goes back to the
    catalogue's); returns (before, after) as leaders read them. `now` is naive UTC. Raises
    LessonTextError for an unknown key or language, or a text `check_text` refuses."""
    topic = key.removeprefix("lesson.").split(".")[0]
    if not key.startswith("lesson.") or key not in lesson_keys(topic):
        raise LessonTextError("Choose a lesson text from the list.")
    if language not in LANGUAGES:
        raise LessonTextError(f"Choose a language from the list: {', '.join(LANGUAGES)}.")
    shipped = catalogue(language)[key]
    cleaned = check_text(language, key, value) if value.strip() else ""
    if cleaned == shipped:
        cleaned = ""
    row = session.scalar(
        select(TextOverride).where(TextOverride.language == language, TextOverride.key == key)
    )
    before = row.text if row and row.text else shipped
    version = (session.scalar(select(func.max(TextOverride.version))) or 0) + 1
    if row is None:
        row = TextOverride(language=language, key=key)
        session.add(row)
    row.text, row.version, row.updated_by, row.updated_at = cleaned, version, staff_id, now
    session.flush()
    session.info.pop(_VERSION_READ, None)
    forget_loaded()
    return before, cleaned or shipped


def forget_loaded() -> None:
    """The next `refresh_texts` reads every override again, whatever the version."""
    global _loaded
    _loaded = None


def texts_version() -> ScalarSelect[int | None]:
    """The highest version of the admins' texts, as a subquery to read along with something
    else (the engine's facts) and hand to `note_texts_version`."""
    return select(func.max(TextOverride.version)).scalar_subquery()


def note_texts_version(session: Session, version: int | None) -> None:
    """Remember the version read in this transaction (`texts_version`), so `refresh_texts`
    need not ask for it again."""
    session.info[_VERSION_READ] = version or 0


def refresh_texts(session: Session) -> None:
    """Make `messages.text` read the admins' texts as stored now: the highest version (read
    once per transaction: `note_texts_version`, or one query), and the rows only when it
    changed since this process last loaded them."""
    global _loaded
    version = session.info.get(_VERSION_READ)
    if version is None:
        version = session.scalar(select(func.max(TextOverride.version))) or 0
    if version == _loaded:
        return
    rows = session.execute(
        select(TextOverride.language, TextOverride.key, TextOverride.text).where(
            TextOverride.text != ""
        )
    ).all()
    use_overrides({(language, key): value for language, key, value in rows})
    _loaded = version
