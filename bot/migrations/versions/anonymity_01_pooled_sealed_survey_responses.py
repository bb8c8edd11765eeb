"""survey anonymity: pooled sealed responses, once-per-person markers, private messages

Revision ID: anonymity_01
Revises: 0002

- survey_pool: pending responses, sealed with the survey key, until a batch is written;
- survey_participants: a keyed hash per (survey, address), so one person counts once;
- provider_redactions: message bodies still to be emptied at the provider;
- surveys.held_back: responses never written because too few were left when it closed;
- outbound_messages.private: survey replies, deleted once final;
- survey_responses.submitted_on is dropped: a response carries no date.

Messages of surveys already answered lose what tied them to a person: inbound rows kept as
"[survey answer]" lose their contact and body, and survey replies already sent are deleted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "anonymity_01"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "('queued', 'claimed', 'sending')"


def upgrade() -> None:
    random_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "survey_pool",
        sa.Column("id", random_id, autoincrement=False, nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_survey_pool_survey_id_surveys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_pool")),
    )
    op.create_index(op.f("ix_survey_pool_survey_id"), "survey_pool", ["survey_id"])
    op.create_table(
        "survey_participants",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_survey_participants_survey_id_surveys")
        ),
        sa.PrimaryKeyConstraint("survey_id", "tag", name=op.f("pk_survey_participants")),
    )
    op.create_table(
        "provider_redactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("provider_id", sa.String(length=128), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_redactions")),
    )
    op.create_index(op.f("ix_provider_redactions_due_at"), "provider_redactions", ["due_at"])
    with op.batch_alter_table("surveys") as batch:
        batch.add_column(sa.Column("held_back", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("outbound_messages") as batch:
        batch.add_column(
            sa.Column("private", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("survey_responses") as batch:
        batch.drop_column("submitted_on")
    op.execute(
        "UPDATE inbound_messages SET contact_id = NULL, body = '' WHERE body = '[survey answer]'"
    )
    op.execute(
        "DELETE FROM outbound_messages "
        f"WHERE message_key LIKE 'survey.%' AND status NOT IN {ACTIVE}"
    )


def downgrade() -> None:
    with op.batch_alter_table("survey_responses") as batch:
        batch.add_column(
            sa.Column(
                "submitted_on", sa.Date(), server_default=sa.func.current_date(), nullable=False
            )
        )
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_column("private")
    with op.batch_alter_table("surveys") as batch:
        batch.drop_column("held_back")
    op.drop_index(op.f("ix_provider_redactions_due_at"), table_name="provider_redactions")
    op.drop_table("provider_redactions")
    op.drop_table("survey_participants")
    op.drop_index(op.f("ix_survey_pool_survey_id"), table_name="survey_pool")
    op.drop_table("survey_pool")
