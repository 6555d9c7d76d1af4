"""Tables of rights-svc, on a metadata of its own."""

from isoloir import db

Base = db.model_base("RightsBase")
metadata = Base.metadata
