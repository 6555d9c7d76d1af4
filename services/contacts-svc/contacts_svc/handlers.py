"""Event handlers of contacts-svc, by event type."""

from isoloir.consumer import HandlerMap

HANDLERS: HandlerMap = {}
