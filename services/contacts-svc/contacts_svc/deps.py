"""Request dependencies: who may call what (roles per campaign, party administrators)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends

from contacts_svc.config import ContactsSettings
from isoloir import auth, problems
from isoloir.auth import Principal, Role
from isoloir.service import KernelDep


def require_party(*roles: Role) -> Callable[..., Any]:
    """Return a dependency for `/parties/{party_id}/...` routes (mirrors require_campaign)."""
    wanted = frozenset(roles or (Role.PARTY_ADMIN,))

    async def _check(party_id: uuid.UUID, principal: auth.PrincipalDep) -> Principal:
        if principal.party_id != str(party_id):
            raise problems.Forbidden("this token is not valid for this party")
        if not principal.roles & wanted:
            names = ", ".join(sorted(r.value for r in wanted))
            raise problems.Forbidden(f"this action requires one of the roles: {names}")
        return principal

    return _check


def settings_of(kernel: KernelDep) -> ContactsSettings:
    settings = kernel.settings
    assert isinstance(settings, ContactsSettings)
    return settings


SettingsDep = Annotated[ContactsSettings, Depends(settings_of)]

ADMIN = Role.PARTY_ADMIN
MANAGER = Role.CAMPAIGN_MANAGER
VOLUNTEER = Role.VOLUNTEER
RIGHTS = Role.RIGHTS_OFFICER
OPS = Role.OPS_VIEWER

PartyAdmin = Annotated[Principal, Depends(require_party(ADMIN))]
Managers = Annotated[Principal, Depends(auth.require_campaign(ADMIN, MANAGER))]
Canvassers = Annotated[Principal, Depends(auth.require_campaign(ADMIN, MANAGER, VOLUNTEER))]
ContactReaders = Annotated[
    Principal, Depends(auth.require_campaign(ADMIN, MANAGER, VOLUNTEER, RIGHTS))
]
RecordReaders = Annotated[Principal, Depends(auth.require_campaign(ADMIN, MANAGER, RIGHTS))]
CountReaders = Annotated[Principal, Depends(auth.require_campaign(ADMIN, MANAGER, OPS))]
AnyMember = Annotated[Principal, Depends(auth.require_campaign())]
