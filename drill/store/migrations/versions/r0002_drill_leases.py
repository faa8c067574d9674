"""Drill leases: one engine per drill, and the history of who held each drill.

Revision ID: 0002
Revises: 0001
Created: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The lease itself changes (heartbeats renew it): no append-only triggers here.
    op.create_table(
        "drill_leases",
        sa.Column("drill_id", sa.String(200), nullable=False),
        sa.Column("holder", sa.String(300), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("operator", sa.String(200), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("taken_over_from", sa.String(300), nullable=True),
        sa.PrimaryKeyConstraint("drill_id", name=op.f("pk_drill_leases")),
    )
    op.create_table(
        "drill_lease_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("drill_id", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("holder", sa.String(300), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("operator", sa.String(200), nullable=True),
        sa.Column("previous_holder", sa.String(300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_lease_log")),
    )
    op.create_index(op.f("ix_drill_lease_log_drill_id"), "drill_lease_log", ["drill_id"])
    _refuse_changes("drill_lease_log")


def downgrade() -> None:
    raise NotImplementedError("the event store is never downgraded: it would lose records")


def _refuse_changes(table: str) -> None:
    """The lease history is append-only, like the events (see revision 0001)."""
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'drillkit {table} are append-only: "
                f"{action} refused'); END"
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
    else:
        raise NotImplementedError(
            f"drillkit cannot make {dialect} tables append-only; use SQLite or PostgreSQL"
        )
