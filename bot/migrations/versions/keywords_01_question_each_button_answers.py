"""Conversation states name the question they ask, so a button pressed on an older message
is known to belong to a question that has passed.

Revision ID: keywords_01
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "keywords_01"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversation_states") as table:
        table.add_column(sa.Column("question", sa.String(16), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("conversation_states") as table:
        table.drop_column("question")
