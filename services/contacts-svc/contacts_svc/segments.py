"""Segments (saved filters) and aggregate counts that never show a small group of people."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from contacts_svc import sensitive
from contacts_svc.contact_schemas import AgeBand, CountCell, Counts, SegmentFilters
from contacts_svc.models import Contact, Interaction
from isoloir import problems

MIN_CELL = 10
_BANDS = {
    AgeBand.A18_24: (18, 24),
    AgeBand.A25_34: (25, 34),
    AgeBand.A35_49: (35, 49),
    AgeBand.A50_64: (50, 64),
    AgeBand.A65_PLUS: (65, 200),
}
DIMENSIONS = ("polling_station", "age_band", "sex")


def check_filters(filters: SegmentFilters) -> None:
    """Refuse a saved filter that would itself record a sensitive category (R10)."""
    for position, tag in enumerate(filters.tags or []):
        finding = sensitive.find(tag)
        if finding:
            raise problems.ComplianceRefusal(
                f"filters.tags[{position}]: {finding.reason()}",
                rule="R10",
                errors=[
                    problems.FieldError(field=f"filters.tags[{position}]", reason=finding.reason())
                ],
            )


def _tags_match(tags: list[str], dialect: str) -> Any:
    if dialect == "postgresql":
        return sa.text("CAST(contacts.tags AS jsonb) ?| :wanted_tags").bindparams(
            sa.bindparam("wanted_tags", value=tags, type_=sa.ARRAY(sa.String()))
        )
    each = sa.func.json_each(col(Contact.tags)).table_valued("value")
    return sa.exists(sa.select(1).select_from(each).where(each.c.value.in_(tags)))


def conditions(
    filters: SegmentFilters, *, campaign_id: uuid.UUID, year: int, dialect: str
) -> list[Any]:
    """Return the SQL conditions of a filter, always scoped to the campaign."""
    out: list[Any] = [col(Contact.campaign_id) == campaign_id]
    if filters.polling_stations:
        out.append(
            col(Contact.polling_station).in_([s.strip().upper() for s in filters.polling_stations])
        )
    if filters.age_bands:
        out.append(
            sa.or_(
                *(
                    col(Contact.birth_year).between(year - _BANDS[b][1], year - _BANDS[b][0])
                    for b in filters.age_bands
                )
            )
        )
    if filters.tags:
        out.append(_tags_match(filters.tags, dialect))
    if filters.file_ids:
        out.append(col(Contact.file_id).in_(filters.file_ids))
    if filters.kinds:
        out.append(col(Contact.kind).in_([k.value for k in filters.kinds]))
    if filters.interaction_kinds or filters.interaction_outcomes:
        entry = sa.select(col(Interaction.id)).where(
            col(Interaction.contact_id) == col(Contact.id),
            col(Interaction.campaign_id) == campaign_id,
        )
        if filters.interaction_kinds:
            entry = entry.where(
                col(Interaction.kind).in_([k.value for k in filters.interaction_kinds])
            )
        if filters.interaction_outcomes:
            entry = entry.where(
                col(Interaction.outcome).in_([o.value for o in filters.interaction_outcomes])
            )
        out.append(sa.exists(entry))
    return out


async def matching_contacts(
    session: AsyncSession,
    *,
    filters: SegmentFilters,
    campaign_id: uuid.UUID,
    now: datetime,
    after: uuid.UUID | None,
    limit: int,
) -> list[Contact]:
    """Return one page of the contacts a filter matches, in id order (keyset pagination)."""
    dialect = (await session.connection()).dialect.name
    query = sa.select(Contact).where(
        *conditions(filters, campaign_id=campaign_id, year=now.year, dialect=dialect)
    )
    if after is not None:
        query = query.where(col(Contact.id) > after)
    return list(await session.scalars(query.order_by(col(Contact.id)).limit(limit)))


def _age_band(year: int) -> Any:
    age = year - col(Contact.birth_year)
    return sa.case(
        *((age.between(low, high), band.value) for band, (low, high) in _BANDS.items()),
        else_=None,
    )


async def counts(
    session: AsyncSession, *, campaign_id: uuid.UUID, by: list[str], now: datetime
) -> Counts:
    """Count contacts by the chosen dimensions; cells under MIN_CELL people are never shown."""
    columns = {
        "polling_station": col(Contact.polling_station),
        "age_band": _age_band(now.year),
        "sex": col(Contact.sex),
    }
    chosen = [columns[d].label(d) for d in by]
    rows = (
        await session.execute(
            sa.select(*chosen, sa.func.count().label("n"))
            .where(col(Contact.campaign_id) == campaign_id)
            .group_by(*chosen)
        )
    ).all()
    cells, small, suppressed = [], 0, 0
    for row in rows:
        if row.n >= MIN_CELL:
            cells.append(CountCell(**{d: getattr(row, d) for d in by}, count=row.n))
        else:
            small += row.n
            suppressed += 1
    # Small cells are merged into one "other" cell only when that cell is itself big enough.
    if small >= MIN_CELL:
        cells.append(CountCell(**dict.fromkeys(by, "other"), count=small))
    cells.sort(key=lambda c: tuple(str(getattr(c, d)) for d in by))
    return Counts(dimensions=by, minimum_cell=MIN_CELL, cells=cells, suppressed_cells=suppressed)
