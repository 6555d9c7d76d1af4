"""HTTP routes of contacts-svc, one module per resource."""

from contacts_svc.api import auth, campaigns, contacts, files, parties

ROUTERS = [auth.router, parties.router, campaigns.router, files.router, contacts.router]
