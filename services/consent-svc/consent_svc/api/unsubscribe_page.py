"""One-click unsubscribe (R4, RFC 8058): a signed per-message link, a confirmation page."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from consent_svc import forms, links, pages, repository, unsubscribing, voter
from consent_svc.i18n import Lang
from isoloir import db, http, service, signing

router = service.json_router(tags=["voter pages"])
PUBLIC = http.public("voter page (signed per-message link)")


def _read(request: Request, token: str) -> links.UnsubscribeClaims:
    try:
        return links.read_unsubscribe(pages.settings_of(request), token)
    except signing.SignatureError:
        raise pages.PageError(403, "bad_link") from None


def _channel(claims: links.UnsubscribeClaims, lang: Lang) -> str:
    return forms.CHANNEL_LABELS.get(claims.channel, {}).get(lang, claims.channel)


@router.get("/u/{token}", response_class=HTMLResponse, openapi_extra=PUBLIC)
async def show_unsubscribe(token: str, request: Request) -> HTMLResponse:
    """Ask the person to confirm, for this campaign only or for the whole party."""
    lang = pages.lang_of(request)
    try:
        await pages.limit(request, "unsubscribe")
        claims = _read(request, token)
        nonce = pages.csrf_nonce(request)
        csrf = pages.csrf_token(
            pages.settings_of(request),
            nonce=nonce,
            page="unsubscribe",
            subject=f"{claims.campaign_id}:{claims.contact_id}:{claims.message_id}",
        )
        t = pages.i18n.texts(lang)
        return pages.render(
            request,
            "unsubscribe.html",
            lang=lang,
            nonce=nonce,
            csrf=csrf,
            intro=t["unsub_intro"].format(channel=_channel(claims, lang)),
            action=f"/u/{token}" + ("?lang=en" if lang == "en" else ""),
        )
    except pages.PageError as error:
        return pages.error_page(request, error, lang=lang)


@router.post("/u/{token}", response_class=HTMLResponse, openapi_extra=PUBLIC)
async def unsubscribe(token: str, request: Request) -> HTMLResponse:
    """Withdraw at once on a one-click POST; otherwise apply the confirmed choice."""
    lang = pages.lang_of(request)
    kernel = pages.kernel_of(request)
    try:
        await pages.limit(request, "unsubscribe_save")
        claims = _read(request, token)
        data = await request.form()
        one_click = data.get("List-Unsubscribe") == "One-Click" and "csrf" not in data
        whole_party = False
        if not one_click:
            # The confirmation form: a CSRF token is required (a one-click POST has none;
            # there the signed URL is the authority).
            pages.check_csrf(
                request,
                token=str(data.get("csrf") or ""),
                page="unsubscribe",
                subject=f"{claims.campaign_id}:{claims.contact_id}:{claims.message_id}",
            )
            scope = str(data.get("scope") or "campaign")
            if scope not in ("campaign", "party"):
                raise pages.PageError(422, "robot")
            whole_party = scope == "party"
        browser = voter.Browser(
            ip_address=pages.client_ip(request), user_agent=pages.user_agent(request), language=lang
        )
        async with db.transaction(kernel.sessionmaker) as session:
            kept = await repository.resolve_contact(
                session, campaign_id=claims.campaign_id, contact_id=claims.contact_id
            )
            events = await unsubscribing.unsubscribe(
                session,
                outbox=kernel.outbox,
                campaign_id=claims.campaign_id,
                contact_id=kept,
                channel=claims.channel,
                message_id=claims.message_id,
                whole_party=whole_party,
                browser=browser,
                now=db.utcnow(),
            )
        done = await pages.acknowledge(kernel, events)
        t = pages.i18n.texts(lang)
        line = t["unsub_done"].format(channel=_channel(claims, lang)) if done else t["registered"]
        return pages.render(
            request,
            "done.html",
            lang=lang,
            status=200 if done else 202,
            heading=t["unsub_title"],
            lines=[line],
        )
    except pages.PageError as error:
        return pages.error_page(request, error, lang=lang)
