"""Tables of consent-svc, on a metadata of its own.

The ledger (`consent_entries`) is append-only and chained per campaign; `consent_current` is a
projection of it (the latest entry per contact, channel and purpose) kept for fast reads.
Personal evidence (contact link, IP address, user agent, free text) sits in columns of its own
whose salted digest is what the chain covers, so erasure can clear them.
"""

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from isoloir import db

if TYPE_CHECKING:
    Base = SQLModel
else:
    Base = db.model_base("ConsentBase")
metadata = Base.metadata


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_type=db.UTCDateTime(), nullable=nullable, index=index)


class Purpose(Base, table=True):
    __tablename__ = "consent_purposes"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "key"),)

    id: uuid.UUID = Field(default_factory=db.new_id, primary_key=True)
    campaign_id: uuid.UUID = Field(index=True)
    key: str = Field(max_length=64)
    label_fr: str = Field(max_length=200)
    label_en: str = Field(max_length=200)
    description_fr: str = Field(sa_type=sa.Text)
    description_en: str = Field(sa_type=sa.Text)
    created_at: datetime = _ts()


class Notice(Base, table=True):
    """The exact text a person was shown, stored once and referenced by its SHA-256."""

    __tablename__ = "consent_notices"

    campaign_id: uuid.UUID = Field(primary_key=True)
    sha256: str = Field(primary_key=True, max_length=64)
    text: str = Field(sa_type=sa.Text)
    created_at: datetime = _ts()


class Form(Base, table=True):
    __tablename__ = "consent_forms"

    id: uuid.UUID = Field(default_factory=db.new_id, primary_key=True)
    campaign_id: uuid.UUID = Field(index=True)
    name: str = Field(max_length=200)
    draft: dict[str, Any] = Field(sa_type=sa.JSON)
    current_version: int | None = None
    closed: bool = False
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class FormVersion(Base, table=True):
    """A published, frozen form definition: what voters saw."""

    __tablename__ = "consent_form_versions"

    form_id: uuid.UUID = Field(primary_key=True)
    version: int = Field(primary_key=True)
    campaign_id: uuid.UUID = Field(index=True)
    content: dict[str, Any] = Field(sa_type=sa.JSON)
    notice_fr_sha256: str = Field(max_length=64)
    notice_en_sha256: str = Field(max_length=64)
    published_at: datetime = _ts()


class ChainHead(Base, table=True):
    """The last entry of a campaign's chain; its row lock serialises appends."""

    __tablename__ = "consent_chain_heads"

    campaign_id: uuid.UUID = Field(primary_key=True)
    last_seq: int = Field(default=0, sa_type=sa.BigInteger)
    last_hash: str = Field(max_length=64)


class Entry(Base, table=True):
    """One append-only ledger entry with its evidence."""

    __tablename__ = "consent_entries"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "seq"),
        sa.Index("ix_consent_entries_campaign_contact", "campaign_id", "contact_id"),
    )

    id: uuid.UUID = Field(default_factory=db.new_id, primary_key=True)
    campaign_id: uuid.UUID
    seq: int = Field(sa_type=sa.BigInteger)
    channel: str = Field(max_length=20)
    purpose: str = Field(max_length=64)
    state: str = Field(max_length=20)
    previous_state: str | None = Field(default=None, max_length=20)
    method: str = Field(max_length=30)
    collector: str = Field(max_length=100)
    form_id: uuid.UUID | None = None
    form_version: int | None = None
    notice_sha256: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=5)
    call_window: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    reason: str | None = Field(default=None, max_length=200)
    source_ref: str | None = Field(default=None, max_length=100)
    occurred_at: datetime = _ts()
    recorded_at: datetime = _ts()
    optout_seq: int | None = Field(default=None, sa_type=sa.BigInteger)
    personal_digest: str = Field(max_length=64)
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64)
    # Personal evidence: cleared on erasure; the chain covers only `personal_digest`.
    contact_id: uuid.UUID | None = None
    personal_salt: str | None = Field(default=None, max_length=32)
    ip_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=500)
    note: str | None = Field(default=None, sa_type=sa.Text)
    erased_at: datetime | None = _ts(nullable=True)


class Current(Base, table=True):
    """The latest entry per (contact, channel, purpose): a projection of the ledger."""

    __tablename__ = "consent_current"
    __table_args__ = (sa.Index("ix_consent_current_pending", "state", "expires_at"),)

    campaign_id: uuid.UUID = Field(primary_key=True)
    contact_id: uuid.UUID = Field(primary_key=True)
    channel: str = Field(primary_key=True, max_length=20)
    purpose: str = Field(primary_key=True, max_length=64)
    state: str = Field(max_length=20)
    entry_id: uuid.UUID
    seq: int = Field(sa_type=sa.BigInteger)
    occurred_at: datetime = _ts()
    expires_at: datetime | None = _ts(nullable=True)
    call_window: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)


class ConsentRequest(Base, table=True):
    """A solicitation of a contact (R12: an occasional contact is asked once)."""

    __tablename__ = "consent_requests"
    __table_args__ = (sa.Index("ix_consent_requests_contact", "campaign_id", "contact_id"),)

    id: uuid.UUID = Field(default_factory=db.new_id, primary_key=True)
    campaign_id: uuid.UUID
    contact_id: uuid.UUID
    method: str = Field(max_length=30)
    collector: str = Field(max_length=100)
    requested_at: datetime = _ts()
    expires_at: datetime = _ts()


class KnownContact(Base, table=True):
    """What consent-svc knows of a contact: kind and keyed hashes, never plaintext."""

    __tablename__ = "consent_contacts"

    contact_id: uuid.UUID = Field(primary_key=True)
    campaign_id: uuid.UUID = Field(index=True)
    kind: str = Field(max_length=20)
    email_hash: str | None = Field(default=None, max_length=64, index=True)
    phone_hash: str | None = Field(default=None, max_length=64, index=True)
    proposed: bool = False
    updated_at: datetime = _ts()


class Alias(Base, table=True):
    """A merged duplicate: entries under `duplicate_id` belong to `kept_id`."""

    __tablename__ = "consent_aliases"

    duplicate_id: uuid.UUID = Field(primary_key=True)
    kept_id: uuid.UUID = Field(index=True)
    campaign_id: uuid.UUID
    merged_at: datetime = _ts()


class Submission(Base, table=True):
    """A public form submission awaiting (or answered by) the contact directory."""

    __tablename__ = "consent_submissions"

    id: uuid.UUID = Field(default_factory=db.new_id, primary_key=True)
    campaign_id: uuid.UUID = Field(index=True)
    form_id: uuid.UUID
    form_version: int
    proposed_contact_id: uuid.UUID = Field(index=True)
    status: str = Field(default="submitted", max_length=20)
    resolved_contact_id: uuid.UUID | None = None
    language: str = Field(max_length=5)
    submitted_at: datetime = _ts()
    resolved_at: datetime | None = _ts(nullable=True)


class Opposition(Base, table=True):
    """The party's opposition list: keyed hashes of emails and phones, nothing else."""

    __tablename__ = "consent_opposition"

    hash: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=10)
    source: str = Field(max_length=20)
    added_at: datetime = _ts()


class OptoutCounter(Base, table=True):
    """One row: the last opt-out sequence number given (gapless, in commit order)."""

    __tablename__ = "consent_optout_counter"

    id: int = Field(primary_key=True)
    last_seq: int = Field(default=0, sa_type=sa.BigInteger)


class RateBucket(Base, table=True):
    """Requests per keyed client IP and page kind in one minute."""

    __tablename__ = "consent_rate_limits"

    bucket: str = Field(primary_key=True, max_length=64)
    window_start: datetime = Field(sa_type=db.UTCDateTime(), primary_key=True)
    hits: int = 0
