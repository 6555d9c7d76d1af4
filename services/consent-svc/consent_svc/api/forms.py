"""Consent forms: drafts, publication (R3) and published versions."""

from __future__ import annotations

import uuid

from consent_svc import forms, repository
from consent_svc.deps import Manager, NowDep, SettingsDep, StateReader
from consent_svc.forms import FormDefinition, FormPublic, FormVersionPublic
from consent_svc.models import Form, FormVersion
from isoloir import problems, service
from isoloir.http import SessionDep

router = service.json_router(prefix="/v1/campaigns/{campaign_id}", tags=["forms"])


def _public(form: Form, base_url: str) -> FormPublic:
    return FormPublic(
        id=form.id,
        campaign_id=form.campaign_id,
        definition=FormDefinition.model_validate(form.draft),
        current_version=form.current_version,
        closed=form.closed,
        public_url=f"{base_url.rstrip('/')}/f/{form.id}",
        created_at=form.created_at,
        updated_at=form.updated_at,
    )


def _version(row: FormVersion) -> FormVersionPublic:
    return FormVersionPublic(
        form_id=row.form_id,
        version=row.version,
        content=row.content,
        notice_fr_sha256=row.notice_fr_sha256,
        notice_en_sha256=row.notice_en_sha256,
        published_at=row.published_at,
    )


async def _form(session: SessionDep, campaign_id: uuid.UUID, form_id: uuid.UUID) -> Form:
    form = await repository.form(session, campaign_id=campaign_id, form_id=form_id)
    if form is None:
        raise problems.NotFound("no such form in this campaign")
    return form


@router.post("/forms", status_code=201, responses=problems.responses(problems.Forbidden))
async def create_form(
    campaign_id: uuid.UUID,
    body: FormDefinition,
    principal: Manager,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
) -> FormPublic:
    """Create a draft form; notices may still be missing until it is published."""
    await forms.check_definition(session, campaign_id=campaign_id, definition=body)
    form = Form(
        campaign_id=campaign_id,
        name=body.name,
        draft=body.model_dump(mode="json"),
        created_at=now,
        updated_at=now,
    )
    session.add(form)
    return _public(form, settings.public_base_url)


@router.get("/forms", responses=problems.responses(problems.Forbidden))
async def list_forms(
    campaign_id: uuid.UUID, principal: StateReader, session: SessionDep, settings: SettingsDep
) -> list[FormPublic]:
    """Return the campaign's forms."""
    rows = await repository.forms(session, campaign_id=campaign_id)
    return [_public(f, settings.public_base_url) for f in rows]


@router.get("/forms/{form_id}", responses=problems.responses(problems.NotFound, problems.Forbidden))
async def read_form(
    campaign_id: uuid.UUID,
    form_id: uuid.UUID,
    principal: StateReader,
    session: SessionDep,
    settings: SettingsDep,
) -> FormPublic:
    """Return a form and its draft definition."""
    return _public(await _form(session, campaign_id, form_id), settings.public_base_url)


@router.put("/forms/{form_id}", responses=problems.responses(problems.NotFound, problems.Forbidden))
async def replace_form(
    campaign_id: uuid.UUID,
    form_id: uuid.UUID,
    body: FormDefinition,
    principal: Manager,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
) -> FormPublic:
    """Replace the draft; published versions stay as they were until the next publication."""
    form = await _form(session, campaign_id, form_id)
    await forms.check_definition(session, campaign_id=campaign_id, definition=body)
    form.name = body.name
    form.draft = body.model_dump(mode="json")
    form.updated_at = now
    return _public(form, settings.public_base_url)


@router.post(
    "/forms/{form_id}/publish",
    status_code=201,
    responses=problems.responses(problems.NotFound, problems.Forbidden),
)
async def publish_form(
    campaign_id: uuid.UUID,
    form_id: uuid.UUID,
    principal: Manager,
    session: SessionDep,
    now: NowDep,
) -> FormVersionPublic:
    """Publish the draft as a new version; refused with every missing notice listed (R3)."""
    form = await _form(session, campaign_id, form_id)
    return _version(await forms.publish(session, form=form, now=now))


@router.post(
    "/forms/{form_id}/close",
    responses=problems.responses(problems.NotFound, problems.Forbidden),
)
async def close_form(
    campaign_id: uuid.UUID,
    form_id: uuid.UUID,
    principal: Manager,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
) -> FormPublic:
    """Stop accepting submissions on the public page."""
    form = await _form(session, campaign_id, form_id)
    form.closed = True
    form.updated_at = now
    return _public(form, settings.public_base_url)


@router.get(
    "/forms/{form_id}/versions/{version}",
    responses=problems.responses(problems.NotFound, problems.Forbidden),
)
async def read_form_version(
    campaign_id: uuid.UUID,
    form_id: uuid.UUID,
    version: int,
    principal: StateReader,
    session: SessionDep,
) -> FormVersionPublic:
    """Return one published version exactly as voters saw it."""
    await _form(session, campaign_id, form_id)
    row = await repository.form_version(session, form_id=form_id, version=version)
    if row is None:
        raise problems.NotFound("no such version of this form")
    return _version(row)
