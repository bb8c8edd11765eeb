"""One person's messages both ways in the order they happened, for the console's conversation
logs (the business page, the simulator).

An inbound message and everything it caused are written at the same moment, so time alone
cannot order them: a reply follows the message it answers (its `inbound_id`), and a message
the programme sent without one (a ticket's notice, a reminder) follows the latest message that
arrived at or before it was written.
"""

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime


def interleaved(
    inbound: Sequence[tuple[int, datetime]],
    outbound: Sequence[tuple[int, datetime, int | None]],
) -> list[tuple[str, int]]:
    """("in", id) and ("out", id) oldest first, from (id, received_at) and (id, created_at,
    inbound_id) rows."""
    arrivals = sorted((at, row_id) for row_id, at in inbound)
    arrived_at = {row_id: at for row_id, at in inbound}
    keys: list[tuple[datetime, int, int, int, str]] = [
        (at, row_id, 0, row_id, "in") for row_id, at in inbound
    ]
    for row_id, at, answers in outbound:
        if answers is not None and answers in arrived_at:
            after_at, after = arrived_at[answers], answers
        else:
            index = bisect_right(arrivals, (at, float("inf"))) - 1
            after_at, after = arrivals[index] if index >= 0 else (at, 0)
        keys.append((max(at, after_at), after, 1, row_id, "out"))
    keys.sort(key=lambda key: key[:4])
    return [(direction, row_id) for *_, row_id, direction in keys]
