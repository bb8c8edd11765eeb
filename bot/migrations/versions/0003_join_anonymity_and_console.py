"""Join the survey anonymity and console safety migrations into one line of history.

Revision ID: 0003
Revises: anonymity_01, console_02
"""

from collections.abc import Sequence

revision: str = "0003"
down_revision: str | Sequence[str] | None = ("anonymity_01", "console_02")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
