"""Isoloir consent-svc."""
