"""sender claims on outbox rows, indexes for claiming in order, shared rate lanes

Revision ID: channels_01
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "channels_01"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_messages") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=36), nullable=True))
    op.create_index(
        "ix_outbound_sendable", "outbound_messages", ["channel", "status", "next_attempt_at", "id"]
    )
    op.create_index("ix_outbound_conversation", "outbound_messages", ["address", "channel", "id"])
    op.create_table(
        "send_lanes",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_send_lanes")),
    )


def downgrade() -> None:
    op.drop_table("send_lanes")
    op.drop_index("ix_outbound_conversation", table_name="outbound_messages")
    op.drop_index("ix_outbound_sendable", table_name="outbound_messages")
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_column("claimed_by")
