"""The help inbox: tickets, their conversations, and staff marked as experts for categories.

Revision ID: tickets_01
Revises: reports_01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "tickets_01"
down_revision: str | Sequence[str] | None = "reports_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users") as table:
        table.add_column(
            sa.Column("expert_categories", sa.JSON(), nullable=False, server_default="[]")
        )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(16), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("first_response_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("emailed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["business_id"], ["businesses.id"], name="fk_tickets_business_id_businesses"
        ),
        sa.ForeignKeyConstraint(
            ["leader_id"], ["contacts.id"], name="fk_tickets_leader_id_contacts"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["action_items.id"], name="fk_tickets_item_id_action_items"
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["staff_users.id"], name="fk_tickets_assignee_id_staff_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
    )
    op.create_index("ix_tickets_business_id", "tickets", ["business_id"])
    op.create_index("ix_tickets_leader_id", "tickets", ["leader_id"])
    op.create_index("ix_tickets_assignee_id", "tickets", ["assignee_id"])
    op.create_index("ix_tickets_status", "tickets", ["status", "opened_at"])
    op.create_table(
        "ticket_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_ticket_messages_ticket_id_tickets"
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name="fk_ticket_messages_staff_id_staff_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_messages"),
    )
    op.create_index("ix_ticket_messages_ticket_id", "ticket_messages", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_messages_ticket_id", table_name="ticket_messages")
    op.drop_table("ticket_messages")
    for index in ("ix_tickets_status", "ix_tickets_assignee_id", "ix_tickets_leader_id",
                  "ix_tickets_business_id"):  # fmt: skip
        op.drop_index(index, table_name="tickets")
    op.drop_table("tickets")
    with op.batch_alter_table("staff_users") as table:
        table.drop_column("expert_categories")
