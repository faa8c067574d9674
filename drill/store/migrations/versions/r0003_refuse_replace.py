"""Only plain appends: the journal also refuses INSERT OR REPLACE and UPSERT.

Revision 0001 refused UPDATE and DELETE. SQLite's `INSERT OR REPLACE` (and `REPLACE`)
resolves a conflict by deleting the old row, and SQLite fires no DELETE trigger for that
unless `recursive_triggers` is on for the connection doing it, so an event could be
rewritten in place. A BEFORE INSERT trigger runs before any conflict is resolved: here it
refuses every insert that would meet an existing row (same primary key, or the same
original idempotency key of a drill). A plain append never does, so the store's own
writes are untouched; a row the store did not write in order is refused like an update.

`INSERT … ON CONFLICT DO UPDATE` (UPSERT) on SQLite is caught by the same trigger (and by
the UPDATE trigger). On PostgreSQL an UPSERT fires the BEFORE UPDATE trigger of 0001, and
there is no REPLACE; the same BEFORE INSERT check is added all the same, so both back-ends
refuse a conflicting insert with the same words before anything else happens.

Revision ID: 0003
Revises: 0002
Created: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# For each append-only table, the condition under which a new row would meet an old one.
_CONFLICTS: dict[str, str] = {
    "events": (
        "EXISTS (SELECT 1 FROM events AS old WHERE old.drill_id = NEW.drill_id "
        'AND old.seq = NEW.seq) OR (NEW."key" IS NOT NULL AND NEW.duplicate_of IS NULL '
        "AND EXISTS (SELECT 1 FROM events AS old WHERE old.drill_id = NEW.drill_id "
        'AND old."key" = NEW."key" AND old.duplicate_of IS NULL))'
    ),
    "drills": "EXISTS (SELECT 1 FROM drills AS old WHERE old.drill_id = NEW.drill_id)",
    "drill_lease_log": ("EXISTS (SELECT 1 FROM drill_lease_log AS old WHERE old.id = NEW.id)"),
}


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    for statement in refuse_replace_sql(dialect):
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("the event store is never downgraded: it would lose records")


def refuse_replace_sql(dialect: str) -> list[str]:
    """The DDL of this revision for `dialect` (also rendered by the tests)."""
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN {condition} "
            f"BEGIN SELECT RAISE(ABORT, 'drillkit {table} are append-only: "
            "an insert that would replace a stored row refused'); END"
            for table, condition in _CONFLICTS.items()
        ]
    if dialect == "postgresql":
        statements = []
        for table, condition in _CONFLICTS.items():
            function = f"drillkit_refuse_replace_{table}"
            statements += [
                f"""
                CREATE OR REPLACE FUNCTION {function}() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    IF {condition} THEN
                        RAISE EXCEPTION
                            'drillkit {table} are append-only: an insert that would replace a stored row refused'
                            USING ERRCODE = 'integrity_constraint_violation';
                    END IF;
                    RETURN NEW;
                END
                $$
                """,
                f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {function}()",
            ]
        return statements
    raise NotImplementedError(
        f"drillkit cannot make {dialect} tables append-only; use SQLite or PostgreSQL"
    )
