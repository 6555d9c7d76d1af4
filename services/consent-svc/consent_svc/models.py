"""Tables of consent-svc, on a metadata of its own."""

from isoloir import db

Base = db.model_base("ConsentBase")
metadata = Base.metadata
