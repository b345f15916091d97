"""The event ledger: one row per event plus normalised child rows for filtering.

Column lengths are at least the schema's limits (PostgreSQL enforces them); folded
``*_key`` columns are unbounded because case folding can lengthen a string.

``events.document`` holds the event exactly as the API serves it (JSON text),
rewritten on every write, so reads never assemble an event from several tables.
The child tables exist for filters and aggregates (actors, sources, tags). Casualty claims
and munitions are kept only in the document: filters and statistics read the figures drawn
from the claims (``fatalities_*``, ``injured_*``), and no query reads a claim or a munition
on its own.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    literal_column,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime


class Event(Base):
    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    event_type: Mapped[str] = mapped_column(String(60))
    sub_event_type: Mapped[str | None] = mapped_column(String(80))
    occurred_on: Mapped[date] = mapped_column(Date)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    week_start: Mapped[date] = mapped_column(Date, doc="Monday of occurred_on's ISO week")
    month_start: Mapped[date] = mapped_column(Date, doc="first day of occurred_on's month")
    date_precision: Mapped[str] = mapped_column(String(10))
    location_name: Mapped[str] = mapped_column(String(200))
    location_key: Mapped[str] = mapped_column(Text, doc="location_name folded for lookup")
    admin1: Mapped[str | None] = mapped_column(String(200))
    admin1_key: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location_precision: Mapped[str | None] = mapped_column(String(10))
    place_id: Mapped[int | None] = mapped_column(Integer, doc="GeoNames id of the place")
    admin1_code: Mapped[str | None] = mapped_column(String(20), doc="GeoNames admin1 code")
    geo_cell: Mapped[int | None] = mapped_column(Integer, doc="see app.geo.distance")
    damage: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10))
    fatalities_low: Mapped[int | None] = mapped_column(Integer)
    fatalities_best: Mapped[int | None] = mapped_column(Integer)
    fatalities_high: Mapped[int | None] = mapped_column(Integer)
    injured_low: Mapped[int | None] = mapped_column(Integer)
    injured_best: Mapped[int | None] = mapped_column(Integer)
    injured_high: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    document: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        # Keyset pagination walks (sort column, id); each sort has its index.
        # Also covers a large box's test of each event, walked in date order (migration 0006).
        Index(
            "ix_events_occurred_on_id_place", "occurred_on", "id", "latitude", "longitude", "status"
        ),
        Index("ix_events_updated_at_id", "updated_at", "id"),
        Index("ix_events_location_key", "location_key"),
        Index("ix_events_admin1_key", "admin1_key"),
        Index("ix_events_event_type", "event_type", "sub_event_type"),
        Index("ix_events_place_id", "place_id"),
        Index("ix_events_admin1_code", "admin1_code"),
        # Covering: a box or a radius filters and sorts on the index alone (migrations 0003
        # and 0007).
        Index(
            "ix_events_geo_cell_occurred_on_id_place",
            "geo_cell",
            "occurred_on",
            "id",
            "latitude",
            "longitude",
            "status",
        ),
        # A country's events in date order (keyset pagination), which also covers GET
        # /v1/stats by country and period without reading the wide rows (migration 0008).
        Index(
            "ix_events_country_occurred_on_id_stats",
            "country",
            "occurred_on",
            "id",
            "status",
            "admin1",
            "event_type",
            "sub_event_type",
            "fatalities_best",
            "injured_best",
            "week_start",
            "month_start",
        ),
    )


class EventLine(Base):
    """Each event's line of the flat CSV (``app.interchange.flat``), kept in step with the
    event and stored in export order: SQLite keeps this table in its key's order (no rowid),
    so a whole export reads it front to back instead of seeking every wide event row."""

    __tablename__ = "event_lines"
    __table_args__ = ({"sqlite_with_rowid": False},)

    occurred_on: Mapped[date] = mapped_column(Date, primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, doc="the event's id")
    status: Mapped[str] = mapped_column(String(10))
    csv_row: Mapped[str] = mapped_column(Text)


class PendingLine(Base):
    """The CSV lines of events an import into an empty database has stored, until it ends
    and writes them into ``event_lines`` in one pass in date order: written chunk by chunk,
    they scattered over the whole table, which halved the events a second SQLite alone
    could store (docs/performance-log.md). Kept in the events' order, by id (ids rise
    with time)."""

    __tablename__ = "event_lines_pending"
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, doc="the event's id")
    occurred_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    csv_row: Mapped[str] = mapped_column(Text)


# Sorting by fatalities puts unknown tolls last on both databases; the expression
# must match ``FATALITIES_SORT_KEY`` exactly for SQLite to use the index.
FATALITIES_SORT_KEY = func.coalesce(Event.fatalities_best, literal_column("-1"))
Index("ix_events_fatalities_sort", FATALITIES_SORT_KEY, Event.id)
# Every index on events; the primary key and the unique external id are constraints.
EVENT_INDEXES = Base.metadata.tables["events"].indexes


class Actor(Base):
    __tablename__ = "actors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(Text, index=True)
    role: Mapped[str] = mapped_column(String(20))
    attribution: Mapped[str | None] = mapped_column(String(20))
    attributed_by: Mapped[str | None] = mapped_column(String(200))


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(Text, index=True)
    kind: Mapped[str | None] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(String(2000))
    published_on: Mapped[date | None] = mapped_column(Date)


class EventTag(Base):
    __tablename__ = "event_tags"

    event_id: Mapped[str] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(Text, primary_key=True, index=True)


class Revision(Base):
    """One write to an event: who, when, what changed, and the event as it then stood."""

    __tablename__ = "revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    key_name: Mapped[str | None] = mapped_column(String(100))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    document: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_revisions_event_id_version", "event_id", "version", unique=True),)
