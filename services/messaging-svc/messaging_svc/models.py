"""Tables of messaging-svc, on a metadata of its own."""

from isoloir import db

Base = db.model_base("MessagingBase")
metadata = Base.metadata
