"""HTTP routes of contacts-svc, one module per resource."""

from contacts_svc.api import (
    auth,
    campaigns,
    contacts,
    files,
    imports,
    interactions,
    parties,
    segments,
)

ROUTERS = [
    auth.router,
    parties.router,
    campaigns.router,
    files.router,
    contacts.router,
    imports.router,
    interactions.router,
    segments.router,
]
