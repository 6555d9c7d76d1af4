"""Event handlers of messaging-svc, by event type."""

from isoloir.consumer import HandlerMap

HANDLERS: HandlerMap = {}
