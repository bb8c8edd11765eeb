"""The seal as a record with a public verification code, brand partners linked to businesses
with their leader's consent, and the counters that rate-limit verification.

Revision ID: seal_01
Revises: tickets_01
"""

import calendar
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "seal_01"
down_revision: str | Sequence[str] | None = "tickets_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def upgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(
            sa.Column("organisation", sa.String(120), nullable=False, server_default="")
        )
    op.create_table(
        "seals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("awarded_at", sa.DateTime(), nullable=False),
        sa.Column("valid_until", sa.DateTime(), nullable=False),
        sa.Column("standards_version", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(), nullable=True),
        sa.Column("reassessment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["business_id"], ["businesses.id"], name="fk_seals_business_id_businesses"
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessments.id"], name="fk_seals_assessment_id_assessments"
        ),
        sa.ForeignKeyConstraint(
            ["reassessment_id"], ["assessments.id"], name="fk_seals_reassessment_id_assessments"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_seals"),
        sa.UniqueConstraint("number", name="uq_seals_number"),
        sa.UniqueConstraint("code", name="uq_seals_code"),
    )
    op.create_index("ix_seals_business_id", "seals", ["business_id"])
    op.create_table(
        "brand_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name="fk_brand_links_staff_id_staff_users"
        ),
        sa.ForeignKeyConstraint(
            ["business_id"], ["businesses.id"], name="fk_brand_links_business_id_businesses"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_brand_links"),
        sa.UniqueConstraint("staff_id", "business_id", name="uq_brand_link_once"),
    )
    op.create_index("ix_brand_links_staff_id", "brand_links", ["staff_id"])
    op.create_index("ix_brand_links_business_id", "brand_links", ["business_id"])
    op.create_table(
        "verify_counters",
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_verify_counters"),
    )
    # Seals awarded before this revision become records: numbered, with a new code, valid for
    # 24 months (the default SEAL_VALID_MONTHS) from the award.
    businesses = sa.table(
        "businesses", sa.column("id", sa.Integer()), sa.column("seal_awarded_at", sa.DateTime())
    )
    seals = sa.table(
        "seals",
        *(sa.column(name) for name in ("business_id", "number", "code", "standards_version")),
        *(sa.column(name) for name in ("status", "status_reason")),
        sa.column("awarded_at", sa.DateTime()),
        sa.column("valid_until", sa.DateTime()),
    )
    connection = op.get_bind()
    awarded = connection.execute(
        sa.select(businesses.c.id, businesses.c.seal_awarded_at).where(
            businesses.c.seal_awarded_at.is_not(None)
        )
    ).all()
    for business_id, at in awarded:
        year, month = divmod(at.month - 1 + 24, 12)
        last = calendar.monthrange(at.year + year, month + 1)[1]
        until = at.replace(year=at.year + year, month=month + 1, day=min(at.day, last))
        connection.execute(
            seals.insert().values(
                business_id=business_id,
                number=f"EH-{at.year}-{business_id:05d}",
                code="".join(secrets.choice(_ALPHABET) for _ in range(10)),
                awarded_at=at,
                valid_until=until,
                standards_version="",
                status="active",
                status_reason="",
            )
        )


def downgrade() -> None:
    op.drop_table("verify_counters")
    op.drop_index("ix_brand_links_business_id", "brand_links")
    op.drop_index("ix_brand_links_staff_id", "brand_links")
    op.drop_table("brand_links")
    op.drop_index("ix_seals_business_id", "seals")
    op.drop_table("seals")
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("organisation")
