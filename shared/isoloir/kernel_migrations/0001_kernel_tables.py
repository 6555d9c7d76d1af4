"""kernel tables: outbox, processed events, revoked subjects

Revision ID: kernel_0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import isoloir.db

revision: str = "kernel_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("kernel",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kernel_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=120), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", isoloir.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kernel_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_kernel_outbox_event_id")),
    )
    op.create_table(
        "kernel_processed_events",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=120), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("processed_at", isoloir.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_kernel_processed_events")),
    )
    op.create_index(
        op.f("ix_kernel_processed_events_processed_at"),
        "kernel_processed_events",
        ["processed_at"],
    )
    op.create_table(
        "kernel_revoked_subjects",
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", isoloir.db.UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_kernel_revoked_subjects")),
    )


def downgrade() -> None:
    op.drop_table("kernel_revoked_subjects")
    op.drop_index(
        op.f("ix_kernel_processed_events_processed_at"), table_name="kernel_processed_events"
    )
    op.drop_table("kernel_processed_events")
    op.drop_table("kernel_outbox")
