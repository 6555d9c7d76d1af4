"""Event handlers of analytics-svc, by event type."""

from isoloir.consumer import HandlerMap

HANDLERS: HandlerMap = {}
