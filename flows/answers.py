"""Reading what people type: every input kind a flow reads, from the forms in `messages.typed`.

Two forms, both pure functions:

- `clean` is the message as every step receives it (`flows.conversation.respond` applies it
  once, before keywords, survey codes or any step look at it). Invisible format characters
  (Unicode category Cf: zero-width space U+200B, LRM/RLM U+200E/U+200F, BOM U+FEFF, word joiner
  U+2060, bidi controls, soft hyphen...) that some keyboards and copy-paste insert are removed
  everywhere, and whitespace is trimmed at both ends. Letters and digits stay as typed, so a
  stored name, place or note keeps its script; only ZWJ and ZWNJ (U+200D, U+200C) are kept
  between two characters, because Indic scripts and emoji sequences need them to be drawn
  right (Unicode Standard, chapter 23.2 "Layout Controls").
- `fold` is the form every reader compares: keywords, numbered choices, counts, codes, country
  and language names, yes/no and other option words. It also applies NFKC (full-width forms
  become ASCII), drops the joiners, emoji variation selectors and the keycap mark (so "1️⃣" is 1),
  reads the decimal digits of any script as 0-9 (Devanagari ५, Arabic-Indic ٥, Bengali ৫,
  full-width ５ are all 5), folds case, collapses whitespace and trims surrounding punctuation.

No flow reads dates typed by people (dates are only shown), so there is no date reader here.
"""

import re

from messages import text
from messages.typed import JOINERS, clean, fold, visible

MAX_FIELD = 80
MAX_DIGITS = 7
# Digit grouping: "1,200", "1.200", and (before NFKC turns them into plain spaces) the no-break
# spaces of "1 200" as French and Hindi keyboards write it.
_THOUSANDS = re.compile(r"(?<=\d)[,.\u00a0\u202f](?=\d{3}(?!\d))")
_UNCLEAR = re.compile(r"\d[.,]\d|-\s*\d")


def number(typed: str, max_digits: int = MAX_DIGITS) -> int | None:
    """The whole typed text as one non-negative whole number ("2", "#2", "२", "2."), or None."""
    folded = fold(typed)
    if not folded.isascii() or not folded.isdigit() or len(folded) > max_digits:
        return None
    return int(folded)


def free_text(typed: str, max_length: int = MAX_FIELD) -> str | None:
    """A name, place or note as typed (see `clean`), with whitespace collapsed; None unless it
    has some letter or digit, at least two characters and at most `max_length`."""
    cleaned = " ".join(clean(typed).split())
    if not all(char.isprintable() or char in JOINERS for char in cleaned):
        return None
    if len(cleaned) > max_length or not any(char.isalnum() for char in cleaned):
        return None
    return cleaned if len(cleaned) >= 2 else None


def counts(typed: str) -> tuple[int, ...] | None:
    """Every whole number in the text, in order ("12, 8 at home" -> (12, 8), "1,200" -> 1200).

    None when a number is unclear: a fraction, a negative, or absurdly many digits.
    """
    joined = _THOUSANDS.sub("", fold(_THOUSANDS.sub("", visible(typed))))
    if _UNCLEAR.search(joined):
        return None
    numbers = re.findall(r"[0-9]+", joined)
    if any(len(number) > MAX_DIGITS for number in numbers):
        return None
    return tuple(int(number) for number in numbers)


def says(typed: str, language: str | None, key: str) -> bool:
    """Whether the text is one of the words listed under `key` ("a|b|c") in the person's language
    or in English, compared loosely."""
    typed = fold(typed)
    if not typed:
        return False
    for lang in {language or "en", "en"}:
        if typed in (fold(word) for word in text(lang, key).split("|")):
            return True
    return False
