"""Dependencies of the staff API: roles, the clock, settings and the ledger writer."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends

from consent_svc.config import ConsentSettings
from consent_svc.ledger import LedgerWriter
from isoloir import auth, problems
from isoloir.db import utcnow
from isoloir.http import SessionDep
from isoloir.service import KernelDep

R = auth.Role
MANAGERS = (R.CAMPAIGN_MANAGER, R.PARTY_ADMIN)
RECORDERS = (*MANAGERS, R.VOLUNTEER)
EVIDENCE_READERS = (*MANAGERS, R.RIGHTS_OFFICER)
STATE_READERS = (*RECORDERS, R.RIGHTS_OFFICER)

Manager = Annotated[auth.Principal, Depends(auth.require_campaign(*MANAGERS))]
Recorder = Annotated[auth.Principal, Depends(auth.require_campaign(*RECORDERS))]
EvidenceReader = Annotated[auth.Principal, Depends(auth.require_campaign(*EVIDENCE_READERS))]
StateReader = Annotated[auth.Principal, Depends(auth.require_campaign(*STATE_READERS))]


def require_party() -> Callable[..., Any]:
    """Return a dependency for `/parties/{party_id}/...` routes: that party's administrators."""

    async def _check(
        party_id: uuid.UUID,
        principal: Annotated[auth.Principal, Depends(auth.require_roles(R.PARTY_ADMIN))],
    ) -> auth.Principal:
        if principal.party_id != str(party_id):
            raise problems.Forbidden("this token is not valid for this party")
        return principal

    return _check


PartyAdmin = Annotated[auth.Principal, Depends(require_party())]
AnyStaff = Annotated[auth.Principal, Depends(auth.authenticate)]


def clock() -> datetime:
    """Return the current time (tests override this dependency to move time)."""
    return utcnow()


NowDep = Annotated[datetime, Depends(clock)]


def settings(kernel: KernelDep) -> ConsentSettings:
    """Return consent-svc's settings."""
    assert isinstance(kernel.settings, ConsentSettings)
    return kernel.settings


SettingsDep = Annotated[ConsentSettings, Depends(settings)]


def writer(session: SessionDep, kernel: KernelDep, now: NowDep) -> LedgerWriter:
    """Return a ledger writer bound to the request's transaction."""
    return LedgerWriter(session=session, outbox=kernel.outbox, now=now)


WriterDep = Annotated[LedgerWriter, Depends(writer)]
