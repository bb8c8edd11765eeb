"""VERIFY <code>: anyone, from any number on any channel, asks whether a seal holds.

It is read before anything else and starts no conversation: the engine answers at once, in the
language of the word used, and keeps no contact for someone it did not know
(bot/engine.py). Pure: the word list comes from the catalogues (`[verify] words`).
"""

from dataclasses import dataclass
from functools import cache

from flows.answers import clean, fold
from messages import LANGUAGES, verify_words

MAX_WORD = 20
MAX_CODE = 40  # what is read after the word; a longer code is simply no seal's


@dataclass(frozen=True)
class VerifyRequest:
    """A verification asked for: the language of the word used and what followed it (the
    code as typed, possibly empty or malformed)."""

    language: str
    code: str


@cache
def _words() -> dict[str, str]:
    """Every verify word, as `fold` reads it, and the first language that lists it."""
    found: dict[str, str] = {}
    for language in LANGUAGES:
        for word in verify_words(language):
            found.setdefault(fold(word), language)
    return found


def verify_request(text: str) -> VerifyRequest | None:
    """The verification this message asks for, if its first word is a verify word in any
    supported language (`VERIFY K7QM3-XTP9A`, `verificar k7qm3xtp9a`, on Telegram also
    `/verify K7QM3-XTP9A`); None otherwise."""
    cleaned = clean(text[: MAX_WORD + MAX_CODE + 8])
    if not cleaned:
        return None
    first, *rest = cleaned.split(maxsplit=1)
    word = first.removeprefix("/").split("@", 1)[0]  # a Telegram command: /verify@YourBot
    language = _words().get(fold(word)) if len(word) <= MAX_WORD else None
    if language is None:
        return None
    return VerifyRequest(language, rest[0].strip()[:MAX_CODE] if rest else "")
