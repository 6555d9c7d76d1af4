"""Test support: a pytest plugin (real broker, fresh PostgreSQL databases) and helpers."""
