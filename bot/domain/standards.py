"""The programme's standards as data: categories and indicators read from
`bot/standards/standards.toml`, versioned in the repository (code never holds an indicator).

Each indicator has a stable code (`CHILD-01`), the requirement in plain words (which may name a
country's legal figures as placeholders, see `bot.domain.law`), how it is verified, and the
severity a finding takes by default when it is not met. What a leader reads of an indicator
(its title and the remediation it calls for) is in `messages/<lang>/standards.toml`, keyed
`indicator.<CODE>` and `indicator.<CODE>.remediation`.

Grading (../shared/domain.md, "Findings and remediation"): zero tolerance (child labour, forced
labour, hidden subcontracting, falsified records) is fixed at once; major usually within 1 to
3 months; minor within 6 months.
"""

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from string import Formatter

from bot.domain.errors import NotFound

STANDARDS_FILE = Path(__file__).resolve().parent.parent / "standards" / "standards.toml"
SEVERITIES = ("zero_tolerance", "major", "minor")
VERIFICATION = ("documents", "interview", "observation")
# The legal figures an indicator's requirement may name (bot.domain.law).
PLACEHOLDERS = frozenset(
    {"min_working_age", "hazardous_work_age", "weekly_hours", "overtime_limit", "minimum_wage"}
)
# Days a finding of each severity leaves to put it right: at once (a week to show it is done),
# within 3 months, within 6 months.
DUE_DAYS = {"zero_tolerance": 7, "major": 90, "minor": 180}


@dataclass(frozen=True)
class Category:
    code: str
    name: str


@dataclass(frozen=True)
class Indicator:
    code: str
    category: str
    requirement: str  # may hold {placeholders} from PLACEHOLDERS
    verify: tuple[str, ...]
    severity: str  # the default severity of a finding when not met


@dataclass(frozen=True)
class Standards:
    version: str
    title: str
    effective: date
    categories: tuple[Category, ...]
    indicators: tuple[Indicator, ...]

    def indicator(self, code: str) -> Indicator:
        """The indicator with this code; NotFound for an unknown one."""
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise NotFound(f"There is no indicator {code[:32]!r} in the standards {self.version}.")

    def in_category(self, category: str) -> tuple[Indicator, ...]:
        return tuple(indicator for indicator in self.indicators if indicator.category == category)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(indicator.code for indicator in self.indicators)


@cache
def standards() -> Standards:
    """The standards shipped with this release. Raises ValueError when the file breaks its own
    rules (a release bug): unknown category or severity, a repeated code, a stray placeholder."""
    with STANDARDS_FILE.open("rb") as handle:
        data = tomllib.load(handle)
    categories = tuple(Category(entry["code"], entry["name"]) for entry in data["categories"])
    known = {category.code for category in categories}
    indicators = tuple(_indicator(entry, known) for entry in data["indicators"])
    codes = [indicator.code for indicator in indicators]
    if len(set(codes)) != len(codes):
        raise ValueError("standards: an indicator code is used twice")
    effective = data["effective"]
    effective = effective if isinstance(effective, date) else date.fromisoformat(effective)
    return Standards(str(data["version"]), data["title"], effective, categories, indicators)


def _indicator(entry: Mapping[str, object], categories: set[str]) -> Indicator:
    code = str(entry["code"])
    indicator = Indicator(
        code=code,
        category=str(entry["category"]),
        requirement=str(entry["requirement"]),
        verify=tuple(str(way) for way in entry["verify"]),  # type: ignore[attr-defined]
        severity=str(entry["severity"]),
    )
    if indicator.category not in categories:
        raise ValueError(f"standards: {code} names an unknown category")
    if indicator.severity not in SEVERITIES:
        raise ValueError(f"standards: {code} has an unknown severity")
    if not indicator.verify or not set(indicator.verify) <= set(VERIFICATION):
        raise ValueError(f"standards: {code} has an unknown way of verifying")
    if not names_in(indicator.requirement) <= PLACEHOLDERS:
        raise ValueError(f"standards: {code} names an unknown legal figure")
    return indicator


def names_in(template: str) -> set[str]:
    """The placeholders a text names."""
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def requirement_text(indicator: Indicator, figures: Mapping[str, str]) -> str:
    """The requirement with each legal figure filled in (`bot.domain.law.figures`)."""
    return indicator.requirement.format_map({name: figures[name] for name in PLACEHOLDERS})


def implied_outcome(not_met: Iterable[str]) -> str:
    """The outcome the findings imply, from the severities of those not met: any zero-tolerance
    finding fails the assessment, any major one makes it partial, otherwise it passes (minor
    findings become corrective items that do not block the seal)."""
    severities = set(not_met)
    if "zero_tolerance" in severities:
        return "fail"
    if "major" in severities:
        return "partial"
    return "pass"
