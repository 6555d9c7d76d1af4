"""Tables of contacts-svc, on a metadata of its own.

Every tenant table carries `campaign_id` and every query filters on it (I4). Personal data
lives only in `contacts` (and, for the duration of a run, `import_staging`); everything else
refers to people by id or keyed hash.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from contacts_svc import ids
from isoloir import db

if TYPE_CHECKING:
    Base = SQLModel  # what model_base returns, as type checkers can follow it
else:
    Base = db.model_base("ContactsBase")
metadata = Base.metadata


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=sa.Column(db.UTCDateTime(), nullable=nullable, index=index))


def _json(*, nullable: bool = False) -> Any:
    return Field(sa_column=sa.Column(sa.JSON(), nullable=nullable))


class Party(Base, table=True):
    __tablename__ = "parties"

    id: uuid.UUID = Field(primary_key=True)
    name: str = Field(max_length=200)
    created_at: datetime = _ts()


class Campaign(Base, table=True):
    __tablename__ = "campaigns"

    id: uuid.UUID = Field(default_factory=db.new_id, primary_key=True)
    party_id: uuid.UUID = Field(foreign_key="parties.id", index=True)
    candidate_name: str = Field(max_length=200)
    election_kind: str = Field(max_length=40)
    election_rounds: list[str] = _json()
    territory: str = Field(max_length=200)
    ends_on: date
    rights_contact_email: str = Field(max_length=320)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class StaffMember(Base, table=True):
    __tablename__ = "staff_members"

    id: uuid.UUID = Field(default_factory=db.new_id, primary_key=True)
    party_id: uuid.UUID = Field(foreign_key="parties.id", index=True)
    email: str = Field(max_length=320, unique=True)
    display_name: str = Field(max_length=200)
    password_hash: str = Field(max_length=200)
    party_admin: bool = False
    active: bool = True
    created_at: datetime = _ts()
    deactivated_at: datetime | None = _ts(nullable=True)


class StaffRole(Base, table=True):
    __tablename__ = "staff_roles"

    staff_id: uuid.UUID = Field(foreign_key="staff_members.id", primary_key=True)
    campaign_id: uuid.UUID = Field(foreign_key="campaigns.id", primary_key=True, index=True)
    role: str = Field(primary_key=True, max_length=40)


class LoginThrottle(Base, table=True):
    """Failed logins per account key (hash of the email): shared by every replica."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    window_started_at: datetime = _ts()
    locked_until: datetime | None = _ts(nullable=True)


class ContactFile(Base, table=True):
    __tablename__ = "contact_files"

    id: uuid.UUID = Field(default_factory=db.new_id, primary_key=True)
    campaign_id: uuid.UUID = Field(foreign_key="campaigns.id", index=True)
    name: str = Field(max_length=200)
    purpose: str = Field(max_length=500)
    provenance: str = Field(max_length=40)
    election_stage: str = Field(max_length=20)
    retention_ends_on: date
    notice_reference: str | None = Field(default=None, max_length=500)
    reused_from_file_id: uuid.UUID | None = None
    created_at: datetime = _ts()
    purged_at: datetime | None = _ts(nullable=True)


class Contact(Base, table=True):
    __tablename__ = "contacts"
    __table_args__ = (
        sa.Index(
            "uq_contacts_campaign_email_hash",
            "campaign_id",
            "email_hash",
            unique=True,
            postgresql_where=sa.text("email_hash IS NOT NULL"),
            sqlite_where=sa.text("email_hash IS NOT NULL"),
        ),
        sa.Index(
            "uq_contacts_campaign_phone_hash",
            "campaign_id",
            "phone_hash",
            unique=True,
            postgresql_where=sa.text("phone_hash IS NOT NULL"),
            sqlite_where=sa.text("phone_hash IS NOT NULL"),
        ),
        sa.Index(
            "uq_contacts_campaign_person_hash",
            "campaign_id",
            "person_hash",
            unique=True,
            postgresql_where=sa.text("person_hash IS NOT NULL"),
            sqlite_where=sa.text("person_hash IS NOT NULL"),
        ),
        sa.Index("ix_contacts_campaign_id_id", "campaign_id", "id"),
    )

    id: uuid.UUID = Field(default_factory=ids.ordered_id, primary_key=True)
    campaign_id: uuid.UUID = Field(foreign_key="campaigns.id")
    file_id: uuid.UUID = Field(foreign_key="contact_files.id", index=True)
    kind: str = Field(max_length=20)
    origin: str = Field(max_length=40)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=320)
    email_hash: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=20)
    phone_hash: str | None = Field(default=None, max_length=64)
    # Keyed hash of name, birth year and address: the duplicate key of people with neither
    # email nor phone (electoral-list rows), so that re-importing them changes nothing.
    person_hash: str | None = Field(default=None, max_length=64)
    postal_address: str | None = Field(default=None, max_length=500)
    polling_station: str | None = Field(default=None, max_length=20)
    birth_year: int | None = None
    sex: str | None = Field(default=None, max_length=1)
    tags: list[str] | None = _json(nullable=True)
    interests: list[str] | None = _json(nullable=True)
    notes: str | None = Field(default=None, max_length=2000)
    support_level: int | None = None
    notice_reference: str | None = Field(default=None, max_length=500)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class PurgeReport(Base, table=True):
    __tablename__ = "purge_reports"

    id: uuid.UUID = Field(default_factory=db.new_id, primary_key=True)
    campaign_id: uuid.UUID = Field(foreign_key="campaigns.id", index=True)
    file_id: uuid.UUID
    file_name: str = Field(max_length=200)
    purged_count: int
    reason: str = Field(max_length=20)
    purged_at: datetime = _ts()


class ConsentState(Base, table=True):
    """Projection of consent-svc's ledger: the latest state per contact, channel and purpose."""

    __tablename__ = "consent_states"

    contact_id: uuid.UUID = Field(primary_key=True)
    channel: str = Field(primary_key=True, max_length=20)
    purpose: str = Field(primary_key=True, max_length=100)
    campaign_id: uuid.UUID = Field(index=True)
    state: str = Field(max_length=20)
    changed_at: datetime = _ts()


class ContactMerge(Base, table=True):
    """A proposed contact (a form submission) merged into one held: its id now means the kept one.

    consent-svc's entries of the submission are about the proposed id and arrive after the
    merge, so the consent projection follows this alias (contact.merged says the same).
    """

    __tablename__ = "contact_merges"

    duplicate_id: uuid.UUID = Field(primary_key=True)
    kept_id: uuid.UUID = Field(index=True)
    campaign_id: uuid.UUID
    merged_at: datetime = _ts()


class OppositionHash(Base, table=True):
    """Projection of consent-svc's opposition list: keyed hashes only."""

    __tablename__ = "opposition_hashes"

    hash: str = Field(primary_key=True, max_length=64)


class Import(Base, table=True):
    __tablename__ = "imports"

    id: uuid.UUID = Field(default_factory=db.new_id, primary_key=True)
    campaign_id: uuid.UUID = Field(foreign_key="campaigns.id", index=True)
    file_id: uuid.UUID = Field(foreign_key="contact_files.id")
    created_by: str = Field(max_length=64)
    status: str = Field(max_length=20)
    kind: str = Field(max_length=20)
    origin: str = Field(max_length=40)
    encoding: str = Field(max_length=20)
    delimiter: str = Field(max_length=1)
    mapping: dict[str, Any] = _json()
    content_sha256: str = Field(max_length=64)
    size_bytes: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    processed_bytes: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))
    rows_read: int = 0
    created: int = 0
    merged: int = 0
    unchanged: int = 0
    duplicates: int = 0
    skipped: int = 0
    errors: int = 0
    ignored_columns: list[str] = _json()
    failure: str | None = Field(default=None, max_length=500)
    created_at: datetime = _ts()
    started_at: datetime | None = _ts(nullable=True)
    finished_at: datetime | None = _ts(nullable=True)


class ImportRowError(Base, table=True):
    """One line of an import's error report; hashes let an erasure find the person's lines."""

    __tablename__ = "import_errors"

    id: int | None = Field(default=None, primary_key=True)
    import_id: uuid.UUID = Field(foreign_key="imports.id", index=True)
    row: int
    field: str = Field(max_length=100)
    reason: str = Field(max_length=300)
    email_hash: str | None = Field(default=None, max_length=64, index=True)
    phone_hash: str | None = Field(default=None, max_length=64, index=True)


class Interaction(Base, table=True):
    """A canvassing entry: a door-to-door visit, meeting, call or event attendance."""

    __tablename__ = "interactions"
    __table_args__ = (sa.Index("ix_interactions_campaign_id_id", "campaign_id", "id"),)

    id: uuid.UUID = Field(default_factory=db.new_id, primary_key=True)
    campaign_id: uuid.UUID = Field(foreign_key="campaigns.id")
    kind: str = Field(max_length=20)
    staff_id: str = Field(max_length=64)
    occurred_at: datetime = _ts()
    polling_station: str | None = Field(default=None, max_length=20)
    outcome: str = Field(max_length=30)
    contact_id: uuid.UUID | None = Field(default=None, foreign_key="contacts.id", index=True)
    notes: str | None = Field(default=None, max_length=2000)
    created_at: datetime = _ts()


class Segment(Base, table=True):
    __tablename__ = "segments"

    id: uuid.UUID = Field(default_factory=db.new_id, primary_key=True)
    campaign_id: uuid.UUID = Field(foreign_key="campaigns.id", index=True)
    name: str = Field(max_length=200)
    filters: dict[str, Any] = _json()
    created_by: str = Field(max_length=64)
    created_at: datetime = _ts()


# The staging table of imports: one chunk at a time, bulk-loaded, inserted into `contacts` and
# merged with set-based statements, emptied in the same transaction. On PostgreSQL each
# connection shadows it with a temporary copy (see imports/merge.py), loaded with COPY.
import_staging = sa.Table(
    "import_staging",
    metadata,
    sa.Column("import_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("row_no", sa.Integer(), nullable=False),
    sa.Column("new_id", sa.Uuid(), nullable=False),
    sa.Column("match_id", sa.Uuid(), nullable=True),
    sa.Column("first_name", sa.String(100)),
    sa.Column("last_name", sa.String(100)),
    sa.Column("email", sa.String(320)),
    sa.Column("email_hash", sa.String(64)),
    sa.Column("phone", sa.String(20)),
    sa.Column("phone_hash", sa.String(64)),
    sa.Column("person_hash", sa.String(64)),
    sa.Column("postal_address", sa.String(500)),
    sa.Column("polling_station", sa.String(20)),
    sa.Column("birth_year", sa.Integer()),
    sa.Column("sex", sa.String(1)),
    sa.Column("tags", sa.JSON()),
    sa.Column("interests", sa.JSON()),
    sa.Column("notes", sa.String(2000)),
    sa.Column("support_level", sa.Integer()),
)


def table(model: type[SQLModel]) -> sa.Table:
    """Return a model's table (SQLModel does not declare `__table__` to type checkers)."""
    found = model.__table__  # type: ignore[attr-defined]
    assert isinstance(found, sa.Table)
    return found
