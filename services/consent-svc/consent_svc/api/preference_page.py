"""The preference centre: a signed, expiring per-contact link to see and change every consent."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from consent_svc import forms, links, pages, purposes, repository, voter
from consent_svc.i18n import Lang
from isoloir import db, http, service, signing

router = service.json_router(tags=["voter pages"])
PUBLIC = http.public("voter page")


def _read(request: Request, token: str) -> tuple[uuid.UUID, uuid.UUID]:
    try:
        return links.read_preference(pages.settings_of(request), token)
    except signing.SignatureError:
        raise pages.PageError(403, "bad_link") from None


async def _rows(
    session: AsyncSession, *, campaign_id: uuid.UUID, contact_id: uuid.UUID, lang: Lang
) -> tuple[list[dict[str, Any]], list[list[tuple[str, str]]]]:
    t = pages.i18n.texts(lang)
    states = {
        f"{r.channel}:{r.purpose}": r.state
        for r in await repository.current_states(
            session, campaign_id=campaign_id, contact_id=contact_id
        )
    }
    offers = await voter.grantable(session, campaign_id=campaign_id)
    rows, notices, seen_versions = [], [], set()
    for key in sorted(set(states) | set(offers)):
        channel, purpose = key.split(":", 1)
        offer = offers.get(key)
        if offer is not None:
            label = forms.offer_label(offer.version.content, offer.offer, lang)
            ident = (offer.version.form_id, offer.version.version)
            if ident not in seen_versions:
                seen_versions.add(ident)
                notices.append(forms.sections(offer.version.content, lang))
        else:
            view = await purposes.find(session, campaign_id=campaign_id, key=purpose)
            name = getattr(view, f"label_{lang}") if view else purpose
            label = f"{name} ({forms.CHANNEL_LABELS[channel][lang]})"
        state = states.get(key)
        rows.append(
            {
                "value": key,
                "label": label,
                "granted": state == "granted",
                "changeable": state == "granted" or offer is not None,
                "state_text": t[f"state_{state or 'none'}"],
            }
        )
    return rows, notices


@router.get("/p/{token}", response_class=HTMLResponse, openapi_extra=PUBLIC)
async def show_preferences(token: str, request: Request) -> HTMLResponse:
    """Show each channel and purpose with its state."""
    lang = pages.lang_of(request)
    try:
        await pages.limit(request, "preferences")
        campaign_id, contact_id = _read(request, token)
        async with pages.kernel_of(request).sessionmaker() as session:
            kept = await repository.resolve_contact(
                session, campaign_id=campaign_id, contact_id=contact_id
            )
            rows, notices = await _rows(
                session, campaign_id=campaign_id, contact_id=kept, lang=lang
            )
        nonce = pages.csrf_nonce(request)
        csrf = pages.csrf_token(
            pages.settings_of(request),
            nonce=nonce,
            page="preferences",
            subject=f"{campaign_id}:{kept}",
            shown=[r["value"] for r in rows if r["changeable"]],
        )
        suffix = "?lang=en" if lang == "en" else ""
        return pages.render(
            request,
            "preferences.html",
            lang=lang,
            nonce=nonce,
            rows=rows,
            notices=notices,
            csrf=csrf,
            action=f"/p/{token}{suffix}",
        )
    except pages.PageError as error:
        return pages.error_page(request, error, lang=lang)


@router.post("/p/{token}", response_class=HTMLResponse, openapi_extra=PUBLIC)
async def save_preferences(token: str, request: Request) -> HTMLResponse:
    """Record the person's changes; withdrawals are acknowledged once published (I1)."""
    lang = pages.lang_of(request)
    kernel = pages.kernel_of(request)
    try:
        await pages.limit(request, "preferences_save")
        campaign_id, contact_id = _read(request, token)
        data = await request.form()
        async with db.transaction(kernel.sessionmaker) as session:
            kept = await repository.resolve_contact(
                session, campaign_id=campaign_id, contact_id=contact_id
            )
            claims = pages.check_csrf(
                request,
                token=str(data.get("csrf") or ""),
                page="preferences",
                subject=f"{campaign_id}:{kept}",
            )
            shown = [str(v) for v in claims.get("shown", [])]
            checked = {str(v) for v in data.getlist("consent")} & set(shown)
            events = await voter.apply_preferences(
                session,
                outbox=kernel.outbox,
                campaign_id=campaign_id,
                contact_id=kept,
                shown=shown,
                checked=checked,
                browser=voter.Browser(
                    ip_address=pages.client_ip(request),
                    user_agent=pages.user_agent(request),
                    language=lang,
                ),
                now=db.utcnow(),
            )
        done = await pages.acknowledge(kernel, events)
        t = pages.i18n.texts(lang)
        return pages.render(
            request,
            "done.html",
            lang=lang,
            status=200 if done else 202,
            heading=t["pref_title"],
            lines=[t["pref_saved"] if done else t["registered"]],
            more_url=f"/p/{token}" + ("?lang=en" if lang == "en" else ""),
        )
    except pages.PageError as error:
        return pages.error_page(request, error, lang=lang)
