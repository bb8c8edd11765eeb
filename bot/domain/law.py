"""Local labour law as data: each country's legal figures that indicators refer to.

A profile holds the minimum working age, the age for hazardous work, normal weekly hours, the
overtime limit, and minimum wages as a table by region, sector and skill. Every figure carries
its unit (and currency), the legal source, the date it took effect and whether it was verified
against that source. Profiles ship as `bot/standards/countries/<CC>.toml`; an admin's change in
the console is a new numbered version in the database that takes precedence, and an assessment
keeps a copy of the profile it used, so a later change never alters it.
"""

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.errors import Invalid, NotFound
from bot.domain.text import staff_text
from bot.models import CountryProfile

COUNTRIES_DIR = Path(__file__).resolve().parent.parent / "standards" / "countries"
PARAMETERS = ("min_working_age", "hazardous_work_age", "weekly_hours", "overtime_limit")
# The units each figure may be given in, and the values that make sense in them (inclusive).
UNITS: dict[str, tuple[str, ...]] = {
    "min_working_age": ("years",),
    "hazardous_work_age": ("years",),
    "weekly_hours": ("hours per week",),
    "overtime_limit": ("hours per week", "hours per month", "hours per quarter", "hours per year"),
}
RANGES: dict[str, tuple[float, float]] = {
    "min_working_age": (10, 21),
    "hazardous_work_age": (14, 25),
    "weekly_hours": (20, 72),
    "overtime_limit": (0, 1000),
}
MAX_VALUE = 1_000_000
MAX_SOURCE = 300
# What a requirement says where a country has no profile (or no such figure).
UNKNOWN = {
    "min_working_age": "the legal minimum working age",
    "hazardous_work_age": "the legal age for hazardous work",
    "weekly_hours": "the legal normal weekly hours",
    "overtime_limit": "the legal overtime limit",
    "minimum_wage": "the legal minimum wage",
}


@dataclass(frozen=True)
class Profile:
    """One version of a country's profile: `version` is the shipped file's (`2026.1`) or an
    edit's (`2026.1+3`, the third change made in the console)."""

    country: str
    version: str
    data: Mapping[str, Any]  # {"parameters": {name: figure}, "minimum_wages": [wage, ...]}

    @property
    def parameters(self) -> Mapping[str, Mapping[str, Any]]:
        return self.data.get("parameters", {})

    @property
    def minimum_wages(self) -> list[Mapping[str, Any]]:
        return list(self.data.get("minimum_wages", []))


@cache
def _shipped(country: str) -> Profile | None:
    path = COUNTRIES_DIR / f"{country}.toml"
    if len(country) != 2 or not country.isalpha() or not country.isupper() or not path.is_file():
        return None
    with path.open("rb") as handle:
        loaded = tomllib.load(handle)
    data = {
        "parameters": {name: _plain(figure) for name, figure in loaded["parameters"].items()},
        "minimum_wages": [_plain(wage) for wage in loaded.get("minimum_wages", [])],
    }
    return Profile(country, str(loaded["version"]), data)


def _plain(figure: Mapping[str, Any]) -> dict[str, Any]:
    """A figure as JSON keeps it: dates as ISO text."""
    return {
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in figure.items()
    }


def shipped_countries() -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in COUNTRIES_DIR.glob("*.toml")))


def profile(session: Session, country: str) -> Profile | None:
    """The profile in force for a country (ISO 3166 alpha-2): the latest console version, else
    the shipped one; None for a country without a profile."""
    latest = session.scalar(
        select(CountryProfile)
        .where(CountryProfile.country == country)
        .order_by(CountryProfile.number.desc())
        .limit(1)
    )
    if latest is not None:
        return Profile(country, latest.version, latest.data)
    return _shipped(country)


def change_parameter(
    session: Session,
    country: str,
    name: str,
    *,
    value: float,
    unit: str,
    source: str,
    effective: date,
    verified: bool,
    staff_id: int | None,
    now: datetime,
) -> Profile:
    """Store a new version of the country's profile with one figure changed; returns it.

    Raises NotFound for a country without a profile, Invalid for an unknown figure, a value
    outside the figure's sensible range (`RANGES`), a unit it is not given in (`UNITS`) or a
    source out of shape. Past assessments keep the copy they used.
    """
    current = profile(session, country)
    if current is None:
        raise NotFound(f"There is no profile for the country {country[:8]!r}.")
    if name not in PARAMETERS:
        raise Invalid(f"The figure must be one of: {', '.join(PARAMETERS)}.")
    low, high = RANGES[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise Invalid(f"The value must be a number from {low:g} to {high:g}.")
    if unit not in UNITS[name]:
        raise Invalid(f"The unit of this figure is one of: {', '.join(UNITS[name])}.")
    source = staff_text(source, "source", MAX_SOURCE, minimum=1).replace("\n", " ")
    figure = {
        "value": int(value) if float(value).is_integer() else value,
        "unit": unit,
        "source": source,
        "effective": effective.isoformat(),
        "verified": bool(verified),
    }
    data = {**current.data, "parameters": {**current.parameters, name: figure}}
    number = (
        session.scalar(
            select(func.max(CountryProfile.number)).where(CountryProfile.country == country)
        )
        or 0
    ) + 1
    base = (_shipped(country) or current).version
    row = CountryProfile(
        country=country,
        number=number,
        version=f"{base}+{number}",
        data=data,
        created_by=staff_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return Profile(country, row.version, data)


def figure_text(figure: Mapping[str, Any] | None) -> str | None:
    """A figure as a requirement shows it: `14 years`, marked when not verified."""
    if not figure:
        return None
    value = figure["value"]
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    mark = "" if figure.get("verified") else " (unverified)"
    return f"{shown} {figure['unit']}{mark}"


def wage_text(wage: Mapping[str, Any]) -> str:
    """One minimum wage: `INR 452 a day (Rajasthan, handicrafts, unskilled)`, marked when not
    verified; a sector or skill that applies to all is left out."""
    amount = wage["amount"]
    shown = f"{amount:,.2f}".removesuffix(".00") if isinstance(amount, float) else f"{amount:,}"
    where = [wage["region"]]
    where += [wage[key] for key in ("sector", "skill") if wage.get(key) and "all" not in wage[key]]
    if not wage.get("verified"):
        where.append("unverified")
    return f"{wage['currency']} {shown} a {wage['unit']} ({', '.join(where)})"


def figures(data: Mapping[str, Any] | None) -> dict[str, str]:
    """Every placeholder an indicator may name, filled from a profile's data (or a copy an
    assessment kept), the general wording where the figure is missing."""
    data = data or {}
    parameters = data.get("parameters", {})
    filled = {name: figure_text(parameters.get(name)) or UNKNOWN[name] for name in PARAMETERS}
    wages = [wage_text(wage) for wage in data.get("minimum_wages", [])]
    filled["minimum_wage"] = (
        f"the legal minimum wage ({'; '.join(wages)})" if wages else UNKNOWN["minimum_wage"]
    )
    return filled
