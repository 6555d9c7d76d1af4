"""Parties and campaigns, the tenants: every change of a campaign is published (R1)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from contacts_svc import events, repository
from contacts_svc.models import Campaign, ContactFile, Party
from contacts_svc.schemas import CampaignIn, CampaignOut, CampaignPatch
from isoloir import problems
from isoloir.outbox import Outbox


def campaign_out(campaign: Campaign, party: Party) -> CampaignOut:
    return CampaignOut(
        id=campaign.id,
        party_id=campaign.party_id,
        party_name=party.name,
        candidate_name=campaign.candidate_name,
        election_kind=campaign.election_kind,
        election_rounds=campaign.election_rounds,
        territory=campaign.territory,
        ends_on=campaign.ends_on,
        rights_contact_email=campaign.rights_contact_email,
    )


def _check_dates(rounds: list[str], ends_on: object) -> None:
    if rounds != sorted(rounds):
        raise problems.field_error("election_rounds", "rounds must be in date order")
    if str(ends_on) < rounds[-1]:
        raise problems.field_error("ends_on", "the campaign cannot end before its last round")


async def create_campaign(
    session: AsyncSession, outbox: Outbox, *, party: Party, body: CampaignIn, now: datetime
) -> Campaign:
    """Create a campaign of the party and publish it."""
    rounds = [d.isoformat() for d in body.election_rounds]
    _check_dates(rounds, body.ends_on.isoformat())
    campaign = Campaign(
        party_id=party.id,
        candidate_name=body.candidate_name,
        election_kind=body.election_kind,
        election_rounds=rounds,
        territory=body.territory,
        ends_on=body.ends_on,
        rights_contact_email=str(body.rights_contact_email).lower(),
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    await session.flush()
    await events.campaign_upserted(session, outbox, campaign, party)
    return campaign


async def update_campaign(
    session: AsyncSession, outbox: Outbox, *, campaign: Campaign, body: CampaignPatch, now: datetime
) -> Party:
    """Apply a change to a campaign and publish it."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "election_rounds" in changes:
        changes["election_rounds"] = [d.isoformat() for d in body.election_rounds or []]
    if "rights_contact_email" in changes:
        changes["rights_contact_email"] = str(changes["rights_contact_email"]).lower()
    for name, value in changes.items():
        setattr(campaign, name, value)
    _check_dates(campaign.election_rounds, campaign.ends_on.isoformat())
    campaign.updated_at = now
    session.add(campaign)
    # A campaign file is destroyed at the end of the campaign (R9): an earlier end brings
    # every later retention end back to it.
    await session.execute(
        sa.update(ContactFile)
        .where(
            col(ContactFile.campaign_id) == campaign.id,
            col(ContactFile.retention_ends_on) > campaign.ends_on,
        )
        .values(retention_ends_on=campaign.ends_on)
    )
    party = await repository.party(session, campaign.party_id)
    assert party is not None
    await events.campaign_upserted(session, outbox, campaign, party)
    return party
