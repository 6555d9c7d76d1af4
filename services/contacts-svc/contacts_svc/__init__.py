"""Isoloir contacts-svc."""
