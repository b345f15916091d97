"""Store each event's line of the flat CSV, so that exports join lines instead of parsing
every document.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import orjson
import sqlalchemy as sa
from alembic import op

from app.interchange import flat

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000


def upgrade() -> None:
    op.add_column(
        "events", sa.Column("csv_row", sa.Text(), nullable=False, server_default=sa.text("''"))
    )
    events = sa.table("events", sa.column("id", sa.String), sa.column("document", sa.Text))
    connection = op.get_bind()
    last_id = ""
    while True:
        rows = connection.execute(
            sa.select(events.c.id, events.c.document)
            .where(events.c.id > last_id)
            .order_by(events.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            sa.text("UPDATE events SET csv_row = :line WHERE id = :id"),
            [{"id": id_, "line": flat.csv_line(orjson.loads(doc))} for id_, doc in rows],
        )
        last_id = rows[-1].id


def downgrade() -> None:
    # SQLite (3.35+) drops a column in place: no table copy, and its expression index stays.
    op.drop_column("events", "csv_row")
