"""Consoles: who watches each drill, and operator requests from consoles that do not run it.

Revision ID: 0005
Revises: 0004
Created: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Heartbeats renew a watcher's row: no append-only triggers on it (like the lease).
    op.create_table(
        "console_watchers",
        sa.Column("console_id", sa.String(300), nullable=False),
        sa.Column("drill_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("operator", sa.String(200), nullable=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("console_id", name=op.f("pk_console_watchers")),
    )
    op.create_index(op.f("ix_console_watchers_drill_id"), "console_watchers", ["drill_id"])
    op.create_table(
        "operator_requests",
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("drill_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("operator", sa.String(200), nullable=False),
        sa.Column("console_id", sa.String(300), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_operator_requests")),
    )
    op.create_index(op.f("ix_operator_requests_drill_id"), "operator_requests", ["drill_id"])
    op.create_table(
        "operator_answers",
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("drill_id", sa.String(200), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("holder", sa.String(300), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_operator_answers")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["operator_requests.request_id"],
            name=op.f("fk_operator_answers_request_id_operator_requests"),
        ),
    )
    op.create_index(op.f("ix_operator_answers_drill_id"), "operator_answers", ["drill_id"])
    _refuse_changes("operator_requests")
    _refuse_changes("operator_answers")


def downgrade() -> None:
    raise NotImplementedError("the event store is never downgraded: it would lose records")


def _refuse_changes(table: str) -> None:
    """Requests and answers are records, append-only like the events (revisions 0001 and
    0003: no UPDATE, no DELETE, no insert that would replace a stored row)."""
    dialect = op.get_context().dialect.name
    replaces = f"EXISTS (SELECT 1 FROM {table} AS prior WHERE prior.request_id = NEW.request_id)"
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'drillkit {table} are append-only: "
                f"{action} refused'); END"
            )
        op.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} WHEN {replaces} "
            f"BEGIN SELECT RAISE(ABORT, 'drillkit {table} are append-only: "
            "an insert that would replace a stored row refused'); END"
        )
    elif dialect == "postgresql":
        # drillkit_refuse_change() was created by revision 0001.
        op.execute(
            f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION drillkit_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION drillkit_refuse_change()"
        )
        function = f"drillkit_refuse_replace_{table}"
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION {function}() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF {replaces} THEN
                    RAISE EXCEPTION
                        'drillkit {table} are append-only: an insert that would replace a stored row refused'
                        USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                RETURN NEW;
            END
            $$
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )
        # As revision 0004 does for the other record tables: closed by privilege too. The
        # owner keeps UPDATE on operator_requests (answers' foreign key needs it; the
        # trigger refuses the UPDATE itself).
        op.execute(f"REVOKE DELETE, TRUNCATE ON {table} FROM PUBLIC, CURRENT_USER")
    else:
        raise NotImplementedError(
            f"drillkit cannot make {dialect} tables append-only; use SQLite or PostgreSQL"
        )
