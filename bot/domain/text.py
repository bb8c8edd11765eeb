"""Text staff type into the console or the command line (notes, reasons, answers, sources),
checked one way everywhere it is kept.

Invisible format characters (direction marks, zero-width spaces) are dropped as they are from
what people send over chat (`messages.typed.clean`); spaces are tidied and line breaks kept.
What is left must be printable and fit its limit; each problem is named on its own.
"""

from bot.domain.errors import Invalid
from messages.typed import JOINERS, clean


def staff_text(
    value: object, name: str, limit: int, *, minimum: int = 0, error: type[Invalid] = Invalid
) -> str:
    """The text as it is kept; raises `error` naming what is wrong: not text, a character
    that cannot be shown (by its code point), too long or too short (in characters)."""
    if not isinstance(value, str):
        raise error(f"The {name} must be text.")
    lines = [" ".join(clean(line).split()) for line in value.strip().splitlines()]
    cleaned = "\n".join(lines).strip()
    unshown = next(
        (
            char
            for char in cleaned
            if char not in "\n" + "".join(JOINERS) and not char.isprintable()
        ),
        None,
    )
    if unshown is not None:
        raise error(
            f"The {name} holds a character that cannot be shown (U+{ord(unshown):04X}); "
            "type it again without it."
        )
    if len(cleaned) > limit:
        raise error(f"The {name} is {len(cleaned)} characters long; at most {limit} fit.")
    if len(cleaned) < minimum:
        raise error(f"The {name} must be at least {minimum} characters.")
    return cleaned
