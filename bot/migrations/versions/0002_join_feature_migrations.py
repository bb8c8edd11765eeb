"""Join the channel, console and survey migrations into one line of history.

Revision ID: 0002
Revises: channels_01, console_01, surveys_01
"""

from collections.abc import Sequence

revision: str = "0002"
down_revision: str | Sequence[str] | None = ("channels_01", "console_01", "surveys_01")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
