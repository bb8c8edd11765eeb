"""Lesson texts edited by admins in the console, one row per language and text key.

Revision ID: lessons_01
Revises: seal_01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "lessons_01"
down_revision: str | Sequence[str] | None = "zones_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "text_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["staff_users.id"], name="fk_text_overrides_updated_by_staff_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_text_overrides"),
        sa.UniqueConstraint("language", "key", name="uq_text_overrides_language"),
    )


def downgrade() -> None:
    op.drop_table("text_overrides")
