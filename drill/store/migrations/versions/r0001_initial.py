"""The first event store: drills, hash-chained events, append-only triggers.

Revision ID: 0001
Revises:
Created: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Constraint names are wrapped in op.f(): final as written, whatever naming convention the
# environment's metadata has at the time this revision runs.
_ORIGINAL_KEY = sa.text('"key" IS NOT NULL AND duplicate_of IS NULL')


def upgrade() -> None:
    op.create_table(
        "drills",
        sa.Column("drill_id", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("drill_id", name=op.f("pk_drills")),
    )
    op.create_index(op.f("ix_drills_created_at"), "drills", ["created_at"])
    op.create_table(
        "events",
        sa.Column("drill_id", sa.String(200), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=True),
        sa.Column("duplicate_of", sa.Integer(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("drill_id", "seq", name=op.f("pk_events")),
        sa.ForeignKeyConstraint(
            ["drill_id"], ["drills.drill_id"], name=op.f("fk_events_drill_id_drills")
        ),
        sa.ForeignKeyConstraint(
            ["drill_id", "duplicate_of"],
            ["events.drill_id", "events.seq"],
            name=op.f("fk_events_drill_id_duplicate_of_events"),
        ),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_events_seq_positive")),
        sa.CheckConstraint(
            'duplicate_of IS NULL OR ("key" IS NOT NULL AND duplicate_of < seq)',
            name=op.f("ck_events_duplicate_points_back"),
        ),
    )
    op.create_index(
        op.f("uq_events_original_key"),
        "events",
        ["drill_id", "key"],
        unique=True,
        sqlite_where=_ORIGINAL_KEY,
        postgresql_where=_ORIGINAL_KEY,
    )
    _refuse_changes(["drills", "events"])


def downgrade() -> None:
    raise NotImplementedError("the event store is never downgraded: it would lose records")


# --- dialect-specific: the schema itself refuses UPDATE and DELETE -------------------------


def _refuse_changes(tables: list[str]) -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for table in tables:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'drillkit {table} are append-only: "
                    f"{action} refused'); END"
                )
    elif dialect == "postgresql":
        # Not exercised by the test suite yet (no PostgreSQL server in CI); kept beside the
        # SQLite version so both change together. TRUNCATE bypasses row triggers, hence
        # the statement-level one.
        op.execute(
            """
            CREATE OR REPLACE FUNCTION drillkit_refuse_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'drillkit % are append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'integrity_constraint_violation';
            END
            $$
            """
        )
        for table in tables:
            op.execute(
                f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION drillkit_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION drillkit_refuse_change()"
            )
    else:
        raise NotImplementedError(
            f"drillkit cannot make {dialect} tables append-only; use SQLite or PostgreSQL"
        )
