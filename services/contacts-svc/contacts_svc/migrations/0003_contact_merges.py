"""contacts-svc: merged form submissions (consent events about a duplicate follow the kept id)

Revision ID: contacts_0003
Revises: contacts_0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import isoloir.db

revision: str = "contacts_0003"
down_revision: str | Sequence[str] | None = "contacts_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_merges",
        sa.Column("duplicate_id", sa.Uuid(), nullable=False),
        sa.Column("kept_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("merged_at", isoloir.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("duplicate_id", name=op.f("pk_contact_merges")),
    )
    op.create_index(op.f("ix_contact_merges_kept_id"), "contact_merges", ["kept_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_contact_merges_kept_id"), table_name="contact_merges")
    op.drop_table("contact_merges")
