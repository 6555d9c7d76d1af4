"""Party-level routes: the party, its campaigns and staff accounts (party administrators)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import col

from contacts_svc import files, repository, reuse, staff, tenants
from contacts_svc.deps import PartyAdmin, SettingsDep
from contacts_svc.models import Campaign, Party, StaffMember
from contacts_svc.schemas import (
    CampaignIn,
    CampaignOut,
    GrantIn,
    PartyIn,
    PartyOut,
    PasswordIn,
    ReuseIn,
    ReuseOut,
    StaffIn,
    StaffOut,
)
from isoloir import db, problems, service
from isoloir.http import SessionDep

router = service.json_router(prefix="/v1/parties/{party_id}", tags=["parties"])


async def _party(session: SessionDep, party_id: uuid.UUID) -> Party:
    found = await repository.party(session, party_id)
    if found is None:
        raise problems.NotFound("the party is not registered yet (PUT /v1/parties/{party_id})")
    return found


@router.put("", responses=problems.responses(problems.Forbidden))
async def register_party(
    party_id: uuid.UUID, body: PartyIn, principal: PartyAdmin, session: SessionDep
) -> PartyOut:
    """Register the party, or rename it."""
    party = await repository.party(session, party_id)
    if party is None:
        party = Party(id=party_id, name=body.name, created_at=db.utcnow())
    party.name = body.name
    session.add(party)
    await session.flush()
    return PartyOut(id=party.id, name=party.name, created_at=party.created_at)


@router.get("", responses=problems.responses(problems.Forbidden, problems.NotFound))
async def read_party(party_id: uuid.UUID, principal: PartyAdmin, session: SessionDep) -> PartyOut:
    """Read the party."""
    party = await _party(session, party_id)
    return PartyOut(id=party.id, name=party.name, created_at=party.created_at)


@router.post(
    "/campaigns",
    status_code=201,
    responses=problems.responses(problems.Forbidden, problems.NotFound),
)
async def create_campaign(
    party_id: uuid.UUID,
    body: CampaignIn,
    principal: PartyAdmin,
    session: SessionDep,
    kernel: service.KernelDep,
) -> CampaignOut:
    """Create a campaign (a tenant) of the party."""
    party = await _party(session, party_id)
    campaign = await tenants.create_campaign(
        session, kernel.outbox, party=party, body=body, now=db.utcnow()
    )
    return tenants.campaign_out(campaign, party)


@router.get("/campaigns", responses=problems.responses(problems.Forbidden, problems.NotFound))
async def list_campaigns(
    party_id: uuid.UUID, principal: PartyAdmin, session: SessionDep
) -> list[CampaignOut]:
    """List the party's campaigns."""
    party = await _party(session, party_id)
    rows = await session.scalars(
        sa.select(Campaign)
        .where(col(Campaign.party_id) == party_id)
        .order_by(col(Campaign.created_at))
    )
    return [tenants.campaign_out(c, party) for c in rows]


@router.post(
    "/staff",
    status_code=201,
    responses=problems.responses(problems.Forbidden, problems.NotFound, problems.Conflict),
)
async def create_staff(
    party_id: uuid.UUID,
    body: StaffIn,
    principal: PartyAdmin,
    session: SessionDep,
    settings: SettingsDep,
) -> StaffOut:
    """Create a staff account of the party (strong password required)."""
    await _party(session, party_id)
    account = await staff.create_account(
        session,
        settings=settings,
        party_id=party_id,
        email=str(body.email),
        display_name=body.display_name,
        password=body.password,
        party_admin=body.party_admin,
        now=db.utcnow(),
    )
    return staff.staff_out(account)


@router.get("/staff", responses=problems.responses(problems.Forbidden))
async def list_staff(
    party_id: uuid.UUID, principal: PartyAdmin, session: SessionDep
) -> list[StaffOut]:
    """List the party's staff accounts."""
    rows = await session.scalars(
        sa.select(StaffMember)
        .where(col(StaffMember.party_id) == party_id)
        .order_by(col(StaffMember.email))
    )
    return [staff.staff_out(a) for a in rows]


@router.post(
    "/staff/{staff_id}/deactivate",
    responses=problems.responses(problems.Forbidden, problems.NotFound),
)
async def deactivate_staff(
    party_id: uuid.UUID,
    staff_id: uuid.UUID,
    principal: PartyAdmin,
    session: SessionDep,
    kernel: service.KernelDep,
    settings: SettingsDep,
) -> StaffOut:
    """Deactivate an account: its tokens are refused by every service at once."""
    account = await repository.staff(session, party_id=party_id, staff_id=staff_id)
    await staff.deactivate(
        session, outbox=kernel.outbox, settings=settings, account=account, now=db.utcnow()
    )
    return staff.staff_out(account)


@router.post(
    "/file-reuses",
    status_code=201,
    responses=problems.responses(problems.Forbidden, problems.NotFound, problems.ComplianceRefusal),
)
async def reuse_file(
    party_id: uuid.UUID,
    body: ReuseIn,
    principal: PartyAdmin,
    session: SessionDep,
    kernel: service.KernelDep,
) -> ReuseOut:
    """Reuse a primary-election file in the official campaign: consenting contacts only (R9)."""
    target, copied, left = await reuse.reuse_file(
        session,
        kernel.outbox,
        party_id=party_id,
        source_file_id=body.source_file_id,
        target_campaign_id=body.target_campaign_id,
        now=db.utcnow(),
    )
    return ReuseOut(file=files.file_out(target), copied=copied, left_behind=left)


@router.put(
    "/staff/{staff_id}/roles", responses=problems.responses(problems.Forbidden, problems.NotFound)
)
async def grant_roles(
    party_id: uuid.UUID,
    staff_id: uuid.UUID,
    body: GrantIn,
    principal: PartyAdmin,
    session: SessionDep,
    kernel: service.KernelDep,
    settings: SettingsDep,
) -> StaffOut:
    """Set a staff account's roles in one campaign of the party."""
    account = await repository.staff(session, party_id=party_id, staff_id=staff_id)
    await repository.party_campaign(session, party_id=party_id, campaign_id=body.campaign_id)
    roles = staff.check_roles(body.roles)
    await staff.change_roles(
        session,
        outbox=kernel.outbox,
        settings=settings,
        staff_id=staff_id,
        campaign_id=body.campaign_id,
        roles=roles,
        now=db.utcnow(),
    )
    return staff.staff_out(account, roles)


@router.post(
    "/staff/{staff_id}/password",
    responses=problems.responses(problems.Forbidden, problems.NotFound),
)
async def reset_staff_password(
    party_id: uuid.UUID,
    staff_id: uuid.UUID,
    body: PasswordIn,
    principal: PartyAdmin,
    session: SessionDep,
    kernel: service.KernelDep,
    settings: SettingsDep,
) -> StaffOut:
    """Set a staff account's new password; every token issued before is refused everywhere."""
    account = await repository.staff(session, party_id=party_id, staff_id=staff_id)
    await staff.reset_password(
        session,
        outbox=kernel.outbox,
        settings=settings,
        account=account,
        password=body.password,
        now=db.utcnow(),
    )
    return staff.staff_out(account)
