"""consent ledger, forms, opposition list and projections

Revision ID: consent_0002
Revises: consent_0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import isoloir.db

revision: str = "consent_0002"
down_revision: str | Sequence[str] | None = "consent_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "consent_aliases",
        sa.Column("duplicate_id", sa.Uuid(), nullable=False),
        sa.Column("kept_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("merged_at", isoloir.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("duplicate_id", name=op.f("pk_consent_aliases")),
    )
    op.create_index(
        op.f("ix_consent_aliases_kept_id"), "consent_aliases", ["kept_id"], unique=False
    )
    op.create_table(
        "consent_chain_heads",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_consent_chain_heads")),
    )
    op.create_table(
        "consent_contacts",
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("email_hash", sa.String(length=64), nullable=True),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("proposed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", isoloir.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_consent_contacts")),
    )
    op.create_index(
        op.f("ix_consent_contacts_campaign_id"), "consent_contacts", ["campaign_id"], unique=False
    )
    op.create_index(
        op.f("ix_consent_contacts_email_hash"), "consent_contacts", ["email_hash"], unique=False
    )
    op.create_index(
        op.f("ix_consent_contacts_phone_hash"), "consent_contacts", ["phone_hash"], unique=False
    )
    op.create_table(
        "consent_current",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", isoloir.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", isoloir.db.UTCDateTime(), nullable=True),
        sa.Column("call_window", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint(
            "campaign_id", "contact_id", "channel", "purpose", name=op.f("pk_consent_current")
        ),
    )
    op.create_index(
        "ix_consent_current_pending", "consent_current", ["state", "expires_at"], unique=False
    )
    op.create_table(
        "consent_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("previous_state", sa.String(length=20), nullable=True),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.Column("collector", sa.String(length=100), nullable=False),
        sa.Column("form_id", sa.Uuid(), nullable=True),
        sa.Column("form_version", sa.Integer(), nullable=True),
        sa.Column("notice_sha256", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=True),
        sa.Column("call_window", sa.JSON(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("source_ref", sa.String(length=100), nullable=True),
        sa.Column("occurred_at", isoloir.db.UTCDateTime(), nullable=False),
        sa.Column("recorded_at", isoloir.db.UTCDateTime(), nullable=False),
        sa.Column("optout_seq", sa.BigInteger(), nullable=True),
        sa.Column("personal_digest", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("personal_salt", sa.String(length=32), nullable=True),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("erased_at", isoloir.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_entries")),
        sa.UniqueConstraint("campaign_id", "seq", name=op.f("uq_consent_entries_campaign_id")),
    )
    op.create_index(
        "ix_consent_entries_campaign_contact",
        "consent_entries",
        ["campaign_id", "contact_id"],
        unique=False,
    )
    op.create_table(
        "consent_form_versions",
        sa.Column("form_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("notice_fr_sha256", sa.String(length=64), nullable=False),
        sa.Column("notice_en_sha256", sa.String(length=64), nullable=False),
        sa.Column("published_at", isoloir.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("form_id", "version", name=op.f("pk_consent_form_versions")),
    )
    op.create_index(
        op.f("ix_consent_form_versions_campaign_id"),
        "consent_form_versions",
        ["campaign_id"],
        unique=False,
    )
    op.create_table(
        "consent_forms",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("draft", sa.JSON(), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=True),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("created_at", isoloir.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", isoloir.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_forms")),
    )
    op.create_index(
        op.f("ix_consent_forms_campaign_id"), "consent_forms", ["campaign_id"], unique=False
    )
    op.create_table(
        "consent_notices",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", isoloir.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "sha256", name=op.f("pk_consent_notices")),
    )
    op.create_table(
        "consent_opposition",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("added_at", isoloir.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("hash", name=op.f("pk_consent_opposition")),
    )
    counter = op.create_table(
        "consent_optout_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_optout_counter")),
    )
    # The single counter row; opt-outs increment it under its row lock.
    op.bulk_insert(counter, [{"id": 1, "last_seq": 0}])
    op.create_table(
        "consent_purposes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("label_fr", sa.String(length=200), nullable=False),
        sa.Column("label_en", sa.String(length=200), nullable=False),
        sa.Column("description_fr", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("created_at", isoloir.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_purposes")),
        sa.UniqueConstraint("campaign_id", "key", name=op.f("uq_consent_purposes_campaign_id")),
    )
    op.create_index(
        op.f("ix_consent_purposes_campaign_id"), "consent_purposes", ["campaign_id"], unique=False
    )
    op.create_table(
        "consent_rate_limits",
        sa.Column("bucket", sa.String(length=64), nullable=False),
        sa.Column("window_start", isoloir.db.UTCDateTime(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "window_start", name=op.f("pk_consent_rate_limits")),
    )
    op.create_table(
        "consent_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.Column("collector", sa.String(length=100), nullable=False),
        sa.Column("requested_at", isoloir.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", isoloir.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_requests")),
    )
    op.create_index(
        "ix_consent_requests_contact",
        "consent_requests",
        ["campaign_id", "contact_id"],
        unique=False,
    )
    op.create_table(
        "consent_submissions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("form_id", sa.Uuid(), nullable=False),
        sa.Column("form_version", sa.Integer(), nullable=False),
        sa.Column("proposed_contact_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resolved_contact_id", sa.Uuid(), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("submitted_at", isoloir.db.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", isoloir.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_submissions")),
    )
    op.create_index(
        op.f("ix_consent_submissions_campaign_id"),
        "consent_submissions",
        ["campaign_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_consent_submissions_proposed_contact_id"),
        "consent_submissions",
        ["proposed_contact_id"],
        unique=False,
    )


def downgrade() -> None:

    op.drop_index(
        op.f("ix_consent_submissions_proposed_contact_id"), table_name="consent_submissions"
    )
    op.drop_index(op.f("ix_consent_submissions_campaign_id"), table_name="consent_submissions")
    op.drop_table("consent_submissions")
    op.drop_index("ix_consent_requests_contact", table_name="consent_requests")
    op.drop_table("consent_requests")
    op.drop_table("consent_rate_limits")
    op.drop_index(op.f("ix_consent_purposes_campaign_id"), table_name="consent_purposes")
    op.drop_table("consent_purposes")
    op.drop_table("consent_optout_counter")
    op.drop_table("consent_opposition")
    op.drop_table("consent_notices")
    op.drop_index(op.f("ix_consent_forms_campaign_id"), table_name="consent_forms")
    op.drop_table("consent_forms")
    op.drop_index(op.f("ix_consent_form_versions_campaign_id"), table_name="consent_form_versions")
    op.drop_table("consent_form_versions")
    op.drop_index("ix_consent_entries_campaign_contact", table_name="consent_entries")
    op.drop_table("consent_entries")
    op.drop_index("ix_consent_current_pending", table_name="consent_current")
    op.drop_table("consent_current")
    op.drop_index(op.f("ix_consent_contacts_phone_hash"), table_name="consent_contacts")
    op.drop_index(op.f("ix_consent_contacts_email_hash"), table_name="consent_contacts")
    op.drop_index(op.f("ix_consent_contacts_campaign_id"), table_name="consent_contacts")
    op.drop_table("consent_contacts")
    op.drop_table("consent_chain_heads")
    op.drop_index(op.f("ix_consent_aliases_kept_id"), table_name="consent_aliases")
    op.drop_table("consent_aliases")
