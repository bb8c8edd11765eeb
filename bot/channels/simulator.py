"""The local simulator channel: typed messages in, replies read back from the outbox."""

from datetime import datetime

from sqlalchemy import select

from bot.capabilities import Capabilities
from bot.channels.provider import Channel
from bot.db import Store
from bot.models import OutboundMessage

CHANNEL = "sim"


def take_pending(store: Store, address: str, now: datetime) -> list[OutboundMessage]:
    """Everything queued for this simulated phone, in order, marked delivered as it is shown."""
    with store.transaction() as session:
        rows = list(
            session.scalars(
                select(OutboundMessage)
                .where(
                    OutboundMessage.channel == CHANNEL,
                    OutboundMessage.address == address,
                    OutboundMessage.status == "queued",
                )
                .order_by(OutboundMessage.id)
                .with_for_update()
            )
        )
        for row in rows:
            row.status, row.sent_at = "delivered", now
        return rows


ADAPTER = Channel(
    # Numbered lines like SMS; no sender: the chat reads its own rows back (take_pending).
    # Staff practise here: survey answers given on it never count.
    capabilities={CHANNEL: Capabilities(label="Simulator", media=True, paced=False, practice=True)},
    banner=lambda _: ["simulator: on (python -m bot chat)"],
)
