"""Isoloir rights-svc."""
