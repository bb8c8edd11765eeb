"""Country names typed by people, matched against Babel's names in every supported language."""

from functools import cache

from babel import Locale

from messages import LANGUAGES
from messages.typed import fold


@cache
def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for language in LANGUAGES:
        for code, name in Locale.parse(language).territories.items():
            if len(code) == 2 and code.isalpha() and code not in ("EU", "EZ", "UN", "ZZ", "QO"):
                names.setdefault(fold(name), code)
                names.setdefault(code.casefold(), code)
    return names


def parse_country(typed: str) -> str | None:
    """ISO 3166 alpha-2 code for a typed country name or code, or None if unknown."""
    return _names().get(fold(typed))


def country_name(code: str, language: str | None) -> str:
    locale = Locale.parse(language if language in LANGUAGES else "en")
    return locale.territories.get(code, code).replace("\u2019", "'")
