"""Isoloir analytics-svc."""
