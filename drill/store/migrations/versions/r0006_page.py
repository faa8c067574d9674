"""Ad hoc people's contact methods, kept beside the journal (the journal masks them).

Revision ID: 0006
Revises: 0005
Created: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ad_hoc_points",
        sa.Column("drill_id", sa.String(200), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("points", sa.Text(), nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("drill_id", "ref", name=op.f("pk_ad_hoc_points")),
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is never downgraded: it would lose records")
