"""contacts-svc tables: tenants, staff, files, contacts, imports, canvassing, segments

Revision ID: contacts_0002
Revises: contacts_0001
Create Date: 2026-11-23 15:04:50.256234
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import isoloir.db

revision: str = "contacts_0002"
down_revision: str | Sequence[str] | None = "contacts_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consent_states",
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=100), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("changed_at", isoloir.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", "channel", "purpose", name=op.f("pk_consent_states")),
    )
    op.create_index(
        op.f("ix_consent_states_campaign_id"), "consent_states", ["campaign_id"], unique=False
    )
    op.create_table(
        "import_staging",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("new_id", sa.Uuid(), nullable=False),
        sa.Column("match_id", sa.Uuid(), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("email_hash", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("person_hash", sa.String(length=64), nullable=True),
        sa.Column("postal_address", sa.String(length=500), nullable=True),
        sa.Column("polling_station", sa.String(length=20), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("interests", sa.JSON(), nullable=True),
        sa.Column("notes", sa.String(length=2000), nullable=True),
        sa.Column("support_level", sa.Integer(), nullable=True),
    )
    op.create_index(
        op.f("ix_import_staging_import_id"), "import_staging", ["import_id"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        # Rows live there for one chunk's transaction: no need to write them to the WAL.
        op.execute("ALTER TABLE import_staging SET UNLOGGED")
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", isoloir.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", isoloir.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    op.create_table(
        "opposition_hashes",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("hash", name=op.f("pk_opposition_hashes")),
    )
    op.create_table(
        "parties",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", isoloir.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parties")),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("party_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_name", sa.String(length=200), nullable=False),
        sa.Column("election_kind", sa.String(length=40), nullable=False),
        sa.Column("election_rounds", sa.JSON(), nullable=False),
        sa.Column("territory", sa.String(length=200), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("rights_contact_email", sa.String(length=320), nullable=False),
        sa.Column("created_at", isoloir.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", isoloir.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_campaigns_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index(op.f("ix_campaigns_party_id"), "campaigns", ["party_id"], unique=False)
    op.create_table(
        "staff_members",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("party_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("party_admin", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", isoloir.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deactivated_at", isoloir.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_staff_members_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_members")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_members_email")),
    )
    op.create_index(op.f("ix_staff_members_party_id"), "staff_members", ["party_id"], unique=False)
    op.create_table(
        "contact_files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("provenance", sa.String(length=40), nullable=False),
        sa.Column("election_stage", sa.String(length=20), nullable=False),
        sa.Column("retention_ends_on", sa.Date(), nullable=False),
        sa.Column("notice_reference", sa.String(length=500), nullable=True),
        sa.Column("reused_from_file_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", isoloir.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("purged_at", isoloir.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_contact_files_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_files")),
    )
    op.create_index(
        op.f("ix_contact_files_campaign_id"), "contact_files", ["campaign_id"], unique=False
    )
    op.create_table(
        "purge_reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("purged_count", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("purged_at", isoloir.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_purge_reports_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purge_reports")),
    )
    op.create_index(
        op.f("ix_purge_reports_campaign_id"), "purge_reports", ["campaign_id"], unique=False
    )
    op.create_table(
        "segments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", isoloir.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_segments_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
    )
    op.create_index(op.f("ix_segments_campaign_id"), "segments", ["campaign_id"], unique=False)
    op.create_table(
        "staff_roles",
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_staff_roles_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_members.id"], name=op.f("fk_staff_roles_staff_id_staff_members")
        ),
        sa.PrimaryKeyConstraint("staff_id", "campaign_id", "role", name=op.f("pk_staff_roles")),
    )
    op.create_index(
        op.f("ix_staff_roles_campaign_id"), "staff_roles", ["campaign_id"], unique=False
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("origin", sa.String(length=40), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("email_hash", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("person_hash", sa.String(length=64), nullable=True),
        sa.Column("postal_address", sa.String(length=500), nullable=True),
        sa.Column("polling_station", sa.String(length=20), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("interests", sa.JSON(), nullable=True),
        sa.Column("notes", sa.String(length=2000), nullable=True),
        sa.Column("support_level", sa.Integer(), nullable=True),
        sa.Column("notice_reference", sa.String(length=500), nullable=True),
        sa.Column("created_at", isoloir.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", isoloir.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_contacts_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["contact_files.id"], name=op.f("fk_contacts_file_id_contact_files")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    op.create_index("ix_contacts_campaign_id_id", "contacts", ["campaign_id", "id"], unique=False)
    op.create_index(op.f("ix_contacts_file_id"), "contacts", ["file_id"], unique=False)
    op.create_index(
        "uq_contacts_campaign_email_hash",
        "contacts",
        ["campaign_id", "email_hash"],
        unique=True,
        postgresql_where=sa.text("email_hash IS NOT NULL"),
        sqlite_where=sa.text("email_hash IS NOT NULL"),
    )
    op.create_index(
        "uq_contacts_campaign_phone_hash",
        "contacts",
        ["campaign_id", "phone_hash"],
        unique=True,
        postgresql_where=sa.text("phone_hash IS NOT NULL"),
        sqlite_where=sa.text("phone_hash IS NOT NULL"),
    )
    op.create_index(
        "uq_contacts_campaign_person_hash",
        "contacts",
        ["campaign_id", "person_hash"],
        unique=True,
        postgresql_where=sa.text("person_hash IS NOT NULL"),
        sqlite_where=sa.text("person_hash IS NOT NULL"),
    )
    op.create_table(
        "imports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("origin", sa.String(length=40), nullable=False),
        sa.Column("encoding", sa.String(length=20), nullable=False),
        sa.Column("delimiter", sa.String(length=1), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("processed_bytes", sa.BigInteger(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("merged", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("ignored_columns", sa.JSON(), nullable=False),
        sa.Column("failure", sa.String(length=500), nullable=True),
        sa.Column("created_at", isoloir.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", isoloir.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", isoloir.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_imports_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["contact_files.id"], name=op.f("fk_imports_file_id_contact_files")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
    )
    op.create_index(op.f("ix_imports_campaign_id"), "imports", ["campaign_id"], unique=False)
    op.create_table(
        "import_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("email_hash", sa.String(length=64), nullable=True),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_import_errors_import_id_imports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_errors")),
    )
    op.create_index(
        op.f("ix_import_errors_email_hash"), "import_errors", ["email_hash"], unique=False
    )
    op.create_index(
        op.f("ix_import_errors_import_id"), "import_errors", ["import_id"], unique=False
    )
    op.create_index(
        op.f("ix_import_errors_phone_hash"), "import_errors", ["phone_hash"], unique=False
    )
    op.create_table(
        "interactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", isoloir.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("polling_station", sa.String(length=20), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("notes", sa.String(length=2000), nullable=True),
        sa.Column("created_at", isoloir.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_interactions_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_interactions_contact_id_contacts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interactions")),
    )
    op.create_index(
        "ix_interactions_campaign_id_id", "interactions", ["campaign_id", "id"], unique=False
    )
    op.create_index(
        op.f("ix_interactions_contact_id"), "interactions", ["contact_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_interactions_contact_id"), table_name="interactions")
    op.drop_index("ix_interactions_campaign_id_id", table_name="interactions")
    op.drop_table("interactions")
    op.drop_index(op.f("ix_import_errors_phone_hash"), table_name="import_errors")
    op.drop_index(op.f("ix_import_errors_import_id"), table_name="import_errors")
    op.drop_index(op.f("ix_import_errors_email_hash"), table_name="import_errors")
    op.drop_table("import_errors")
    op.drop_index(op.f("ix_imports_campaign_id"), table_name="imports")
    op.drop_table("imports")
    op.drop_index(
        "uq_contacts_campaign_phone_hash",
        table_name="contacts",
        postgresql_where=sa.text("phone_hash IS NOT NULL"),
        sqlite_where=sa.text("phone_hash IS NOT NULL"),
    )
    op.drop_index(
        "uq_contacts_campaign_email_hash",
        table_name="contacts",
        postgresql_where=sa.text("email_hash IS NOT NULL"),
        sqlite_where=sa.text("email_hash IS NOT NULL"),
    )
    op.drop_index(op.f("ix_contacts_file_id"), table_name="contacts")
    op.drop_index("ix_contacts_campaign_id_id", table_name="contacts")
    op.drop_table("contacts")
    op.drop_index(op.f("ix_staff_roles_campaign_id"), table_name="staff_roles")
    op.drop_table("staff_roles")
    op.drop_index(op.f("ix_segments_campaign_id"), table_name="segments")
    op.drop_table("segments")
    op.drop_index(op.f("ix_purge_reports_campaign_id"), table_name="purge_reports")
    op.drop_table("purge_reports")
    op.drop_index(op.f("ix_contact_files_campaign_id"), table_name="contact_files")
    op.drop_table("contact_files")
    op.drop_index(op.f("ix_staff_members_party_id"), table_name="staff_members")
    op.drop_table("staff_members")
    op.drop_index(op.f("ix_campaigns_party_id"), table_name="campaigns")
    op.drop_table("campaigns")
    op.drop_table("parties")
    op.drop_table("opposition_hashes")
    op.drop_table("login_throttle")
    op.drop_index(op.f("ix_import_staging_import_id"), table_name="import_staging")
    op.drop_table("import_staging")
    op.drop_index(op.f("ix_consent_states_campaign_id"), table_name="consent_states")
    op.drop_table("consent_states")
