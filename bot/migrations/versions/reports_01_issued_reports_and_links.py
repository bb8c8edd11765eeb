"""Issued reports kept as issued, the links that open one for a leader, their openings, and
the document an outbox message carries.

Revision ID: reports_01
Revises: assessment_01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reports_01"
down_revision: str | Sequence[str] | None = "assessment_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("standards_version", sa.String(32), nullable=True),
        sa.Column("profile_version", sa.String(32), nullable=True),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"], ["businesses.id"], name="fk_reports_business_id_businesses"
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessments.id"], name="fk_reports_assessment_id_assessments"
        ),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["staff_users.id"], name="fk_reports_issued_by_staff_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reports"),
        sa.UniqueConstraint("business_id", "kind", "version", name="uq_report_version"),
    )
    op.create_index("ix_reports_business_id", "reports", ["business_id"])
    op.create_table(
        "report_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name="fk_report_links_report_id_reports"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name="fk_report_links_contact_id_contacts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_report_links"),
        sa.UniqueConstraint("token_sha256", name="uq_report_links_token_sha256"),
    )
    op.create_index("ix_report_links_report_id", "report_links", ["report_id"])
    op.create_table(
        "report_openings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"], ["report_links.id"], name="fk_report_openings_link_id_report_links"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_report_openings"),
    )
    op.create_index("ix_report_openings_link_id", "report_openings", ["link_id"])
    with op.batch_alter_table("outbound_messages") as table:
        table.add_column(sa.Column("document_url", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbound_messages") as table:
        table.drop_column("document_url")
    op.drop_index("ix_report_openings_link_id", table_name="report_openings")
    op.drop_table("report_openings")
    op.drop_index("ix_report_links_report_id", table_name="report_links")
    op.drop_table("report_links")
    op.drop_index("ix_reports_business_id", table_name="reports")
    op.drop_table("reports")
