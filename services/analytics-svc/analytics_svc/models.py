"""Tables of analytics-svc, on a metadata of its own."""

from isoloir import db

Base = db.model_base("AnalyticsBase")
metadata = Base.metadata
