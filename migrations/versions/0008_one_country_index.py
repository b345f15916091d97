"""One index for a country's events in date order and for their statistics.

``(country, occurred_on, id)`` served a country's pages and ``ix_events_stats``
``(country, occurred_on, status, admin1, ...)`` served its statistics. With ``id`` after
the date and the statistics' columns after it, one index does both, and every new event
updates one index fewer: storing batches of 1,000 events into a copy of the 1M-event
database took 341-361 us an event against 371-407 us, with the same query plans
(docs/performance-log.md).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATS_COLUMNS = [
    "status",
    "admin1",
    "event_type",
    "sub_event_type",
    "fatalities_best",
    "injured_best",
    "week_start",
    "month_start",
]


def upgrade() -> None:
    op.create_index(
        "ix_events_country_occurred_on_id_stats",
        "events",
        ["country", "occurred_on", "id", *STATS_COLUMNS],
    )
    op.drop_index("ix_events_country_occurred_on_id", table_name="events")
    op.drop_index("ix_events_stats", table_name="events")


def downgrade() -> None:
    op.create_index("ix_events_stats", "events", ["country", "occurred_on", *STATS_COLUMNS])
    op.create_index("ix_events_country_occurred_on_id", "events", ["country", "occurred_on", "id"])
    op.drop_index("ix_events_country_occurred_on_id_stats", table_name="events")
