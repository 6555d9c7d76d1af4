"""The public consent form: French first, no JavaScript, one unticked box per consent."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from consent_svc import formcheck, forms, metrics, pages, repository, voter
from consent_svc.models import Form, FormVersion
from isoloir import db, http, service

router = service.json_router(tags=["voter pages"])
PUBLIC = http.public("voter page")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def _published(request: Request, form_id: str, version: int | None = None) -> FormVersion:
    try:
        fid = uuid.UUID(form_id)
    except ValueError:
        raise pages.PageError(404, "unavailable") from None
    async with pages.kernel_of(request).sessionmaker() as session:
        form = await session.get(Form, fid)
        if form is None or form.closed or form.current_version is None:
            raise pages.PageError(404, "unavailable")
        found = await repository.form_version(
            session, form_id=fid, version=version or form.current_version
        )
    if found is None:
        raise pages.PageError(404, "unavailable")
    return found


def _page(
    request: Request,
    version: FormVersion,
    *,
    lang: Any,
    status: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    content = version.content
    settings = pages.settings_of(request)
    nonce = pages.csrf_nonce(request)
    token = pages.csrf_token(
        settings, nonce=nonce, page="form", subject=str(version.form_id), v=version.version
    )
    title = forms.Localised.model_validate(content.get("title") or {}).text(lang)
    suffix = "?lang=en" if lang == "en" else ""
    return pages.render(
        request,
        "form.html",
        lang=lang,
        status=status,
        nonce=nonce,
        title=title or pages.i18n.texts(lang)["form_default_title"],
        action=f"/f/{version.form_id}{suffix}",
        csrf=token,
        values=values or {},
        errors=errors or {},
        honeypot=pages.HONEYPOT,
        choices=[
            {"value": value, "label": forms.offer_label(content, offer, lang)}
            for value, offer in zip(formcheck.offered(content), content["offers"], strict=True)
        ],
        sections=forms.sections(content, lang),
    )


@router.get("/f/{form_id}", response_class=HTMLResponse, openapi_extra=PUBLIC)
async def show_form(form_id: str, request: Request) -> HTMLResponse:
    """Show a campaign's published consent form."""
    lang = pages.lang_of(request)
    try:
        await pages.limit(request, "form_view")
        return _page(request, await _published(request, form_id), lang=lang)
    except pages.PageError as error:
        return pages.error_page(request, error, lang=lang)


@router.post("/f/{form_id}", response_class=HTMLResponse, openapi_extra=PUBLIC)
async def submit_form(form_id: str, request: Request) -> HTMLResponse:
    """Record a form submission and each ticked consent with its evidence."""
    lang = pages.lang_of(request)
    kernel = pages.kernel_of(request)
    settings = pages.settings_of(request)
    try:
        await pages.limit(request, "form_submit")
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media not in FORM_TYPES:
            raise pages.PageError(415, "robot")
        data = await request.form()
        claims = pages.check_csrf(
            request,
            token=str(data.get("csrf") or ""),
            page="form",
            subject=form_id,
            min_fill=settings.form_min_fill_seconds,
        )
        if str(data.get(pages.HONEYPOT) or ""):
            raise pages.PageError(400, "robot")
        version = await _published(request, form_id, version=int(claims.get("v", 0)) or None)
        checked = formcheck.check(
            data, content=version.content, secret=settings.party_secret, lang=lang
        )
        if checked.person is None:
            reason = "bundled" if checked.bundled else "invalid"
            metrics.of(kernel).pages_refused.labels("form_submit", reason).inc()
            return _page(
                request,
                version,
                lang=lang,
                status=422,
                values=checked.values,
                errors=checked.errors,
            )
        browser = voter.Browser(
            ip_address=pages.client_ip(request), user_agent=pages.user_agent(request), language=lang
        )
        async with db.transaction(kernel.sessionmaker) as session:
            submission = await voter.submit_form(
                session,
                outbox=kernel.outbox,
                version=version,
                person=checked.person,
                ticked=checked.ticked,
                browser=browser,
                now=db.utcnow(),
            )
        metrics.of(kernel).submissions.inc()
        t = pages.i18n.texts(lang)
        return pages.render(
            request,
            "done.html",
            lang=lang,
            heading=t["thanks_title"],
            lines=[t["thanks"], t["thanks_more"]],
            submission_id=submission.id,
        )
    except pages.PageError as error:
        metrics.of(kernel).pages_refused.labels("form_submit", error.key).inc()
        return pages.error_page(request, error, lang=lang)
