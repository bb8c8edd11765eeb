"""Text staff type is checked one way wherever it is kept: invisible marks dropped as in chat,
each problem named on its own (a character that cannot be shown, the length)."""

import re

import pytest

from bot.domain.errors import Invalid
from bot.domain.text import staff_text


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("काम ठीक है\u200f", "काम ठीक है"),  # a right-to-left mark, invisible
        ("\u202eabc", "abc"),  # a direction override
        ("zero\u200bwidth", "zerowidth"),
        ("  two   spaces\n\nand lines  ", "two spaces\n\nand lines"),
        ("क्\u200dष", "क्\u200dष"),  # the joiner Devanagari needs stays
    ],
)
def test_invisible_marks_are_dropped_and_spacing_tidied(typed: str, kept: str) -> None:
    assert staff_text(typed, "note", 100) == kept


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("bell \x07", "cannot be shown (U+0007)"),
        ("clear \x1b[2J", "cannot be shown (U+001B)"),
        ("x" * 101, "101 characters long; at most 100 fit"),
        (7, "must be text"),
        (None, "must be text"),
    ],
)
def test_each_problem_is_named_on_its_own(typed: object, message: str) -> None:
    with pytest.raises(Invalid, match=re.escape(message)):
        staff_text(typed, "note", 100)


def test_a_minimum_is_said_as_such() -> None:
    with pytest.raises(Invalid, match="at least 3 characters"):
        staff_text(" a ", "reason", 100, minimum=3)
