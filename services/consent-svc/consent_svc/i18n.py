"""Texts of the voter pages: French first, English on request (?lang=en)."""

from __future__ import annotations

from typing import Literal

Lang = Literal["fr", "en"]

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "switch": "English",
        "form_default_title": "Restons en contact",
        "notice": "Informations sur le traitement de vos données",
        "your_details": "Vos coordonnées",
        "first_name": "Prénom",
        "last_name": "Nom",
        "email": "Adresse e-mail",
        "phone": "Téléphone",
        "postal_code": "Code postal",
        "optional": "facultatif",
        "choices": "Vos choix",
        "choices_help": "Chaque case vaut pour un seul moyen de contact et une seule finalité. "
        "Rien n'est coché d'avance ; vous pourrez retirer votre accord à tout moment.",
        "honeypot": "Ne remplissez pas ce champ",
        "submit": "Envoyer",
        "thanks_title": "Merci",
        "thanks": "Vos choix ont été enregistrés.",
        "thanks_more": "Vous pourrez les modifier ou les retirer à tout moment avec le lien "
        "présent dans chacun de nos messages.",
        "error_title": "Demande non enregistrée",
        "fix_below": "Veuillez corriger les points ci-dessous.",
        "pick_one": "Cochez au moins une case pour nous donner votre accord.",
        "need_email": "Indiquez votre adresse e-mail pour être contacté(e) par e-mail.",
        "need_phone": "Indiquez votre numéro de téléphone pour être contacté(e) par téléphone "
        "ou SMS.",
        "bad_email": "Cette adresse e-mail n'est pas valide.",
        "bad_phone": "Ce numéro de téléphone n'est pas valide.",
        "bad_postal": "Le code postal doit compter cinq chiffres.",
        "too_long": "Ce champ est trop long.",
        "bundled": "Chaque accord se donne séparément : une case par moyen de contact et par "
        "finalité.",
        "not_offered": "Ce choix n'est pas proposé par ce formulaire.",
        "expired_form": "Ce formulaire a expiré ou a été ouvert dans un autre onglet. "
        "Rechargez la page et recommencez.",
        "robot": "Votre envoi n'a pas pu être enregistré. Rechargez la page et réessayez.",
        "too_many": "Trop de demandes en peu de temps. Réessayez dans une minute.",
        "unavailable": "Ce formulaire n'est pas disponible.",
        "bad_link": "Ce lien n'est pas valide ou a expiré.",
        "pref_title": "Vos préférences de contact",
        "pref_intro": "Cochez ce que vous acceptez, décochez ce que vous retirez.",
        "pref_empty": "Nous ne détenons aucun accord vous concernant pour cette campagne.",
        "pref_save": "Enregistrer mes choix",
        "pref_saved": "Vos choix ont été enregistrés et appliqués.",
        "registered": "Votre demande est enregistrée et en cours d'application.",
        "state_granted": "accepté",
        "state_withdrawn": "retiré",
        "state_refused": "refusé",
        "state_pending": "en attente de votre réponse",
        "state_expired": "sans réponse (expiré)",
        "state_none": "pas d'accord",
        "unsub_title": "Se désinscrire",
        "unsub_intro": "Vous ne recevrez plus de messages {channel}.",
        "scope_campaign": "De cette campagne seulement",
        "scope_party": "D'aucune campagne du parti (votre adresse ou numéro sera inscrit sur "
        "notre liste d'opposition)",
        "unsub_confirm": "Confirmer la désinscription",
        "unsub_done": "Vous êtes désinscrit(e). Vous ne recevrez plus de messages {channel}.",
        "manage_more": "Gérer toutes mes préférences",
    },
    "en": {
        "switch": "Français",
        "form_default_title": "Let's stay in touch",
        "notice": "How your data is processed",
        "your_details": "Your details",
        "first_name": "First name",
        "last_name": "Last name",
        "email": "Email address",
        "phone": "Phone",
        "postal_code": "Postal code",
        "optional": "optional",
        "choices": "Your choices",
        "choices_help": "Each box covers one means of contact for one purpose. Nothing is "
        "ticked in advance; you may withdraw your agreement at any time.",
        "honeypot": "Leave this field empty",
        "submit": "Send",
        "thanks_title": "Thank you",
        "thanks": "Your choices have been recorded.",
        "thanks_more": "You may change or withdraw them at any time with the link in each of "
        "our messages.",
        "error_title": "Request not recorded",
        "fix_below": "Please correct the points below.",
        "pick_one": "Tick at least one box to give us your agreement.",
        "need_email": "Give your email address to be contacted by email.",
        "need_phone": "Give your phone number to be contacted by phone or text message.",
        "bad_email": "This email address is not valid.",
        "bad_phone": "This phone number is not valid.",
        "bad_postal": "The postal code has five digits.",
        "too_long": "This field is too long.",
        "bundled": "Each agreement is given separately: one box per means of contact and purpose.",
        "not_offered": "This choice is not offered by this form.",
        "expired_form": "This form has expired or was opened in another tab. Reload the page "
        "and try again.",
        "robot": "Your submission could not be recorded. Reload the page and try again.",
        "too_many": "Too many requests in a short time. Try again in a minute.",
        "unavailable": "This form is not available.",
        "bad_link": "This link is not valid or has expired.",
        "pref_title": "Your contact preferences",
        "pref_intro": "Tick what you agree to, untick what you withdraw.",
        "pref_empty": "We hold no agreement of yours for this campaign.",
        "pref_save": "Save my choices",
        "pref_saved": "Your choices have been recorded and applied.",
        "registered": "Your request is registered and being applied.",
        "state_granted": "agreed",
        "state_withdrawn": "withdrawn",
        "state_refused": "refused",
        "state_pending": "awaiting your answer",
        "state_expired": "no answer (expired)",
        "state_none": "no agreement",
        "unsub_title": "Unsubscribe",
        "unsub_intro": "You will no longer receive messages {channel}.",
        "scope_campaign": "From this campaign only",
        "scope_party": "From every campaign of the party (your address or number will be put "
        "on our opposition list)",
        "unsub_confirm": "Confirm",
        "unsub_done": "You are unsubscribed. You will no longer receive messages {channel}.",
        "manage_more": "Manage all my preferences",
    },
}


def texts(lang: Lang) -> dict[str, str]:
    """Return the page texts in one language."""
    return TEXTS[lang]
