"""The opt-out watermark messaging-svc takes before releasing a batch (I1)."""

from __future__ import annotations

from consent_svc import optouts
from consent_svc.deps import AnyStaff
from consent_svc.schemas import Watermark
from isoloir import service
from isoloir.http import SessionDep

router = service.json_router(tags=["opt-outs"])


@router.get("/v1/optout-watermark")
async def optout_watermark(principal: AnyStaff, session: SessionDep) -> Watermark:
    """Return the highest committed opt-out number (numbers have no gaps)."""
    return Watermark(optout_seq=await optouts.watermark(session))
