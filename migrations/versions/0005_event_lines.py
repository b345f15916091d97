"""Move each event's flat CSV line from ``events.csv_row`` into ``event_lines``, a narrow
table keyed (and on SQLite stored) in export order.

A whole export read the lines through the date index, one seek into the wide event rows
per line: at a million events about 30k lines/s, against 250k/s reading in table order.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_lines",
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("csv_row", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("occurred_on", "id", name=op.f("pk_event_lines")),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO event_lines SELECT occurred_on, id, status, csv_row FROM events"
        " ORDER BY occurred_on, id"
    )
    op.drop_column("events", "csv_row")


def downgrade() -> None:
    op.add_column(
        "events", sa.Column("csv_row", sa.Text(), nullable=False, server_default=sa.text("''"))
    )
    op.execute(
        "UPDATE events SET csv_row = (SELECT csv_row FROM event_lines"
        " WHERE event_lines.occurred_on = events.occurred_on AND event_lines.id = events.id)"
    )
    op.drop_table("event_lines")
