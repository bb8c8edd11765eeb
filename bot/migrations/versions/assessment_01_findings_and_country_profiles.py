"""The assessment as an instrument: findings per indicator, the versions an assessment used,
country profiles changed in the console, and items linked to the finding they remedy.

Revision ID: assessment_01
Revises: media_01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "assessment_01"
down_revision: str | Sequence[str] | None = "media_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=True),
        sa.Column("severity_reason", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessments.id"], name="fk_findings_assessment_id_assessments"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["staff_users.id"], name="fk_findings_updated_by_staff_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_findings"),
        sa.UniqueConstraint("assessment_id", "code", name="uq_finding_once"),
    )
    op.create_index("ix_findings_assessment_id", "findings", ["assessment_id"])
    op.create_table(
        "country_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff_users.id"], name="fk_country_profiles_created_by_staff_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_country_profiles"),
        sa.UniqueConstraint("country", "number", name="uq_country_profile_number"),
    )
    with op.batch_alter_table("assessments") as table:
        table.add_column(
            sa.Column("kind", sa.String(16), nullable=False, server_default="assessment")
        )
        table.add_column(sa.Column("held_on", sa.Date(), nullable=True))
        table.add_column(sa.Column("outcome_reason", sa.Text(), nullable=False, server_default=""))
        table.add_column(sa.Column("standards_version", sa.String(32), nullable=True))
        table.add_column(sa.Column("profile_version", sa.String(32), nullable=True))
        table.add_column(sa.Column("profile_data", sa.JSON(), nullable=True))
    with op.batch_alter_table("action_items") as table:
        table.add_column(sa.Column("finding_id", sa.Integer(), nullable=True))
        table.create_foreign_key(
            "fk_action_items_finding_id_findings", "findings", ["finding_id"], ["id"]
        )
        table.create_index("ix_action_items_finding_id", ["finding_id"])


def downgrade() -> None:
    with op.batch_alter_table("action_items") as table:
        table.drop_index("ix_action_items_finding_id")
        table.drop_constraint("fk_action_items_finding_id_findings", type_="foreignkey")
        table.drop_column("finding_id")
    with op.batch_alter_table("assessments") as table:
        for column in (
            "profile_data",
            "profile_version",
            "standards_version",
            "outcome_reason",
            "held_on",
            "kind",
        ):
            table.drop_column(column)
    op.drop_table("country_profiles")
    op.drop_index("ix_findings_assessment_id", table_name="findings")
    op.drop_table("findings")
