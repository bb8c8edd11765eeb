"""What worker surveys tell staff beyond the counts: red-flag answers (a worker not paid,
children helping often, work that is not safe) and coverage (responses against the home-based
workers mapped in the business's supply chain).

Both are built from what the results already show: a group too small to show (fewer than
`MIN_GROUP` responses to a survey) contributes nothing, not to a business's figure and not to a
programme total.
"""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.surveys import MIN_GROUP, business_results, red_flags_of
from bot.models import Business, SupplyNode, Survey, SurveyResponse


@dataclass(frozen=True)
class RedFlag:
    """How many respondents of a business chose one red-flag answer to one question."""

    business_id: int
    question_key: str
    question: str  # in English
    answer: str  # in English
    count: int
    respondents: int  # of the question, over the groups shown


@dataclass(frozen=True)
class FlagTotal:
    """One red-flag answer over the programme: answers and the businesses they came from."""

    question_key: str
    question: str
    answer: str
    count: int
    businesses: int


@dataclass(frozen=True)
class Coverage:
    """Counted survey responses against the home-based workers mapped in the supply chain."""

    responses: int
    home_workers: int

    @property
    def percent(self) -> int | None:
        """Responses as a whole percentage of the home-based workers mapped, or None when
        there is nothing to compare (no home-based worker mapped or no response counted)."""
        if not self.home_workers or not self.responses:
            return None
        return round(100 * self.responses / self.home_workers)

    def sentence(self) -> str:
        """'23 responses from 60 home-based workers mapped: 38 %', or why there is no figure."""
        mapped = f"{self.home_workers} home-based worker{'s' if self.home_workers != 1 else ''}"
        if not self.responses:
            return f"No responses counted yet; {mapped} mapped in the supply chain."
        if not self.home_workers:
            return (
                f"{self.responses} responses; no home-based workers are mapped in the supply "
                "chain yet to compare them with."
            )
        said = f"{self.responses} responses from {mapped} mapped: {self.percent} %"
        if self.responses > self.home_workers:
            said += " (more responses than workers mapped: the supply chain may be incomplete)"
        return said + "."


def business_red_flags(session: Session, business_id: int) -> list[RedFlag]:
    """Each red-flag answer at least one respondent chose, over the business's surveys, in
    question order; counted only from groups shown."""
    results = business_results(session, business_id)
    found = []
    for question in results.questions:
        if question.counts is None:
            continue
        for number in question.red_flags:
            count = question.counts[number - 1]
            if count:
                found.append(
                    RedFlag(
                        business_id,
                        question.key,
                        question.text,
                        question.options[number - 1],
                        count,
                        question.respondents,
                    )
                )
    return found


def programme_red_flags(session: Session) -> list[FlagTotal]:
    """Every red-flag answer chosen anywhere, added up over the surveys, most answers first;
    a survey with fewer than MIN_GROUP responses (a group too small to show) adds nothing.
    Two queries, whatever the number of businesses: the surveys, then their responses."""
    flagged: dict[int, tuple[int, list[tuple[str, str, str, int]]]] = {}
    for survey in session.scalars(select(Survey)):
        marks = [
            (question["key"], question["text"]["en"], question["options"]["en"][n - 1], n)
            for question in survey.definition["questions"]
            for n in red_flags_of(question)
        ]
        if marks:
            flagged[survey.id] = (survey.business_id, marks)
    responses: dict[int, int] = {}
    chosen: dict[tuple[int, str, int], int] = {}
    rows = session.execute(
        select(SurveyResponse.survey_id, SurveyResponse.answers)
        .where(SurveyResponse.survey_id.in_(list(flagged)))
        .execution_options(yield_per=1000)
    )
    for survey_id, answers in rows:
        responses[survey_id] = responses.get(survey_id, 0) + 1
        for key, _, _, number in flagged[survey_id][1]:
            if answers.get(key) == number:
                chosen[survey_id, key, number] = chosen.get((survey_id, key, number), 0) + 1
    totals: dict[tuple[str, str], tuple[str, int, set[int]]] = {}
    for survey_id, (business_id, marks) in flagged.items():
        if responses.get(survey_id, 0) < MIN_GROUP:
            continue
        for key, question, answer, number in marks:
            count = chosen.get((survey_id, key, number), 0)
            if count:
                _, total, businesses = totals.get((key, answer), (question, 0, set()))
                totals[key, answer] = (question, total + count, businesses | {business_id})
    return sorted(
        (
            FlagTotal(key, question, answer, count, len(businesses))
            for (key, answer), (question, count, businesses) in totals.items()
        ),
        key=lambda total: (-total.count, total.question_key),
    )


def coverage(session: Session, business_id: int, survey_id: int | None = None) -> Coverage:
    """Responses counted (one survey's, or all the business's) against the home-based workers
    in the business's current supply chain. A survey still under the minimum group shows 0."""
    business = session.get(Business, business_id)
    if business is None:
        return Coverage(0, 0)
    home = session.scalar(
        select(func.coalesce(func.sum(SupplyNode.home_workers), 0)).where(
            SupplyNode.business_id == business_id, SupplyNode.removed_at.is_(None)
        )
    )
    counted = (
        select(SurveyResponse.survey_id, func.count(SurveyResponse.id).label("n"))
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .where(Survey.business_id == business_id)
        .group_by(SurveyResponse.survey_id)
    )
    if survey_id is not None:
        counted = counted.where(Survey.id == survey_id)
    responses = sum(n for _, n in session.execute(counted).all() if n >= MIN_GROUP)
    return Coverage(responses, int(home or 0))
