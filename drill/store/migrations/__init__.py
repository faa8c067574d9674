"""Alembic migrations of the event store, run on open (`drill.store.migrate`).

Records are kept for years, so every schema change is a new revision here and the store
upgrades itself to head when opened. Revisions are never edited once released and never
import the current `schema.py` (it moves on; a revision describes one point in time).

Developers: `alembic -c drill/store/migrations/alembic.ini revision --autogenerate -m "…"`
against a database at head (`DRILLKIT_DB` or `sqlalchemy.url`), then review the result:
SQLite rebuilds a table to alter it, which drops its append-only triggers; recreate them.
"""
