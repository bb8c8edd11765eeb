"""Reading what people type: short free text, whole numbers, and option words."""

import re

from messages import normalise, text

MAX_FIELD = 80
MAX_DIGITS = 7
_THOUSANDS = re.compile(r"(?<=\d)[,.\u00a0\u202f](?=\d{3}(?!\d))")
_UNCLEAR = re.compile(r"\d[.,]\d|-\s*\d")


def free_text(typed: str, max_length: int = MAX_FIELD) -> str | None:
    """A name, place or note: collapsed whitespace, some letter or digit, not too long."""
    cleaned = " ".join(typed.split())
    printable = "".join(char for char in cleaned if char.isprintable())
    if printable != cleaned or len(cleaned) > max_length or not any(c.isalnum() for c in cleaned):
        return None
    return cleaned if len(cleaned) >= 2 else None


def counts(typed: str) -> tuple[int, ...] | None:
    """Every whole number in the text, in order ("12, 8 at home" -> (12, 8), "1,200" -> 1200).

    None when a number is unclear: a fraction, a negative, or absurdly many digits.
    """
    joined = _THOUSANDS.sub("", typed)
    if _UNCLEAR.search(joined):
        return None
    numbers = re.findall(r"\d+", joined)
    if any(len(number) > MAX_DIGITS for number in numbers):
        return None
    return tuple(int(number) for number in numbers)


def says(typed: str, language: str | None, key: str) -> bool:
    """Whether the text is one of the words listed under `key` ("a|b|c") in the person's language
    or in English, compared loosely."""
    typed = normalise(typed)
    if not typed:
        return False
    for lang in {language or "en", "en"}:
        if typed in (normalise(word) for word in text(lang, key).split("|")):
            return True
    return False
