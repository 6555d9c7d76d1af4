"""Campaign routes: the campaign itself and its team (managers manage, others read)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import col

from contacts_svc import repository, staff, tenants
from contacts_svc.deps import AnyMember, Managers, SettingsDep
from contacts_svc.models import StaffMember, StaffRole
from contacts_svc.schemas import CampaignOut, CampaignPatch, MemberIn, PasswordIn, RolesIn, StaffOut
from isoloir import db, problems, service
from isoloir.http import SessionDep

router = service.json_router(prefix="/v1/campaigns/{campaign_id}", tags=["campaigns"])
_NOT_FOUND = problems.responses(problems.Forbidden, problems.NotFound)


@router.get("", responses=_NOT_FOUND)
async def read_campaign(
    campaign_id: uuid.UUID, principal: AnyMember, session: SessionDep
) -> CampaignOut:
    """Read the campaign: candidate, party, election, territory, end date."""
    campaign = await repository.campaign(session, campaign_id)
    party = await repository.party(session, campaign.party_id)
    assert party is not None
    return tenants.campaign_out(campaign, party)


@router.patch("", responses=_NOT_FOUND)
async def update_campaign(
    campaign_id: uuid.UUID,
    body: CampaignPatch,
    principal: Managers,
    session: SessionDep,
    kernel: service.KernelDep,
) -> CampaignOut:
    """Change the campaign; every service learns the new identity (campaign.upserted)."""
    campaign = await repository.campaign(session, campaign_id)
    party = await tenants.update_campaign(
        session, kernel.outbox, campaign=campaign, body=body, now=db.utcnow()
    )
    return tenants.campaign_out(campaign, party)


@router.get("/members", responses=_NOT_FOUND)
async def list_members(
    campaign_id: uuid.UUID, principal: Managers, session: SessionDep
) -> list[StaffOut]:
    """List the campaign's team with their roles."""
    rows = (
        await session.execute(
            sa.select(StaffMember, col(StaffRole.role))
            .join(StaffRole, col(StaffRole.staff_id) == col(StaffMember.id))
            .where(col(StaffRole.campaign_id) == campaign_id)
            .order_by(col(StaffMember.email), col(StaffRole.role))
        )
    ).all()
    by_id: dict[uuid.UUID, tuple[StaffMember, list[str]]] = {}
    for account, role in rows:
        by_id.setdefault(account.id, (account, []))[1].append(role)
    return [staff.staff_out(a, r) for a, r in by_id.values()]


@router.post(
    "/members",
    status_code=201,
    responses=problems.responses(problems.Forbidden, problems.NotFound, problems.Conflict),
)
async def create_member(
    campaign_id: uuid.UUID,
    body: MemberIn,
    principal: Managers,
    session: SessionDep,
    settings: SettingsDep,
) -> StaffOut:
    """Create a staff account with roles in this campaign."""
    campaign = await repository.campaign(session, campaign_id)
    roles = staff.check_roles(body.roles)
    account = await staff.create_account(
        session,
        settings=settings,
        party_id=campaign.party_id,
        email=str(body.email),
        display_name=body.display_name,
        password=body.password,
        party_admin=False,
        now=db.utcnow(),
    )
    await staff.set_roles(session, staff_id=account.id, campaign_id=campaign_id, roles=roles)
    return staff.staff_out(account, roles)


@router.put("/members/{staff_id}", responses=_NOT_FOUND)
async def set_member_roles(
    campaign_id: uuid.UUID,
    staff_id: uuid.UUID,
    body: RolesIn,
    principal: Managers,
    session: SessionDep,
    kernel: service.KernelDep,
    settings: SettingsDep,
) -> StaffOut:
    """Grant a party staff account its roles in this campaign (replacing any it had)."""
    campaign = await repository.campaign(session, campaign_id)
    account = await repository.staff(session, party_id=campaign.party_id, staff_id=staff_id)
    roles = staff.check_roles(body.roles)
    await staff.change_roles(
        session,
        outbox=kernel.outbox,
        settings=settings,
        staff_id=staff_id,
        campaign_id=campaign_id,
        roles=roles,
        now=db.utcnow(),
    )
    return staff.staff_out(account, roles)


@router.delete("/members/{staff_id}", status_code=204, responses=_NOT_FOUND)
async def remove_member(
    campaign_id: uuid.UUID,
    staff_id: uuid.UUID,
    principal: Managers,
    session: SessionDep,
    kernel: service.KernelDep,
    settings: SettingsDep,
) -> None:
    """Take every role in this campaign from a member and revoke their tokens."""
    await repository.member(session, campaign_id=campaign_id, staff_id=staff_id)
    await staff.set_roles(session, staff_id=staff_id, campaign_id=campaign_id, roles=[])
    await staff.revoke(
        session,
        outbox=kernel.outbox,
        settings=settings,
        staff_id=staff_id,
        reason="role_changed",
        now=db.utcnow(),
    )


@router.post("/members/{staff_id}/password", responses=_NOT_FOUND)
async def reset_member_password(
    campaign_id: uuid.UUID,
    staff_id: uuid.UUID,
    body: PasswordIn,
    principal: Managers,
    session: SessionDep,
    kernel: service.KernelDep,
    settings: SettingsDep,
) -> StaffOut:
    """Set a member's new password; every token issued before is refused everywhere."""
    account = await repository.member(session, campaign_id=campaign_id, staff_id=staff_id)
    await staff.reset_password(
        session,
        outbox=kernel.outbox,
        settings=settings,
        account=account,
        password=body.password,
        now=db.utcnow(),
    )
    roles = await repository.roles_in(session, staff_id=staff_id, campaign_id=campaign_id)
    return staff.staff_out(account, roles)


@router.post("/members/{staff_id}/deactivate", responses=_NOT_FOUND)
async def deactivate_member(
    campaign_id: uuid.UUID,
    staff_id: uuid.UUID,
    principal: Managers,
    session: SessionDep,
    kernel: service.KernelDep,
    settings: SettingsDep,
) -> StaffOut:
    """Deactivate a member who left the team: no login, no old token, in every service."""
    account = await repository.member(session, campaign_id=campaign_id, staff_id=staff_id)
    if account.party_admin:
        raise problems.Forbidden("a party administrator is deactivated by the party")
    await staff.deactivate(
        session, outbox=kernel.outbox, settings=settings, account=account, now=db.utcnow()
    )
    roles = await repository.roles_in(session, staff_id=staff_id, campaign_id=campaign_id)
    return staff.staff_out(account, roles)
