"""Login: the one route that takes no token."""

from __future__ import annotations

from contacts_svc import login as login_service
from contacts_svc import metrics as contacts_metrics
from contacts_svc.deps import SettingsDep
from contacts_svc.schemas import LoginIn, TokenOut
from isoloir import db, http, problems, service
from isoloir.http import SessionDep

router = service.json_router(prefix="/v1/auth", tags=["auth"])


@router.post(
    "/login",
    openapi_extra=http.public("login"),
    responses=problems.responses(problems.Forbidden, problems.TooManyRequests),
)
async def login(
    body: LoginIn, session: SessionDep, kernel: service.KernelDep, settings: SettingsDep
) -> TokenOut:
    """Exchange an email and password for an access token to one campaign (or the party)."""
    return await login_service.login(
        body=body,
        session=session,
        sessionmaker=kernel.sessionmaker,
        settings=settings,
        now=db.utcnow(),
        metrics=contacts_metrics.of(kernel),
    )
