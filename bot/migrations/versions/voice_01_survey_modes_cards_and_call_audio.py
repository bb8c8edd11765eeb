"""Survey modes (one code per survey, or single-use card codes), responses that came by voice,
and the recorded audio staff upload per question and language for survey calls.

Revision ID: voice_01
Revises: lessons_01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "voice_01"
down_revision: str | Sequence[str] | None = "lessons_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs (no table copy on SQLite, where rows elsewhere refer to surveys).
    op.add_column(
        "surveys", sa.Column("mode", sa.String(16), nullable=False, server_default="per_phone")
    )
    op.add_column(
        "surveys",
        sa.Column("voice_responses", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_table(
        "survey_cards",
        sa.Column("tag", sa.String(64), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name="fk_survey_cards_survey_id_surveys"
        ),
        sa.PrimaryKeyConstraint("tag", name="pk_survey_cards"),
    )
    op.create_index("ix_survey_cards_survey_id", "survey_cards", ["survey_id"])
    op.create_table(
        "survey_audio",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name="fk_survey_audio_survey_id_surveys"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_survey_audio"),
        sa.UniqueConstraint(
            "survey_id", "question_key", "language", name="uq_survey_audio_survey_id"
        ),
        sa.UniqueConstraint("token", name="uq_survey_audio_token"),
    )


def downgrade() -> None:
    op.drop_table("survey_audio")
    op.drop_index("ix_survey_cards_survey_id", table_name="survey_cards")
    op.drop_table("survey_cards")
    for column in ("voice_responses", "mode"):
        op.execute(f"ALTER TABLE surveys DROP COLUMN {column}")
