"""Typed text in the forms the product reads it: `clean` (what steps receive) and `fold` (what
readers compare). See `flows.answers` for how every input kind is read from them.

- `clean` removes invisible format characters (Unicode category Cf: zero-width space U+200B,
  LRM/RLM U+200E/U+200F, BOM U+FEFF, word joiner U+2060, bidi controls, soft hyphen...) and
  trims whitespace; ZWJ and ZWNJ (U+200D, U+200C) stay between two characters, because Indic
  scripts and emoji sequences need them (Unicode Standard, chapter 23.2 "Layout Controls").
- `fold` also applies NFKC (full-width forms become ASCII), drops joiners, variation selectors
  and the keycap mark, reads the decimal digits of any script as 0-9, folds case, collapses
  whitespace and trims surrounding punctuation.
"""

import re
import unicodedata

JOINERS = frozenset("\u200c\u200d")
# Not category Cf, yet invisible in what people read: variation selectors (VS1-16, VS17-256),
# the combining grapheme joiner and the combining enclosing keycap of "1️⃣".
_ALSO_IGNORED = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef\u034f\u20e3]")
_EDGES = re.compile(r"^[\s\u200c\u200d]+|[\s\u200c\u200d]+$")
_PUNCTUATION = ".!?¡¿,;:'\"()[]*#।॥ "


def _is_format(char: str) -> bool:
    return unicodedata.category(char) == "Cf"


def clean(typed: str) -> str:
    """The message as steps receive it: no invisible format characters, no surrounding space."""
    kept = "".join(char for char in typed if char in JOINERS or not _is_format(char))
    return _EDGES.sub("", kept)


def fold(typed: str) -> str:
    """The comparison form of typed text (see the module's docstring); idempotent."""
    chars = []
    for char in visible(unicodedata.normalize("NFKC", typed)):
        digit = unicodedata.decimal(char, None)
        chars.append(str(digit) if digit is not None else char)
    return " ".join("".join(chars).casefold().split()).strip(_PUNCTUATION)


def visible(typed: str) -> str:
    """The text without anything invisible, joiners included."""
    return "".join(c for c in typed if not _is_format(c) and not _ALSO_IGNORED.match(c))
