"""Tables of contacts-svc, on a metadata of its own."""

from isoloir import db

Base = db.model_base("ContactsBase")
metadata = Base.metadata
