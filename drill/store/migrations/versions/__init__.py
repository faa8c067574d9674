"""Revisions of the event store schema, oldest first (r0001_…, r0002_…)."""
