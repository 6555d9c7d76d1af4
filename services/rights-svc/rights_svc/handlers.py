"""Event handlers of rights-svc, by event type."""

from isoloir.consumer import HandlerMap

HANDLERS: HandlerMap = {}
