"""Time zones: each staff account's (for the console's times) and each business's (for its
reminders and quiet hours), existing businesses taking their country's default zone.

Revision ID: zones_01
Revises: seal_01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.domain.zones import default_zone

revision: str = "zones_01"
down_revision: str | Sequence[str] | None = "seal_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table copy on SQLite, where rows elsewhere refer to these tables).
    for table in ("staff_users", "businesses"):
        op.add_column(
            table, sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC")
        )
    businesses = sa.table("businesses", sa.column("country", sa.String), sa.column("time_zone"))
    connection = op.get_bind()
    countries = connection.execute(sa.select(businesses.c.country).distinct()).scalars().all()
    for country in countries:
        connection.execute(
            businesses.update()
            .where(businesses.c.country == country)
            .values(time_zone=default_zone(country or ""))
        )


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN on both databases (SQLite 3.35+), again without a table copy.
    for table in ("businesses", "staff_users"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN time_zone")
