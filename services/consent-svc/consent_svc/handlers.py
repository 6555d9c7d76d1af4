"""Event handlers of consent-svc, by event type."""

from isoloir.consumer import HandlerMap

HANDLERS: HandlerMap = {}
