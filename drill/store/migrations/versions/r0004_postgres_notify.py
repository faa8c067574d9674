"""PostgreSQL only: a notification per batch of new events; record tables closed by privilege.

A NOTIFY on `drillkit_events` when events are committed (live consoles), and DELETE and
TRUNCATE of the record tables (UPDATE of the lease history) revoked even from the owning
role, beside the triggers of 0001. Nothing changes on SQLite (its consoles poll; a file has no roles).

Revision ID: 0004
Revises: 0003
Created: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported: a migration stays as it was when it shipped.
_CHANNEL = "drillkit_events"
_RECORD_TABLES = ("drills", "events", "drill_lease_log")


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    # One NOTIFY per drill per statement, not per row: a batch of 17,000 pages is one
    # wake-up. The payload is the drill id; listeners read the events themselves.
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION drillkit_notify_events() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{_CHANNEL}', drill_id)
                FROM (SELECT DISTINCT drill_id FROM new_events) AS written;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER events_notify AFTER INSERT ON events "
        "REFERENCING NEW TABLE AS new_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION drillkit_notify_events()"
    )
    # DELETE and TRUNCATE are taken from the owner and from everyone (a superuser still
    # passes privilege checks: `drillkit doctor` says so). The owner keeps UPDATE on the
    # tables other rows refer to: PostgreSQL checks a foreign key with `FOR KEY SHARE` as
    # the referenced table's owner, which needs it; the triggers refuse the UPDATE itself.
    for table in _RECORD_TABLES:
        op.execute(f"REVOKE DELETE, TRUNCATE ON {table} FROM PUBLIC, CURRENT_USER")
    op.execute("REVOKE UPDATE ON drill_lease_log FROM PUBLIC, CURRENT_USER")


def downgrade() -> None:
    raise NotImplementedError("the event store is never downgraded: it would lose records")
