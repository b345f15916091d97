"""Cover the places index: boxes and radii filter and sort on the index alone.

A front-line box or a 25 km radius matches thousands of events a month; with latitude,
longitude, status and id in the index, the rows outside the shape are dropped and the page
is sorted without reading a single table row, and only the page's 100 documents are read.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COVERING = ["geo_cell", "occurred_on", "latitude", "longitude", "status", "id"]


def upgrade() -> None:
    op.create_index("ix_events_geo_cell_covering", "events", COVERING)
    op.drop_index("ix_events_geo_cell_occurred_on", table_name="events")


def downgrade() -> None:
    op.create_index("ix_events_geo_cell_occurred_on", "events", ["geo_cell", "occurred_on"])
    op.drop_index("ix_events_geo_cell_covering", table_name="events")
