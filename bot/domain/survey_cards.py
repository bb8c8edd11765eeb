"""Single-use card codes for surveys in card mode, for workers who share a family phone.

Staff make N cards for a survey opened in card mode and print them (the join-code cards of
bot/documents/join_card.py); each code answers the survey once, from any phone, and the
one-response-per-phone rule is off for that survey. A card is kept only as a keyed hash of its
code (so the store holds no printable code) and is deleted the moment its answers are pooled:
no row says that a card was used, when, or for which answers.
"""

import secrets

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.domain.errors import Invalid
from bot.models import Survey, SurveyCard
from bot.sealing import Sealer

PER_PHONE, CARDS = "per_phone", "cards"
MODES = (PER_PHONE, CARDS)
# Eight digits, entered on a phone's keypad as on its keyboard; survey codes have fewer when
# there are few surveys, and a card never takes a survey's code.
CARD_DIGITS = 8
MAX_CARDS = 1000  # per request: one print run


class CardError(Invalid):
    """Cards asked for a survey that cannot have them, or too many at once; says why."""


def _tag_input(code: str) -> str:
    return f"card|{code}"


def make_cards(session: Session, sealer: Sealer, survey: Survey, count: int) -> list[str]:
    """`count` (1 to MAX_CARDS) new unused card codes for an open survey in card mode, each
    eight digits, returned once to be printed and kept only as keyed hashes.

    Raises CardError for a survey not in card mode or closed, or a count out of range."""
    if survey.mode != CARDS:
        raise CardError("This survey takes one code per phone; open one in card mode for cards.")
    if survey.closed_at is not None:
        raise CardError("This survey is closed; cards cannot be added.")
    if not 1 <= count <= MAX_CARDS:
        raise CardError(f"Make from 1 to {MAX_CARDS} cards at a time.")
    made: dict[str, str] = {}
    while len(made) < count:
        code = str(10 ** (CARD_DIGITS - 1) + secrets.randbelow(9 * 10 ** (CARD_DIGITS - 1)))
        tag = sealer.tag(_tag_input(code))
        if code in made or _taken(session, sealer, code):
            continue
        made[code] = tag
    session.add_all(SurveyCard(tag=tag, survey_id=survey.id) for tag in made.values())
    session.flush()
    return list(made)


def _taken(session: Session, sealer: Sealer, code: str) -> bool:
    if session.scalar(select(Survey.id).where(Survey.code == code)) is not None:
        return True
    tags = sealer.tags(_tag_input(code))
    return session.scalar(select(SurveyCard.tag).where(SurveyCard.tag.in_(tags))) is not None


def card_survey(session: Session, sealer: Sealer, code: str) -> Survey | None:
    """The survey an unused card code belongs to (open or closed), or None."""
    tags = sealer.tags(_tag_input(code))
    survey_id = session.scalar(select(SurveyCard.survey_id).where(SurveyCard.tag.in_(tags)))
    return None if survey_id is None else session.get(Survey, survey_id)


def use_card(session: Session, sealer: Sealer, code: str) -> Survey | None:
    """Spend an unused card: its row is deleted; the survey it was for, or None when the code
    is no card or was used already (a concurrent use finds it gone)."""
    tags = sealer.tags(_tag_input(code))
    survey_id = session.scalar(
        select(SurveyCard.survey_id).where(SurveyCard.tag.in_(tags)).with_for_update()
    )
    if survey_id is None:
        return None
    gone = session.execute(
        delete(SurveyCard)
        .where(SurveyCard.tag.in_(tags))
        .execution_options(synchronize_session=False)
    )
    return session.get(Survey, survey_id) if gone.rowcount else None


def cards_left(session: Session, survey_id: int) -> int:
    """How many of the survey's cards are still unused."""
    return (
        session.scalar(
            select(func.count()).select_from(SurveyCard).where(SurveyCard.survey_id == survey_id)
        )
        or 0
    )
