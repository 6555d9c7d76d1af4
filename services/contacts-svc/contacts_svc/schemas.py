"""Request and response bodies of the tenant, staff and file routes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from contacts_svc.rules import ElectionStage, Provenance
from isoloir.auth import Role

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartyIn(Strict):
    name: Name


class PartyOut(BaseModel):
    id: uuid.UUID
    name: str
    created_at: datetime


class CampaignIn(Strict):
    candidate_name: Name
    election_kind: Annotated[str, StringConstraints(min_length=1, max_length=40)] = Field(
        description="e.g. municipales, legislatives, europeennes, presidentielle"
    )
    election_rounds: list[date] = Field(min_length=1, max_length=2, description="Date per round.")
    territory: Name
    ends_on: date = Field(description="End of the campaign; default retention end of its files.")
    rights_contact_email: EmailStr = Field(description="The dedicated rights-request address.")


class CampaignPatch(Strict):
    candidate_name: Name | None = None
    election_kind: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    election_rounds: list[date] | None = Field(default=None, min_length=1, max_length=2)
    territory: Name | None = None
    ends_on: date | None = None
    rights_contact_email: EmailStr | None = None


class CampaignOut(BaseModel):
    id: uuid.UUID
    party_id: uuid.UUID
    party_name: str
    candidate_name: str
    election_kind: str
    election_rounds: list[date]
    territory: str
    ends_on: date
    rights_contact_email: str


Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
CampaignRole = Annotated[
    Role, Field(description="campaign_manager, volunteer, rights_officer or ops_viewer")
]


class StaffIn(Strict):
    email: EmailStr
    display_name: Name
    password: Password
    party_admin: bool = False


class MemberIn(Strict):
    email: EmailStr
    display_name: Name
    password: Password
    roles: list[CampaignRole] = Field(min_length=1)


class RolesIn(Strict):
    roles: list[CampaignRole] = Field(min_length=1)


class GrantIn(Strict):
    campaign_id: uuid.UUID
    roles: list[CampaignRole] = Field(description="Empty: no role left in that campaign.")


class PasswordIn(Strict):
    password: Password


class StaffOut(BaseModel):
    id: uuid.UUID
    email: str
    display_name: str
    party_admin: bool
    active: bool
    roles: list[Role] = Field(default_factory=list, description="Roles in the campaign asked for.")


class LoginIn(Strict):
    email: Annotated[str, StringConstraints(min_length=1, max_length=320)]
    password: Password
    campaign_id: uuid.UUID | None = None


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_at: datetime
    campaign_id: uuid.UUID | None
    roles: list[Role]


class FileIn(Strict):
    name: Name
    purpose: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    provenance: Provenance
    election_stage: ElectionStage = ElectionStage.OFFICIAL
    retention_ends_on: date | None = Field(
        default=None, description="The day its contacts are deleted (default: campaign end)."
    )
    notice_reference: str | None = Field(
        default=None,
        max_length=500,
        description="Required for social-network and rented files: the notice people saw.",
    )


class FilePatch(Strict):
    name: Name | None = None
    purpose: str | None = Field(default=None, min_length=1, max_length=500)
    retention_ends_on: date | None = None


class FileOut(BaseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID
    name: str
    purpose: str
    provenance: Provenance
    election_stage: ElectionStage
    retention_ends_on: date
    notice_reference: str | None
    reused_from_file_id: uuid.UUID | None
    created_at: datetime


class ReuseIn(Strict):
    source_file_id: uuid.UUID
    target_campaign_id: uuid.UUID


class ReuseOut(BaseModel):
    file: FileOut
    copied: int = Field(description="Contacts that consented to the reuse and were copied.")
    left_behind: int = Field(description="Contacts without that consent, not copied.")


class PurgeReportOut(BaseModel):
    id: uuid.UUID
    file_id: uuid.UUID
    file_name: str
    purged_count: int
    reason: str
    purged_at: datetime
