"""Shared foundations below both ingest/ and app/: settings (and, later, the records layer)."""
