"""The compliance vocabulary of contact files and contacts (R2, R8, R9, R13, R14).

Which provenances a campaign may use, which origins each provenance gives its contacts, and
what each kind of contact may hold. The checks return field problems rather than raising, so
the API refuses the whole write while an import reports them row by row.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Provenance(StrEnum):
    ELECTORAL_LIST = "electoral_list"
    PARTY_MEMBERS = "party_members"
    PARTY_SUPPORTERS = "party_supporters"
    OPT_IN_PROSPECTING = "opt_in_prospecting"
    CAMPAIGN_COLLECTION = "campaign_collection"
    SOCIAL_NETWORK = "social_network"
    RENTED_LIST = "rented_list"
    # Refused (R8): listed so the refusal can say why rather than "unknown value".
    ELECTED_MANDATE = "elected_mandate"
    LOCAL_AUTHORITY = "local_authority"
    ASSOCIATION = "association"
    COMPANY = "company"


FORBIDDEN_PROVENANCES: dict[Provenance, str] = {
    Provenance.ELECTED_MANDATE: (
        "a file obtained through an elected mandate (constituents' requests, mayor's office "
        "files) serves that mandate and may not be used for a campaign"
    ),
    Provenance.LOCAL_AUTHORITY: (
        "a local authority's file (town hall, department, region) was collected for public "
        "service and may not be used for a campaign"
    ),
    Provenance.ASSOCIATION: (
        "an association's member or donor file was collected for the association's own purpose "
        "and may not be used for a campaign"
    ),
    Provenance.COMPANY: (
        "a company's customer or staff file was collected for its business and may not be used "
        "for a campaign"
    ),
}


class Origin(StrEnum):
    ELECTORAL_LIST = "electoral_list"
    PARTY_FILE = "party_file"
    OPT_IN_PROSPECTING = "opt_in_prospecting"
    FORM = "form"
    CANVASSING = "canvassing"
    EVENT = "event"
    SOCIAL_NETWORK = "social_network"
    RENTED_LIST = "rented_list"


ORIGINS_BY_PROVENANCE: dict[Provenance, tuple[Origin, ...]] = {
    Provenance.ELECTORAL_LIST: (Origin.ELECTORAL_LIST,),
    Provenance.PARTY_MEMBERS: (Origin.PARTY_FILE,),
    Provenance.PARTY_SUPPORTERS: (Origin.PARTY_FILE,),
    Provenance.OPT_IN_PROSPECTING: (Origin.OPT_IN_PROSPECTING,),
    Provenance.CAMPAIGN_COLLECTION: (Origin.FORM, Origin.CANVASSING, Origin.EVENT),
    Provenance.SOCIAL_NETWORK: (Origin.SOCIAL_NETWORK,),
    Provenance.RENTED_LIST: (Origin.RENTED_LIST,),
}

NOTICE_REQUIRED = {
    Provenance.SOCIAL_NETWORK: "the information notice shown to the people collected (R13)",
    Provenance.RENTED_LIST: "the notice by which people accepted political use of the list",
}


class ContactKind(StrEnum):
    OCCASIONAL = "occasional"
    REGULAR = "regular"


class ElectionStage(StrEnum):
    PRIMARY = "primary"
    OFFICIAL = "official"


ENRICHMENT_FIELDS = ("tags", "interests", "notes", "support_level")
REUSE_PURPOSE = "official_campaign_reuse"


class FieldProblem(NamedTuple):
    """A refused value: the field, why, and the compliance rule behind it (if any)."""

    field: str
    reason: str
    rule: str | None = None


def default_origin(provenance: Provenance) -> Origin | None:
    """Return the one origin a provenance implies, or None when the caller must choose."""
    origins = ORIGINS_BY_PROVENANCE[provenance]
    return origins[0] if len(origins) == 1 else None


def check_kind_and_origin(
    *,
    kind: ContactKind,
    origin: Origin,
    provenance: Provenance,
    present: set[str],
    has_consent: bool = False,
) -> list[FieldProblem]:
    """Return what a contact of this kind, origin and file may not hold or be."""
    problems: list[FieldProblem] = []
    allowed = ORIGINS_BY_PROVENANCE[provenance]
    if origin not in allowed:
        names = ", ".join(o.value for o in allowed)
        problems.append(
            FieldProblem(
                "origin", f"a {provenance.value} file holds contacts of origin {names}", "R2"
            )
        )
    if kind is ContactKind.OCCASIONAL:
        for name in ENRICHMENT_FIELDS:
            if name in present:
                problems.append(
                    FieldProblem(
                        name,
                        "occasional contacts hold no tags, interests, notes or support level; "
                        "only regular contacts may (CNIL deliberation 2012-020)",
                        "R14",
                    )
                )
    if provenance is Provenance.ELECTORAL_LIST:
        for name in ("email", "phone"):
            if name in present:
                problems.append(
                    FieldProblem(
                        name,
                        "the electoral list gives names, birth dates, addresses and polling "
                        "stations only: its contacts are reached by post",
                        "R8",
                    )
                )
        if kind is ContactKind.REGULAR:
            problems.append(
                FieldProblem("kind", "electoral-list contacts are occasional contacts", "R8")
            )
    if origin is Origin.SOCIAL_NETWORK and kind is ContactKind.REGULAR and not has_consent:
        problems.append(
            FieldProblem(
                "kind",
                "a contact collected on a social network stays occasional until it consents: "
                "a follow or a like is not consent",
                "R13",
            )
        )
    return problems
