"""Drop ``casualties`` and ``munitions``: each event's casualty claims and munitions are kept
in its document (and each revision's), and no query read these tables, so every write
stored them for nothing. Filters and statistics read the figures drawn from the claims,
which are columns of ``events``.

The downgrade makes them again from the documents.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each table's name and columns after event_id and position, as the document's items hold them.
TABLES = {
    "casualties": [
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("group", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("qualifier", sa.String(length=20), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
    ],
    "munitions": [
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("launched", sa.Integer(), nullable=True),
        sa.Column("intercepted", sa.Integer(), nullable=True),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
    ],
}


def upgrade() -> None:
    for name in TABLES:
        op.drop_index(f"ix_{name}_event_id", table_name=name)
        op.drop_table(name)


def downgrade() -> None:
    tables = {}
    for name, columns in TABLES.items():
        tables[name] = op.create_table(
            name,
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("event_id", sa.String(length=32), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            *columns,
            sa.ForeignKeyConstraint(
                ["event_id"],
                ["events.id"],
                name=op.f(f"fk_{name}_event_id_events"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        )
        op.create_index(f"ix_{name}_event_id", name, ["event_id"])
    connection = op.get_bind()
    batch = sa.text("SELECT id, document FROM events WHERE id > :after ORDER BY id LIMIT 1000")
    after = ""
    while page := connection.execute(batch, {"after": after}).all():
        documents = [(event_id, json.loads(document)) for event_id, document in page]
        for name, table in tables.items():
            rows = [
                {"event_id": event_id, "position": i, **item}
                for event_id, document in documents
                for i, item in enumerate(document[name])
            ]
            if rows:
                connection.execute(table.insert(), rows)
        after = page[-1][0]
