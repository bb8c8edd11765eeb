"""What the domain refuses, in words for the person who asked.

Every domain error derives from `DomainError`, so the CLI and the console each map them in one
place: `NotFound` (what the request names does not exist) and `Invalid` (the values given are
not acceptable), with the message saying what to change. Any other exception is a bug.
"""


class DomainError(Exception):
    """A request the domain refuses; the message says why, worded for the person who asked."""


class NotFound(DomainError):
    """The request names something that does not exist (a business, an item, a survey)."""


class Invalid(DomainError):
    """The request's values are not acceptable; the message says what to change."""
