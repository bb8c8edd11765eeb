"""Dates as people read them in their language: day, month name, year ("15 février 2026")."""

from datetime import date

from babel.dates import format_date

from messages import DEFAULT_LANGUAGE, LANGUAGES


def date_text(language: str | None, day: date) -> str:
    return format_date(
        day, "d MMMM y", locale=language if language in LANGUAGES else DEFAULT_LANGUAGE
    )
