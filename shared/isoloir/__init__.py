"""Isoloir platform kernel shared by every service."""
