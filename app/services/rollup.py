"""Keeping ``event_rollups`` (``app.models.rollup``) in step with the events it sums.

Every write adds an event's figures to its bucket and group, and a change takes the old
figures out first; ``GET /v1/stats`` then adds whole buckets from the rollup and reads the
events only for the days at either end of its date range (``whole_buckets``).
"""

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Insert, TableClause, select, true
from sqlalchemy.dialects import postgresql, sqlite

from app.db import insert_rows
from app.models import EventRollup
from app.services.periods import Interval, next_period, period_start

KEY = (
    "country",
    "first_day",
    "status",
    "admin1",
    "admin1_key",
    "admin1_code",
    "event_type",
    "sub_event_type",
)
FIGURES = ("events", "fatalities", "injured")
# The event row columns a bucket's key and figures come from.
SOURCE_COLUMNS = (
    "week_start",
    "month_start",
    "country",
    "status",
    "admin1",
    "admin1_key",
    "admin1_code",
    "event_type",
    "sub_event_type",
    "fatalities_best",
    "injured_best",
)


def bucket_start(day: date) -> date:
    """The first day of the bucket holding ``day``: its week's Monday or its month's first,
    whichever is later."""
    return max(period_start(day, Interval.WEEK), period_start(day, Interval.MONTH))


def whole_buckets(date_from: date | None, date_to: date | None) -> tuple[date | None, date | None]:
    """``(first, end)``: the buckets starting on or after ``first`` and before ``end`` lie
    wholly within the dates; None where the range is open. Days before ``first`` and from
    ``end`` on are the range's partial buckets."""
    first = end = None
    if date_from is not None:
        first = date_from
        if bucket_start(date_from) != date_from:
            first = min(
                next_period(period_start(date_from, Interval.WEEK), Interval.WEEK),
                next_period(period_start(date_from, Interval.MONTH), Interval.MONTH),
            )
    if date_to is not None:
        end = bucket_start(date_to + timedelta(days=1))
    return first, end


def _contribution(row: Mapping[str, Any], sign: int) -> dict[str, Any]:
    week_start, month_start = row["week_start"], row["month_start"]
    return {
        "country": row["country"] or "",
        "first_day": max(week_start, month_start),  # bucket_start(occurred_on)
        "status": row["status"],
        "admin1": row["admin1"] or "",
        "admin1_key": row["admin1_key"] or "",
        "admin1_code": row["admin1_code"] or "",
        "event_type": row["event_type"],
        "sub_event_type": row["sub_event_type"] or "",
        "week_start": week_start,
        "month_start": month_start,
        "events": sign,
        "fatalities": sign * (row["fatalities_best"] or 0),
        "injured": sign * (row["injured_best"] or 0),
    }


def record(
    connection: Connection,
    *,
    added: Iterable[Mapping[str, Any]] = (),
    removed: Iterable[Mapping[str, Any]] = (),
) -> None:
    """Add the events of ``added`` (rows with ``SOURCE_COLUMNS``) to their buckets and take
    those of ``removed`` out, in one upsert."""
    rows = changes(added=added, removed=removed)
    insert_rows(connection, EventRollup, rows, upsert=_upsert(connection.dialect.name))


def changes(
    *, added: Iterable[Mapping[str, Any]] = (), removed: Iterable[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """The ``event_rollups`` rows whose figures ``record`` adds to the stored ones."""
    totals: dict[tuple[Any, ...], dict[str, Any]] = {}
    for sign, rows in ((1, added), (-1, removed)):
        for row in rows:
            part = _contribution(row, sign)
            key = tuple(part[name] for name in KEY)
            if key in totals:
                for name in FIGURES:
                    totals[key][name] += part[name]
            else:
                totals[key] = part
    return [part for part in totals.values() if any(part[name] for name in FIGURES)]


def add_from(connection: Connection, source: TableClause) -> None:
    """``record`` of the ``changes`` rows held in ``source`` (an import's chunk file,
    ``app.services.chunk_files``), in one statement."""
    connection.execute(_upsert(connection.dialect.name, source))


@cache
def _upsert(dialect_name: str, source: TableClause | None = None) -> Insert:
    """The upsert that adds figures to their buckets, each given or all of ``source``'s,
    built once (building it was about a twentieth of a POST's time)."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    upsert = dialect.insert(EventRollup)
    if source is not None:
        # Without a WHERE, SQLite would read the ON CONFLICT as the SELECT's join condition.
        upsert = upsert.from_select(list(source.c.keys()), select(source).where(true()))
    statement: Insert = upsert.on_conflict_do_update(
        index_elements=list(KEY),
        set_={name: getattr(EventRollup, name) + upsert.excluded[name] for name in FIGURES},
    )
    return statement
