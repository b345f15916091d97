"""Sum events, fatalities and injured per bucket and group (``event_rollups``), so that
``GET /v1/stats`` adds a few thousand rows instead of reading every event of a year.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = [
    "country",
    "first_day",
    "status",
    "admin1",
    "admin1_key",
    "admin1_code",
    "event_type",
    "sub_event_type",
]


def upgrade() -> None:
    op.create_table(
        "event_rollups",
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("admin1", sa.String(200), nullable=False),
        sa.Column("admin1_key", sa.Text(), nullable=False),
        sa.Column("admin1_code", sa.String(20), nullable=False),
        sa.Column("event_type", sa.String(60), nullable=False),
        sa.Column("sub_event_type", sa.String(80), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("month_start", sa.Date(), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("fatalities", sa.BigInteger(), nullable=False),
        sa.Column("injured", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY, name=op.f("pk_event_rollups")),
    )
    # A bucket starts on its week's Monday or its month's first, whichever is later.
    op.execute(
        """
        INSERT INTO event_rollups
        SELECT coalesce(country, ''),
               CASE WHEN week_start > month_start THEN week_start ELSE month_start END,
               status,
               coalesce(admin1, ''), coalesce(admin1_key, ''), coalesce(admin1_code, ''),
               event_type, coalesce(sub_event_type, ''),
               min(week_start), min(month_start),
               count(*), coalesce(sum(fatalities_best), 0), coalesce(sum(injured_best), 0)
        FROM events
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        """
    )


def downgrade() -> None:
    op.drop_table("event_rollups")
