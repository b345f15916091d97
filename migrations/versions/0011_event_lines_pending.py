"""Where an import into an empty database keeps its events' CSV lines until it writes them
into ``event_lines`` in date order (``app.services.importer``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_lines_pending",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("csv_row", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_lines_pending")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.execute(
        "INSERT INTO event_lines SELECT occurred_on, id, status, csv_row"
        " FROM event_lines_pending ORDER BY occurred_on, id"
    )
    op.drop_table("event_lines_pending")
