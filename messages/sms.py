"""SMS parts as the network counts them (3GPP TS 23.038, formerly GSM 03.38; TS 23.040).

A text in the GSM 7-bit default alphabet fits 160 septets in one SMS, or 153 per part once it
is split (the concatenation header takes the rest). A character of the alphabet's extension
table (``^ { } \\ [ ~ ] | €`` and form feed) costs two septets, an escape and the character,
and the pair is never split across two parts. Any other character makes the whole text UCS-2
(UTF-16): 70 code units in one SMS, 67 per part, and a surrogate pair (most emoji) is never
split either. So ``"]" * 153`` is three parts, not two: each part holds 76 pairs.

Encoding is left to the ``gsm0338`` codec (3GPP TS 23.038 default alphabet and its extension).
"""

from collections.abc import Iterable

import gsm0338  # noqa: F401  (importing it registers the "gsm03.38" codec)

GSM7 = (160, 153)
UCS2 = (70, 67)
_CODEC = "gsm03.38"
_ESCAPE = 0x1B


def _gsm7_units(text: str) -> list[int] | None:
    """Septets per character (1, or 2 for an escape pair), or None outside the alphabet."""
    if "\x1b" in text:  # the escape code itself is not a character anyone can send
        return None
    try:
        encoded = text.encode(_CODEC)
    except UnicodeEncodeError:
        return None
    units, index = [], 0
    while index < len(encoded):
        width = 2 if encoded[index] == _ESCAPE else 1
        units.append(width)
        index += width
    return units


def _ucs2_units(text: str) -> list[int]:
    """UTF-16 code units per character: 2 for a surrogate pair, 1 otherwise."""
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def is_gsm7(text: str) -> bool:
    return _gsm7_units(text) is not None


def _parts(units: Iterable[int], single: int, per_part: int) -> int:
    """Parts needed when no unit may be split between two of them."""
    widths = list(units)
    if sum(widths) <= single:
        return 1
    count, room = 1, per_part
    for width in widths:
        if width > room:
            count, room = count + 1, per_part
        room -= width
    return count


def segments(text: str) -> int:
    """How many SMS parts a text costs on the network (and so on the provider's bill)."""
    units = _gsm7_units(text)
    if units is not None:
        return _parts(units, *GSM7)
    return _parts(_ucs2_units(text), *UCS2)
