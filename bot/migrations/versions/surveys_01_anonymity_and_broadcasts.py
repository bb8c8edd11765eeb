"""random survey response ids, one broadcast message per recipient, resumable expansion

Revision ID: surveys_01
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "surveys_01"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite's INTEGER primary key already holds 64 bits; PostgreSQL needs BIGINT for random ids.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "survey_responses",
            "id",
            type_=sa.BigInteger(),
            existing_type=sa.Integer(),
            existing_nullable=False,
            server_default=None,
        )
    op.create_index(
        "uq_outbound_broadcast_recipient",
        "outbound_messages",
        ["broadcast_id", "contact_id"],
        unique=True,
    )
    with op.batch_alter_table("broadcasts") as batch:
        batch.add_column(sa.Column("expanded_to", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_column("expanded_to")
    op.drop_index("uq_outbound_broadcast_recipient", table_name="outbound_messages")
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("survey_responses", "id", type_=sa.Integer(), existing_type=sa.BigInteger())
