"""Isoloir messaging-svc."""
