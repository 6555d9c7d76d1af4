"""probe tables

Revision ID: probe_0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "probe_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("probe",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "probe_notes",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("campaign_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("text", sa.String(), nullable=False),
    )
    op.create_table(
        "probe_applied",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("note_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("source", sa.String(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("probe_applied")
    op.drop_table("probe_notes")
